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
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow as pa

from tasks.base import run_logger
from tasks.publish import warehouse_path

COUNTS_KEY = "akhbar-run-counts"
REPORT_KEY = "akhbar-run-report"
TOP_BOILERPLATE = 10
TOP_CLUSTERS = 5


def publish_run_report(summary: dict, tables: dict[str, pa.Table], validation: pa.Table | None, data_dir: str) -> None:
    """Create the table and markdown artifacts of this flow run from what the run computed."""
    try:
        from prefect.artifacts import create_markdown_artifact, create_table_artifact

        run_id = summary.get("run_id", "?")
        create_table_artifact(count_rows(summary, tables), key=COUNTS_KEY,
                              description=f"akhbar run {run_id}: records per stage, for the run and per outlet "
                                          "(per-outlet rows count published articles; quarantined records have no outlet)")
        create_markdown_artifact(report_markdown(summary, tables, validation, data_dir), key=REPORT_KEY,
                                 description=f"akhbar run {run_id}: validation, boilerplate, duplicates, where to look")
    except Exception as exc:  # the run's work is done; its report must not undo that
        run_logger().warning("run report not published: %s: %s", type(exc).__name__, exc)


def _count_by_outlet(table, column: str, outlet_of: dict[str, str]) -> dict[str, Counter]:
    """outlet -> Counter of `column` values, over the rows of `table` whose article is in `outlet_of`."""
    counts: dict[str, Counter] = defaultdict(Counter)
    if table is not None:
        for aid, value in zip(table["article_id"].to_pylist(), table[column].to_pylist()):
            if aid in outlet_of:
                counts[outlet_of[aid]][value] += 1
    return counts


def count_rows(summary: dict, tables: dict[str, pa.Table]) -> list[dict]:
    """One row for the whole run (from the summary), then one per outlet of the published articles."""
    categories = sorted(k.removeprefix("boilerplate_") for k in summary
                        if k.startswith("boilerplate_") and k != "boilerplate_spans")
    stages = sorted(k for k in summary if k.startswith("quarantined_"))
    articles = tables.get("articles")
    total = {
        "outlet": "(all outlets)",
        "read": summary.get("records_read", 0),
        "cleaned": summary.get("articles_clean", 0),
        "boilerplate_removed": summary.get("boilerplate_spans", 0),
        **{f"boilerplate_{c}": summary[f"boilerplate_{c}"] for c in categories},
        "duplicates_exact": summary.get("duplicates_exact", 0),
        "duplicates_near": summary.get("duplicates_near", 0),
        "quarantined": summary.get("quarantined", 0),
        **{s: summary[s] for s in stages},
        "already_in_warehouse": summary.get("already_in_warehouse", 0),
        "outside_scope": summary.get("outside_scope", 0),
        "published": articles.num_rows if articles is not None else 0,
    }
    if articles is None or not articles.num_rows:
        return [total]

    outlet_of = dict(zip(articles["article_id"].to_pylist(), (o or "(unknown)" for o in articles["outlet"].to_pylist())))
    published = Counter(outlet_of.values())
    copies = _count_by_outlet(tables.get("duplicates"), "method", outlet_of)        # outlet -> method -> copies
    removed = _count_by_outlet(tables.get("boilerplate"), "category", outlet_of)    # outlet -> category -> spans

    rows = [total]
    for outlet, n in sorted(published.items(), key=lambda kv: (-kv[1], kv[0])):
        rows.append({
            "outlet": outlet,
            "read": None,
            "cleaned": n - copies[outlet]["exact"] - copies[outlet]["near"],
            "boilerplate_removed": sum(removed[outlet].values()),
            **{f"boilerplate_{c}": removed[outlet][c] for c in categories},
            "duplicates_exact": copies[outlet]["exact"],
            "duplicates_near": copies[outlet]["near"],
            "quarantined": None,
            **{s: None for s in stages},
            "already_in_warehouse": None,
            "outside_scope": None,
            "published": n,
        })
    return rows


def report_markdown(summary: dict, tables: dict[str, pa.Table], validation: pa.Table | None, data_dir: str) -> str:
    articles = tables.get("articles")
    published = articles.num_rows if articles is not None else 0
    quarantine = ", ".join(f"{k.removeprefix('quarantined_')} {v}" for k, v in sorted(summary.items()) if k.startswith("quarantined_"))
    lines = [
        f"# akhbar run `{summary.get('run_id', '?')}`",
        "",
        (f"**Published** {published} articles." if "runs" in tables else "**Not published** (dry run): validated only."),
        "",
        f"Records read {summary.get('records_read', 0)}: clean {summary.get('articles_clean', 0)}, "
        f"duplicates {summary.get('duplicates_exact', 0)} exact and {summary.get('duplicates_near', 0)} near, "
        f"quarantined {summary.get('quarantined', 0)}{f' ({quarantine})' if quarantine else ''}, "
        f"already in the warehouse {summary.get('already_in_warehouse', 0)}, outside the run's scope {summary.get('outside_scope', 0)}; "
        f"{summary.get('boilerplate_spans', 0)} boilerplate spans removed.",
        "",
        *_validation_section(validation),
        *_boilerplate_section(tables.get("boilerplate")),
        *_clusters_section(articles),
        *_paths_section(data_dir, summary.get("data_docs"), "runs" in tables),
    ]
    return "\n".join(lines) + "\n"


def _validation_section(validation: pa.Table | None) -> list[str]:
    out = ["## Validation", ""]
    if validation is None or not validation.num_rows:
        return out + ["No expectations ran (no articles reached validation).", ""]
    rows = validation.to_pylist()
    failed = sorted((r for r in rows if not r["success"]),
                    key=lambda r: (r["severity"] != "critical", r["suite"] or "", r["expectation"] or "", r["column"] or ""))
    if not failed:
        return out + [f"Passed: all {len(rows)} expectations met.", ""]
    by_severity = Counter(r["severity"] for r in failed)
    out += [f"{len(failed)} of {len(rows)} expectations failed ("
            + ", ".join(f"{n} {s}" for s, n in sorted(by_severity.items())) + "). "
            "Critical row-level failures were quarantined; a critical batch-level failure stops a run before it publishes.",
            "", "| suite | expectation | column | severity | success | unexpected |", "| --- | --- | --- | --- | --- | ---: |"]
    for r in failed:
        out.append(f"| {_cell(r['suite'])} | {_cell(r['expectation'])} | {_cell(r['column'])} | {_cell(r['severity'])} "
                   f"| {r['success']} | {'' if r['unexpected_count'] is None else r['unexpected_count']} |")
    return out + [""]


def _boilerplate_section(boilerplate: pa.Table | None) -> list[str]:
    out = ["## Boilerplate removed most often", ""]
    if boilerplate is None or not boilerplate.num_rows:
        return out + ["None removed in this run." if boilerplate is not None else "Not listed: a dry run publishes no tables.", ""]
    texts = Counter()
    categories: dict[str, Counter] = defaultdict(Counter)
    for text, category in zip(boilerplate["text"].to_pylist(), boilerplate["category"].to_pylist()):
        key = _one_line(text)
        texts[key] += 1
        categories[key][category] += 1
    out += [f"{boilerplate.num_rows} spans, {len(texts)} distinct; the {min(TOP_BOILERPLATE, len(texts))} most frequent:", "",
            "| times | category | text |", "| ---: | --- | --- |"]
    for text, n in texts.most_common(TOP_BOILERPLATE):
        out.append(f"| {n} | {categories[text].most_common(1)[0][0]} | {_cell(text, 120)} |")
    return out + [""]


def _clusters_section(articles: pa.Table | None) -> list[str]:
    out = ["## Largest duplicate clusters", ""]
    if articles is None or not articles.num_rows:
        return out + ["No articles published in this run.", ""]
    sizes = Counter(c for c in articles["cluster_id"].to_pylist() if c)
    largest = [(c, n) for c, n in sizes.most_common(TOP_CLUSTERS) if n > 1]
    if not largest:
        return out + ["No story has more than one copy in this run.", ""]
    members: dict[str, list[dict]] = defaultdict(list)
    wanted = {c for c, _ in largest}
    for row in articles.select(["cluster_id", "title", "outlet", "is_canonical"]).to_pylist():
        if row["cluster_id"] in wanted:
            members[row["cluster_id"]].append(row)
    out += ["| articles | cluster | canonical title | other titles | outlets |", "| ---: | --- | --- | --- | --- |"]
    for cluster, n in largest:
        rows = sorted(members[cluster], key=lambda r: not r["is_canonical"])
        canonical = rows[0]["title"] if rows[0]["is_canonical"] else None
        others = list(dict.fromkeys(r["title"] for r in rows if r["title"] and r["title"] != canonical))
        outlets = sorted({r["outlet"] or "(unknown)" for r in rows})
        out.append(f"| {n} | `{cluster}` | {_cell(canonical or '(no title)', 90)} | "
                   f"{_cell(' / '.join(others[:3]) + (' …' if len(others) > 3 else ''), 150)} | {_cell(', '.join(outlets), 80)} |")
    return out + [""]


def _paths_section(data_dir: str, data_docs: str | None, published: bool) -> list[str]:
    warehouse = warehouse_path(Path(data_dir))
    docs = Path(data_docs) if data_docs else warehouse.parent / "reports"
    out = ["## Where to look", ""]
    out.append(f"- Warehouse: `{warehouse}`" + ("" if published or warehouse.exists() else " (not written yet)")
               + f" — e.g. `akhbar summary --data-dir {warehouse.parent}`")
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
