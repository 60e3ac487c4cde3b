"""Publish: Parquet per table per run, views that resolve from any working directory, nothing left
in staging, and a warehouse that answers before the first run has written anything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime, timezone

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from akhbar.schemas.tables import PUBLISHED, RUNS
from akhbar.tasks.publish import build_views, conform, write_tables
from conftest import REPO


def test_conform_orders_casts_and_drops_working_columns():
    t = pa.table({"run_id": ["r"], "extra": [1], "counts": ["{}"]})
    out = conform(t, RUNS)
    assert out.schema == RUNS and out["run_id"].to_pylist() == ["r"] and out["started_at"].null_count == 1


def test_write_and_views_from_another_directory(tmp_path):
    data = tmp_path / "warehouse dir"  # a space in the path, on purpose
    runs = pa.Table.from_pylist(
        [
            {
                "run_id": "r1",
                "started_at": datetime(2025, 1, 1, tzinfo=timezone.utc),
                "status": "published",
                "parameters": "{}",
                "counts": "{}",
            }
        ],
        schema=RUNS,
    )
    written = write_tables(data, "r1", {"runs": runs, "articles": PUBLISHED["articles"].empty_table()})
    build_views(data)
    assert written == {"runs": 1}  # an empty table writes no file
    assert not any((data / "staging").glob("*/*"))
    assert pq.read_table(data / "lake" / "runs" / "run-r1.parquet").schema == RUNS
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cwd = os.getcwd()
    try:
        os.chdir(elsewhere)
        con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
        assert con.execute("SELECT run_id FROM runs").fetchall() == [("r1",)]
        for table in PUBLISHED:  # every table's view resolves, even with no rows yet
            con.execute(f"SELECT count(*) FROM {table}").fetchall()
        assert con.execute("SELECT count(*) FROM articles_unique").fetchone() == (0,)
        assert con.execute("SELECT ar_normalize('الإمارات')").fetchone() == ("الامارات",)
        con.close()
    finally:
        os.chdir(cwd)


def test_files_of_a_run_that_died_mid_publish_are_invisible_and_repaired(tmp_path):
    from akhbar.schemas.tables import ARTICLES
    from akhbar.tasks.publish import repair

    data = tmp_path / "wh"
    runs = pa.Table.from_pylist([{"run_id": "r1", "status": "published"}], schema=RUNS)
    article = pa.Table.from_pylist(
        [{"article_id": "a1", "run_id": "r1", "is_canonical": True, "cluster_id": "a1"}], schema=ARTICLES
    )
    write_tables(data, "r1", {"articles": article, "runs": runs})
    build_views(data)
    # run r2 died after moving its articles file and before its runs row: the views must not see it
    orphan = pa.Table.from_pylist(
        [{"article_id": "a2", "run_id": "r2", "is_canonical": True, "cluster_id": "a2"}], schema=ARTICLES
    )
    pq.write_table(orphan, data / "lake" / "articles" / "run-r2.parquet")
    (data / "staging" / "r2").mkdir(parents=True)
    (data / "staging" / "r2" / "boilerplate.parquet").write_bytes(b"partial")
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    assert con.execute("SELECT article_id FROM articles").fetchall() == [("a1",)]
    con.close()
    removed = repair(data)
    assert sorted(p.name for p in removed) == ["r2", "run-r2.parquet"]
    assert not (data / "lake" / "articles" / "run-r2.parquet").exists() and not (data / "staging").exists()
    assert (data / "lake" / "articles" / "run-r1.parquet").exists()


def _runs_row(run_id: str) -> pa.Table:
    row = {"run_id": run_id, "started_at": datetime(2025, 1, 1, tzinfo=timezone.utc), "status": "published"}
    return pa.Table.from_pylist([row], schema=RUNS)


def test_a_data_dir_named_like_a_pattern_is_that_folder_and_no_other(tmp_path):
    """`[`, `*`, `?`, `'` and spaces in the data dir are taken literally by the views and by history:
    a neighbour the unescaped pattern would match (`x1` for `x[1]`, anything for `*`) is never read."""
    from akhbar.tasks.history import load_history
    from akhbar.tasks.publish import glob_literal, parquet_source

    assert glob_literal("/a/x[1]/*?.parquet") == "/a/x[[]1]/[*][?].parquet"
    for name in ("x[1] it's", "a*b ?c"):
        data = tmp_path / name
        neighbour = tmp_path / name.replace("[1]", "1").replace("*", "Z").replace("?", "Q")
        write_tables(neighbour, "r-neighbour", {"runs": _runs_row("r-neighbour")})
        write_tables(data, "r-own", {"runs": _runs_row("r-own")})
        build_views(data)
        con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
        assert con.execute("SELECT run_id FROM runs").fetchall() == [("r-own",)]
        con.close()
        one = data / "lake" / "runs" / "run-r-own.parquet"
        assert duckdb.sql(f"SELECT run_id FROM {parquet_source(one)}").fetchall() == [("r-own",)]
        assert duckdb.sql(f"SELECT count(*) FROM {parquet_source([one, one])}").fetchall() == [(2,)]
        assert load_history(data).manifest == {}  # history reads through the same views


# A child process that publishes run r2 (articles a2 and a3, a quarantine row, its runs row) into
# the data dir argv[1], as a full refresh when argv[2] is "fresh"; AKHBAR_FAULT_KILL_AT kills it.
_PUBLISH_R2 = """
import sys
import pyarrow as pa
from akhbar.schemas.tables import ARTICLES, QUARANTINE, RUNS
from akhbar.tasks.publish import write_tables
arts = pa.Table.from_pylist(
    [{"article_id": a, "run_id": "r2", "is_canonical": True, "cluster_id": a} for a in ("a2", "a3")], schema=ARTICLES
)
quarantine = pa.Table.from_pylist([{"source_uri": "x", "stage": "read", "reason": "r", "run_id": "r2"}], schema=QUARANTINE)
runs = pa.Table.from_pylist([{"run_id": "r2", "status": "published"}], schema=RUNS)
write_tables(sys.argv[1], "r2", {"articles": arts, "quarantine": quarantine, "runs": runs}, fresh=sys.argv[2] == "fresh")
"""

# step, full refresh?, what a reader sees after the kill: the old state, the new one, or (the one
# time a lake of the old plain-folder layout is swapped) no lake until `repair` moves it back
KILLS = [
    ("staged", False, "old"),
    ("between-renames", False, "old"),
    ("before-runs", False, "old"),
    ("after-runs", False, "old+new"),
    ("staged", True, "old"),
    ("after-runs", True, "old"),
    ("swap-pointer-made", True, "old"),
    ("swap-done", True, "new"),
    ("swap-legacy-moved", True, "none"),
]


@pytest.mark.parametrize("step, fresh, seen", KILLS, ids=[f"{s}{'-refresh' if f else ''}" for s, f, _ in KILLS])
def test_a_publish_killed_at_any_step_leaves_a_complete_lake_and_is_repaired(tmp_path, step, fresh, seen):
    from akhbar.schemas.tables import ARTICLES
    from akhbar.tasks.publish import _ensure_folders, lake_dir, repair

    data = tmp_path / "wh"
    if step == "swap-legacy-moved":  # a data dir from before versioned lakes: lake/ a plain folder
        _ensure_folders(lake_dir(data))
    article = pa.Table.from_pylist(
        [{"article_id": "a1", "run_id": "r1", "is_canonical": True, "cluster_id": "a1"}], schema=ARTICLES
    )
    write_tables(data, "r1", {"articles": article, "runs": _runs_row("r1")})
    build_views(data)
    env = {**os.environ, "PYTHONPATH": str(REPO), "AKHBAR_FAULT_KILL_AT": step}
    child = subprocess.run(
        [sys.executable, "-c", _PUBLISH_R2, str(data), "fresh" if fresh else ""], env=env, cwd=REPO, timeout=120
    )
    assert child.returncode == -signal.SIGKILL

    def reader() -> list[tuple]:
        con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
        try:
            return con.execute("SELECT article_id FROM articles ORDER BY 1").fetchall()
        finally:
            con.close()

    expected = {"old": ["a1"], "old+new": ["a1", "a2", "a3"], "new": ["a2", "a3"]}
    if seen == "none":
        with pytest.raises(duckdb.IOException):
            reader()
    else:
        assert reader() == [(a,) for a in expected[seen]]
    repair(data)
    build_views(data)
    after = reader()
    assert after == [(a,) for a in expected["old" if seen == "none" else seen]]
    assert not (data / "staging").exists() and not list(data.glob("lake.*"))
    assert len(list((data / "lakes").iterdir())) == (1 if (data / "lake").is_symlink() else 0)


def test_assembled_articles_carry_their_cluster_and_leave_out_what_the_row_checks_rejected(tmp_path):
    """Assembly joins each staged article to its cluster row (found by article id, whatever the order
    of the clustering's table) and leaves out the articles the row checks listed in `rejected`,
    whose staged partition is not rewritten."""
    from akhbar.flows.pipeline import _write_articles, scratch_context
    from akhbar.tasks.ledger import Staging

    ctx = scratch_context()
    ctx.data_dir, ctx.run_id = tmp_path, "r1"
    st = Staging(tmp_path / "staging" / "r1")
    st.write("articles", "p00000", pa.table({"article_id": ["a1", "a2", "a3"], "body": ["x", "short", "y"]}))
    st.write("articles", "p00001", pa.table({"article_id": ["b1", "b2"], "body": ["z", "w"]}))
    st.write("rejected", "p00000", pa.table({"article_id": ["a2"]}))
    clusters = pa.table(
        {
            "article_id": ["b2", "a3", "b1", "a1"],
            "cluster_id": ["a1", "a3", "b1", "a1"],
            "is_canonical": [False, True, True, True],
        }
    )
    pq.write_table(clusters, tmp_path / "clusters.parquet")

    path = _write_articles(ctx, st.files("articles"), tmp_path / "clusters.parquet")

    rows = pq.read_table(path, columns=["article_id", "body", "cluster_id", "is_canonical", "run_id"]).to_pylist()
    assert rows == [
        {"article_id": "a1", "body": "x", "cluster_id": "a1", "is_canonical": True, "run_id": "r1"},
        {"article_id": "a3", "body": "y", "cluster_id": "a3", "is_canonical": True, "run_id": "r1"},
        {"article_id": "b1", "body": "z", "cluster_id": "b1", "is_canonical": True, "run_id": "r1"},
        {"article_id": "b2", "body": "w", "cluster_id": "a1", "is_canonical": False, "run_id": "r1"},
    ]
