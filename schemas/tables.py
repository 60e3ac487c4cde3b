"""Arrow schemas of every table akhbar passes between stages or publishes. Declared once, here."""
from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")

# What `read` produces: one row per input record, before any cleaning.
RAW = pa.schema(
    [
        ("record_key", pa.string()),      # stable key of the input record (article_id is derived from it)
        ("article_id", pa.string()),      # sha256(record_key)[:20]: the same record gets the same id every night
        ("source_uri", pa.string()),      # file path, with #L<n> for a JSON-lines record or #<i> for a JSON array item
        ("source_id", pa.string()),       # the input's own id, if any
        ("format", pa.string()),          # txt | html | json
        ("encoding", pa.string()),        # detected encoding of the file
        ("outlet", pa.string()),          # from the record, else URL host, else folder name
        ("outlet_from", pa.string()),     # field | url | folder
        ("url", pa.string()),
        ("title", pa.string()),
        ("published_raw", pa.string()),
        ("author", pa.string()),
        ("category", pa.string()),
        ("keywords", pa.list_(pa.string())),
        ("content", pa.string()),         # text or HTML to clean
        ("content_is_html", pa.bool_()),
        ("raw_payload", pa.string()),     # the record exactly as read (for quarantine)
    ]
)

# What `clean` + `normalize` produce; `dedup` adds the last four columns.
ARTICLES = pa.schema(
    [
        ("article_id", pa.string()),
        ("source_id", pa.string()),
        ("source_uri", pa.string()),
        ("outlet", pa.string()),
        ("url", pa.string()),
        ("title", pa.string()),
        ("body", pa.string()),
        ("body_norm", pa.string()),
        ("published_at", TS),
        ("author", pa.string()),
        ("keywords", pa.list_(pa.string())),
        ("category", pa.string()),
        ("source_credit", pa.string()),
        ("agency", pa.string()),
        ("dateline", pa.string()),
        ("word_count", pa.int32()),
        ("arabic_ratio", pa.float32()),
        ("content_hash", pa.string()),
        ("cluster_id", pa.string()),
        ("is_canonical", pa.bool_()),
        ("run_id", pa.string()),
    ]
)

BOILERPLATE = pa.schema(
    [
        ("article_id", pa.string()),
        ("rule", pa.string()),
        ("category", pa.string()),
        ("text", pa.string()),
        ("run_id", pa.string()),
    ]
)

DUPLICATES = pa.schema(
    [
        ("article_id", pa.string()),
        ("canonical_id", pa.string()),
        ("similarity", pa.float32()),
        ("method", pa.string()),          # exact | near
        ("run_id", pa.string()),
    ]
)

QUARANTINE = pa.schema(
    [
        ("source_uri", pa.string()),
        ("source_id", pa.string()),
        ("article_id", pa.string()),
        ("stage", pa.string()),
        ("reason", pa.string()),
        ("raw_payload", pa.string()),
        ("run_id", pa.string()),
        ("quarantined_at", TS),
    ]
)

RUNS = pa.schema(
    [
        ("run_id", pa.string()),
        ("flow_run_id", pa.string()),
        ("started_at", TS),
        ("finished_at", TS),
        ("status", pa.string()),
        ("parameters", pa.string()),      # JSON
        ("counts", pa.string()),          # JSON: counts per stage
    ]
)

VALIDATION_RESULTS = pa.schema(
    [
        ("run_id", pa.string()),
        ("suite", pa.string()),
        ("expectation", pa.string()),
        ("column", pa.string()),
        ("severity", pa.string()),
        ("success", pa.bool_()),
        ("unexpected_count", pa.int64()),
        ("observed_value", pa.string()),
    ]
)

# When a copy published earlier than a story's canonical arrives on a later night, it becomes the
# canonical; published files are never rewritten, the views apply the latest change per cluster.
CANONICAL_CHANGES = pa.schema(
    [
        ("cluster_id", pa.string()),
        ("old_canonical_id", pa.string()),
        ("new_canonical_id", pa.string()),
        ("reason", pa.string()),
        ("run_id", pa.string()),
    ]
)

# MinHash signatures and LSH band keys of published articles, so later nights match new
# articles against the whole history without re-shingling it.
SIGNATURES = pa.schema(
    [
        ("article_id", pa.string()),
        ("minhash_config", pa.string()),  # shingle/perm/seed fingerprint: only equal configs compare
        ("signature", pa.list_(pa.uint32())),
        ("band_keys", pa.list_(pa.uint64())),
        ("lead_config", pa.string()),  # lead-hash fingerprint (null in rows written before the lead check)
        ("lead", pa.list_(pa.uint32())),  # hashes of the 3-word shingles of the body's first words, in order
        # discriminator slots (tasks/dedup.py discriminator_slots): (context, value) hashes of the
        # numbers, dates, places of the body's first words, sorted; config after "+" in lead_config
        ("slots", pa.list_(pa.uint32())),
        ("run_id", pa.string()),
    ]
)

# Landing files a run has processed: an unchanged file is not read again on a later night.
MANIFEST = pa.schema(
    [
        ("path", pa.string()),
        ("size", pa.int64()),
        ("mtime_ns", pa.int64()),
        ("content_hash", pa.string()),    # sha256 of the file's bytes
        ("run_id", pa.string()),
    ]
)

# Body lines of published stories, after the rules and before learned boilerplate (tasks/learned.py):
# one row per distinct line of each distinct story, so later nights count a line's recurrence per
# outlet over the whole history. Lines longer than LearnedSettings.max_words words are not stored.
LINES = pa.schema(
    [
        ("outlet", pa.string()),
        ("line_hash", pa.int64()),        # blake2b-64 of the search-normalized line
        ("story_hash", pa.int64()),       # blake2b-64 of the search-normalized body: exact copies count once
        ("published_day", pa.date32()),
        ("line_no", pa.int32()),          # 0: the first body line (the lead); -1: the story's title
        ("line_count", pa.int32()),
        ("run_id", pa.string()),
        # the line is in a run of headline-shaped lines between paragraphs (tasks/learned.py: an
        # outlet whose runs often hold its own stories' titles links to stories there); null in rows
        # written before this column
        ("in_link_run", pa.bool_()),
    ]
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
}

