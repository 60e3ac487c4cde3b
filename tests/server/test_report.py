"""The run report's content, from the run's counters and small lists (no Prefect): counts per
outlet add up, the markdown lists failed expectations, frequent boilerplate and the largest
cluster, and a broken input is logged, never raised."""

from __future__ import annotations

import logging
from collections import Counter

import pyarrow as pa
from akhbar.flows.report import RunReport, count_rows, publish_run_report, report_markdown
from akhbar.schemas.tables import VALIDATION_RESULTS

SUMMARY = {
    "run_id": "r1",
    "records_read": 5,
    "articles_clean": 2,
    "duplicates_exact": 1,
    "duplicates_near": 1,
    "quarantined": 1,
    "quarantined_read": 1,
    "already_in_warehouse": 0,
    "boilerplate_spans": 4,
    "boilerplate_ad": 3,
    "boilerplate_share": 1,
}


def report(validation=None, published=True, data_dir="nowhere") -> RunReport:
    """What the ledger counted for a run of four published articles (outlets x and y) and the
    lists the pipeline hands the report (tasks/ledger.py, flows/pipeline.py)."""
    by_outlet = {
        "x": Counter(published=2, articles_clean=2, boilerplate_ad=1),
        "y": Counter(published=2, duplicates_exact=1, duplicates_near=1, boilerplate_ad=2, boilerplate_share=1),
    }
    top = [
        {"text": "[ad_1]", "category": "ad", "times": 2, "total": 4, "distinct": 3},
        {"text": "شارك المقال", "category": "share", "times": 1, "total": 4, "distinct": 3},
    ]
    clusters = [
        {
            "cluster_id": "c1",
            "size": 3,
            "members": [
                {"cluster_id": "c1", "title": "عنوان أول", "outlet": "x", "is_canonical": True},
                {"cluster_id": "c1", "title": "عنوان | ثان", "outlet": "y", "is_canonical": False},
                {"cluster_id": "c1", "title": "عنوان ثالث", "outlet": "y", "is_canonical": False},
            ],
        }
    ]
    return RunReport(SUMMARY, by_outlet, top, clusters, validation, data_dir, published)


VALIDATION = pa.Table.from_pylist(
    [
        {
            "run_id": "r1",
            "suite": "articles",
            "expectation": "expect_column_values_to_not_be_null",
            "column": "title",
            "severity": "warning",
            "success": False,
            "unexpected_count": 1,
            "observed_value": None,
        },
        {
            "run_id": "r1",
            "suite": "articles",
            "expectation": "expect_column_values_to_be_unique",
            "column": "article_id",
            "severity": "critical",
            "success": True,
            "unexpected_count": 0,
            "observed_value": None,
        },
    ],
    schema=VALIDATION_RESULTS,
)


def test_counts_per_outlet_add_up_to_the_run():
    total, *outlets = count_rows(SUMMARY, report().by_outlet)
    assert total["outlet"] == "(all outlets)" and total["read"] == 5 and total["published"] == 4
    assert total["boilerplate_ad"] == 3 and total["quarantined_read"] == 1
    by_outlet = {r["outlet"]: r for r in outlets}
    assert (
        by_outlet["y"]["duplicates_exact"] == 1
        and by_outlet["y"]["duplicates_near"] == 1
        and by_outlet["y"]["cleaned"] == 0
    )
    assert by_outlet["x"]["cleaned"] == 2
    for key in (
        "published",
        "boilerplate_removed",
        "boilerplate_ad",
        "boilerplate_share",
        "duplicates_exact",
        "duplicates_near",
    ):
        assert sum(r[key] for r in outlets) == total[key], key
    assert all(set(r) == set(total) for r in outlets)


def test_markdown_lists_failures_boilerplate_and_clusters(tmp_path):
    md = report_markdown(report(VALIDATION, data_dir=str(tmp_path)))
    assert "1 of 2 expectations failed (1 warning)" in md
    assert "| articles | expect_column_values_to_not_be_null | title | warning | False | 1 |" in md
    assert "expect_column_values_to_be_unique" not in md  # passed expectations are not listed
    assert "| 2 | ad | [ad_1] |" in md and "| 1 | share | شارك المقال |" in md
    assert "| 3 | `c1` | عنوان أول | عنوان \\| ثان / عنوان ثالث | x, y |" in md
    assert "`c2`" not in md  # a story with one copy is no cluster
    assert str(tmp_path / "warehouse.duckdb") in md


def test_dry_run_report_without_tables(tmp_path):
    md = report_markdown(RunReport(SUMMARY, {}, [], [], None, str(tmp_path), published=False))
    assert "**Not published** (dry run)" in md and "No expectations ran" in md
    assert count_rows(SUMMARY, {})[0]["published"] == 0


def test_a_broken_report_is_a_warning_not_a_failure(caplog):
    with caplog.at_level(logging.WARNING, logger="akhbar"):
        publish_run_report(None)  # type: ignore[arg-type]
    assert "run report not published" in caplog.text
