"""Great Expectations suites, one per published table, as reviewed code.

Each expectation carries `meta.severity` (critical | warning) and `meta.level`:
  row    a critical failure quarantines just the unexpected rows (by GE's unexpected indices)
  batch  a critical failure stops the run before anything is published
Warnings are reported in `validation_results` and never block.
Great Expectations is imported lazily (it costs seconds to import).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from akhbar.settings import Settings

# A keyword list (as JSON) is malformed if an item is empty or padded with spaces, or still holds
# a tag-line label. (A JSON-schema check per row cost ~15 s on the corpus; this is vectorized.)
KEYWORDS_MALFORMED = r'""|"\s|\s"|كلمات دلالية'


def _e(gx, name: str, severity: str, level: str, **kwargs):
    cls = getattr(gx.expectations, name)
    return cls(**kwargs, meta={"severity": severity, "level": level})


def _not_null(gx, suite, *columns: str) -> None:
    """Critical, batch-level: no null in any of these columns."""
    for col in columns:
        suite.add_expectation(_e(gx, "ExpectColumnValuesToNotBeNull", "critical", "batch", column=col))


def articles_rows_suite(gx, settings: Settings, marker_regex: str):
    """Row-level critical checks that need the article's text: run on every partition before dedup;
    a failing row goes to quarantine with the expectations it failed."""
    suite = gx.ExpectationSuite(name="articles_rows")
    for exp in (
        _e(gx, "ExpectColumnValuesToNotBeNull", "critical", "row", column="article_id"),
        _e(gx, "ExpectColumnValuesToNotBeNull", "critical", "row", column="body"),
        _e(gx, "ExpectColumnValuesToNotBeNull", "critical", "row", column="outlet"),
        _e(
            gx,
            "ExpectColumnValuesToBeBetween",
            "critical",
            "row",
            column="word_count",
            min_value=settings.min_words,
            max_value=settings.max_words,
        ),
        _e(gx, "ExpectColumnValuesToNotMatchRegex", "critical", "row", column="body", regex=marker_regex),
        _e(gx, "ExpectColumnValueLengthsToBeBetween", "critical", "row", column="body", min_value=settings.min_chars),
    ):
        suite.add_expectation(exp)
    return suite


def articles_suite(gx, settings: Settings):
    """The gate over everything the run would publish, on a projection of the articles (no text)."""
    now = datetime.now(timezone.utc)
    earliest = datetime.fromisoformat(settings.earliest_published).replace(tzinfo=timezone.utc)
    suite = gx.ExpectationSuite(name="articles")
    for exp in (
        _e(gx, "ExpectColumnValuesToBeUnique", "critical", "batch", column="article_id"),
        _e(gx, "ExpectColumnValuesToBeInSet", "critical", "batch", column="is_canonical", value_set=[True, False]),
        # A batch that is, on average, not Arabic is a wrong feed or mis-decoded bytes: publish nothing.
        _e(gx, "ExpectColumnMeanToBeBetween", "critical", "batch", column="arabic_ratio", min_value=0.5),
        _e(
            gx,
            "ExpectColumnValuesToBeBetween",
            "warning",
            "row",
            column="arabic_ratio",
            min_value=settings.min_arabic_ratio,
            mostly=0.95,
        ),
        # keywords (as JSON text, GE has no list type): no empty or space-padded item, no marker left
        _e(gx, "ExpectColumnValuesToNotMatchRegex", "warning", "row", column="keywords_json", regex=KEYWORDS_MALFORMED),
        _e(
            gx,
            "ExpectColumnValuesToBeBetween",
            "warning",
            "row",
            column="published_at",
            min_value=earliest,
            max_value=now + timedelta(days=1),
        ),
        _e(gx, "ExpectColumnValuesToNotBeNull", "warning", "row", column="published_at", mostly=0.9),
        _e(gx, "ExpectColumnValuesToNotBeNull", "warning", "row", column="title", mostly=0.5),
    ):
        suite.add_expectation(exp)
    return suite


def canonical_suite(gx):
    """Checked on the canonical rows only: one canonical article per story."""
    suite = gx.ExpectationSuite(name="articles_canonical")
    suite.add_expectation(_e(gx, "ExpectColumnValuesToBeUnique", "critical", "batch", column="content_hash"))
    suite.add_expectation(_e(gx, "ExpectColumnValuesToNotBeNull", "critical", "batch", column="cluster_id"))
    return suite


def boilerplate_suite(gx, categories: list[str]):
    suite = gx.ExpectationSuite(name="boilerplate")
    _not_null(gx, suite, "article_id", "rule", "category", "text")
    suite.add_expectation(
        _e(gx, "ExpectColumnValuesToBeInSet", "warning", "batch", column="category", value_set=categories)
    )
    return suite


def duplicates_suite(gx):
    suite = gx.ExpectationSuite(name="duplicates")
    suite.add_expectation(_e(gx, "ExpectColumnValuesToNotBeNull", "critical", "batch", column="article_id"))
    suite.add_expectation(_e(gx, "ExpectColumnValuesToBeUnique", "critical", "batch", column="article_id"))
    suite.add_expectation(_e(gx, "ExpectColumnValuesToNotBeNull", "critical", "batch", column="canonical_id"))
    suite.add_expectation(
        _e(gx, "ExpectColumnValuesToBeInSet", "critical", "batch", column="method", value_set=["exact", "near"])
    )
    suite.add_expectation(
        _e(gx, "ExpectColumnValuesToBeBetween", "critical", "batch", column="similarity", min_value=0, max_value=1)
    )
    return suite


def quarantine_suite(gx):
    suite = gx.ExpectationSuite(name="quarantine")
    _not_null(gx, suite, "source_uri", "stage", "reason")
    suite.add_expectation(
        _e(
            gx,
            "ExpectColumnValuesToBeInSet",
            "critical",
            "batch",
            column="stage",
            value_set=["discover", "read", "extract", "language", "clean", "validate"],
        )
    )
    # an unsupported file has no text payload to keep; every record-level quarantine has one
    suite.add_expectation(_e(gx, "ExpectColumnValuesToNotBeNull", "warning", "batch", column="raw_payload"))
    return suite


def manifest_suite(gx):
    suite = gx.ExpectationSuite(name="manifest")
    suite.add_expectation(_e(gx, "ExpectColumnValuesToNotBeNull", "critical", "batch", column="path"))
    suite.add_expectation(_e(gx, "ExpectColumnValuesToBeUnique", "critical", "batch", column="path"))
    suite.add_expectation(
        _e(gx, "ExpectColumnValuesToMatchRegex", "critical", "batch", column="content_hash", regex=r"^[0-9a-f]{64}$")
    )
    suite.add_expectation(_e(gx, "ExpectColumnValuesToBeBetween", "critical", "batch", column="size", min_value=0))
    return suite


def signatures_suite(gx):
    suite = gx.ExpectationSuite(name="signatures")
    suite.add_expectation(_e(gx, "ExpectColumnValuesToBeUnique", "critical", "batch", column="article_id"))
    suite.add_expectation(_e(gx, "ExpectColumnValuesToNotBeNull", "critical", "batch", column="minhash_config"))
    return suite


def lines_suite(gx):
    suite = gx.ExpectationSuite(name="lines")
    _not_null(gx, suite, "outlet", "line_hash", "story_hash", "line_no", "line_count")
    # -1: the story's title; -2: a reporter's name signing it (tasks/learned.py)
    suite.add_expectation(_e(gx, "ExpectColumnValuesToBeBetween", "critical", "batch", column="line_no", min_value=-2))
    suite.add_expectation(
        _e(
            gx,
            "ExpectColumnPairValuesAToBeGreaterThanB",
            "critical",
            "batch",
            column_A="line_count",
            column_B="line_no",
        )
    )
    # a line counts once per story (its first place), the title once more as line -1
    suite.add_expectation(
        _e(
            gx,
            "ExpectCompoundColumnsToBeUnique",
            "critical",
            "batch",
            column_list=["outlet", "line_hash", "story_hash", "line_no"],
        )
    )
    return suite


def canonical_changes_suite(gx):
    suite = gx.ExpectationSuite(name="canonical_changes")
    _not_null(gx, suite, "cluster_id", "old_canonical_id", "new_canonical_id", "reason")
    suite.add_expectation(_e(gx, "ExpectColumnValuesToBeUnique", "critical", "batch", column="cluster_id"))
    return suite
