"""akhbar beyond one machine, on loopback: a real Prefect server (`akhbar.serve.start_server`), a Dask
`LocalCluster` of two worker processes, and `akhbar run` in a subprocess with PREFECT_API_URL and
AKHBAR_DASK_ADDRESS set, the sample cut into partitions of 5 records. It must publish exactly what a
run on the default runner publishes, and its partitions must have run on the cluster's workers and
been reported to the server. Server, cluster and watchdog are stopped even when the test fails."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("server")]

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples" / "landing"
PASSES = ("extract-clean-observe", "learned-normalize-check-fingerprint")


def rows(data_dir: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_partitions_on_a_dask_cluster_publish_what_the_default_runner_publishes(
    tmp_path, prefect_server, reference_run, akhbar_run
):
    from distributed import Client, LocalCluster, get_task_stream
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    reference, expected = reference_run  # the default runner, a temporary API
    stack = prefect_server

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as client,
        get_task_stream(client=client) as stream,
    ):
        # the data dir relative to the run's directory, not the workers' (they must get it absolute);
        # the workers' environment has no PREFECT_API_URL: the run's API travels with each task
        summary = akhbar_run(
            str(SAMPLES),
            "dask",
            tmp_path,
            PREFECT_API_URL=stack.api_url,
            AKHBAR_DASK_ADDRESS=cluster.scheduler_address,
            AKHBAR_BATCH_SIZE="5",
        )
        workers = set(client.scheduler_info()["workers"])
        # the task's imports set the workers' allocators as in akhbar's own worker processes
        allocators = client.run(lambda: __import__("pyarrow").default_memory_pool().backend_name)
        [(flow_run_id,)] = rows(tmp_path / "dask", "SELECT flow_run_id FROM runs")
        with SyncPrefectClient(stack.api_url) as api:
            task_runs = api.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    dasked = tmp_path / "dask"

    assert summary["partitions"] == "4" and expected["partitions"] == "1"
    for key in ("records_read", "articles_clean", "duplicates_exact", "duplicates_near", "quarantined"):
        assert summary[key] == expected[key], key
    # every partition of both passes, and its row checks, ran on a worker of the cluster, both workers took some ...
    ran = [t for t in stream.data if t.get("worker") in workers]
    kinds = sorted(t["key"].rsplit("-", 1)[0] for t in ran)
    assert kinds == ["check_task"] * 4 + ["first_pass_task"] * 4 + ["second_pass_task"] * 4, kinds
    assert len({t["worker"] for t in ran}) == 2
    assert allocators == dict.fromkeys(workers, "system")
    # ... and was reported, completed, to the server
    per_pass = {name: [t for t in task_runs if t.name.startswith(name)] for name in PASSES}
    assert {name: len(runs) for name, runs in per_pass.items()} == dict.fromkeys(PASSES, 4)
    assert all(t.state.is_completed() for runs in per_pass.values() for t in runs)

    same = "SELECT source_uri, title, body, is_canonical, author, published_at FROM articles ORDER BY source_uri"
    assert rows(dasked, same) == rows(reference, same)
    copies = (
        "SELECT a.source_uri, c.source_uri, d.method, round(d.similarity, 6) FROM duplicates d "
        "JOIN articles a ON a.article_id = d.article_id JOIN articles c ON c.article_id = d.canonical_id ORDER BY ALL"
    )
    assert rows(dasked, copies) == rows(reference, copies) != []
    spans = "SELECT a.source_uri, b.rule, b.text FROM boilerplate b JOIN articles a USING (article_id) ORDER BY ALL"
    assert rows(dasked, spans) == rows(reference, spans) != []
    quarantine = "SELECT source_uri, stage, reason FROM quarantine ORDER BY ALL"
    assert rows(dasked, quarantine) == rows(reference, quarantine)
