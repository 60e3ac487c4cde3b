"""Validation: the row pass (per partition) quarantines exactly the bad rows (GE's unexpected
indices), with their raw payloads; the gate's batch-level critical failures close it, warnings
never block."""

from __future__ import annotations

from datetime import datetime, timezone

import pyarrow as pa
from akhbar.tasks.normalize import normalize_batch
from akhbar.tasks.validate import RowChecker, rows_stage, validate_tables

from akhbar.settings import Settings

BODY = (
    "قال مسؤولون في وزارة الزراعة إن موسم الحصاد هذا العام جاء أفضل من المتوقع بفضل الأمطار الغزيرة "
    "التي هطلت خلال الشتاء، وأضافوا أن إنتاج القمح ارتفع بنحو عشرين في المئة مقارنة بالعام الماضي، "
    "فيما تستعد الوزارة لتخزين الفائض في الصوامع الجديدة التي افتتحت الشهر الماضي."
)


def batch(rows: list[dict]) -> pa.Table:
    base = {
        "source_id": None,
        "source_uri": "x",
        "outlet": "o",
        "url": None,
        "title": "عنوان",
        "author": None,
        "keywords": [],
        "category": None,
        "source_credit": None,
        "agency": None,
        "dateline": None,
        "published_at": datetime(2024, 5, 1, tzinfo=timezone.utc),
    }
    t = normalize_batch(
        pa.Table.from_pylist([{**base, "raw_payload": f"payload of {r['article_id']}", **r} for r in rows])
    )
    t = t.append_column("cluster_id", pa.array([r["article_id"] for r in rows]))
    return t.append_column("is_canonical", pa.array([r.get("is_canonical", True) for r in rows]))


def test_row_level_failures_are_the_rows_ge_reports():
    t = batch(
        [
            {"article_id": "good", "body": BODY},
            {"article_id": "short", "body": "خبر قصير جدا."},
            {"article_id": "leftover", "body": BODY + "\n[ad_1]\nفقرة أخرى تكمل الخبر بعد الإعلان."},
            {"article_id": "no-outlet", "body": BODY + " إضافة", "outlet": None},
        ]
    )
    checker = RowChecker(Settings())
    out = checker.check(t, "r1")
    assert out.gate_failures == []
    assert sorted(out.bad_rows) == [1, 2, 3]
    assert (
        "word_count" in out.bad_rows[1] and "not_match_regex(body)" in out.bad_rows[2] and "outlet" in out.bad_rows[3]
    )
    by = {(r["expectation"], r["column"]): r for r in out.results}
    assert by[("expect_column_values_to_be_between", "word_count")]["unexpected_count"] == 1
    assert all(r["severity"] == "critical" for r in out.results)
    # the stage: the bad rows leave the batch for quarantine, with their raw payloads
    result = rows_stage(t, checker, "r1")
    assert result.kept["article_id"].to_pylist() == ["good"]
    q = result.quarantined.to_pylist()
    assert [(r["article_id"], r["stage"], r["raw_payload"]) for r in q] == [
        ("short", "validate", "payload of short"),
        ("leftover", "validate", "payload of leftover"),
        ("no-outlet", "validate", "payload of no-outlet"),
    ]
    # the same checker runs again on the next partition (GE set up once per process)
    again = checker.check(t.slice(0, 2), "r1")
    assert sorted(again.bad_rows) == [1]


def test_keywords_must_be_well_formed_strings():
    t = batch(
        [
            {"article_id": "ok", "body": BODY, "keywords": ["اقتصاد", "زراعة"]},
            {"article_id": "bad", "body": BODY + " إضافة", "keywords": ["اقتصاد", " زراعة"]},
        ]
    )
    out = validate_tables({"articles": t}, Settings(), "r1")
    kw = [r for r in out.results if r["column"] == "keywords_json"][0]
    assert (kw["column"], kw["severity"], kw["success"], kw["unexpected_count"]) == (
        "keywords_json",
        "warning",
        False,
        1,
    )
    assert out.bad_rows == {} and out.gate_failures == []


def test_batch_level_failure_closes_the_gate_and_warnings_do_not():
    t = batch(
        [
            {"article_id": "same", "body": BODY},
            {"article_id": "same", "body": BODY + " وقال الوزير إن الحكومة ستدعم المزارعين."},
            {
                "article_id": "english",
                "body": "This is an English article body with enough words to pass the word count "
                "check but not the Arabic script ratio check that the suite applies as a warning.",
            },
        ]
    )
    out = validate_tables({"articles": t}, Settings(), "r1")
    assert len(out.gate_failures) == 1 and "expect_column_values_to_be_unique(article_id)" in out.gate_failures[0]
    warning = [
        r
        for r in out.results
        if r["column"] == "arabic_ratio" and r["expectation"] == "expect_column_values_to_be_between"
    ][0]
    assert warning["severity"] == "warning" and not warning["success"]
    mean = [r for r in out.results if r["expectation"] == "expect_column_mean_to_be_between"][0]
    assert mean["severity"] == "critical" and mean["success"]  # two of three rows are Arabic: the batch passes
    assert out.bad_rows == {}  # the gate never quarantines rows; a warning never blocks


def test_two_canonicals_with_one_content_hash_close_the_gate():
    t = batch([{"article_id": "a", "body": BODY}, {"article_id": "b", "body": BODY}])
    out = validate_tables({"articles": t}, Settings(), "r1")
    assert any("articles_canonical" in g and "content_hash" in g for g in out.gate_failures)


def test_a_stage_that_raises_on_one_record_quarantines_that_record_only(tmp_path):
    """The ledger runs a stage that raised on its batch again record by record: the record it raises
    on goes to quarantine with the stage and the exception, its neighbours go on."""
    from akhbar.tasks.base import StageResult
    from akhbar.tasks.ledger import PartLedger, Staging

    t = batch(
        [
            {"article_id": "a", "body": BODY},
            {"article_id": "bad", "body": BODY + " x"},
            {"article_id": "c", "body": BODY + " y"},
        ]
    )

    def fragile(b: pa.Table) -> StageResult:
        if "bad" in b["article_id"].to_pylist():
            raise ValueError("cannot handle this record")
        return StageResult(b)

    led = PartLedger(Staging(tmp_path / "r1"), "p00000")
    kept = led.run("normalize", t, fragile)
    assert kept["article_id"].to_pylist() == ["a", "c"]
    assert led.counts["quarantined_clean"] == 1
    import pyarrow.parquet as pq

    (q,) = pq.read_table(led.staging.files("quarantine")).to_pylist()
    assert (q["article_id"], q["stage"], q["run_id"], q["raw_payload"]) == ("bad", "clean", "r1", "payload of bad")
    assert q["reason"] == "normalize failed: ValueError: cannot handle this record"
