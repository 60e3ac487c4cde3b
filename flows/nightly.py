"""The nightly flow: landing files -> clean, deduplicated, validated Parquet tables + DuckDB views.

    discover -> read -> (per batch: extract -> clean) -> learned boilerplate -> normalize -> dedup
             -> validate -> publish

Every input record ends in exactly one place: an article (canonical or duplicate), or quarantine
with the stage, the reason and its raw payload. A record already in the warehouse adds no row.
"""
from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from prefect import flow
from prefect.runtime import flow_run

from akhbar.settings import get_settings
from flows.params import RunParameters
from flows.report import publish_run_report
from schemas.tables import ARTICLES, BOILERPLATE, CANONICAL_CHANGES, DUPLICATES, QUARANTINE, RUNS, VALIDATION_RESULTS
from tasks.base import quarantine_row, run_logger, stage_task
from tasks.clean import clean
from tasks.dedup import DedupSettings, dedup, signature_table
from tasks.extract import extract
from tasks.history import History, load_history, quarantine_key
from tasks.learned import learn_boilerplate
from tasks.normalize import normalize
from tasks.publish import publish, repair
from tasks.read import discover, read
from tasks.validate import ValidationGateError, prune_reports, validate


def new_run_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


@stage_task(name="load-history", retries=2, retry_delay_seconds=[1, 5])
def history_task(data_dir: str, full_refresh: bool = False) -> History:
    """Repair what an interrupted run left, then read what the warehouse already holds
    (nothing, for a full refresh: everything is rebuilt from the landing area)."""
    removed = repair(data_dir)
    if removed:
        run_logger().warning("repaired the lake: removed %d leftovers of an unfinished run: %s",
                             len(removed), ", ".join(p.name for p in removed[:5]))
    return History() if full_refresh else load_history(data_dir)


def _concat(tables: list[pa.Table], schema: pa.Schema | None = None) -> pa.Table:
    tables = [t for t in tables if t is not None]
    if not tables:
        return schema.empty_table()
    return pa.concat_tables(tables, promote_options="default")


def _drop_known(raw: pa.Table, q_early: pa.Table, history: History) -> tuple[pa.Table, pa.Table, int]:
    """Records already published or quarantined on an earlier night add nothing."""
    if not history.known_ids and not history.known_quarantine:
        return raw, q_early, 0

    keep = pa.array([a not in history.known_ids for a in raw["article_id"].to_pylist()], pa.bool_())
    keep_q = pa.array([quarantine_key(u, p) not in history.known_quarantine
                       for u, p in zip(q_early["source_uri"].to_pylist(), q_early["raw_payload"].to_pylist())], pa.bool_())
    raw, q_early_new = raw.filter(keep), q_early.filter(keep_q)
    return raw, q_early_new, (len(keep) - raw.num_rows) + (len(keep_q) - q_early_new.num_rows)


def _quarantine_records(raw: pa.Table, reasons: dict[str, str], run_id: str, stage: str) -> pa.Table:
    """Quarantine rows, with raw payloads, for the raw records whose article ids are in `reasons`."""
    hit = raw.filter(pc.is_in(raw["article_id"], pa.array(list(reasons), pa.string())))
    rows = [quarantine_row(r, run_id, stage, reasons[r["article_id"]])
            for r in hit.select(["article_id", "source_uri", "source_id", "raw_payload"]).to_pylist()]
    return pa.Table.from_pylist(rows, schema=QUARANTINE)


def _in_scope(articles: pa.Table, params: RunParameters) -> pa.Array:
    """Rows inside the run's date range and outlet list (an undated article is outside a date range)."""
    keep = pa.array([True] * articles.num_rows)
    published = articles["published_at"]
    if params.since:
        since = pa.scalar(datetime.combine(params.since, datetime.min.time(), timezone.utc), published.type)
        keep = pc.and_(keep, pc.fill_null(pc.greater_equal(published, since), False))
    if params.until:
        until = pa.scalar(datetime.combine(params.until, datetime.max.time(), timezone.utc), published.type)
        keep = pc.and_(keep, pc.fill_null(pc.less_equal(published, until), False))
    if params.outlets:
        keep = pc.and_(keep, pc.fill_null(pc.is_in(articles["outlet"], pa.array(params.outlets, pa.string())), False))
    return keep


@flow(name="akhbar-nightly", log_prints=True)
def nightly(params: RunParameters = RunParameters()) -> dict:
    """Run akhbar once over `params.inputs` into the warehouse under `params.data_dir`."""
    log = run_logger()
    inputs, data_dir, dry_run = params.inputs, params.data_dir, params.dry_run
    settings = get_settings(data_dir=data_dir, batch_size=params.batch_size)
    for name, key in params.fields.items():
        settings.fields.prefer(name, key)
    dedup_cfg = DedupSettings(threshold=params.dedup_threshold)
    started = datetime.now(timezone.utc)
    run_id = new_run_id(started)
    counts: Counter = Counter()

    history = history_task(data_dir, params.full_refresh)
    files, q_discover, manifest = discover(inputs, run_id, history.manifest)
    raw, q_read = read(files, run_id, settings.fields)
    counts["files"] = len(files)
    counts["records_read"] = raw.num_rows + q_read.num_rows + q_discover.num_rows
    raw, q_early, counts["already_in_warehouse"] = _drop_known(raw, _concat([q_discover, q_read], QUARANTINE), history)

    cleaned, boilerplate, quarantined = [], [], [q_early]
    for start in range(0, raw.num_rows, settings.batch_size):
        batch = raw.slice(start, settings.batch_size)
        extracted, removed_html, q_extract = extract(batch, run_id)
        cleaned_batch, removed_text, q_clean = clean(extracted, run_id)
        cleaned.append(cleaned_batch)
        boilerplate += [removed_html, removed_text]
        quarantined += [q_extract, q_clean]
    articles = learned = None
    if cleaned:
        # Lines an outlet repeats are counted over the whole run plus the warehouse's history.
        learned = learn_boilerplate(_concat(cleaned), data_dir, run_id, settings.learned, params.full_refresh)
        boilerplate.append(learned.boilerplate)
        if learned.quarantine.num_rows:   # with their raw payloads, as every quarantined record
            q = learned.quarantine
            quarantined.append(_quarantine_records(raw, dict(zip(q["article_id"].to_pylist(), q["reason"].to_pylist())), run_id, "clean"))
        rows = learned.articles
        articles = _concat([normalize(rows.slice(s, settings.batch_size)) for s in range(0, max(rows.num_rows, 1), settings.batch_size)])
    boilerplate = _concat(boilerplate, BOILERPLATE)
    if articles is not None and (params.since or params.until or params.outlets):
        keep = _in_scope(articles, params)
        counts["outside_scope"] = articles.num_rows - int(pc.sum(keep).as_py() or 0)
        articles = articles.filter(keep)
        boilerplate = boilerplate.filter(pc.is_in(boilerplate["article_id"], articles["article_id"]))

    duplicates, changes = DUPLICATES.empty_table(), CANONICAL_CHANGES.empty_table()
    validations = []
    if articles is not None and articles.num_rows:
        articles, duplicates, sig, changes = dedup(articles, history.dedup, run_id, dedup_cfg)
        # Row-level pass: rows failing a critical row expectation go to quarantine (GE's indices).
        rows_pass = validate({"articles": articles}, settings, run_id, None, "articles_rows")
        validations.append(rows_pass.results_table)
        if rows_pass.bad_rows:
            positions = sorted(rows_pass.bad_rows)
            bad_ids = articles.take(pa.array(positions))["article_id"].to_pylist()
            quarantined.append(_quarantine_records(raw, dict(zip(bad_ids, (rows_pass.bad_rows[p] for p in positions))), run_id, "validate"))
            bad = pa.array(bad_ids, pa.string())
            keep = pc.invert(pc.is_in(articles["article_id"], bad))
            articles, sig = articles.filter(keep), sig[keep.to_numpy(zero_copy_only=False)]
            boilerplate = boilerplate.filter(pc.invert(pc.is_in(boilerplate["article_id"], bad)))
            # Canonicals may have gone: choose again among the survivors.
            articles, duplicates, sig, changes = dedup(articles, history.dedup, run_id, dedup_cfg, sig=sig)

    quarantine = _concat(quarantined, QUARANTINE)
    # Gate: every table as it would be published; Data Docs under DIR/reports/<run_id>/.
    signatures = signature_table(articles, sig, run_id, dedup_cfg) if articles is not None and articles.num_rows else None
    lines = learned.lines_for(articles["article_id"].to_pylist()) if signatures is not None else None
    final = validate({"articles": articles if articles is not None else ARTICLES.empty_table(), "boilerplate": boilerplate,
                      "duplicates": duplicates, "quarantine": quarantine, "signatures": signatures,
                      "manifest": manifest, "canonical_changes": changes, "lines": lines}, settings, run_id,
                     str(Path(data_dir).resolve() / "reports" / run_id))
    prune_reports(Path(data_dir).resolve() / "reports", settings.reports_keep)
    validations.append(final.results_table)
    validation = _concat(validations, VALIDATION_RESULTS)
    if final.gate_failures:
        raise ValidationGateError("validation gate failed, nothing published: " + "; ".join(final.gate_failures))
    this_run = set(articles["article_id"].to_pylist()) if articles is not None else set()
    methods = Counter(m for a, m in zip(duplicates["article_id"].to_pylist(), duplicates["method"].to_pylist()) if a in this_run)
    counts.update(
        articles_clean=len(this_run) - sum(methods.values()),
        duplicates_exact=methods["exact"],
        duplicates_near=methods["near"],
        canonical_changes=changes.num_rows,
        quarantined=quarantine.num_rows,
        boilerplate_spans=boilerplate.num_rows,
    )
    for stage, n in Counter(quarantine["stage"].to_pylist()).items():
        counts[f"quarantined_{stage}"] = n
    for cat, n in Counter(boilerplate["category"].to_pylist()).items():
        counts[f"boilerplate_{cat}"] = n
    accounted = (counts["articles_clean"] + counts["duplicates_exact"] + counts["duplicates_near"] + counts["quarantined"]
                 + counts["already_in_warehouse"] + counts["outside_scope"])
    if accounted != counts["records_read"]:
        raise RuntimeError(f"record accounting does not balance: read {counts['records_read']}, accounted {accounted}")

    parameters = params.model_dump(mode="json")
    summary = {"run_id": run_id, **dict(counts), "data_docs": final.docs_index}
    if dry_run:
        log.info("dry run: validated, nothing published: %s", json.dumps(summary, ensure_ascii=False))
        publish_run_report(summary, {}, validation, data_dir)
        return summary
    runs = pa.Table.from_pylist([{
        "run_id": run_id, "flow_run_id": str(flow_run.id) if flow_run.id else None, "started_at": started,
        "finished_at": datetime.now(timezone.utc), "status": "published",
        "parameters": json.dumps(parameters, ensure_ascii=False), "counts": json.dumps(dict(counts), ensure_ascii=False),
    }], schema=RUNS)
    tables = {"boilerplate": boilerplate, "duplicates": duplicates, "quarantine": quarantine, "runs": runs,
              "canonical_changes": changes, "manifest": manifest}
    if articles is not None and articles.num_rows:
        tables["articles"] = articles.append_column("run_id", pa.array([run_id] * articles.num_rows, pa.string()))
        tables["signatures"] = signatures
        tables["lines"] = lines
    if validation.num_rows:
        tables["validation_results"] = validation
    publish(data_dir, run_id, tables, params.full_refresh)
    log.info("run %s published: %s", run_id, json.dumps(dict(counts), ensure_ascii=False))
    publish_run_report(summary, tables, validation, data_dir)
    return summary
