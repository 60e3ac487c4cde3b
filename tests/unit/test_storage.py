"""tasks/storage.py and what stands on it, over a real S3 API: moto's server in a thread of this process
on a free loopback port (a second to start). Local paths stay plain pathlib."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from akhbar.schemas.tables import RUNS
from akhbar.tasks import publish, storage
from akhbar.tasks.read import discover_files, iter_file_records

from akhbar.settings import FieldMap

BUCKET = "unit"

pytest.importorskip("s3fs")
pytest.importorskip("moto")


@pytest.fixture(scope="module")
def s3():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            mp.setenv(name, value)
        import s3fs

        fs = s3fs.S3FileSystem(use_listings_cache=False)
        fs.mkdir(BUCKET)
        try:
            yield fs
        finally:
            server.stop()


def test_local_paths_stay_plain_pathlib(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert type(storage.location("data")) is type(Path()) and storage.location("data") == tmp_path / "data"
    assert storage.location(f"file://{tmp_path}/x%20y") == tmp_path / "x y"
    assert storage.state_dir("data") == tmp_path / "data"  # a local data dir is its own state dir
    assert not storage.is_remote(storage.location("data"))


def test_a_remote_data_dir_keeps_its_state_in_a_local_folder(tmp_path, monkeypatch, s3):
    monkeypatch.setenv("AKHBAR_STATE_DIR", str(tmp_path / "state"))
    where = storage.location(f"s3://{BUCKET}/nightly/")
    assert storage.is_remote(where) and storage.text(where) == f"s3://{BUCKET}/nightly"
    assert storage.state_dir(where) == tmp_path / "state" / "s3" / BUCKET / "nightly"
    assert (
        publish.warehouse_path(f"s3://{BUCKET}/nightly")
        == tmp_path / "state" / "s3" / BUCKET / "nightly" / "warehouse.duckdb"
    )
    assert storage.text(publish.lake_dir(f"s3://{BUCKET}/nightly")) == f"s3://{BUCKET}/nightly/lake"


def test_parquet_round_trip_move_and_duckdb_through_the_bucket(tmp_path, s3):
    folder = storage.location(f"s3://{BUCKET}/round/t[1]")  # a glob character in a prefix is taken literally
    table = pa.table({"id": ["a", "b", "c"]})
    storage.write_parquet(table, folder / "one.parquet")
    local = tmp_path / "two.parquet"
    storage.write_parquet(pa.table({"id": ["d"]}), local)
    storage.move(local, folder / "two.parquet")  # an upload; the local file is gone
    assert not local.exists()
    assert storage.read_parquet(folder / "one.parquet").equals(table)
    assert storage.parquet_rows(folder / "two.parquet") == 1
    con = storage.attach(duckdb.connect(), folder)
    try:
        # as the views read the lake: the location taken literally, then the pattern
        pattern = f"{publish.glob_literal(folder)}/*.parquet"
        got = con.execute(f"SELECT string_agg(id, '' ORDER BY id) FROM read_parquet('{pattern}')")
        assert got.fetchall() == [("abcd",)]
    finally:
        con.close()
    storage.remove_tree(folder)
    assert not s3.find(f"{BUCKET}/round")


def test_landing_files_in_a_bucket_are_found_and_read(s3):
    lines = [{"id": f"r{i}", "title": "عنوان", "text": "نص الخبر " * 30, "outlet": "وكالة"} for i in range(3)]
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in lines).encode()
    s3.pipe(
        {
            f"{BUCKET}/landing/wire/feed.jsonl": body,
            f"{BUCKET}/landing/wire/feed2.jsonl.gz": gzip.compress(body[: body.index(b"\n")]),
            f"{BUCKET}/landing/wire/notes.md": b"not news",
            f"{BUCKET}/landing/wire/empty.txt": b"",
            f"{BUCKET}/landing/.cache/x.jsonl": body,
            f"{BUCKET}/landing/wire/.hidden.jsonl": body,
        }
    )
    files, skipped = discover_files([f"s3://{BUCKET}/landing"])
    root = f"s3://{BUCKET}/landing"
    assert [str(f.path) for f in files] == [f"{root}/wire/feed.jsonl", f"{root}/wire/feed2.jsonl.gz"]
    assert [f.outlet_hint for f in files] == ["wire", "wire"]
    assert files[0].size == len(body) and files[0].mtime_ns > 0
    assert sorted((s["path"], s["reason"]) for s in skipped) == [
        (f"{root}/.cache", "hidden folder"),
        (f"{root}/wire/.hidden.jsonl", "hidden file"),
        (f"{root}/wire/empty.txt", "empty file"),
        (f"{root}/wire/notes.md", "unsupported file type: .md"),
    ]
    rows = [row for f in files for row, _ in iter_file_records(f, FieldMap())]
    assert [r["source_id"] for r in rows] == ["r0", "r1", "r2", "r0"]
    assert rows[1]["source_uri"] == f"{root}/wire/feed.jsonl#L2"


def test_a_run_in_a_bucket_is_visible_once_its_runs_file_is(tmp_path, monkeypatch, s3):
    monkeypatch.setenv("AKHBAR_STATE_DIR", str(tmp_path / "state"))
    data = f"s3://{BUCKET}/wh"

    def article(run_id: str) -> pa.Table:
        return pa.table({"article_id": [f"a-{run_id}"], "is_canonical": [True], "run_id": [run_id]})

    def published() -> list[tuple]:
        publish.build_views(data)
        con = storage.attach(duckdb.connect(str(publish.warehouse_path(data)), read_only=True), publish.lake_dir(data))
        try:
            return con.execute("SELECT article_id FROM articles ORDER BY 1").fetchall()
        finally:
            con.close()

    # a run that died between its table files and its runs file: its file is in the bucket, not in the views
    publish.write_tables(data, "r0", {"articles": article("r0")})
    assert s3.exists(f"{BUCKET}/wh/lake/articles/run-r0.parquet")
    assert publish.published_run_ids(data) == set() and published() == []
    runs = pa.Table.from_pylist([{"run_id": "r1", "status": "published"}], schema=RUNS)
    publish.write_tables(data, "r1", {"articles": article("r1"), "runs": runs})
    assert publish.published_run_ids(data) == {"r1"} and published() == [("a-r1",)]
    removed = publish.repair(data)  # the dead run's file goes
    assert [storage.text(r) for r in removed] == [f"s3://{BUCKET}/wh/lake/articles/run-r0.parquet"]
    assert not list((tmp_path / "state").rglob("staging/r*"))  # staged locally, uploaded, gone
    with pytest.raises(storage.StorageError, match="a full refresh needs a local data dir"):
        publish.commit(data, "r2", {}, fresh=True)
