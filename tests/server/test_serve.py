"""akhbar on a real Prefect server, as `make serve` runs it: `akhbar.serve` starts `prefect server
start` on a free loopback port with its home in a temp dir, creates the process pool, deploys
prefect.yaml and starts a worker. A `reprocess` run is created through the API and run by the
worker; the scheduler must have planned `nightly`; the API must refuse bad parameters; headless
Chromium must show both deployments in the UI; `serve` again reuses what runs; `akhbar stop` stops
everything.

One stack serves the read-mostly tests (start-up ~20 s); the serve-twice-and-stop test has its own.
Every stack is stopped even when a test fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from prefect_stack import running

from akhbar import serve

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("server")]

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO.parent / "shared" / "seeds"
OUT = Path(__file__).resolve().parent / "out"
RUN_TIMEOUT = 180
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1400,900",
]


def schedule_timezones() -> list[str]:
    """Two non-UTC zones (the setting must reach the schedule) whose 02:00 is not in the next hours,
    so the worker never picks up a real nightly run while the tests run. 02:00 there is 23:00, 05:00
    and 17:00 UTC: at most one of the three is near."""
    return [
        tz
        for tz in ("Asia/Riyadh", "America/Sao_Paulo", "Asia/Tokyo")
        if datetime.now(ZoneInfo(tz)).hour not in (0, 1, 2)
    ][:2]


TIMEZONE, OTHER_TIMEZONE = schedule_timezones()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    # the worker asks for runs every second instead of every 10 s
    with running(
        tmp_path_factory.mktemp("serve-data"),
        serve.start,
        timezone=TIMEZONE,
        extra_env={"PREFECT_WORKER_QUERY_SECONDS": "1"},
    ) as started:
        yield started


@pytest.fixture(scope="module")
def client(stack):
    from prefect.client.orchestration import SyncPrefectClient

    with SyncPrefectClient(stack.api_url) as c:
        yield c


def deployment(client, name: str):
    return client.read_deployment_by_name(f"akhbar-nightly/{name}")


def wait_for_final_state(client, flow_run_id, timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        run = client.read_flow_run(flow_run_id)
        if run.state is not None and run.state.is_final():
            return run
        if time.monotonic() > deadline:
            return run
        time.sleep(1)


def runs_of(client, deployment_id, state_type=None):
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )

    flow_run_filter = (
        FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[state_type]))) if state_type else None
    )
    return client.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])), flow_run_filter=flow_run_filter
    )


def test_deployments_are_as_in_prefect_yaml(client):
    nightly, reprocess = deployment(client, "nightly"), deployment(client, "reprocess")
    for dep in (nightly, reprocess):
        assert dep.work_pool_name == serve.WORK_POOL
        assert dep.enforce_parameter_schema
        assert dep.pull_steps == [
            {"prefect.deployments.steps.set_working_directory": {"directory": "{{ $AKHBAR_PROJECT_DIR }}"}}
        ]
        assert dep.parameters["params"]["inputs"] == ["samples/landing"]
        assert dep.parameters["params"]["data_dir"] == "data"
    assert [(s.schedule.cron, s.schedule.timezone, s.active) for s in nightly.schedules] == [
        ("0 2 * * *", TIMEZONE, True)
    ]
    assert reprocess.schedules == []
    assert nightly.global_concurrency_limit is not None and nightly.global_concurrency_limit.limit == 1


def test_reprocess_run_through_the_api(stack, client, tmp_path):
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    assert SEEDS.is_dir(), f"missing shared seeds at {SEEDS}"
    data = tmp_path / "warehouse"
    # A relative input: it resolves only if the pull step started the run in the checkout.
    created = client.create_flow_run_from_deployment(
        deployment(client, "reprocess").id,
        parameters={"params": {"inputs": ["../shared/seeds"], "data_dir": str(data)}},
    )
    run = wait_for_final_state(client, created.id, RUN_TIMEOUT)
    assert run.state.is_completed(), f"reprocess run ended {run.state!r} (or timed out); worker log:\n" + serve._tail(
        stack.log_file("worker"), 60
    )

    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 5
        assert con.execute("SELECT flow_run_id FROM runs").fetchall() == [(str(run.id),)]
    finally:
        con.close()

    artifacts = {
        a.key: a for a in client.read_artifacts(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])))
    }
    assert set(artifacts) == {"akhbar-run-counts", "akhbar-run-report"}
    counts = artifacts["akhbar-run-counts"]
    assert counts.type == "table"
    rows = json.loads(counts.data) if isinstance(counts.data, str) else counts.data
    assert rows[0]["outlet"] == "(all outlets)"
    assert (rows[0]["read"], rows[0]["cleaned"], rows[0]["published"], rows[0]["quarantined"]) == (5, 5, 5, 0)
    assert rows[0]["boilerplate_removed"] > 0 and sum(r["published"] for r in rows[1:]) == 5
    report = artifacts["akhbar-run-report"]
    assert report.type == "markdown"
    for section in (
        "## Validation",
        "## Boilerplate removed most often",
        "## Largest duplicate clusters",
        "## Where to look",
    ):
        assert section in report.data
    assert str(data / "warehouse.duckdb") in report.data


def test_scheduler_plans_nightly_runs(client):
    nightly = deployment(client, "nightly")
    deadline = time.monotonic() + 60
    while not (planned := runs_of(client, nightly.id, "SCHEDULED")) and time.monotonic() < deadline:
        time.sleep(1)
    assert planned, "the scheduler created no runs for `nightly` within 60 s"
    zone = ZoneInfo(TIMEZONE)
    for run in planned:
        local = run.expected_start_time.astimezone(zone)
        assert (local.hour, local.minute) == (2, 0), local
        assert run.expected_start_time > datetime.now(zone) - timedelta(minutes=1)
    assert runs_of(client, deployment(client, "reprocess").id, "SCHEDULED") == []


def test_bad_parameters_are_refused_before_a_run_exists(client):
    from prefect.exceptions import PrefectHTTPStatusError

    reprocess = deployment(client, "reprocess")
    before = len(runs_of(client, reprocess.id))
    with pytest.raises(PrefectHTTPStatusError) as refused:
        client.create_flow_run_from_deployment(
            reprocess.id,
            parameters={"params": {"inputs": ["../shared/seeds"], "data_dir": "data/x", "dedup_threshold": 5}},
        )
    assert refused.value.response.status_code == 409
    assert "dedup_threshold" in refused.value.response.text
    with pytest.raises(PrefectHTTPStatusError):
        client.create_flow_run_from_deployment(reprocess.id, parameters={"params": {"inputs": [], "batch_size": 10}})
    assert len(runs_of(client, reprocess.id)) == before


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, installed with apt-get when missing (CI runs as root)."""
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found:
        return found
    if os.geteuid() != 0:
        pytest.fail("chromium is missing and only root can install it: apt-get install -y chromium")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock = ["-o", "DPkg::Lock::Timeout=300"]
    for cmd in (["apt-get", *lock, "update"], ["apt-get", *lock, "install", "-y", "chromium"]):
        done = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return shutil.which("chromium") or "/usr/bin/chromium"


def headless(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    """One headless Chromium call; the virtual time budget lets the UI's XHRs finish and render."""
    return subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=20000", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ui_shows_both_deployments_and_the_schedule(stack, chromium, tmp_path):
    url = f"{stack.ui_url}/deployments"
    profile = tmp_path / "chromium-profile"
    dom = ""
    for _ in range(3):  # a cold UI bundle can outlast one virtual time budget; poll, don't sleep
        done = headless(chromium, profile, "--dump-dom", url)
        dom = done.stdout
        if all(word in dom for word in ("nightly", "reprocess", "akhbar-nightly")) and "02:00" in dom:
            break
    assert "nightly" in dom and "reprocess" in dom, (
        f"deployments not rendered at {url}:\n{dom[-2000:]}\n{done.stderr[-2000:]}"
    )
    assert "02:00" in dom, f"the nightly schedule is not shown at {url}"

    shot = tmp_path / "deployments.png"
    done = headless(chromium, profile, f"--screenshot={shot}", url)
    assert shot.exists() and shot.stat().st_size > 10_000, done.stderr[-2000:]
    OUT.mkdir(exist_ok=True)
    shutil.copy(shot, OUT / "deployments.png")


def test_serve_twice_then_stop(tmp_path):
    """On a stack of its own (pytest-xdist may run this file's tests on two workers, in any order):
    a second `serve` reuses the running server and worker and redeploys, here with a new time zone;
    `akhbar stop` stops both cleanly, and again finds nothing to stop."""
    from prefect.client.orchestration import SyncPrefectClient

    data = tmp_path / "serve-data"
    with running(data, serve.start, timezone=TIMEZONE, echo=lambda _: None) as first:
        pids = {name: first.pid(name) for name in ("server", "worker")}
        assert all(pids.values())
        again = serve.start(data, timezone=OTHER_TIMEZONE, echo=lambda _: None)  # no port: the running one
        assert again == first and {name: again.pid(name) for name in ("server", "worker")} == pids

        with SyncPrefectClient(first.api_url) as client:
            nightly = deployment(client, "nightly")
            assert [s.schedule.timezone for s in nightly.schedules] == [OTHER_TIMEZONE]
            zone = ZoneInfo(OTHER_TIMEZONE)
            deadline = time.monotonic() + 60
            while True:  # the runs planned in the first zone are replaced by runs at 02:00 in the new one
                planned = runs_of(client, nightly.id, "SCHEDULED")
                if planned and all(r.expected_start_time.astimezone(zone).hour == 2 for r in planned):
                    break
                assert time.monotonic() < deadline, [r.expected_start_time.isoformat() for r in planned]
                time.sleep(1)

        cli = [sys.executable, "-m", "akhbar.cli", "stop", "--data-dir", str(data)]
        done = subprocess.run(cli, cwd=REPO, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "worker: stopped" in done.stdout and "server: stopped" in done.stdout and "killing" not in done.stdout, (
            done.stdout
        )
        assert not any(serve._alive(pid) for pid in pids.values())
        assert not serve._group(pids["worker"]) and not serve._group(pids["server"])
        assert serve._port_free(first.port)
        assert "stopped!" in first.log_file("worker").read_text()  # the worker's own clean shutdown, not a kill

        done = subprocess.run(cli, cwd=REPO, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "worker: not running" in done.stdout and "server: not running" in done.stdout
