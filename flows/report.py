"""The run report: what one run did, as Prefect artifacts on its flow run (the run's Artifacts tab,
and the Artifacts page, where each key keeps one version per run).

    akhbar-run-counts   table: records per stage for the whole run, then per outlet
    akhbar-run-report   markdown: validation outcome and failed expectations, the boilerplate lines
                        removed most often, the largest duplicate clusters, where the warehouse and
                        Data Docs are

A report is a view of the run, never a reason to fail it: any error here is logged as a warning.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from akhbar.tasks.base import run_logger
from akhbar.tasks.publish import warehouse_path
from akhbar.tasks.storage import location, text

COUNTS_KEY = "akhbar-run-counts"
REPORT_KEY = "akhbar-run-report"
TOP_BOILERPLATE = 10
TOP_CLUSTERS = 5


@dataclass
class RunReport:
    """What one run did, from its ledger's counters and a few small lists (never a recount of tables)."""

    summary: dict  # the run's counters (tasks/ledger.py: RunLedger.summary)
    by_outlet: dict[str, Counter]  # per outlet: published, articles_clean, duplicates_*, boilerplate_*
    top_boilerplate: list[dict]  # text, category, times (and total, distinct over the run)
    largest_clusters: list[dict]  # cluster_id, size, members (title, outlet, is_canonical): copies of one text
    validation: pa.Table | None
    data_dir: str
    published: bool = True
    mappings: dict[str, str] = field(default_factory=dict)  # JSON input file -> its field mapping
    largest_stories: list[dict] = field(default_factory=list)  # the same shape: articles reporting one event


def publish_run_report(report: RunReport) -> None:
    """Create the table and markdown artifacts of this flow run from what the run counted."""
    try:
        from prefect.artifacts import create_markdown_artifact, create_table_artifact

        run_id = report.summary.get("run_id", "?")
        create_table_artifact(
            count_rows(report.summary, report.by_outlet),
            key=COUNTS_KEY,
            description=f"akhbar run {run_id}: records per stage, for the run and per outlet "
            "(per-outlet rows count published articles; quarantined records have no outlet)",
        )
        create_markdown_artifact(
            report_markdown(report),
            key=REPORT_KEY,
            description=f"akhbar run {run_id}: validation, boilerplate, duplicates, where to look",
        )
    except Exception as exc:  # the run's work is done; its report must not undo that
        run_logger().warning("run report not published: %s: %s", type(exc).__name__, exc)


def count_rows(summary: dict, by_outlet: dict[str, Counter]) -> list[dict]:
    """One row for the whole run (from the summary), then one per outlet of the published articles."""
    categories = sorted(
        {k.removeprefix("boilerplate_") for k in summary if k.startswith("boilerplate_") and k != "boilerplate_spans"}
        | {k.removeprefix("boilerplate_") for c in by_outlet.values() for k in c if k.startswith("boilerplate_")}
    )
    stages = sorted(k for k in summary if k.startswith("quarantined_"))
    published = sum(c["published"] for c in by_outlet.values())
    total = {
        "outlet": "(all outlets)",
        "read": summary.get("records_read", 0),
        "cleaned": summary.get("articles_clean", 0),
        "boilerplate_removed": summary.get("boilerplate_spans", 0),
        **{f"boilerplate_{c}": summary.get(f"boilerplate_{c}", 0) for c in categories},
        "duplicates_exact": summary.get("duplicates_exact", 0),
        "duplicates_near": summary.get("duplicates_near", 0),
        "quarantined": summary.get("quarantined", 0),
        **{s: summary[s] for s in stages},
        "already_in_warehouse": summary.get("already_in_warehouse", 0),
        "outside_scope": summary.get("outside_scope", 0),
        "published": published,
    }
    rows = [total]
    for outlet, c in sorted(by_outlet.items(), key=lambda kv: (-kv[1]["published"], kv[0])):
        if not c["published"]:
            continue
        rows.append(
            {
                "outlet": outlet,
                "read": None,
                "cleaned": c["articles_clean"],
                "boilerplate_removed": sum(c[f"boilerplate_{k}"] for k in categories),
                **{f"boilerplate_{k}": c[f"boilerplate_{k}"] for k in categories},
                "duplicates_exact": c["duplicates_exact"],
                "duplicates_near": c["duplicates_near"],
                "quarantined": None,
                **{s: None for s in stages},
                "already_in_warehouse": None,
                "outside_scope": None,
                "published": c["published"],
            }
        )
    return rows


def report_markdown(report: RunReport) -> str:
    summary = report.summary
    published = sum(c["published"] for c in report.by_outlet.values())
    quarantine = ", ".join(
        f"{k.removeprefix('quarantined_')} {v}" for k, v in sorted(summary.items()) if k.startswith("quarantined_")
    )
    lines = [
        f"# akhbar run `{summary.get('run_id', '?')}`",
        "",
        (
            f"**Published** {published} articles."
            if report.published
            else "**Not published** (dry run): validated only."
        ),
        "",
        f"Records read {summary.get('records_read', 0)}: clean {summary.get('articles_clean', 0)}, "
        f"duplicates {summary.get('duplicates_exact', 0)} exact and {summary.get('duplicates_near', 0)} near, "
        f"quarantined {summary.get('quarantined', 0)}{f' ({quarantine})' if quarantine else ''}, "
        f"already in the warehouse {summary.get('already_in_warehouse', 0)}, outside the run's scope {summary.get('outside_scope', 0)}; "
        f"{summary.get('boilerplate_spans', 0)} boilerplate spans removed.",
        "",
        *_mapping_section(report.mappings),
        *_validation_section(report.validation),
        *_boilerplate_section(report.top_boilerplate),
        *_clusters_section(report.largest_clusters),
        *_clusters_section(
            report.largest_stories,
            "Largest stories (copies and rewrites of one event)",
            "No story was reported by more than one article in this run.",
        ),
        *_paths_section(report.data_dir, summary.get("data_docs"), report.published),
    ]
    return "\n".join(lines) + "\n"


def _validation_section(validation: pa.Table | None) -> list[str]:
    out = ["## Validation", ""]
    if validation is None or not validation.num_rows:
        return out + ["No expectations ran (no articles reached validation).", ""]
    rows = validation.to_pylist()
    failed = sorted(
        (r for r in rows if not r["success"]),
        key=lambda r: (r["severity"] != "critical", r["suite"] or "", r["expectation"] or "", r["column"] or ""),
    )
    if not failed:
        return out + [f"Passed: all {len(rows)} expectations met.", ""]
    by_severity = Counter(r["severity"] for r in failed)
    out += [
        f"{len(failed)} of {len(rows)} expectations failed ("
        + ", ".join(f"{n} {s}" for s, n in sorted(by_severity.items()))
        + "). "
        "Critical row-level failures were quarantined; a critical batch-level failure stops a run before it publishes.",
        "",
        "| suite | expectation | column | severity | success | unexpected |",
        "| --- | --- | --- | --- | --- | ---: |",
    ]
    for r in failed:
        out.append(
            f"| {_cell(r['suite'])} | {_cell(r['expectation'])} | {_cell(r['column'])} | {_cell(r['severity'])} "
            f"| {r['success']} | {'' if r['unexpected_count'] is None else r['unexpected_count']} |"
        )
    return out + [""]


def _mapping_section(mappings: dict[str, str], most: int = 20) -> list[str]:
    """Which JSON key fed which field, per input file (tasks/fields.py), unmapped fields named."""
    if not mappings:
        return []
    out = ["## Field mapping", "", "| file | fields |", "| --- | --- |"]
    for path, described in list(mappings.items())[:most]:
        out.append(f"| {_cell(Path(path).name)} | {_cell(described, 400)} |")
    if len(mappings) > most:
        out.append(f"| … | {len(mappings) - most} more files |")
    return out + [""]


def _boilerplate_section(top: list[dict]) -> list[str]:
    out = ["## Boilerplate removed most often", ""]
    if not top:
        return out + ["None removed in this run.", ""]
    out += [
        f"{top[0]['total']} spans, {top[0]['distinct']} distinct; the {len(top)} most frequent:",
        "",
        "| times | category | text |",
        "| ---: | --- | --- |",
    ]
    for row in top:
        out.append(f"| {row['times']} | {row['category']} | {_cell(row['text'], 120)} |")
    return out + [""]


def _clusters_section(
    largest: list[dict],
    heading: str = "Largest duplicate clusters (copies of one text)",
    none: str = "No story has more than one copy in this run.",
) -> list[str]:
    out = [f"## {heading}", ""]
    if not largest:
        return out + [none, ""]
    out += ["| articles | cluster | canonical title | other titles | outlets |", "| ---: | --- | --- | --- | --- |"]
    for cluster in largest:
        rows = sorted(cluster["members"], key=lambda r: not r["is_canonical"])
        canonical = rows[0]["title"] if rows[0]["is_canonical"] else None
        others = list(dict.fromkeys(r["title"] for r in rows if r["title"] and r["title"] != canonical))
        outlets = sorted({r["outlet"] or "(unknown)" for r in rows})
        out.append(
            f"| {cluster['size']} | `{cluster['cluster_id']}` | {_cell(canonical or '(no title)', 90)} | "
            f"{_cell(' / '.join(others[:3]) + (' …' if len(others) > 3 else ''), 150)} | {_cell(', '.join(outlets), 80)} |"
        )
    return out + [""]


def _paths_section(data_dir: str, data_docs: str | None, published: bool) -> list[str]:
    warehouse = warehouse_path(data_dir)
    docs = Path(data_docs) if data_docs else warehouse.parent / "reports"
    out = ["## Where to look", ""]
    out.append(
        f"- Warehouse: `{warehouse}`"
        + ("" if published or warehouse.exists() else " (not written yet)")
        + f" — e.g. `akhbar summary --data-dir {text(location(data_dir))}`"
    )
    if docs.exists():
        out.append(f"- Great Expectations Data Docs: `{docs}`")
    return out + [""]


def _one_line(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _cell(value, width: int | None = None) -> str:
    """A markdown table cell: one line, pipes escaped, cut to `width` characters."""
    text = _one_line("" if value is None else str(value))
    if width and len(text) > width:
        text = text[: width - 1].rstrip() + "…"
    return text.replace("|", "\\|")
