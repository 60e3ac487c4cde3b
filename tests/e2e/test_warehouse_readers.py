"""The warehouse as other tools meet it, through whole `akhbar` runs: a reader holding it open never
fails a run nor misses it, a DuckDB 1.x process opens it, and a moved or copied data dir answers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from akhbar.tasks.publish import ensure_warehouse
from conftest import SAMPLES
from test_flow import query
from test_reliability import akhbar, record

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("warehouse")]

# the oldest DuckDB that reads storage v1.0.0, and the newest 1.x (what analysts' CLIs and drivers are)
DUCKDB_1X = ["duckdb==1.0.0", "duckdb>=1.5,<2"]


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("warehouse")
    data = root / "wh"
    out = akhbar("run", "--input", str(SAMPLES), "--data-dir", str(data), env={"PREFECT_HOME": str(root / "ph")})
    assert out.returncode == 0, out.stderr[-3000:]
    return data


def test_a_run_publishes_and_exits_0_while_another_process_reads_the_warehouse(sample_run, tmp_path):
    data = tmp_path / "wh"
    shutil.copytree(sample_run, data, symlinks=True)
    assert ensure_warehouse(data)  # the copy's views read its own lake (tested below)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print(c.execute('SELECT count(*) FROM runs').fetchone()[0], flush=True); sys.stdin.read(); "
            "print(c.execute('SELECT count(*) FROM runs').fetchone()[0], flush=True)",
            str(data / "warehouse.duckdb"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "1"
        night = tmp_path / "night"
        night.mkdir()
        (night / "feed.jsonl").write_text("\n".join(record(i) for i in range(3)), encoding="utf-8")
        out = akhbar("run", "--input", str(night), "--data-dir", str(data), env={"PREFECT_HOME": str(tmp_path / "ph")})
        assert out.returncode == 0, out.stderr[-3000:]
        assert "views were not rebuilt" not in out.stderr  # the reader no longer stands in the build's way
        holder.stdin.close()
        assert holder.stdout.readline().strip() == "2"  # the reader kept its connection and sees the new run
        assert holder.wait(timeout=30) == 0
    finally:
        holder.kill()
    # a new reader sees the run at once: no `akhbar repair` needed
    assert query(data, "SELECT count(*) FROM articles WHERE source_id LIKE 'h-%'") == [(3,)]


@pytest.fixture(scope="module")
def duckdb_1x(tmp_path_factory, request):
    """Each DuckDB 1.x wheel from PyPI in a folder of its own (never in akhbar's environment)."""
    folders = {}
    for spec in DUCKDB_1X:
        target = tmp_path_factory.mktemp("duckdb1x")
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), spec]
        done = subprocess.run(pip, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        folders[spec] = target
    return folders


@pytest.mark.parametrize("spec", DUCKDB_1X)
def test_a_duckdb_1x_process_reads_every_view_of_the_warehouse(sample_run, duckdb_1x, spec):
    script = (
        "import duckdb, json, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
        "views = [r[0] for r in c.execute('SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1').fetchall()]; "
        "print(json.dumps({'version': duckdb.__version__, "
        "'counts': {v: c.execute(f'SELECT count(*) FROM {v}').fetchone()[0] for v in views}, "
        "'comment': c.execute(\"SELECT comment FROM duckdb_columns() WHERE table_name = 'articles' AND column_name = 'body'\").fetchone()[0], "
        "'search': c.execute(\"SELECT ar_normalize('الإمارات')\").fetchone()[0]}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(sample_run / "warehouse.duckdb")],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(duckdb_1x[spec]), "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout)
    assert got["version"].startswith("1.")
    for view, n in got["counts"].items():  # the same answers as akhbar's own DuckDB
        assert query(sample_run, f"SELECT count(*) FROM {view}") == [(n,)], view
    assert got["counts"]["articles"] > 0 and got["counts"]["runs"] == 1
    assert got["comment"].startswith("clean display text") and got["search"] == "الامارات"


def test_a_moved_data_dir_answers_queries_and_a_copy_reads_its_own_lake(sample_run, tmp_path):
    moved = tmp_path / "moved"
    shutil.copytree(sample_run, tmp_path / "orig", symlinks=True)
    shutil.move(tmp_path / "orig", moved)
    expected = query(sample_run, "SELECT count(*) FROM articles")[0][0]
    out = akhbar("sql", "SELECT count(*) AS n FROM articles", "--data-dir", str(moved))
    assert out.returncode == 0, out.stderr
    assert str(expected) in out.stdout
    assert query(moved, "SELECT count(*) FROM articles") == [(expected,)]  # rebuilt for plain DuckDB too
    # a copy whose lake differs from the original's must read its own, not the original's
    copy = tmp_path / "copy"
    shutil.copytree(moved, copy, symlinks=True)
    for f in (copy / "lake" / "articles").glob("run-*.parquet"):
        f.unlink()
    out = akhbar("sql", "SELECT count(*) AS n FROM articles", "--data-dir", str(copy))
    assert out.returncode == 0, out.stderr
    assert query(copy, "SELECT count(*) FROM articles") == [(0,)]
    assert query(moved, "SELECT count(*) FROM articles") == [(expected,)]
