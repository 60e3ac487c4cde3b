"""Shared test set-up: Prefect runs against one session-wide test harness per worker, with its
home in a temp dir and telemetry off; paths to the shared seeds and corpus."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="akhbar-prefect-home-"))

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
CORPUS = SHARED / "corpora" / "ant-2018.jsonl.gz"
SAMPLES = REPO / "samples" / "landing"


def seed_path(prefix: str) -> Path:
    return next(SEEDS.glob(f"{prefix}_*.txt"))


@pytest.fixture(scope="session")
def prefect_harness():
    """One ephemeral Prefect API for the whole session (start-up costs ~10-15 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


def need(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"missing shared material: {path} (tests expect ../shared beside the repo)")
    return path


# The server tests' shared stack (tests/prefect_stack.py), defined here so that each is made once a
# session: a session fixture imported into two test modules is made once per module (two servers,
# two reference runs).
@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    """One Prefect server for the session's server tests (stack.api_url)."""
    from prefect_stack import running_server

    with running_server(tmp_path_factory.mktemp("server")) as stack:
        yield stack


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The sample run once on the default runner (a temporary API) into a local data dir: the data
    dir and the run's summary."""
    from prefect_stack import run_akhbar

    folder = tmp_path_factory.mktemp("reference")
    return folder, run_akhbar(str(SAMPLES), str(folder), folder.parent)


@pytest.fixture(scope="session")
def akhbar_run():
    """`akhbar_run(inputs, data_dir, cwd, **env)`: a run in a subprocess, its summary as a dict."""
    from prefect_stack import run_akhbar

    return run_akhbar
