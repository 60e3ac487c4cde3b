"""Validation: the row pass (per partition) quarantines exactly the bad rows (GE's unexpected
indices), with their raw payloads; the gate's batch-level critical failures close it, warnings
never block."""

from __future__ import annotations

from datetime import datetime, timezone

import pyarrow as pa
from akhbar.schemas.tables import LINES
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


def test_sharded_articles_still_find_a_repeated_id_and_a_repeated_canonical_text(tmp_path, monkeypatch):
    """Read in shards (one row a shard's worth), the articles' suite still sees two rows of one id and
    the canonical suite two canonicals of one text: each suite's shards go by the key it holds unique."""
    import pyarrow.parquet as pq
    from akhbar.flows import pipeline

    monkeypatch.setattr(pipeline, "GATE_SHARD_ROWS", 1)
    other = BODY + " وأكد الوزير أن الصوامع تكفي."
    t = batch(
        [
            {"article_id": "a", "body": BODY},
            {"article_id": "b", "body": BODY},  # a's text, both canonical
            {"article_id": "c", "body": other},
            {"article_id": "c", "body": other + " وختم بالشكر.", "is_canonical": False},  # c again
            {"article_id": "d", "body": other + " خبر آخر.", "is_canonical": False},
        ]
    )
    pq.write_table(t, tmp_path / "articles.parquet")
    gate = pipeline.GateTables({"articles": tmp_path / "articles.parquet"})
    assert len(list(gate.shards("articles"))) == 5
    out = validate_tables(gate, Settings(), "r1")
    assert sorted(g.split(" (")[0] for g in out.gate_failures) == [
        "articles: expect_column_values_to_be_unique(article_id) failed",
        "articles_canonical: expect_column_values_to_be_unique(content_hash) failed",
    ]
    unique = [r for r in out.results if r["expectation"] == "expect_column_values_to_be_unique"]
    assert sorted((r["suite"], r["unexpected_count"]) for r in unique) == [("articles", 2), ("articles_canonical", 2)]


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


def _lines(stories: int) -> pa.Table:
    """`lines` rows of `stories` stories of 3 lines each (and a title row), as the run stages them."""
    rows = [
        {
            "outlet": "o",
            "line_hash": 1000 * s + n,
            "story_hash": s,
            "published_day": None,
            "line_no": n,
            "line_count": 3,
            "run_id": "r1",
            "in_link_run": False,
            "source": "f.jsonl",
        }
        for s in range(stories)
        for n in (-1, 0, 1, 2)
    ]
    return pa.Table.from_pylist(rows, schema=LINES)


def test_a_big_table_is_checked_in_shards_that_keep_its_unique_keys_together(tmp_path, monkeypatch):
    """Past GATE_SHARD_ROWS the gate reads `lines` in shards by story: every row once, all of a story's
    rows in one shard, so a line counted twice in one story is still found, and each expectation has
    one result over the shards."""
    import pyarrow.parquet as pq
    from akhbar.flows import pipeline

    monkeypatch.setattr(pipeline, "GATE_SHARD_ROWS", 100)
    table = _lines(100)
    twice = table.slice(0, 1).set_column(8, "source", pa.array(["g.jsonl"]))  # story 0's title row again
    path = tmp_path / "lines.parquet"
    pq.write_table(pa.concat_tables([table, twice]), path)
    gate = pipeline.GateTables({"lines": path})

    shards = list(gate.shards("lines"))
    assert len(shards) == 5  # 401 rows, 100 a shard
    assert sum(s.num_rows for s in shards) == 401
    homes = {}
    for n, shard in enumerate(shards):
        for story in set(shard["story_hash"].to_pylist()):
            assert homes.setdefault(story, n) == n
    assert len(homes) == 100

    out = validate_tables(gate, Settings(), "r1")
    unique = [r for r in out.results if r["expectation"] == "expect_compound_columns_to_be_unique"]
    assert len(unique) == 1 and unique[0]["success"] is False and unique[0]["unexpected_count"] == 2
    assert out.gate_failures and all(
        f.startswith("lines: expect_compound_columns_to_be_unique") for f in out.gate_failures
    )
    assert len({(r["expectation"], r["column"]) for r in out.results}) == len(out.results)
