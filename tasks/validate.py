"""Validate stage: run the Great Expectations suites in `schemas/suites.py` on a batch.

Row-level critical failures quarantine exactly the rows GE reports as unexpected; a batch-level
critical failure raises `ValidationGateError` so nothing is published; warnings are recorded.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field

import pyarrow as pa

from akhbar.settings import Settings
from schemas.tables import VALIDATION_RESULTS
from tasks.base import run_logger, stage_task
from tasks.clean import marker_regex


class ValidationGateError(RuntimeError):
    """A critical batch-level expectation failed: the run must not publish."""


@dataclass
class ValidationOutcome:
    results: list[dict] = field(default_factory=list)          # rows of VALIDATION_RESULTS
    bad_rows: dict[int, str] = field(default_factory=dict)     # row index -> reason (row-level critical)
    gate_failures: list[str] = field(default_factory=list)     # batch-level critical failures

    @property
    def results_table(self) -> pa.Table:
        return pa.Table.from_pylist(self.results, schema=VALIDATION_RESULTS)


def _gx():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx

    return gx


def _run_suite(gx, ctx, name: str, df, suite, run_id: str, outcome: ValidationOutcome) -> None:
    """Validate `df`; GE's unexpected indices are `df`'s index labels, i.e. row positions in the batch."""
    asset = ctx.data_sources.add_pandas(f"{name}_source").add_dataframe_asset(name)
    batch_def = asset.add_batch_definition_whole_dataframe(f"{name}_batch")
    suite = ctx.suites.add(suite)
    vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=f"{name}_validation", data=batch_def, suite=suite))
    res = vd.run(batch_parameters={"dataframe": df}, result_format={"result_format": "COMPLETE"})
    for r in res.results:
        cfg = r.expectation_config
        severity, level = cfg.meta.get("severity", "warning"), cfg.meta.get("level", "row")
        column = cfg.kwargs.get("column")
        unexpected = r.result.get("unexpected_count")
        observed = r.result.get("observed_value")
        if r.exception_info and r.exception_info.get("raised_exception"):
            success, observed = False, r.exception_info.get("exception_message")
        else:
            success = bool(r.success)
        outcome.results.append({
            "run_id": run_id, "suite": name, "expectation": cfg.type, "column": column, "severity": severity,
            "success": success, "unexpected_count": unexpected,
            "observed_value": None if observed is None else json.dumps(observed, ensure_ascii=False, default=str)[:500],
        })
        if success or severity != "critical":
            continue
        label = f"{cfg.type}({column})" if column else cfg.type
        if level == "row" and r.result.get("unexpected_index_list") is not None:
            for i in r.result["unexpected_index_list"]:
                outcome.bad_rows.setdefault(int(i), f"validation: {label} failed")
        else:
            outcome.gate_failures.append(f"{name}: {label} failed ({unexpected or 0} unexpected)")


def validate_articles(articles: pa.Table, settings: Settings, run_id: str) -> ValidationOutcome:
    """Validate the articles batch (all rows) and its canonical rows. Pure apart from GE itself."""
    gx = _gx()
    from schemas.suites import articles_suite, canonical_suite

    outcome = ValidationOutcome()
    if articles.num_rows == 0:
        return outcome
    ctx = gx.get_context(mode="ephemeral")
    try:
        ctx.variables.progress_bars = {"globally": False}
    except Exception:
        pass
    df = articles.drop_columns([c for c in ("keywords",) if c in articles.column_names]).to_pandas()
    _run_suite(gx, ctx, "articles", df, articles_suite(gx, settings, marker_regex()), run_id, outcome)
    canon = df[df["is_canonical"]]
    _run_suite(gx, ctx, "articles_canonical", canon, canonical_suite(gx), run_id, outcome)
    return outcome


@stage_task(name="validate")
def validate(articles: pa.Table, settings: Settings, run_id: str) -> ValidationOutcome:
    outcome = validate_articles(articles, settings, run_id)
    log = run_logger()
    failed = [r for r in outcome.results if not r["success"]]
    for r in failed:
        log.warning("validation %s: %s on %s failed (%s unexpected)", r["severity"], r["expectation"], r["column"], r["unexpected_count"])
    log.info("validate: %d expectations, %d failed, %d rows to quarantine, %d gate failures",
             len(outcome.results), len(failed), len(outcome.bad_rows), len(outcome.gate_failures))
    return outcome
