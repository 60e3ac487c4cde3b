"""`akhbar show ID`: an article's raw text with every span cleaning removed marked by its rule and category.

The warehouse keeps the removed spans (`boilerplate`: rule, category, text) and, per article, a
pointer to its raw record (`source_uri`: the landing file, with #L<n> for a JSON line or #<n> for a
JSON array item), not the raw text nor span offsets. So the record is read again from the landing
file, through the same reader and field mapping the run used (the run's `--field` overrides are in
its `runs.parameters`), HTML is extracted as the run did, and each span is located in that text at
show time, in the order it was recorded. Spans that are not in the text are reported as such:
blocks removed from the HTML markup (rules html.*) never reach the extracted text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import duckdb


class ShowError(RuntimeError):
    """The article cannot be shown (unknown id, ambiguous prefix)."""


@dataclass
class Span:
    rule: str
    category: str
    text: str
    start: int | None = None  # offsets in the raw text; None: not found there
    end: int | None = None


@dataclass
class Shown:
    article: dict
    raw: str | None  # the record's text before cleaning; None when the landing file is gone or changed
    raw_note: str = ""  # why `raw` is None
    spans: list[Span] = field(default_factory=list)


def find_article(con: duckdb.DuckDBPyConnection, ident: str) -> dict:
    """The article with this id, or the one id starting with it."""
    cur = con.execute(
        "SELECT article_id, outlet, title, url, source_uri, published_at, run_id, body FROM articles "
        "WHERE article_id = ? OR article_id LIKE ? ORDER BY article_id = ? DESC LIMIT 6",
        [ident, ident.replace("%", "").replace("_", r"\_") + "%", ident],
    )
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    if not rows:
        raise ShowError(f"no article {ident!r} in the warehouse")
    if rows[0]["article_id"] != ident and len(rows) > 1:
        raise ShowError(f"{ident!r} starts {len(rows)}+ article ids: {', '.join(r['article_id'] for r in rows[:5])}")
    return rows[0]


def removed_spans(con: duckdb.DuckDBPyConnection, article_id: str) -> list[Span]:
    rows = con.execute("SELECT rule, category, text FROM boilerplate WHERE article_id = ?", [article_id]).fetchall()
    return [Span(*r) for r in rows]


def run_fields(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, str]:
    """The `--field` overrides the article's run used to map its JSON keys."""
    row = con.execute("SELECT parameters FROM runs WHERE run_id = ?", [run_id]).fetchone()
    try:
        return dict(json.loads(row[0]).get("fields") or {}) if row and row[0] else {}
    except (ValueError, AttributeError):
        return {}


_URI = re.compile(r"^(?P<path>.*?)(?:#(?P<line>L)?(?P<n>\d+))?$")


def raw_text(source_uri: str, fields: dict[str, str]) -> tuple[str | None, str]:
    """The record's text before cleaning (HTML extracted as the run did), or (None, why not)."""
    from akhbar.settings import FieldMap
    from akhbar.tasks.read import discover_files, iter_file_records
    from akhbar.tasks.storage import location

    path = location(_URI.match(source_uri).group("path"))  # a local file, or an object (s3://...)
    if not path.exists():
        return None, f"the landing file {path} is gone"
    files, skipped = discover_files([path])
    if not files:
        return None, f"the landing file {path} is not readable: {skipped[0]['reason'] if skipped else '?'}"
    mapping = FieldMap()
    for name, key in fields.items():
        mapping.prefer(name, key)
    for row, _stub in iter_file_records(files[0], mapping):
        if row is not None and row["source_uri"] == source_uri:
            return _page_text(row), ""
    return None, f"no record {source_uri} in {path} (the file changed since the run)"


def _page_text(row: dict) -> str:
    if not row.get("content_is_html"):
        return row.get("content") or ""
    from akhbar.tasks.html import extract_html

    return extract_html(row["content"]).text


def locate(raw: str, spans: list[Span]) -> None:
    """Set each span's offsets: its first occurrence after the previous span's (cleaning removes in
    reading order), else anywhere not already marked; spans overlapping a marked one stay unlocated.
    Searched in the raw text with Persian letters folded to Arabic as cleaning does (one letter for
    one, so offsets hold in the raw text)."""
    from akhbar.tasks.arabic import _PERSIAN_TO_ARABIC

    raw = raw.translate(str.maketrans(_PERSIAN_TO_ARABIC))
    taken: list[tuple[int, int]] = []
    cursor = 0
    for span in spans:
        if not span.text.strip():
            continue
        for start, end in _occurrences(raw, span.text, cursor):
            if all(end <= a or start >= b for a, b in taken):
                span.start, span.end = start, end
                taken.append((start, end))
                cursor = end
                break


# Cleaning records a span after the character fixes every line gets (tatweel, stray marks and
# invisible characters out, spaces around punctuation moved): the raw text may hold them between any
# two characters of the span.
_SLACK = "[\u0640\u064b-\u065f\u0670\u200b-\u200f\u00a0 ]*"


def _pattern(text: str) -> re.Pattern:
    parts = [r"\s+" if ch.isspace() else re.escape(ch) + _SLACK for ch in " ".join(text.split())]
    return re.compile("".join(parts))


def _occurrences(raw: str, text: str, cursor: int):
    """(start, end) of `text` in `raw`: verbatim first, then allowing what cleaning took out of it."""
    pattern = _pattern(text)
    for origin in (cursor, 0):
        i = raw.find(text, origin)
        while i != -1:
            yield i, i + len(text)
            i = raw.find(text, i + 1)
        for m in pattern.finditer(raw, origin):
            yield m.start(), m.end()


def show(con: duckdb.DuckDBPyConnection, ident: str) -> Shown:
    article = find_article(con, ident)
    spans = removed_spans(con, article["article_id"])
    raw, note = raw_text(article["source_uri"], run_fields(con, article["run_id"]))
    if raw is not None:
        locate(raw, spans)
    return Shown(article, raw, note, spans)
