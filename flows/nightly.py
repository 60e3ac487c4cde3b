"""The nightly flow: landing files -> clean, deduplicated, validated Parquet tables + DuckDB views.

Every input record ends in exactly one place: an article (canonical or duplicate), or quarantine
with the stage, the reason and its raw payload; a record already in the warehouse or outside the
run's scope is counted. The steps are flows/pipeline.py's; this file only makes them Prefect tasks
(retries, logs, the run's place in the UI) and reads like the data flow.
"""

from __future__ import annotations

import contextvars
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
from akhbar.flows import pipeline as p
from akhbar.flows import progress
from akhbar.flows.params import RunParameters
from akhbar.flows.report import RunReport, publish_run_report
from akhbar.tasks.base import run_logger, stage_task
from akhbar.tasks.dedup import DedupSettings
from akhbar.tasks.history import History, load_history
from akhbar.tasks.ledger import RunLedger, peak_rss_mb
from akhbar.tasks.lock import RunLock
from akhbar.tasks.publish import build_views, commit, refuse_remote, repair
from akhbar.tasks.read import discover
from akhbar.tasks.storage import location, parquet_rows, read_parquet, remove_tree, state_dir
from akhbar.tasks.validate import ValidationGateError, merge_results, prune_reports, validate_tables
from prefect import flow
from prefect.runtime import flow_run
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

from akhbar.settings import get_settings


@stage_task(name="load-history", retries=2, retry_delay_seconds=[1, 5])
def history_task(data_dir: str, full_refresh: bool = False) -> History:
    """Repair what an interrupted run left, then read what the warehouse already holds
    (nothing, for a full refresh: everything is rebuilt from the landing area)."""
    removed = repair(data_dir)
    if removed:
        run_logger().warning(
            "repaired the lake: removed %d leftovers of an unfinished run: %s",
            len(removed),
            ", ".join(x.name for x in removed[:5]),
        )
    return History() if full_refresh else load_history(data_dir)


@stage_task(name="read", retries=0)
def read_task(files, ctx: p.RunContext, history: History, ledger: RunLedger, staged=None) -> list[str]:
    parts = p.read_step(files, ctx, history, ledger, staged)
    run_logger().info(
        "read: %d records from %d files into %d partitions", ledger.counts["records_read"], len(files), len(parts)
    )
    return parts


def partition_runner(settings, partitions: int) -> TaskRunner:
    """Where the partitions' stages run: the workers of an existing Dask cluster (AKHBAR_DASK_ADDRESS),
    else a pool of worker processes (they are CPU-bound Python, so threads would share one core), or,
    with one worker, this process itself. Only partition names and the run context go to a worker;
    the records stay in staging."""
    if settings.dask_address:
        return _dask_runner(settings.dask_address)
    if not runs_in_this_process(settings, partitions):  # a worker costs seconds to start (its imports)
        return ProcessPoolTaskRunner(
            max_workers=min(settings.workers, partitions),
            initializer=_prepare_worker,
            initargs=(_this_api_url(), settings.model_dump_json()),
        )
    return ThreadPoolTaskRunner(max_workers=1)


def checking_runner(settings, partitions: int) -> TaskRunner:
    """Where Great Expectations runs (the row suite on each partition, then the gate): one process of
    its own beside the partition workers, so that one process, not every worker, holds its ~170 MB of
    imports, and the run's own process holds none; on Dask, the cluster; for a run of one partition,
    this process (no process to start)."""
    if settings.dask_address:
        return _dask_runner(settings.dask_address)
    return _own_process(settings, partitions, _prepare_checker)


def whole_run_runner(settings, partitions: int) -> TaskRunner:
    """Where the two whole-run decisions run (learned boilerplate, then dedup): one process of its own,
    so that the decision's DuckDB working memory and the run's fingerprint table (both growing with the
    run) never sit on top of what the run's process holds (Prefect's client, the read). On Dask, and
    for a small run, this process: dedup writes its tables to this machine's staging."""
    if settings.dask_address:
        return ThreadPoolTaskRunner(max_workers=1)
    return _own_process(settings, partitions, _prepare_whole_run)


def _own_process(settings, partitions: int, prepare) -> TaskRunner:
    """A pool of one worker process started with `prepare`, or this process for a small run."""
    if not runs_in_this_process(settings, partitions):
        return ProcessPoolTaskRunner(
            max_workers=1, initializer=prepare, initargs=(_this_api_url(), settings.model_dump_json())
        )
    return ThreadPoolTaskRunner(max_workers=1)


# What a landing file holds per record, at least, on average (a short article, compressed): how the
# run guesses its number of partitions before reading, to start its workers while it reads.
BYTES_PER_RECORD = 1024


def expected_partitions(files, settings) -> int:
    """A guess at the run's partitions from its landing files' sizes (the read tells the truth)."""
    records = sum(f.size for f in files) // BYTES_PER_RECORD
    return max(1, -(-records // settings.batch_size))


def start_workers(runner: TaskRunner) -> None:
    """Start a process pool's workers now, so their start-up (imports, rules, gazetteer, Great
    Expectations) overlaps the read instead of delaying the first pass. Prefect starts them on the
    first submit; its executor is reached directly here (and skipped if Prefect ever hides it)."""
    executor = getattr(runner, "_executor", None)
    workers = getattr(runner, "_max_workers", None) or 0
    if executor is not None:
        for _ in range(workers):
            executor.submit(int)  # each submit meeting no idle worker starts one


def _this_api_url() -> str | None:
    """The Prefect API this run reports to, for its workers: the one configured (a settings context
    is not in the environment the workers inherit), or else the temporary server Prefect started
    for this process (workers must report there too, not start their own)."""
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import get_current_settings

    configured = get_current_settings().api.url
    if configured:
        return str(configured)
    server = SubprocessASGIServer()
    return server.api_url if server.running else None


# A run guessed at this many partitions or fewer runs them in its own process: starting the pool's workers
# and the checking process (their imports, the gazetteer, Great Expectations: ~20 s of a 1,000-article night
# on a 100k warehouse) costs more than they save on two partitions, and the guess (compressed bytes at
# BYTES_PER_RECORD a record) often makes two of one night's one.
SMALL_RUN_PARTITIONS = 2


def runs_in_this_process(settings, partitions: int) -> bool:
    """Whether this process runs the partitions' stages and the row checks itself (one worker, or a small
    night), rather than a pool of workers, a checking process or a Dask cluster."""
    return not settings.dask_address and (settings.workers <= 1 or partitions <= SMALL_RUN_PARTITIONS)


def warm_up(params: RunParameters, files) -> None:
    """Before the flow, while Prefect's temporary API starts in its own process (`akhbar.env.start_temporary_api`;
    ~10 s, the largest part of a small night's cost): set up what this process's own stages will need when it
    runs them itself (the rules, the gazetteer, the language model, Great Expectations), instead of after it."""
    settings = run_settings(params)
    if runs_in_this_process(settings, expected_partitions(files, settings)):
        p.warm_stages()
        p.warm_row_checker(settings)


class DaskSetupError(RuntimeError):
    """AKHBAR_DASK_ADDRESS is set but the run cannot use a Dask cluster."""


def check_dask_setup(settings) -> None:
    """Before a run that sends its partitions to Dask does any work: prefect-dask is installed and the
    run reports to a real Prefect server. Dask workers run their task runs against the run's API (it
    travels with each task in Prefect's settings context); a temporary API that Prefect started inside
    this process is on this machine's loopback, where workers elsewhere cannot reach it."""
    if not settings.dask_address:
        return
    try:
        import prefect_dask  # noqa: F401
    except ImportError:
        raise DaskSetupError(
            f"AKHBAR_DASK_ADDRESS is set ({settings.dask_address}) but prefect-dask is not installed: "
            "pip install 'akhbar[dask]'"
        ) from None
    from prefect.settings import get_current_settings

    if not get_current_settings().api.url:
        raise DaskSetupError(
            f"AKHBAR_DASK_ADDRESS is set ({settings.dask_address}) but PREFECT_API_URL is not: Dask workers "
            "must report their task runs to a Prefect server they can reach, and the temporary API Prefect "
            "starts inside this process is not one. Start a server (`prefect server start`, or `akhbar serve`) "
            "and set PREFECT_API_URL to its API (http://HOST:4200/api) here and on the workers' side."
        )


def _dask_runner(address: str) -> TaskRunner:
    """Prefect's DaskTaskRunner on the scheduler at `address` (imported only when asked for: dask is
    an optional extra). The cluster is not ours: leaving the runner closes our client, not the cluster."""
    from prefect_dask import DaskTaskRunner

    return DaskTaskRunner(address=address)


def _prepare_worker(api_url: str | None, settings_json: str) -> None:
    """Runs first in each partition worker: report to the run's API, and load now what every partition
    needs (the stage modules, the boilerplate rules, the gazetteer) so that no partition waits for it."""
    _report_to(api_url)
    p.warm_stages()


def _prepare_checker(api_url: str | None, settings_json: str) -> None:
    """Runs first in the checking process: report to the run's API and set up the Great Expectations
    row checker for the run's settings (seconds, overlapping the read)."""
    _report_to(api_url)
    from akhbar.settings import Settings

    p.warm_row_checker(Settings.model_validate_json(settings_json))


def _prepare_whole_run(api_url: str | None, settings_json: str) -> None:
    """Runs first in the whole-run process: report to the run's API and import the decision's and
    dedup's modules while the run reads."""
    _report_to(api_url)
    import akhbar.tasks.dedup  # noqa: F401
    import akhbar.tasks.learned  # noqa: F401


def _report_to(api_url: str | None) -> None:
    """A worker process's task runs report to the run's API (a settings context does not travel in
    the environment a process pool's workers inherit)."""
    if api_url:
        os.environ["PREFECT_API_URL"] = api_url


class FirstPassAsRead:
    """Pass 1 submitted for each partition as soon as the read stages it, so the workers clean while
    the read goes on (the read is one process; at a million articles it was six minutes with a core
    idle). Submitted in the flow's own context: the read is a task, and a task's context (with its
    parameters: the run's history and ledger) would go to every worker with the partition."""

    def __init__(self, runner: TaskRunner, ctx: p.RunContext) -> None:
        self.runner, self.ctx = runner, ctx
        self.flow_context = contextvars.copy_context()
        self.futures: list = []
        self.sizes: list[int] = []  # records per partition (the progress display's records/s)

    def __call__(self, name: str) -> None:
        self.sizes.append(_rows(self.ctx, "records", name))
        future = self.flow_context.run(self.runner.submit, first_pass_task, {"name": name, "ctx": self.ctx})
        self.futures.append(future)

    def ledgers(self):
        """The partitions' ledgers in partition order, as their first passes end."""
        for future in self.futures:
            yield future.result()


def each_partition(runner: TaskRunner, task, parts: list[str], **params):
    """Submit `task` for every partition at once, then yield their ledgers in partition order."""
    futures = [runner.submit(task, {"name": name, **params}) for name in parts]
    for future in futures:
        yield future.result()


@stage_task(name="extract-clean-observe", retries=0)
def first_pass_task(name: str, ctx: p.RunContext):
    return p.first_pass(name, ctx)


@stage_task(name="learn-boilerplate", retries=0)
def decide_task(ctx: p.RunContext) -> tuple[p.Learned, int, int]:
    """The learned decision, and the process it ran in with its peak memory (the runs row keeps it)."""
    learned = p.decide_step(ctx)
    run_logger().info(
        "learn-boilerplate: %d template lines and %d leaked leads learned; runs of headlines taken for links in %s",
        sum(len(v) for v in learned.repeated.values()),
        sum(len(v) for v in learned.leaked.values()),
        ", ".join(sorted(learned.link_outlets)) or "no outlet",
    )
    return learned, os.getpid(), peak_rss_mb()


@stage_task(name="learned-normalize-check-fingerprint", retries=0)
def second_pass_task(name: str, ctx: p.RunContext, learned):
    return p.second_pass(name, ctx, learned)


@stage_task(name="check-rows", retries=0)
def check_task(name: str, ctx: p.RunContext):
    return p.check_partition(name, ctx)


@stage_task(name="dedup", retries=0)
def cluster_task(ctx: p.RunContext, history: History) -> tuple[p.Clusters, int, int]:
    """The one clustering (its counts in `Clusters.counted`), and the process it ran in with its peak memory."""
    clusters = p.cluster_step(ctx, history)
    c = clusters.counted.counts
    run_logger().info(
        "dedup: %d articles, %d exact and %d near duplicates, %d canonical changes",
        c["published"],
        c["duplicates_exact"],
        c["duplicates_near"],
        c["canonical_changes"],
    )
    return clusters, os.getpid(), peak_rss_mb()


@stage_task(name="validate", retries=0)
def gate_task(ctx: p.RunContext, staged: dict[str, Path]):
    docs = state_dir(ctx.data_dir) / "reports" / ctx.run_id
    outcome = validate_tables(p.gate_tables(staged), ctx.settings, ctx.run_id, docs)
    prune_reports(docs.parent, ctx.settings.reports_keep)
    for r in outcome.results:
        if not r["success"]:
            run_logger().warning(
                "validation %s: %s %s on %s failed (%s unexpected)",
                r["severity"],
                r["suite"],
                r["expectation"],
                r["column"],
                r["unexpected_count"],
            )
    return outcome


def run_gate(checker: TaskRunner, ctx: p.RunContext, staged: dict[str, Path]):
    """The gate in the checking process, which holds Great Expectations already; on Dask in this
    process, because the assembled tables it reads are in this machine's part of staging."""
    if ctx.settings.dask_address:
        return gate_task(ctx, staged)
    return checker.submit(gate_task, {"ctx": ctx, "staged": staged}).result()


@stage_task(name="publish", retries=2, retry_delay_seconds=[1, 5])
def publish_task(data_dir: str, run_id: str, staged: dict[str, Path], fresh: bool) -> dict[str, int]:
    """Commit the run (its `runs` row last). From then on the run is published: rebuilding the
    warehouse views (a new file swapped in, so readers holding the old one never stand in its way)
    is a warning if it fails (a full disk), repaired by the next run or `akhbar repair`, never a
    failed run."""
    written = commit(data_dir, run_id, staged, fresh)
    log = run_logger()
    log.info("publish: %s", ", ".join(f"{k}={v}" for k, v in written.items()))
    try:
        build_views(data_dir)
    except Exception as exc:
        log.warning(
            "run %s is published, but the warehouse views were not rebuilt (%s: %s); "
            "the next run or `akhbar repair` rebuilds them",
            run_id,
            type(exc).__name__,
            str(exc).splitlines()[0] if str(exc) else "",
        )
    return written


def run_settings(params: RunParameters):
    """The run's settings: the environment's, with the run's batch size and field overrides."""
    settings = get_settings(data_dir=params.data_dir, batch_size=params.batch_size)
    for name, key in params.fields.items():
        settings.fields.prefer(name, key)
    return settings


@flow(name="akhbar-nightly", log_prints=True)
def nightly(params: RunParameters = RunParameters()) -> dict:
    """Run akhbar once over `params.inputs` into the warehouse under `params.data_dir`."""
    started = datetime.now(timezone.utc)
    settings = run_settings(params)
    check_dask_setup(settings)
    ctx = p.RunContext(
        p.new_run_id(started),
        location(params.data_dir),  # absolute (workers may start in another directory), or a URI
        settings,
        DedupSettings(threshold=params.dedup_threshold),
        params.since,
        params.until,
        params.outlets,
        params.full_refresh,
    )
    if params.full_refresh:
        refuse_remote(ctx.data_dir, "a full refresh")
    ledger = RunLedger(ctx.staging)
    with RunLock(ctx.data_dir, ctx.run_id, settings.lock_wait_seconds):
        return _run(params, ctx, ledger, started)


def _run(params: RunParameters, ctx: p.RunContext, ledger: RunLedger, started: datetime) -> dict:
    try:
        history = history_task(params.data_dir, params.full_refresh)
        files, skipped, manifest = discover(params.inputs, ctx.run_id, history.manifest, ctx.settings.max_file_bytes)
        skipped = p.not_listed_before(skipped, history)
        ledger.count_skipped(skipped)
        ledger.counts["files"] = len(files)
        if not files:
            # an empty landing folder, or one whose files earlier runs already read: say so, not just exit 0
            run_logger().warning(
                "nothing to read in %s: no new or changed landing file (%d paths skipped)",
                ", ".join(params.inputs),
                skipped.num_rows,
            )
        shown = progress.hook()

        def step(name: str, shown_as: str | None = None) -> None:
            """A step of the run begins: timed by the ledger (the `runs` row keeps it), shown if named."""
            ledger.step(name)
            if shown_as:
                shown.stage(shown_as)

        expected = expected_partitions(files, ctx.settings)
        with checking_runner(ctx.settings, expected) as checker, whole_run_runner(ctx.settings, expected) as deciding:
            start_workers(checker)
            start_workers(deciding)
            with partition_runner(ctx.settings, expected) as runner:
                start_workers(runner)  # while this process reads
                step("read", "read")  # pass 1 begins as the first partition is staged
                first = FirstPassAsRead(runner, ctx)
                parts = read_task(files, ctx, history, ledger, first)
                ledger.counts["partitions"] = len(parts)
                shown.partitions(2 * len(parts), ledger.counts["records_read"])
                step("pass 1")  # what is left of it once the read ends
                _merge(ledger, shown, first.ledgers(), first.sizes)
                step("learned decision", "learn boilerplate")
                learned = elsewhere(ledger, "learned decision", deciding.submit(decide_task, {"ctx": ctx}))
                step("pass 2")
                sizes = [_rows(ctx, "observed", name) for name in parts]
                passed = each_partition(runner, second_pass_task, parts, ctx=ctx, learned=learned)
                # each partition's rows are checked as soon as pass 2 hands it back
                checks = _merge(
                    ledger,
                    shown,
                    passed,
                    sizes,
                    then=lambda part: checker.submit(check_task, {"name": part.part, "ctx": ctx}),
                )
            step("row checks")  # the checks still running when the last partition came back
            for check in checks:
                ledger.merge(check.result())
            step("dedup", "dedup")
            clusters = elsewhere(ledger, "dedup", deciding.submit(cluster_task, {"ctx": ctx, "history": history}))
            ledger.merge(clusters.counted)
            ledger.check()
            step("assemble")
            staged = p.assemble(ctx, clusters, manifest, skipped, ledger.records_by_file)
            ledger.check_assembled(staged)
            step("gate", "validate")
            gate = run_gate(checker, ctx, staged)
        validation = merge_results(_row_results(ctx) + [gate.results_table])
        if gate.gate_failures:
            raise ValidationGateError("validation gate failed, nothing published: " + "; ".join(gate.gate_failures))
        step("report")
        summary = {"run_id": ctx.run_id, **ledger.summary(), "data_docs": gate.docs_index}
        report = RunReport(
            summary,
            dict(ledger.by_outlet),
            p.top_boilerplate(staged),
            clusters.largest,
            validation,
            params.data_dir,
            published=not params.dry_run,
            mappings=ledger.mappings,
            largest_stories=clusters.largest_stories,
        )
        if params.dry_run:
            run_logger().info("dry run: validated, nothing published: %s", json.dumps(summary, ensure_ascii=False))
            publish_run_report(report)
            return summary
        if validation.num_rows:
            staged["validation_results"] = p.write_staged(ctx, "validation_results", validation)
        staged["runs"] = p.write_staged(
            ctx,
            "runs",
            p.runs_row(
                ctx,
                str(flow_run.id) if flow_run.id else None,
                started,
                params.model_dump(mode="json"),
                # with wall seconds and this process's peak MB per step (up to here), CPU seconds per stage: for benchmarks
                {**summary, "steps": ledger.step(None), "peaks": ledger.peaks, "stages": ledger.stage_seconds()},
            ),
        )
        shown.stage("publish")
        publish_task(params.data_dir, ctx.run_id, staged, params.full_refresh)
        run_logger().info("run %s published: %s", ctx.run_id, json.dumps(summary, ensure_ascii=False))
        publish_run_report(report)  # never raises: a report is a view of the run, not a reason to fail it
        return summary
    finally:
        remove_tree(ctx.staging.root)
        shutil.rmtree(ctx.staging.work, ignore_errors=True)


def elsewhere(ledger: RunLedger, step: str, future):
    """The result of a step run in the whole-run process; that process's peak memory goes into the
    ledger's peaks beside the run's process's own (when it is another process)."""
    result, pid, peak_mb = future.result()
    if pid != os.getpid():
        ledger.peaks[f"{step} (whole-run process)"] = peak_mb
    return result


def _merge(ledger: RunLedger, shown, parts, sizes: list[int], then=None) -> list:
    """The partitions' ledgers into the run's, as each finishes, with the progress display; `then`
    gets each finished partition's ledger, and what it returns is collected."""
    followed = []
    for part, rows in zip(parts, sizes):
        ledger.merge(part)
        shown.advance(rows)
        if then is not None:
            followed.append(then(part))
    return followed


def _rows(ctx: p.RunContext, kind: str, name: str) -> int:
    """Records in a staged partition, from its Parquet footer (for the progress display's records/s)."""
    path = ctx.staging.path(kind, name)
    return parquet_rows(path) if path.exists() else 0


def _row_results(ctx: p.RunContext) -> list[pa.Table]:
    return [read_parquet(f) for f in ctx.staging.files("validation")]
