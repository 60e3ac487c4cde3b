"""Validate: the Great Expectations suites in `schemas/suites.py`, in two passes.

* rows (`rows_stage`, every partition, before dedup): the checks that need an article's text; the
  rows GE reports as unexpected go to quarantine with the expectations they failed.
* gate (`validate_tables`, once per run): every table the run would publish, on column projections
  read from staging (no article text); a critical failure raises `ValidationGateError` so nothing is
  published; warnings are recorded. The gate renders the run's Data Docs.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from akhbar.schemas.tables import VALIDATION_RESULTS
from akhbar.tasks.base import StageResult, drop_positions, quarantine_rows
from akhbar.tasks.clean import marker_regex

from akhbar.settings import Settings

DOCS_SITE = "akhbar"


class ValidationGateError(RuntimeError):
    """A critical batch-level expectation failed: the run must not publish."""


@dataclass
class ValidationOutcome:
    results: list[dict] = field(default_factory=list)  # rows of VALIDATION_RESULTS
    bad_rows: dict[int, str] = field(default_factory=dict)  # row index -> reason (row-level critical)
    gate_failures: list[str] = field(default_factory=list)  # batch-level critical failures
    docs_index: str | None = None  # Data Docs page of this validation

    @property
    def results_table(self) -> pa.Table:
        return pa.Table.from_pylist(self.results, schema=VALIDATION_RESULTS)


def _gx():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx

    # this module sets its own logger to INFO at import, to say it made a temp dir for an ephemeral
    # docs site on every checkpoint: noise in every log
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    return gx


def _context(gx, docs_dir: Path | None):
    ctx = gx.get_context(mode="ephemeral")
    try:
        ctx.variables.progress_bars = {"globally": False}
    except Exception:
        pass
    if docs_dir is not None:
        docs_dir.mkdir(parents=True, exist_ok=True)
        ctx.add_data_docs_site(
            site_name=DOCS_SITE,
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
                # no "how to" buttons: links to GE's online guides, of no use to akhbar's readers
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "show_how_to_buttons": False},
            },
        )
    return ctx


def _run_suite(gx, ctx, name: str, df, suite, run_id: str, outcome: ValidationOutcome, docs: bool, checkpoint=None):
    """Validate `df` through a checkpoint (its results kept for the Data Docs, built once per gate), and
    return the checkpoint so a caller can run it again on another frame. GE's unexpected indices
    are `df`'s index labels, i.e. row positions in the batch."""
    if checkpoint is None:
        asset = ctx.data_sources.add_pandas(f"{name}_source").add_dataframe_asset(name)
        batch_def = asset.add_batch_definition_whole_dataframe(f"{name}_batch")
        suite = ctx.suites.add(suite)
        vd = ctx.validation_definitions.add(
            gx.ValidationDefinition(name=f"{name}_validation", data=batch_def, suite=suite)
        )
        # no docs action: it rebuilds the whole site after every suite (most of the gate's time, jinja
        # compiling the same templates again); validate_tables builds the site once, after the last suite
        actions = []
        result_format = {"result_format": "COMPLETE"}
        if docs and "article_id" in df.columns:
            # the docs list failing rows by article_id (GE's default is the frame's row position)
            result_format["unexpected_index_column_names"] = ["article_id"]
        checkpoint = ctx.checkpoints.add(
            gx.Checkpoint(
                name=f"{name}_{run_id}",
                validation_definitions=[vd],
                actions=actions,
                result_format=result_format,
            )
        )
    else:
        # a run leaves the suite marked changed (GE's freshness check then refuses the next run):
        # saved again, it runs on this batch too
        for definition in checkpoint.validation_definitions:
            definition.suite.save()
    from great_expectations.core.run_identifier import RunIdentifier

    # run_name: the docs' "Run Name" is akhbar's run id (GE's default is "__none__")
    run = checkpoint.run(batch_parameters={"dataframe": df}, run_id=RunIdentifier(run_name=run_id))
    res = next(iter(run.run_results.values()))
    for r in res.results:
        cfg = r.expectation_config
        severity, level = cfg.meta.get("severity", "warning"), cfg.meta.get("level", "row")
        column = (
            cfg.kwargs.get("column")
            or ",".join(
                cfg.kwargs.get("column_list")
                or [c for c in (cfg.kwargs.get("column_A"), cfg.kwargs.get("column_B")) if c]
            )
            or None
        )
        unexpected = r.result.get("unexpected_count")
        observed = r.result.get("observed_value")
        if r.exception_info and r.exception_info.get("raised_exception"):
            success, observed = False, r.exception_info.get("exception_message")
        else:
            success = bool(r.success)
        outcome.results.append(
            {
                "run_id": run_id,
                "suite": name,
                "expectation": cfg.type,
                "column": column,
                "severity": severity,
                "success": success,
                "unexpected_count": unexpected,
                "observed_value": None
                if observed is None
                else json.dumps(observed, ensure_ascii=False, default=str)[:500],
            }
        )
        if success or severity != "critical":
            continue
        label = f"{cfg.type}({column})" if column else cfg.type
        if level == "row" and r.result.get("unexpected_index_list") is not None:
            for i in _positions(r.result["unexpected_index_list"], df):
                prior = outcome.bad_rows.get(i)
                outcome.bad_rows[i] = f"{prior}; {label} failed" if prior else f"validation: {label} failed"
        else:
            outcome.gate_failures.append(f"{name}: {label} failed ({unexpected or 0} unexpected)")
    return checkpoint


def _positions(unexpected: list, df) -> list[int]:
    """Row positions of GE's unexpected rows: the frame's index labels (positions), or, where the
    result names rows by article_id, every position holding that id."""
    if not unexpected or not isinstance(unexpected[0], dict):
        return [int(i) for i in unexpected]
    ids = {row["article_id"] for row in unexpected}
    return [i for i, a in enumerate(df["article_id"]) if a in ids]


def _frame(table: pa.Table):
    """pandas view of a table for GE: `keywords` becomes JSON text (`keywords_json`), other list
    columns (signatures) are left out: no expectation reads them."""
    lists = [f.name for f in table.schema if pa.types.is_list(f.type)]
    df = table.drop_columns(lists).to_pandas()
    if "keywords" in lists:
        df["keywords_json"] = [
            json.dumps(v, ensure_ascii=False, separators=(",", ":")) for v in table["keywords"].to_pylist()
        ]
    return df


class RowChecker:
    """The row suite, set up once per process (a GE context and checkpoint cost seconds), run on
    every partition with that partition's frame."""

    def __init__(self, settings: Settings) -> None:
        from akhbar.schemas import suites

        self.gx = _gx()
        self.ctx = _context(self.gx, None)
        self.suite = suites.articles_rows_suite(self.gx, settings, marker_regex())
        self.checkpoint = None

    def check(self, batch: pa.Table, run_id: str) -> ValidationOutcome:
        outcome = ValidationOutcome()
        if batch.num_rows:
            df = _frame(batch.select([c for c in ROW_COLUMNS if c in batch.column_names]))
            self.checkpoint = _run_suite(
                self.gx, self.ctx, "articles_rows", df, self.suite, run_id, outcome, False, checkpoint=self.checkpoint
            )
        return outcome


# What the row suite reads of an article.
ROW_COLUMNS = ("article_id", "outlet", "body", "word_count")
# What the gate reads of an article: a projection without the text.
GATE_COLUMNS = (
    "article_id",
    "outlet",
    "title",
    "published_at",
    "keywords",
    "word_count",
    "arabic_ratio",
    "content_hash",
    "cluster_id",
    "is_canonical",
)


def rows_stage(batch: pa.Table, checker: RowChecker, run_id: str) -> StageResult:
    """ARTICLE -> ARTICLE less the rows failing a critical row expectation (quarantined, stage
    "validate"); the partition's expectation results are the side table "validation"."""
    outcome = checker.check(batch, run_id)
    positions = sorted(outcome.bad_rows)
    result = StageResult(
        drop_positions(batch, positions),
        quarantined=quarantine_rows(batch, positions, [outcome.bad_rows[p] for p in positions], run_id, "validate"),
    )
    result.tables["validation"] = outcome.results_table
    return result


def merge_results(parts: list[pa.Table]) -> pa.Table:
    """One result per expectation over every partition's results: failed if any partition failed,
    unexpected counts added up."""
    return pa.Table.from_pylist(_merged([r for part in parts for r in part.to_pylist()]), schema=VALIDATION_RESULTS)


def _merged(results: list[dict]) -> list[dict]:
    """Results of one expectation on several batches (partitions, shards) as one."""
    merged: dict[tuple, dict] = {}
    for r in results:
        key = (r["suite"], r["expectation"], r["column"], r["severity"])
        if key not in merged:
            merged[key] = dict(r)
            continue
        m = merged[key]
        m["success"] = m["success"] and r["success"]
        if r["unexpected_count"] is not None:
            m["unexpected_count"] = (m["unexpected_count"] or 0) + r["unexpected_count"]
        m["observed_value"] = m["observed_value"] if r["observed_value"] is None else r["observed_value"]
    return list(merged.values())


def validate_tables(
    tables: Mapping[str, pa.Table], settings: Settings, run_id: str, docs_dir: Path | None = None
) -> ValidationOutcome:
    """The gate: each published table's suite (schemas/suites.py) on this run's rows (projections
    are enough: no suite reads article text). Everything critical closes the gate. `tables` may
    hand each table over only when asked (flows/pipeline.py: GateTables), so one is in memory at a time."""
    outcome = ValidationOutcome()
    if not tables:
        return outcome  # nothing new this run: no suite to run, no GE import
    gx = _gx()
    from akhbar.schemas import suites
    from akhbar.tasks.clean import default_rules

    ctx = _context(gx, docs_dir)
    docs = docs_dir is not None
    # the canonical rows' suite holds content_hash unique: their shards go by it, not by article_id
    for name, make, shards in (
        ("articles", lambda: suites.articles_suite(gx, settings), _shards(tables, "articles")),
        ("articles_canonical", lambda: suites.canonical_suite(gx), _shards(tables, "articles", canonical=True)),
    ):
        checkpoint = None
        for t in shards:
            if t.num_rows:
                df = _frame(t.select([c for c in GATE_COLUMNS if c in t.column_names]))
                checkpoint = _run_suite(gx, ctx, name, df, make(), run_id, outcome, docs, checkpoint)
    categories = sorted(
        {r.category for r in default_rules().rules}
        | {
            "repeated",
            "markup",
            "title",
            "outside",
            "hidden",
            "nav",
            "header",
            "footer",
            "aside",
            "form",
            "ad",
            "share",
            "social",
            "comment",
            "related",
            "newsletter",
            "breadcrumbs",
            "tags",
            "byline",
            "popup",
            "button",
        }
    )
    others = {
        "boilerplate": lambda: suites.boilerplate_suite(gx, categories),
        "duplicates": lambda: suites.duplicates_suite(gx),
        "quarantine": lambda: suites.quarantine_suite(gx),
        "signatures": lambda: suites.signatures_suite(gx),
        "manifest": lambda: suites.manifest_suite(gx),
        "canonical_changes": lambda: suites.canonical_changes_suite(gx),
        "lines": lambda: suites.lines_suite(gx),
    }
    for name, make in others.items():
        checkpoint = None  # set up on the first shard, run again on the others
        for t in _shards(tables, name):
            if t.num_rows:
                checkpoint = _run_suite(gx, ctx, name, _frame(t), make(), run_id, outcome, docs, checkpoint)
    outcome.results = _merged(outcome.results)  # a sharded suite's results, one per expectation
    if docs:
        from akhbar.tasks import data_docs

        ctx.build_data_docs(site_names=[DOCS_SITE])
        data_docs.write_counts(docs_dir, outcome.results)
        data_docs.finalize(docs_dir, docs_dir.parent)
        outcome.docs_index = str(docs_dir / "index.html")
    return outcome


def _shards(tables: Mapping[str, pa.Table], name: str, canonical: bool = False):
    """A table in the shards its source hands it over in (flows/pipeline.py: GateTables.shards), or
    whole; `canonical`: the canonical articles only, by content hash. Every check of a sharded suite
    holds per shard (the articles' mean Arabic ratio: per shard, each a hash-random part of the run);
    their results are merged per expectation."""
    shards = getattr(tables, "shards", None)
    if shards is not None:
        yield from shards(name, canonical=canonical)
        return
    t = tables.get(name)
    if t is not None:
        yield t.filter(t["is_canonical"]) if canonical else t


def prune_reports(reports: Path, keep: int) -> None:
    """Keep the Data Docs of the newest `keep` runs (run ids sort by time), then list them in
    reports/index.html. The shared static folder is no run."""
    if not reports.exists():
        return
    import shutil

    from akhbar.tasks import data_docs

    runs = data_docs.run_dirs(reports)
    for old in runs[: max(0, len(runs) - keep)]:
        shutil.rmtree(old, ignore_errors=True)
    for run in runs[max(0, len(runs) - keep) :]:
        if (run / data_docs.STATIC).is_dir():  # docs of a run before offline docs: made offline once
            data_docs.finalize(run, reports)
    data_docs.write_index(reports)
