"""`akhbar export`: one row per story, as JSON lines or Parquet, in the shape Arabic-NLP users load
with Hugging Face `datasets` (`load_dataset("json", data_files=...)` or `("parquet", ...)`): flat
string columns, a `text` column, lists of strings, ISO 8601 dates. README "Export" documents it.

A story is what the `stories` table groups (copies and rewrites of one event across outlets, within
a run); its row carries the text of its canonical article (the earliest one when several clusters
report it), and every member's id and outlet. Articles without a `stories` row are stories alone.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

# (column, DuckDB expression over the chosen article `a` and its story `p`), in output order.
COLUMNS = (
    ("id", "p.story_id"),
    ("article_id", "a.article_id"),
    ("title", "a.title"),
    ("text", "a.body"),
    ("outlet", "a.outlet"),
    ("url", "a.url"),
    ("published_at", "strftime(a.published_at, '%Y-%m-%dT%H:%M:%SZ')"),
    ("author", "a.author"),
    ("category", "a.category"),
    ("keywords", "coalesce(a.keywords, []::VARCHAR[])"),
    ("agency", "a.agency"),
    ("dateline", "a.dateline"),
    ("word_count", "a.word_count"),
    ("articles", "p.articles"),
    ("outlets", "p.outlets"),
    ("article_ids", "p.article_ids"),
)

QUERY = f"""
WITH members AS (
    SELECT coalesce(s.story_id, a.article_id) AS story_id, a.article_id, a.outlet, a.is_canonical, a.published_at
    FROM articles a LEFT JOIN stories s USING (article_id)
),
picked AS (
    SELECT story_id,
           arg_min(article_id, (NOT is_canonical, coalesce(published_at, TIMESTAMPTZ '9999-12-31'), article_id))
               AS article_id,
           count(*)                                AS articles,
           list(DISTINCT outlet ORDER BY outlet)   AS outlets,
           list(article_id ORDER BY article_id)    AS article_ids
    FROM members GROUP BY story_id
)
SELECT {", ".join(f"{expr} AS {name}" for name, expr in COLUMNS)}
FROM picked p JOIN articles a USING (article_id)
ORDER BY a.published_at NULLS LAST, p.story_id
"""

FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet"}


def export(con: duckdb.DuckDBPyConnection, out: Path, fmt: str) -> int:
    """Write every story to `out` as `fmt` (jsonl | parquet); the number of rows written."""
    con.execute("SET TimeZone = 'UTC'")  # published_at as UTC whatever the machine's zone
    out.parent.mkdir(parents=True, exist_ok=True)
    options = "FORMAT json" if fmt == "jsonl" else "FORMAT parquet, COMPRESSION zstd"
    tmp = out.with_name(out.name + ".tmp")
    written = con.execute(f"COPY ({QUERY}) TO '{_sql_path(tmp)}' ({options})").fetchone()[0]
    tmp.replace(out)  # a reader never sees half a file
    return written


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
