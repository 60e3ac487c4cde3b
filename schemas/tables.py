"""Arrow schemas of every table akhbar passes between stages or publishes. Declared once, here."""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")


def grow(base: pa.Schema, added: list[tuple[str, pa.DataType]], consumed: tuple[str, ...] = ()) -> pa.Schema:
    """The next phase of the record: `base` less the columns the stage consumed, plus what it added."""
    fields = [f for f in base if f.name not in consumed]
    return pa.schema(fields + [pa.field(n, t) for n, t in added])


# ----------------------------------------------------------------------------- the record, by phase
# One input record flows through every stage as one Arrow row that grows by phase. Its raw payload
# travels with it, so a stage that quarantines a record has everything the quarantine row needs.

# read: one row per input record.
RECORD = pa.schema(
    [
        ("record_key", pa.string()),  # stable key of the input record (article_id is derived from it)
        ("article_id", pa.string()),  # sha256(record_key)[:20]: the same record gets the same id every night
        ("source_uri", pa.string()),  # file path, with #L<n> for a JSON-lines record or #<i> for a JSON array item
        ("source_id", pa.string()),  # the input's own id, if any
        ("format", pa.string()),  # txt | html | json
        ("encoding", pa.string()),  # detected encoding of the file or line
        ("outlet", pa.string()),  # from the record, else URL host, else folder name
        ("outlet_from", pa.string()),  # field | url | page | folder
        ("url", pa.string()),
        ("title", pa.string()),
        ("published_raw", pa.string()),  # the record's (or page's) own date, unparsed
        ("author", pa.string()),  # the record's (or page's) credit line, unparsed
        ("category", pa.string()),
        ("keywords", pa.list_(pa.string())),
        ("content", pa.string()),  # text or HTML to clean
        ("content_is_html", pa.bool_()),
        ("raw_payload", pa.string()),  # the record exactly as read, up to a bound (for quarantine)
    ]
)

# extract: an HTML page becomes text (its metadata fills the record's empty fields).
PAGE = grow(RECORD, [("text", pa.string())], consumed=("content", "content_is_html"))

# clean: rules strip boilerplate from the text; metadata found in it becomes fields.
CLEANED = grow(
    PAGE,
    [
        ("body", pa.string()),
        ("published_at", pa.timestamp("us", tz="UTC")),
        ("source_credit", pa.string()),
        ("agency", pa.string()),
        ("dateline", pa.string()),
    ],
    consumed=("text", "published_raw", "format", "encoding", "record_key"),
)

# learned boilerplate, observe: what the run-wide decision counts (the `lines` rows, a side table)
# and what applying it needs later, computed once per record (tasks/learned.py).
OBSERVED = grow(
    CLEANED,
    [
        ("line_keys", pa.list_(pa.int64())),  # per body line: blake2b-64 of its search form (null: too long)
        ("title_key", pa.int64()),
        ("story_hash", pa.int64()),  # blake2b-64 of the search-normalized body: exact copies count once
        ("link_runs", pa.list_(pa.int32())),  # flattened (start, end) pairs of runs of headline-shaped lines
    ],
)

# normalize: the search form, counts and hash that dedup and validation read.
ARTICLE = grow(
    OBSERVED,
    [
        ("body_norm", pa.string()),
        ("word_count", pa.int32()),
        ("arabic_ratio", pa.float32()),
        ("content_hash", pa.string()),
    ],
    consumed=("line_keys", "title_key", "link_runs"),
)


def col(name: str, type_: pa.DataType, description: str) -> pa.Field:
    """A published column with its description (Parquet field metadata, and the COMMENT on its view
    column in warehouse.duckdb: tasks/publish.py comment_sql)."""
    return pa.field(name, type_, metadata={"description": description})


def table(description: str, columns: list[pa.Field]) -> pa.Schema:
    """A published table's schema with its description (schema metadata and the view's COMMENT)."""
    return pa.schema(columns, metadata={"description": description})


def description(schema_or_field: pa.Schema | pa.Field) -> str:
    return (schema_or_field.metadata or {}).get(b"description", b"").decode("utf-8")


RUN_ID = (
    "id of the run that published the row (YYYYMMDDTHHMMSSZ-<hex>, sorts by time); rows count only once `runs` holds it"
)

# What a run publishes: `ARTICLE` less its working columns, plus dedup's cluster and the run id.
ARTICLES = table(
    "One row per published article, canonical or copy. In the Parquet files is_canonical is as of the run that wrote the row; "
    "the view applies later canonical_changes.",
    [
        col("article_id", pa.string(), "sha256(record key)[:20]: the same input record gets the same id every night"),
        col("source_id", pa.string(), "the input's own id, if it had one"),
        col(
            "source_uri", pa.string(), "landing file, with #L<n> for a JSON-lines record or #<i> for a JSON array item"
        ),
        col("outlet", pa.string(), "news outlet: from the record, else the URL host, else the landing folder name"),
        col("url", pa.string(), "article URL as given by the record or page"),
        col("title", pa.string(), "headline, display-normalized"),
        col("body", pa.string(), "clean display text: boilerplate removed, diacritics kept"),
        col(
            "body_norm",
            pa.string(),
            "search form of body (tasks/arabic.py normalize_search; query with ar_normalize())",
        ),
        col(
            "published_at",
            TS,
            "publication time in UTC, parsed from the record, page or dateline (null: no date found)",
        ),
        col("author", pa.string(), "credit line of the record or page, unparsed"),
        col("keywords", pa.list_(pa.string()), "the record's keywords or tags"),
        col("category", pa.string(), "the record's section or category"),
        col("source_credit", pa.string(), 'text after "المصدر:" found in the body (the credited source)'),
        col("agency", pa.string(), "news agency credited in the body (e.g. وام, قنا)"),
        col("dateline", pa.string(), "place of the dateline at the start of the body"),
        col("word_count", pa.int32(), "words in body"),
        col("arabic_ratio", pa.float32(), "share of letters in body that are Arabic"),
        col("content_hash", pa.string(), "hash of the search-normalized body: exact copies share it"),
        col("cluster_id", pa.string(), "copy cluster (one text): article_id of the cluster's first canonical"),
        col(
            "is_canonical",
            pa.bool_(),
            "the article that represents its cluster (in the view: after the latest canonical change)",
        ),
        col("run_id", pa.string(), RUN_ID),
    ],
)

# What dedup keeps of each article between the per-partition pass and the one clustering of the run:
# no text, just what deciding needs (tasks/dedup.py: fingerprints = MinHash signature + lead hashes).
FINGERPRINTS = pa.schema(
    [
        ("article_id", pa.string()),
        ("outlet", pa.string()),
        ("title", pa.string()),
        ("published_at", TS),
        ("word_count", pa.int32()),
        ("content_hash", pa.string()),
        ("story_hash", pa.int64()),
        # title and opening terms, hashed (tasks/stories.py story_terms): the story level, no text
        ("story_terms", pa.list_(pa.uint32())),
        ("fingerprint", pa.list_(pa.uint32())),
    ]
)

BOILERPLATE = table(
    "One row per span that cleaning removed from an article's text, with the rule that removed it.",
    [
        col("article_id", pa.string(), "article the span was removed from"),
        col(
            "rule",
            pa.string(),
            "id of the rule in schemas/boilerplate_rules.yaml, or learned.* for learned boilerplate",
        ),
        col(
            "category",
            pa.string(),
            "kind of boilerplate (ad, read_also, related, tags, byline, dateline, disclaimer, ...)",
        ),
        col("text", pa.string(), "the removed text"),
        col("run_id", pa.string(), RUN_ID),
    ],
)

DUPLICATES = table(
    "One row per copy of a story; the view points each copy at its cluster's current canonical.",
    [
        col("article_id", pa.string(), "the copy"),
        col("canonical_id", pa.string(), "the canonical article it copies (as of the run that wrote the row)"),
        col("similarity", pa.float32(), "estimated Jaccard similarity of the bodies (1 for exact copies)"),
        col("method", pa.string(), "exact | near"),
        col("run_id", pa.string(), RUN_ID),
    ],
)

QUARANTINE = table(
    "One row per input record that could not be published, with the stage, the reason and its raw payload.",
    [
        col("source_uri", pa.string(), "landing file and position of the record"),
        col("source_id", pa.string(), "the input's own id, if any"),
        col("article_id", pa.string(), "the id the record would have had (null if it never got one)"),
        col("stage", pa.string(), "stage that quarantined it (read, decode, extract, language, clean, validate, ...)"),
        col("reason", pa.string(), "why, in one line"),
        col("raw_payload", pa.string(), "the record as read, its first max_payload_bytes (UTF-8) at most"),
        col("run_id", pa.string(), RUN_ID),
        col("quarantined_at", TS, "when the record was quarantined (UTC)"),
        col("payload_bytes", pa.int64(), "size in bytes of the whole payload, however much of it is kept"),
        col("payload_sha256", pa.string(), "sha256 of the whole payload (its UTF-8; an over-long line's bytes)"),
    ],
)

RUNS = table(
    "One row per published run: the commit marker. A run's rows in the other tables count only once its row is here.",
    [
        col("run_id", pa.string(), "the run's id (YYYYMMDDTHHMMSSZ-<hex>, sorts by time)"),
        col("flow_run_id", pa.string(), "Prefect flow run id"),
        col("started_at", TS, "start of the run (UTC)"),
        col("finished_at", TS, "end of the run (UTC)"),
        col("status", pa.string(), "published"),
        col("parameters", pa.string(), "the run's parameters (JSON)"),
        col("counts", pa.string(), "records counted per stage and outcome (JSON)"),
    ],
)

VALIDATION_RESULTS = table(
    "One row per Great Expectations result of a run (schemas/suites.py).",
    [
        col("run_id", pa.string(), RUN_ID),
        col("suite", pa.string(), "expectation suite"),
        col("expectation", pa.string(), "expectation type"),
        col("column", pa.string(), "column checked (null for table-level expectations)"),
        col("severity", pa.string(), "critical (stops the run) | warning"),
        col("success", pa.bool_(), "whether the expectation held"),
        col("unexpected_count", pa.int64(), "rows that broke it"),
        col("observed_value", pa.string(), "observed value, as text"),
    ],
)

# When a copy published earlier than a story's canonical arrives on a later night, it becomes the
# canonical; published files are never rewritten, the views apply the latest change per cluster.
CANONICAL_CHANGES = table(
    "One row per change of a cluster's canonical article; the articles view applies the latest per cluster.",
    [
        col("cluster_id", pa.string(), "the cluster"),
        col("old_canonical_id", pa.string(), "canonical before the change"),
        col("new_canonical_id", pa.string(), "canonical after it"),
        col("reason", pa.string(), "why (e.g. an earlier-published copy arrived)"),
        col("run_id", pa.string(), RUN_ID),
    ],
)

# MinHash signatures and LSH band keys of published articles, so later nights match new
# articles against the whole history without re-shingling it.
SIGNATURES = table(
    "MinHash signature, LSH band keys and lead hashes of each published article: dedup's history.",
    [
        col("article_id", pa.string(), "the article"),
        col("minhash_config", pa.string(), "shingle/permutation/seed fingerprint: only equal configs compare"),
        col("signature", pa.list_(pa.uint32()), "MinHash signature of the body"),
        col("band_keys", pa.list_(pa.uint64()), "LSH band keys of the signature"),
        col(
            "lead_config",
            pa.string(),
            "lead-hash fingerprint + '+' + slot fingerprint (null in rows written before the lead check)",
        ),
        col("lead", pa.list_(pa.uint32()), "hashes of the 3-word shingles of the body's first words, in order"),
        # discriminator slots (tasks/dedup.py discriminator_slots)
        col(
            "slots",
            pa.list_(pa.uint32()),
            "(context, value) hashes of the numbers, dates and places of the body's first words, sorted",
        ),
        col("run_id", pa.string(), RUN_ID),
    ],
)

# Landing files a run has processed: an unchanged file is not read again on a later night.
MANIFEST = table(
    "One row per landing file a run processed: an unchanged file is not read again.",
    [
        col("path", pa.string(), "landing file"),
        col("size", pa.int64(), "size in bytes"),
        col("mtime_ns", pa.int64(), "modification time (ns)"),
        col("content_hash", pa.string(), "sha256 of the file's bytes"),
        col("run_id", pa.string(), RUN_ID),
        col(
            "records", pa.int64(), "records the file yielded in the run (articles, copies, quarantined, already known)"
        ),
    ],
)

# The story level beside the copy level (tasks/stories.py: group_stories): articles that report the
# same event, copies or rewrites across outlets, grouped in time order around story centroids. `duplicates`/`articles_unique`
# keep meaning copies of one text.
STORIES = table(
    "Which story (one event, copies and cross-outlet rewrites) each article reports.",
    [
        col("article_id", pa.string(), "the article"),
        col("story_id", pa.string(), "the article_id of the story's earliest article in its run"),
        col("run_id", pa.string(), RUN_ID),
    ],
)

# Learned line templates (tasks/templates.py): the hashed prefixes and labels of each published
# story's first and last lines, so later nights count a template over the whole history.
EDGES = table(
    "Hashed prefixes and labels of each published story's first and last lines (learned line templates).",
    [
        col("outlet", pa.string(), "outlet of the story"),
        col("story_hash", pa.int64(), "blake2b-64 of the search-normalized body"),
        col("source", pa.string(), "input file or night"),
        col("edge", pa.string(), "first_prefix | last_prefix | last_label | first_slot"),
        col("k", pa.int32(), "words in the fixed part (first_slot: 1 label-shaped, 0 not)"),
        col("key_hash", pa.int64(), "blake2b-64 of the fixed part, search-normalized"),
        col("line_hash", pa.int64(), "blake2b-64 of the whole line: does the rest vary?"),
        col("run_id", pa.string(), RUN_ID),
    ],
)

# Input paths a run did not read, each with its reason (hidden, symlink out of the landing folder,
# not a regular file, unreadable, unsupported type, empty): every path is read or listed here.
SKIPPED = table(
    "One row per input path a run did not read, with the reason: every path is read or listed here.",
    [
        col("path", pa.string(), "the input path"),
        col(
            "reason",
            pa.string(),
            "hidden, symlink out of the landing folder, not a regular file, unreadable, unsupported type, empty",
        ),
        col("size", pa.int64(), "size in bytes (null if unknown)"),
        col("run_id", pa.string(), RUN_ID),
    ],
)

# Body lines of published stories, after the rules and before learned boilerplate (tasks/learned.py):
# one row per distinct line of each distinct story, so later nights count a line's recurrence per
# outlet over the whole history. Lines longer than LearnedSettings.max_words words are not stored.
LINES = table(
    "One row per distinct body line of each published story (hashes only): learned boilerplate's history.",
    [
        col("outlet", pa.string(), "outlet of the story"),
        col("line_hash", pa.int64(), "blake2b-64 of the search-normalized line"),
        col("story_hash", pa.int64(), "blake2b-64 of the search-normalized body: exact copies count once"),
        col("published_day", pa.date32(), "publication day of the story"),
        col(
            "line_no",
            pa.int32(),
            "0: the first body line (the lead); -1: the story's title; -2: a reporter's name signing it",
        ),
        col("line_count", pa.int32(), "lines in the body"),
        col("run_id", pa.string(), RUN_ID),
        # an outlet whose runs often hold its own stories' titles links to stories there (tasks/learned.py)
        col(
            "in_link_run",
            pa.bool_(),
            "the line is in a run of headline-shaped lines between paragraphs (null in older rows)",
        ),
        col("source", pa.string(), "input file (or night) of the story: recurrence without dates"),
    ],
)

# Published tables, by lake folder name.
PUBLISHED = {
    "articles": ARTICLES,
    "boilerplate": BOILERPLATE,
    "duplicates": DUPLICATES,
    "quarantine": QUARANTINE,
    "runs": RUNS,
    "validation_results": VALIDATION_RESULTS,
    "signatures": SIGNATURES,
    "canonical_changes": CANONICAL_CHANGES,
    "manifest": MANIFEST,
    "lines": LINES,
    "skipped": SKIPPED,
    "edges": EDGES,
    "stories": STORIES,
}
