"""The nightly flow: landing files -> clean, deduplicated, validated Parquet tables + DuckDB views.

Every input record ends in exactly one place: an article (canonical or duplicate), or quarantine
with the stage, the reason and its raw payload; a record already in the warehouse or outside the
run's scope is counted. The steps are flows/pipeline.py's; this file only makes them Prefect tasks
(retries, logs, the run's place in the UI) and reads like the data flow.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
from prefect import flow
from prefect.runtime import flow_run

from akhbar.settings import get_settings
from flows import pipeline as p
from flows.params import RunParameters
from flows.report import RunReport, publish_run_report
from tasks.base import run_logger, stage_task
from tasks.dedup import DedupSettings
from tasks.history import History, load_history
from tasks.ledger import RunLedger
from tasks.lock import RunLock
from tasks.publish import build_views, commit, repair
from tasks.read import discover
from tasks.validate import ValidationGateError, merge_results, prune_reports, validate_tables


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
def read_task(files, ctx: p.RunContext, history: History, ledger: RunLedger) -> list[str]:
    parts = p.read_step(files, ctx, history, ledger)
    run_logger().info(
        "read: %d records from %d files into %d partitions", ledger.counts["records_read"], len(files), len(parts)
    )
    return parts


@stage_task(name="extract-clean-observe", retries=0)
def first_pass_task(name: str, ctx: p.RunContext):
    return p.first_pass(name, ctx)


@stage_task(name="learn-boilerplate", retries=0)
def decide_task(ctx: p.RunContext):
    learned = p.decide_step(ctx)
    run_logger().info(
        "learn-boilerplate: %d template lines and %d leaked leads learned; runs of headlines taken for links in %s",
        sum(len(v) for v in learned.repeated.values()),
        sum(len(v) for v in learned.leaked.values()),
        ", ".join(sorted(learned.link_outlets)) or "no outlet",
    )
    return learned


@stage_task(name="learned-normalize-check-fingerprint", retries=0)
def second_pass_task(name: str, ctx: p.RunContext, learned):
    return p.second_pass(name, ctx, learned)


@stage_task(name="dedup", retries=0)
def cluster_task(ctx: p.RunContext, history: History, ledger: RunLedger) -> p.Clusters:
    clusters = p.cluster_step(ctx, history, ledger)
    c = ledger.counts
    run_logger().info(
        "dedup: %d articles, %d exact and %d near duplicates, %d canonical changes",
        c["published"],
        c["duplicates_exact"],
        c["duplicates_near"],
        c["canonical_changes"],
    )
    return clusters


@stage_task(name="validate", retries=0)
def gate_task(ctx: p.RunContext, staged: dict[str, Path]):
    docs = Path(ctx.data_dir).resolve() / "reports" / ctx.run_id
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


@stage_task(name="publish", retries=2, retry_delay_seconds=[1, 5])
def publish_task(data_dir: str, run_id: str, staged: dict[str, Path], fresh: bool) -> dict[str, int]:
    """Commit the run (its `runs` row last). From then on the run is published: rebuilding the
    warehouse views is a warning if it fails (a reader holding the file, a full disk), repaired by
    the next run or `akhbar repair`, never a failed run."""
    written = commit(Path(data_dir), run_id, staged, fresh)
    log = run_logger()
    log.info("publish: %s", ", ".join(f"{k}={v}" for k, v in written.items()))
    try:
        build_views(Path(data_dir))
    except Exception as exc:
        log.warning(
            "run %s is published, but the warehouse views were not rebuilt (%s: %s); "
            "the next run or `akhbar repair` rebuilds them",
            run_id,
            type(exc).__name__,
            str(exc).splitlines()[0] if str(exc) else "",
        )
    return written


@flow(name="akhbar-nightly", log_prints=True)
def nightly(params: RunParameters = RunParameters()) -> dict:
    """Run akhbar once over `params.inputs` into the warehouse under `params.data_dir`."""
    started = datetime.now(timezone.utc)
    settings = get_settings(data_dir=params.data_dir, batch_size=params.batch_size)
    for name, key in params.fields.items():
        settings.fields.prefer(name, key)
    ctx = p.RunContext(
        p.new_run_id(started),
        Path(params.data_dir),
        settings,
        DedupSettings(threshold=params.dedup_threshold),
        params.since,
        params.until,
        params.outlets,
        params.full_refresh,
    )
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
        parts = read_task(files, ctx, history, ledger)
        for name in parts:
            ledger.merge(first_pass_task(name, ctx))
        learned = decide_task(ctx)
        for name in parts:
            ledger.merge(second_pass_task(name, ctx, learned))
        clusters = cluster_task(ctx, history, ledger)
        ledger.check()
        staged = p.assemble(ctx, clusters, manifest, skipped)
        gate = gate_task(ctx, staged)
        validation = merge_results(_row_results(ctx) + [gate.results_table])
        if gate.gate_failures:
            raise ValidationGateError("validation gate failed, nothing published: " + "; ".join(gate.gate_failures))
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
                ctx, str(flow_run.id) if flow_run.id else None, started, params.model_dump(mode="json"), summary
            ),
        )
        publish_task(params.data_dir, ctx.run_id, staged, params.full_refresh)
        run_logger().info("run %s published: %s", ctx.run_id, json.dumps(summary, ensure_ascii=False))
        publish_run_report(report)  # never raises: a report is a view of the run, not a reason to fail it
        return summary
    finally:
        shutil.rmtree(ctx.staging.root, ignore_errors=True)


def _row_results(ctx: p.RunContext) -> list[pa.Table]:
    import pyarrow.parquet as pq

    return [pq.read_table(f) for f in ctx.staging.files("validation")]
