"""Nothing lost, nothing doubled, nobody let in: whole `akhbar run`s (the CLI, as an operator runs
it) on hostile inputs made here, two runs at once on one data dir, and a reader holding the
warehouse while a run publishes."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SAMPLES
from prefect_stack import running_server
from test_flow import query

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reliability")]

# The Prefect API every `akhbar run` here reports to: one server for the module instead of a temporary
# one started (seconds) by each of its twenty-odd runs. Set by the `api` fixture.
API: dict[str, str] = {}


@pytest.fixture(scope="module", autouse=True)
def api(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("prefect-server")) as stack:
        API["PREFECT_API_URL"] = stack.api_url
        yield
        API.clear()


ARTICLE = (
    "أعلنت وزارة الصحة في بيان اليوم أن حملة التطعيم الموسمية ستبدأ الأسبوع المقبل في جميع المحافظات، "
    "وقالت إن المراكز الصحية ستفتح أبوابها من الثامنة صباحا حتى المساء لاستقبال المواطنين، "
    "ودعت كبار السن وأصحاب الأمراض المزمنة إلى المبادرة بالتطعيم قبل حلول فصل الشتاء."
)


def akhbar(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    base = {**os.environ, "PYTHONPATH": str(REPO), **API}
    return subprocess.run(
        [sys.executable, "-m", "akhbar.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**base, **(env or {})},
        cwd=cwd or REPO,
    )


def start(*args: str, env: dict) -> subprocess.Popen:
    base = {**os.environ, "PYTHONPATH": str(REPO), **API}
    return subprocess.Popen(
        [sys.executable, "-m", "akhbar.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**base, **env},
        cwd=REPO,
    )


def record(i: int, **extra) -> str:
    return json.dumps(
        {
            "id": f"h-{i}",
            "source": "وكالة الاختبار",
            "text": f"{ARTICLE} البيان رقم {i}.",
            "published": f"2025-04-{i % 28 + 1:02d}T08:00:00+00:00",
            **extra,
        },
        ensure_ascii=False,
    )


def hostile_landing(root: Path) -> dict:
    """The worst inputs a person can make, next to good records; returns what must come out."""
    feeds = root / "feeds"
    feeds.mkdir(parents=True)
    good = [record(i) for i in range(40)]
    bad_lines = [
        "[" * 50_000 + "]" * 50_000,
        '{"id": "sur", "text": "\\ud800 ' + ARTICLE + '"}',
        '{"id": "cut", "text": "مقطوع',
        json.dumps({"id": "deep", "text": ARTICLE + " عميق", "keywords": json.loads("[" * 800 + "]" * 800)}),
    ]
    lines = good[:20] + bad_lines + good[20:30]
    data = "\n".join(lines).encode("utf-8") + b"\n" + record(98).encode("cp1256", "ignore") + b"\n\xff\xfe\n"
    (feeds / "mixed.jsonl.gz").write_bytes(gzip.compress(data) + b"garbage after the gzip member")
    packed = gzip.compress("\n".join(good[30:]).encode("utf-8"))
    (feeds / "cut.jsonl.gz").write_bytes(packed[: int(len(packed) * 0.8)])
    (root / "readme.jsonl").write_text(record(99), encoding="utf-8")
    (root / ".hidden.jsonl").write_text(record(97), encoding="utf-8")
    (root / "empty.jsonl.gz").write_bytes(b"")
    (root / "notes.xml").write_text("<x/>", encoding="utf-8")
    (root / "passwd.txt").symlink_to("/etc/passwd")
    (root / "dangling.json").symlink_to(root / "gone.json")
    os.mkfifo(root / "pipe.jsonl")
    (root / "lost.txt").write_text("????? ?????? ?? ??????? ????? ?????? ???? ????? ?????? ???\n" * 3, encoding="utf-8")
    return {"skipped": 6}


def test_a_folder_of_the_worst_inputs_publishes_every_good_record(tmp_path):
    landing, data = tmp_path / "landing", tmp_path / "wh"
    expect = hostile_landing(landing)
    out = akhbar("run", "--input", str(landing), "--data-dir", str(data), env={"PREFECT_HOME": str(tmp_path / "ph")})
    assert out.returncode == 0, out.stderr[-3000:]
    summary = dict(kv.split("=", 1) for kv in out.stdout.split() if "=" in kv)
    published = {r[0] for r in query(data, "SELECT source_id FROM articles")}
    assert {f"h-{i}" for i in range(30)} <= published and "h-99" in published  # readme.jsonl is data
    assert "h-97" not in published and "sur" not in published
    reasons = dict(query(data, "SELECT split_part(source_uri, '/', -1), reason FROM quarantine"))
    assert any(r.startswith("record holds an unpaired UTF-16 surrogate") for r in reasons.values())
    assert any("nested too deeply" in r for r in reasons.values())
    assert any("cut or corrupt" in r for r in reasons.values())
    assert reasons["lost.txt"].startswith("text lost at the source")
    skipped = dict(query(data, "SELECT split_part(path, '/', -1), reason FROM skipped"))
    assert len(skipped) == expect["skipped"]
    assert skipped["passwd.txt"].startswith("symlink out of the landing folder") and skipped["pipe.jsonl"].startswith(
        "not a regular file"
    )
    assert query(data, "SELECT count(*) FROM articles WHERE body LIKE '%root:%'") == [(0,)]
    # every record read is in exactly one place
    counts = {k: int(v) for k, v in summary.items() if v.isdigit()}
    assert counts["records_read"] == (
        counts["articles_clean"]
        + counts["duplicates_exact"]
        + counts["duplicates_near"]
        + counts["quarantined"]
        + counts["already_in_warehouse"]
        + counts["outside_scope"]
    )
    assert query(data, "SELECT count(*), count(DISTINCT article_id) FROM articles")[0][0] == len(published)


def test_two_runs_at_once_never_double_anything(tmp_path):
    """The second writer stops at once with the holder's name (or waits, when told to); either way
    every id is published once."""
    data = tmp_path / "wh"
    env = lambda n: {"PREFECT_HOME": str(tmp_path / f"ph{n}")}  # noqa: E731
    first = start("run", "--input", str(SAMPLES), "--data-dir", str(data), env=env(1))
    second = start(
        "run", "--input", str(SAMPLES), "--data-dir", str(data), env={**env(2), "AKHBAR_LOCK_WAIT_SECONDS": "0"}
    )
    outs = [(p.wait(timeout=600), p.stderr.read()) for p in (first, second)]
    codes = sorted(code for code, _ in outs)
    assert codes in ([0, 0], [0, 1]), outs
    if codes == [0, 1]:
        err = next(e for c, e in outs if c == 1)
        assert "another run is writing to" in err
    # a third run, waiting for a fourth on other input: both publish, nothing twice
    other = tmp_path / "other"
    other.mkdir()
    (other / "feed.jsonl").write_text("\n".join(record(i) for i in range(5)), encoding="utf-8")
    third = start(
        "run", "--input", str(other), "--data-dir", str(data), env={**env(3), "AKHBAR_LOCK_WAIT_SECONDS": "300"}
    )
    fourth = start(
        "run", "--input", str(SAMPLES), "--data-dir", str(data), env={**env(4), "AKHBAR_LOCK_WAIT_SECONDS": "300"}
    )
    assert third.wait(timeout=600) == 0 and fourth.wait(timeout=600) == 0
    ((n, distinct),) = query(data, "SELECT count(*), count(DISTINCT article_id) FROM articles")
    assert n == distinct and query(data, "SELECT count(*) FROM articles WHERE source_id LIKE 'h-%'") == [(5,)]
    ((q, q_distinct),) = query(data, "SELECT count(*), count(DISTINCT source_uri) FROM quarantine")
    assert q == q_distinct


def test_a_reader_holding_the_warehouse_never_fails_a_run(tmp_path):
    data = tmp_path / "wh"
    assert (
        akhbar(
            "run", "--input", str(SAMPLES), "--data-dir", str(data), env={"PREFECT_HOME": str(tmp_path / "ph")}
        ).returncode
        == 0
    )
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
            "c.execute('SELECT count(*) FROM articles').fetchall(); print('open', flush=True); time.sleep(300)",
            str(data / "warehouse.duckdb"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        night = tmp_path / "night"
        night.mkdir()
        (night / "feed.jsonl").write_text("\n".join(record(i) for i in range(3)), encoding="utf-8")
        out = akhbar("run", "--input", str(night), "--data-dir", str(data), env={"PREFECT_HOME": str(tmp_path / "ph")})
        assert out.returncode == 0, out.stderr[-3000:]
    finally:
        holder.kill()
        holder.wait()
    # published: its runs row and files are in the lake, and `repair` brings the views up to date
    assert akhbar("repair", "--data-dir", str(data)).returncode == 0
    assert query(data, "SELECT count(*) FROM articles WHERE source_id LIKE 'h-%'") == [(3,)]
    assert query(data, "SELECT count(*) FROM runs") == [(2,)]


def test_a_full_refresh_swaps_the_lake_in_one_step_and_a_cut_one_leaves_the_old(tmp_path):
    from akhbar.tasks.publish import lake_dir, repair

    data = tmp_path / "wh"
    env = {"PREFECT_HOME": str(tmp_path / "ph")}
    assert akhbar("run", "--input", str(SAMPLES), "--data-dir", str(data), env=env).returncode == 0
    before = query(data, "SELECT article_id FROM articles ORDER BY 1")
    assert akhbar("run", "--input", str(SAMPLES), "--data-dir", str(data), "--full-refresh", env=env).returncode == 0
    lake = lake_dir(data)
    assert lake.is_symlink() and len(list((data / "lakes").iterdir())) == 1  # the replaced lake is gone
    assert query(data, "SELECT article_id FROM articles ORDER BY 1") == before
    # a refresh killed after building its new lake and before the swap: the old lake stands, repair clears the rest
    (data / "lakes" / "20990101T000000Z-cutcut" / "articles").mkdir(parents=True)
    (data / "lake.next").symlink_to("lakes/20990101T000000Z-cutcut")
    assert query(data, "SELECT article_id FROM articles ORDER BY 1") == before
    removed = {p.name for p in repair(data)}
    assert {"20990101T000000Z-cutcut", "lake.next"} <= removed and len(list((data / "lakes").iterdir())) == 1
    assert query(data, "SELECT article_id FROM articles ORDER BY 1") == before


def killed_run(*args: str, step: str, env: dict) -> int:
    """`akhbar run` SIGKILLed at publish step `step` (AKHBAR_FAULT_KILL_AT); any child left behind
    is ended with it (the run is started in a session of its own)."""
    base = {**os.environ, "PYTHONPATH": str(REPO), "AKHBAR_FAULT_KILL_AT": step, **API, **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "akhbar.cli", "run", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=base,
        cwd=REPO,
        start_new_session=True,
    )
    code = proc.wait(timeout=600)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return code


def night(root: Path, n: int, count: int = 3) -> tuple[Path, set[str]]:
    folder = root / f"night{n}"
    folder.mkdir()
    ids = [f"k{n}-{i}" for i in range(count)]
    (folder / "feed.jsonl").write_text("\n".join(record(n * 10 + i, id=k) for i, k in enumerate(ids)), encoding="utf-8")
    return folder, set(ids)


def test_runs_killed_at_every_publish_step_leave_a_complete_warehouse_and_the_next_run_repairs(tmp_path):
    """Each kill leaves what a reader sees complete: the previous state, or the new one once the
    killed run's `runs` row is in. The next run repairs what was left and publishes every record
    once."""
    data, env = tmp_path / "wh", {"PREFECT_HOME": str(tmp_path / "ph")}
    assert akhbar("run", "--input", str(SAMPLES), "--data-dir", str(data), env=env).returncode == 0

    def ids() -> set[str]:
        return {r[0] for r in query(data, "SELECT coalesce(source_id, article_id) FROM articles")}

    def counts() -> dict[str, int]:
        views = ("articles", "boilerplate", "duplicates", "quarantine", "runs", "manifest", "stories")
        return {v: query(data, f"SELECT count(*) FROM {v}")[0][0] for v in views}

    expected, inputs = ids(), ["--input", str(SAMPLES)]
    for n, step in enumerate(["staged", "between-renames", "before-runs", "after-runs"]):
        folder, new = night(tmp_path, n)
        inputs += ["--input", str(folder)]
        before = counts()
        assert killed_run("--input", str(folder), "--data-dir", str(data), step=step, env=env) == -signal.SIGKILL
        if step == "after-runs":  # published: its runs row is in
            expected |= new
        else:  # every view as it was: no table of the killed run shows, whatever files it had moved
            assert counts() == before, step
        assert ids() == expected, step
    everything = expected | {f"k{n}-{i}" for n in range(3) for i in range(3)}
    for step, seen in (("swap-pointer-made", expected), ("swap-done", everything)):
        code = killed_run(*inputs, "--data-dir", str(data), "--full-refresh", step=step, env=env)
        assert code == -signal.SIGKILL and ids() == seen, step
    out = akhbar("run", *inputs, "--data-dir", str(data), env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert ids() == everything
    ((rows, distinct),) = query(data, "SELECT count(*), count(DISTINCT article_id) FROM articles")
    assert rows == distinct
    assert not (data / "staging").exists() or not any((data / "staging").iterdir())
    assert len(list((data / "lakes").iterdir())) == 1
    # no file of a killed run is left in the lake: each table file belongs to a run in `runs`
    run_ids = {r[0] for r in query(data, "SELECT run_id FROM runs")}
    assert [f for f in (data / "lake").rglob("run-*.parquet") if f.stem.removeprefix("run-") not in run_ids] == []


def test_a_data_dir_whose_path_looks_like_a_pattern_works_run_after_run(tmp_path):
    """`[`, `*`, `?`, `'` and a space in the data dir: it publishes, and the next run (which reads
    the lake's history through the same globs) publishes nothing twice."""
    data = tmp_path / "da[1]ta *?' dir"
    (tmp_path / "da1ta Z?' dir").mkdir()  # what `[1]` and `*` would match, were they patterns
    env = {"PREFECT_HOME": str(tmp_path / "ph")}
    for _ in range(2):
        out = akhbar("run", "--input", str(SAMPLES), "--data-dir", str(data), env=env)
        assert out.returncode == 0, out.stderr[-3000:]
    ((rows, distinct),) = query(data, "SELECT count(*), count(DISTINCT article_id) FROM articles")
    assert rows == distinct > 10
    assert query(data, "SELECT count(*) FROM runs") == [(2,)]


def test_an_english_feed_is_quarantined_by_language_and_the_arabic_beside_it_published(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    english = (
        "The health ministry said on Monday that the seasonal vaccination campaign starts next week in every province."
    )
    lines = [record(i) for i in range(5)] + [
        json.dumps({"id": f"en-{i}", "text": f"{english} Statement {i}."}) for i in range(5)
    ]
    (landing / "feed.jsonl").write_text("\n".join(lines), encoding="utf-8")
    data = tmp_path / "wh"
    out = akhbar("run", "--input", str(landing), "--data-dir", str(data), env={"PREFECT_HOME": str(tmp_path / "ph")})
    assert out.returncode == 0, out.stderr[-3000:]
    assert {r[0] for r in query(data, "SELECT source_id FROM articles")} == {f"h-{i}" for i in range(5)}
    reasons = query(data, "SELECT source_id, stage, reason FROM quarantine ORDER BY 1")
    assert [(s, st) for s, st, _ in reasons] == [(f"en-{i}", "language") for i in range(5)]
    assert all(r.startswith("not Arabic: language en (score ") for _, _, r in reasons)
