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


# What a run publishes: `ARTICLE` less its working columns, plus dedup's cluster and the run id.
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
        ("fingerprint", pa.list_(pa.uint32())),
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
        ("method", pa.string()),  # exact | near
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
        ("raw_payload", pa.string()),  # the record as read, its first max_payload_bytes (UTF-8) at most
        ("run_id", pa.string()),
        ("quarantined_at", TS),
        ("payload_bytes", pa.int64()),  # size of the whole payload, however much of it is kept
        ("payload_sha256", pa.string()),  # sha256 of the whole payload (UTF-8; an over-long line's bytes)
    ]
)

RUNS = pa.schema(
    [
        ("run_id", pa.string()),
        ("flow_run_id", pa.string()),
        ("started_at", TS),
        ("finished_at", TS),
        ("status", pa.string()),
        ("parameters", pa.string()),  # JSON
        ("counts", pa.string()),  # JSON: counts per stage
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
        ("content_hash", pa.string()),  # sha256 of the file's bytes
        ("run_id", pa.string()),
    ]
)

# The story level beside the copy level (tasks/dedup.py: group_stories): articles that report the
# same event, copies or rewrites across outlets within a time window. `duplicates`/`articles_unique`
# keep meaning copies of one text.
STORIES = pa.schema(
    [
        ("article_id", pa.string()),
        ("story_id", pa.string()),  # the article_id of the story's earliest article in its run
        ("run_id", pa.string()),
    ]
)

# Learned line templates (tasks/templates.py): the hashed prefixes and labels of each published
# story's first and last lines, so later nights count a template over the whole history.
EDGES = pa.schema(
    [
        ("outlet", pa.string()),
        ("story_hash", pa.int64()),
        ("source", pa.string()),  # input file or night
        ("edge", pa.string()),  # first_prefix | last_prefix | last_label | first_slot (k: 1 label-shaped, 0 not)
        ("k", pa.int32()),  # words in the fixed part
        ("key_hash", pa.int64()),  # blake2b-64 of the fixed part, search-normalized
        ("line_hash", pa.int64()),  # blake2b-64 of the whole line: does the rest vary?
        ("run_id", pa.string()),
    ]
)

# Input paths a run did not read, each with its reason (hidden, symlink out of the landing folder,
# not a regular file, unreadable, unsupported type, empty): every path is read or listed here.
SKIPPED = pa.schema(
    [
        ("path", pa.string()),
        ("reason", pa.string()),
        ("size", pa.int64()),
        ("run_id", pa.string()),
    ]
)

# Body lines of published stories, after the rules and before learned boilerplate (tasks/learned.py):
# one row per distinct line of each distinct story, so later nights count a line's recurrence per
# outlet over the whole history. Lines longer than LearnedSettings.max_words words are not stored.
LINES = pa.schema(
    [
        ("outlet", pa.string()),
        ("line_hash", pa.int64()),  # blake2b-64 of the search-normalized line
        ("story_hash", pa.int64()),  # blake2b-64 of the search-normalized body: exact copies count once
        ("published_day", pa.date32()),
        ("line_no", pa.int32()),  # 0: the first body line (the lead); -1: the story's title
        ("line_count", pa.int32()),
        ("run_id", pa.string()),
        # the line is in a run of headline-shaped lines between paragraphs (tasks/learned.py: an
        # outlet whose runs often hold its own stories' titles links to stories there); null in rows
        # written before this column
        ("in_link_run", pa.bool_()),
        ("source", pa.string()),  # input file (or night) of the story: recurrence without dates (issue 11)
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
    "skipped": SKIPPED,
    "edges": EDGES,
    "stories": STORIES,
}
