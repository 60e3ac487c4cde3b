"""The warehouse file and the lake's maintenance: rebuilt beside a reader and swapped in, readable in
the DuckDB 1.x storage format, rebuilt when the data dir moved, commented from schemas/tables.py;
time travel by run id; compaction and retention that leave the views' answers as they should be."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from akhbar.schemas.tables import ARTICLES, CANONICAL_CHANGES, PUBLISHED, RUNS, description
from akhbar.tasks.compact import compact, retain
from akhbar.tasks.publish import (
    build_views,
    connect_as_of,
    ensure_warehouse,
    lake_dir,
    repair,
    warehouse_is_current,
    warehouse_path,
    write_tables,
)


def publish(data, run_id: str, article_ids: list[str], changes: list[tuple[str, str, str]] = ()) -> None:
    """A run of `article_ids` (each its own cluster, canonical) and optional canonical changes."""
    tables = {
        "articles": pa.Table.from_pylist(
            [{"article_id": a, "cluster_id": a, "is_canonical": True, "run_id": run_id} for a in article_ids],
            schema=ARTICLES,
        ),
        "runs": pa.Table.from_pylist([{"run_id": run_id, "status": "published"}], schema=RUNS),
    }
    if changes:
        tables["canonical_changes"] = pa.Table.from_pylist(
            [{"cluster_id": c, "old_canonical_id": o, "new_canonical_id": n, "run_id": run_id} for c, o, n in changes],
            schema=CANONICAL_CHANGES,
        )
    write_tables(data, run_id, tables)


def query(data, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse_path(data)), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def three_runs(tmp_path):
    data = tmp_path / "wh"
    publish(data, "r1", ["a1", "a2"])
    publish(data, "r2", ["a3"])
    # r3: a4 joins a1's cluster as its new canonical (an earlier-published copy arrived)
    publish(data, "r3", ["a4"], changes=[("a1", "a1", "a4")])
    build_views(data)
    return data


def test_a_reader_holding_the_warehouse_does_not_stop_a_rebuild(three_runs):
    data = three_runs
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print(c.execute('SELECT count(*) FROM runs').fetchone()[0], flush=True); sys.stdin.read(); "
            "print(c.execute('SELECT count(*) FROM runs').fetchone()[0], flush=True)",
            str(warehouse_path(data)),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "3"
        publish(data, "r4", ["a5"])
        build_views(data)  # with a read-write open this raised "Could not set lock on file"
        assert query(data, "SELECT count(*) FROM runs") == [(4,)]
        holder.stdin.close()  # the holder's connection still answers, from the file it opened
        assert holder.stdout.readline().strip() == "4"  # views read the lake at query time
        assert holder.wait(timeout=30) == 0
    finally:
        holder.kill()
    assert [p.name for p in data.iterdir() if p.name.startswith(".warehouse")] == []


def test_the_warehouse_is_written_in_the_storage_format_duckdb_1x_reads(three_runs):
    # the header's version field (bytes 8..16 after the magic "DUCK"): 64 = v1.0.0, 2.0's default is 69
    header = warehouse_path(three_runs).read_bytes()[:64]
    assert header[8:12] == b"DUCK" and int.from_bytes(header[12:20], "little") == 64


def test_a_moved_data_dir_is_detected_and_its_views_rebuilt(three_runs, tmp_path):
    moved = tmp_path / "moved"
    shutil.move(three_runs, moved)
    assert not warehouse_is_current(moved)
    with pytest.raises(duckdb.IOException):  # the views still point at the old place
        query(moved, "SELECT count(*) FROM articles")
    assert ensure_warehouse(moved) is True
    assert query(moved, "SELECT count(*) FROM articles") == [(4,)]
    assert ensure_warehouse(moved) is False  # current now: nothing to do


def test_a_copied_data_dir_reads_its_own_lake_not_the_original(three_runs, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(three_runs, copy, symlinks=True)
    publish(three_runs, "r4", ["a5"])  # the original moves on; the copy must not see it
    ensure_warehouse(copy)
    assert query(copy, "SELECT count(*) FROM runs") == [(3,)]
    assert query(copy, "SELECT lake FROM akhbar_warehouse") == [(lake_dir(copy).as_posix(),)]


def test_views_and_columns_carry_the_descriptions_of_schemas_tables(three_runs):
    views = dict(query(three_runs, "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal"))
    columns = {
        (t, c): comment
        for t, c, comment in query(three_runs, "SELECT table_name, column_name, comment FROM duckdb_columns()")
    }
    for name, schema in PUBLISHED.items():
        assert views[name] == description(schema) != ""
        for f in schema:
            assert columns[(name, f.name)] == description(f) != "", (name, f.name)


def test_time_travel_to_an_earlier_run(three_runs):
    con = connect_as_of(three_runs, "r2")
    try:
        assert con.execute("SELECT article_id FROM articles ORDER BY 1").fetchall() == [("a1",), ("a2",), ("a3",)]
        # r3's canonical change is not applied as of r2: a1 is still its cluster's canonical
        assert con.execute("SELECT is_canonical FROM articles WHERE article_id = 'a1'").fetchone() == (True,)
        assert con.execute("SELECT max(run_id) FROM runs").fetchone() == ("r2",)
    finally:
        con.close()
    with pytest.raises(ValueError, match="no published run"):
        connect_as_of(three_runs, "r9")


def test_compaction_merges_run_files_and_answers_the_same(three_runs):
    data = three_runs
    sql = "SELECT article_id, is_canonical, run_id FROM articles ORDER BY 1"
    before = query(data, sql)
    assert query(data, "SELECT is_canonical FROM articles WHERE article_id = 'a1'") == [(False,)]
    assert compact(data, keep_runs=5).merged == [] and retain(data, keep_runs=5).dropped == []  # fewer runs than kept
    done = compact(data, keep_runs=1)
    assert done.merged == ["r1", "r2"]
    files = sorted(p.name for p in (lake_dir(data) / "articles").iterdir())
    assert files == ["base-r2.parquet", "run-r3.parquet"]
    assert pq.read_table(lake_dir(data) / "articles" / "base-r2.parquet").num_rows == 3
    assert query(data, sql) == before  # views unchanged: no rebuild needed, rows keep run_id
    assert len(list((data / "lakes").iterdir())) == 1  # the replaced version is gone
    con = connect_as_of(data, "r1")  # time travel still reaches a merged run
    assert con.execute("SELECT count(*) FROM articles").fetchone() == (2,)
    con.close()
    compact(data)  # all runs, the earlier base included
    assert sorted(p.name for p in (lake_dir(data) / "articles").iterdir()) == ["base-r3.parquet"]
    assert query(data, sql) == before
    publish(data, "r4", ["a5"])  # runs commit into the compacted lake as before
    assert query(data, "SELECT count(*) FROM articles") == [(5,)]


def test_compaction_leaves_out_files_of_runs_that_never_committed(three_runs):
    data = three_runs
    orphan = pa.Table.from_pylist([{"article_id": "x", "run_id": "r9", "is_canonical": True}], schema=ARTICLES)
    pq.write_table(orphan, lake_dir(data) / "articles" / "run-r9.parquet")
    compact(data)
    assert query(data, "SELECT count(*) FROM articles WHERE article_id = 'x'") == [(0,)]
    assert pq.read_table(lake_dir(data) / "articles").num_rows == 4


def test_retention_drops_whole_old_runs_in_one_swap(three_runs):
    data = three_runs
    compact(data, keep_runs=1)  # r1 and r2 in a base file, r3 on its own: retention rewrites the base
    done = retain(data, keep_runs=2)
    assert done.dropped == ["r1"]
    assert query(data, "SELECT run_id FROM runs ORDER BY 1") == [("r2",), ("r3",)]
    assert query(data, "SELECT article_id FROM articles ORDER BY 1") == [("a3",), ("a4",)]
    for name in PUBLISHED:  # no table keeps a row of the dropped run, and every view still resolves
        assert query(data, f"SELECT count(*) FROM {name} WHERE run_id = 'r1'") == [(0,)]
    assert repair(data) == []  # a consistent lake: nothing for repair to remove
    with pytest.raises(ValueError):
        retain(data, keep_runs=0)


def test_the_cli_compacts_retains_and_travels_in_time(three_runs):
    from typer.testing import CliRunner

    from akhbar.cli import app

    runner = CliRunner()
    out = runner.invoke(
        app, ["sql", "--data-dir", str(three_runs), "--as-of", "r1", "SELECT count(*) AS n FROM articles"]
    )
    assert out.exit_code == 0 and re.search(r"(?m)^\W*2\W*$", out.output), out.output  # a line holding the count alone
    out = runner.invoke(app, ["sql", "--data-dir", str(three_runs), "--as-of", "nope", "SELECT 1"])
    assert out.exit_code == 1 and "no published run 'nope'" in out.output
    out = runner.invoke(app, ["compact", "--data-dir", str(three_runs)])
    assert out.exit_code == 0 and "3 runs merged" in out.output, out.output
    out = runner.invoke(app, ["retain", "--data-dir", str(three_runs), "--keep-runs", "1"])
    assert out.exit_code == 0 and "dropped 2" in out.output, out.output
    assert query(three_runs, "SELECT article_id FROM articles") == [("a4",)]


def test_repair_removes_the_half_written_warehouse_of_a_dead_builder(three_runs):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)  # exited: its pid is free (reused within this test only by a rare chance)
    leftovers = [three_runs / f".warehouse.duckdb.{pid}.next", three_runs / f".warehouse.duckdb.{pid}.next.wal"]
    mine = three_runs / f".warehouse.duckdb.{os.getpid()}.next"  # a live builder's file is left alone
    for f in [*leftovers, mine]:
        f.write_bytes(b"partial")
    assert sorted(repair(three_runs)) == sorted(leftovers)
    assert mine.exists() and query(three_runs, "SELECT count(*) FROM runs") == [(3,)]
