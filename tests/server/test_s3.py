"""The staging area, the lake and the landing files on object storage, on loopback: moto's S3 server
(a real HTTP S3 API, in a thread of this process), a real Prefect server and a Dask `LocalCluster` of
two worker processes. The sample is put in a bucket and `akhbar run --input s3://... --data-dir
s3://...` sends its partitions to the cluster; the published tables must be those a run of the
default runner on local disk publishes (same article ids, clusters, copies, spans, quarantine).

The warehouse is read as the README tells other tools to: DuckDB on the local warehouse file, the
bucket's filesystem registered on the connection."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("server")]

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples" / "landing"
BUCKET = "akhbar-test"


def tables(con: duckdb.DuckDBPyConnection, landing: str) -> dict[str, list[tuple]]:
    """What both runs must agree on, with each landing file named relative to its landing root."""
    rel = f"replace(source_uri, '{landing}/', '')"
    return {
        "counts": con.execute(
            "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM duplicates), "
            "(SELECT count(*) FROM quarantine), (SELECT count(*) FROM boilerplate), (SELECT count(*) FROM stories)"
        ).fetchall(),
        "articles": con.execute(
            f"SELECT {rel}, article_id, cluster_id, is_canonical, title, body, published_at FROM articles ORDER BY ALL"
        ).fetchall(),
        "duplicates": con.execute(
            "SELECT article_id, canonical_id, method, round(similarity, 6) FROM duplicates ORDER BY ALL"
        ).fetchall(),
        "boilerplate": con.execute("SELECT article_id, rule, category, text FROM boilerplate ORDER BY ALL").fetchall(),
        "quarantine": con.execute(
            f"SELECT {rel}, stage, replace(reason, '{landing}/', '') FROM quarantine ORDER BY ALL"
        ).fetchall(),
    }


@pytest.fixture
def s3_server(monkeypatch):
    """moto's S3 server on a free loopback port, and the AWS_* variables that point s3fs at it (set in
    this process, so the Dask workers it starts and the runs it spawns inherit them)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)  # port 0: a free one
    server.start()
    host, port = server.get_host_and_port()
    env = {
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    try:
        yield env
    finally:
        server.stop()


def test_a_run_on_s3_through_dask_publishes_what_a_local_run_publishes(
    tmp_path, prefect_server, reference_run, akhbar_run, s3_server
):
    import s3fs
    from distributed import Client, LocalCluster, get_task_stream

    bucket = s3fs.S3FileSystem(endpoint_url=s3_server["AWS_ENDPOINT_URL"], use_listings_cache=False)
    bucket.mkdir(BUCKET)
    bucket.put(str(SAMPLES), f"{BUCKET}/landing", recursive=True)
    state = tmp_path / "state"

    reference, expected = reference_run  # the default runner, local disk
    stack = prefect_server

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as client,
        get_task_stream(client=client) as stream,
    ):
        summary = akhbar_run(
            f"s3://{BUCKET}/landing",
            f"s3://{BUCKET}/akhbar",
            tmp_path,
            PREFECT_API_URL=stack.api_url,
            AKHBAR_DASK_ADDRESS=cluster.scheduler_address,
            AKHBAR_BATCH_SIZE="5",
            AKHBAR_STATE_DIR=str(state),
        )
        workers = set(client.scheduler_info()["workers"])

    # the partitions ran on the cluster's workers, through the bucket
    assert summary["partitions"] == "4"
    assert len([t for t in stream.data if t.get("worker") in workers]) == 3 * 4  # two passes and the row checks
    for key in ("files", "paths_skipped", "records_read", "articles_clean", "duplicates_exact", "duplicates_near"):
        assert summary[key] == expected[key], key
    assert summary["quarantined"] == expected["quarantined"]

    # the lake is in the bucket, one file per table of the run beside each table's empty file; nothing
    # of the run's staging is left there
    [run_id] = {Path(k).stem.removeprefix("run-") for k in bucket.find(f"{BUCKET}/akhbar/lake/runs") if "run-" in k}
    assert bucket.exists(f"{BUCKET}/akhbar/lake/articles/run-{run_id}.parquet")
    assert not bucket.find(f"{BUCKET}/akhbar/staging")
    # what cannot live there is in the local state dir: the warehouse file and the run lock
    warehouse = state / "s3" / BUCKET / "akhbar" / "warehouse.duckdb"
    assert warehouse.exists() and (warehouse.parent / ".akhbar.lock").exists()

    local = duckdb.connect(str(reference / "warehouse.duckdb"), read_only=True)
    remote = duckdb.connect(str(warehouse), read_only=True)
    remote.register_filesystem(bucket)  # the read contract: the views read s3:// through fsspec
    try:
        [(lake,)] = remote.execute("SELECT lake FROM akhbar_warehouse").fetchall()
        assert lake == f"s3://{BUCKET}/akhbar/lake"
        got, want = tables(remote, f"s3://{BUCKET}/landing"), tables(local, str(SAMPLES))
    finally:
        local.close()
        remote.close()
    assert want["duplicates"] and want["boilerplate"] and want["quarantine"]
    for name in want:
        assert got[name] == want[name], name
