"""Which JSON key feeds which article field, inferred per input file from a sample of its records.

A fixed list of key names misses every feed that calls its date 'pubDate', 'article_date' or
'timestamp': on a real archive 99% of the articles got no publication date, silently. Here each
article field is mapped, in this order of trust:

1. "override"     -- the user's choice (FieldMap.prefer, `--field published=pub_ts`);
2. "name"         -- a known name (FieldMap's lists, in their order), when its values fit the field;
3. "name pattern" -- a key whose name says what it holds (`*date*`, `*_at`, `pub*`, `تاريخ*`, `*url*`,
                     `*author*`, ...), when its values fit;
4. "values"       -- a key, whatever its name, whose sample values look like the field: most parse
                     as dates (tasks.dates.parse_date); most are http(s) URLs; the longest prose
                     (text); short one-line strings (title); unique tokens (id); a few repeated values
                     that name the site of the record's URL (outlet);
5. a known name whose values do not fit, rather than nothing ("name, values do not fit").

Values decide between keys a name alone cannot: a key named 'date' holding edition numbers loses to
'release' holding dates. One level of nesting is looked into ('meta.date'). Reading a record never
raises, whatever its values are (`"keywords": 5`, `"tags": true`, lists of lists ...).

    mapping = infer_mapping(first_50_records, settings.fields)
    log.info("%s: %s", path, mapping.describe())
    values = mapping.extract(record)      # {'text': ..., 'text_key': ..., 'published': ..., ...}
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from fnmatch import fnmatchcase
from statistics import mean
from typing import Any
from urllib.parse import urlsplit

from akhbar.tasks.dates import parse_date

from akhbar.settings import FieldMap

__all__ = ["ARTICLE_FIELDS", "FieldChoice", "FieldMapping", "as_keywords", "as_text", "infer_mapping"]

# The article fields a JSON record can feed, in the order keys are handed out within each tier
# (a key goes to one field only: the text before the title, the URL before the outlet, ...).
ARTICLE_FIELDS = ("text", "url", "published", "id", "title", "outlet", "author", "category", "keywords")
DESCRIBE_ORDER = ("text", "title", "url", "id", "published", "author", "outlet", "category", "keywords")

# A key's values fit a field when at least this share of its non-empty sample values look like it.
# A date key whose values are 80% dates is the date key; a stray date in an unrelated key is not.
MOST = 0.8
# A key is chosen by its values alone only when it is non-empty in at least half the sample.
VALUES_MIN_COVERAGE = 0.5
# Text: mean length of a body, in characters and words (Settings.min_chars is 80).
TEXT_MIN_CHARS = 80
TEXT_MIN_WORDS = 10
# Title: one line, a headline's length in words.
TITLE_WORDS = (2, 40)
# Outlet by value: at most this share of distinct values in the sample (one site, or a few).
OUTLET_MAX_DISTINCT = 0.2
# Values longer than this are not dates, ids, titles or outlets (and are not parsed).
SHORT_VALUE = 300
# Nested values: one level of dotted keys; lists deeper than this are not walked.
MAX_DEPTH = 4


# --- reading one value -----------------------------------------------------------------------
# The same as tasks/read.py's _as_text/_as_keywords for strings, numbers, lists and dicts (a dict
# gives its 'name', 'text' or 'value'), copied here because those raise on hostile values
# ("keywords": 5 or true is iterated; a list nested 1,000 deep overflows the stack). Differences:
# a bool is no text (None) and no keyword; a dict of keywords gives its name, not its keys.


def as_text(v: Any, depth: int = 0) -> str | None:
    if v is None or isinstance(v, bool) or depth > MAX_DEPTH:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        return "\n".join(as_text(x, depth + 1) or "" for x in v) or None
    if isinstance(v, dict):
        return as_text(v.get("name") or v.get("text") or v.get("value"), depth + 1)
    return str(v)


def as_keywords(v: Any) -> list[str]:
    if v is None or isinstance(v, bool):
        return []
    if isinstance(v, str):
        return [k.strip() for k in re.split(r"[،,;|]", v) if k.strip()]
    if isinstance(v, list):
        return [t.strip() for t in (as_text(k, 1) for k in v) if t and t.strip()]
    t = as_text(v)
    return [t.strip()] if t and t.strip() else []


def _empty(v: Any) -> bool:
    return v is None or (isinstance(v, (str, list, dict)) and not (v.strip() if isinstance(v, str) else v))


def _get(rec: dict, key: str) -> Any:
    if key in rec:
        return rec[key]
    head, dot, tail = key.partition(".")
    if dot:
        sub = rec.get(head)
        if isinstance(sub, dict):
            return sub.get(tail)
    return None


def _first(rec: dict, keys: tuple[str, ...]) -> tuple[str | None, Any]:
    for k in keys:
        v = _get(rec, k)
        if not _empty(v):
            return k, v
    return None, None


# --- the mapping -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldChoice:
    key: str | None  # the JSON key read first ('meta.date' for a nested one)
    how: str  # 'override' | 'name' | 'name pattern' | 'values' |
    # 'name, values do not fit' | 'unmapped'
    fallbacks: tuple[str, ...] = ()  # known names read, in order, when the key is empty in a record

    @property
    def keys(self) -> tuple[str, ...]:
        return ((self.key,) if self.key else ()) + self.fallbacks


@dataclass(frozen=True)
class FieldMapping:
    choices: dict[str, FieldChoice] = field(default_factory=dict)

    @property
    def unmapped(self) -> list[str]:
        """Article fields no key of the sample feeds (known names may still fill them later)."""
        return [f for f in DESCRIBE_ORDER if self.choices[f].key is None]

    def key(self, name: str) -> str | None:
        return self.choices[name].key

    def extract(self, rec: Any) -> dict:
        """The record's raw values: text (and text_key, the key it came from), title, url, id,
        published, author, outlet, category as text or None; keywords as a list. Never raises."""
        out: dict[str, Any] = {f: None for f in ARTICLE_FIELDS}
        out["keywords"], out["text_key"] = [], None
        if not isinstance(rec, dict):
            return out
        for name in ARTICLE_FIELDS:
            key, v = _first(rec, self.choices[name].keys)
            if name == "keywords":
                out[name] = as_keywords(v)
            else:
                out[name] = as_text(v)
            if name == "text":
                out["text_key"] = key
        return out

    def describe(self) -> str:
        """One line for the run log and report: "text <- 'text' (name), ..., author unmapped"."""
        parts = []
        for name in DESCRIBE_ORDER:
            c = self.choices[name]
            parts.append(f"{name} unmapped" if c.key is None else f"{name} <- {c.key!r} ({c.how})")
        return ", ".join(parts)


# --- what values look like -------------------------------------------------------------------

_URL = re.compile(r"^https?://[^\s/]+", re.I)
_MEDIA_FILE = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|mp4|mp3|m3u8|pdf)(?:[?#]|$)", re.I)
_TOKEN = re.compile(r"^[\w.:/#@+=-]{1,100}$")


def _short_str(v: Any) -> str | None:
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        return None
    s = str(v).strip()
    return s if 0 < len(s) <= SHORT_VALUE else None


def _is_date(v: Any) -> bool:
    s = _short_str(v)
    return bool(s) and len(s) <= 64 and any(c.isdigit() for c in s) and parse_date(s) is not None


def _is_url(v: Any) -> bool:
    return isinstance(v, str) and bool(_URL.match(v.strip())) and not _MEDIA_FILE.search(v.strip())


def _share(values: list, test: Callable[[Any], bool], stop_below: float = MOST) -> float:
    """Share of values passing `test`; stops early once `stop_below` cannot be reached (parse_date
    is not free)."""
    if not values:
        return 0.0
    passed = failed = 0
    allowed = len(values) * (1 - stop_below)
    for v in values:
        if test(v):
            passed += 1
        else:
            failed += 1
            if failed > allowed:
                return passed / len(values)
    return passed / len(values)


def _words(s: str) -> int:
    return len(s.split())


def _texts(values: list) -> list[str]:
    return [t for t in (as_text(v) for v in values) if t and t.strip()]


def _fits_text(values: list) -> float:
    strs = [v for v in values if isinstance(v, str)]
    if len(strs) < MOST * len(values) or not strs:
        return 0.0
    if mean(map(len, strs)) < TEXT_MIN_CHARS or mean(map(_words, strs)) < TEXT_MIN_WORDS:
        return 0.0
    if _share(strs, _is_url, 0.0) > 0.5:
        return 0.0
    return mean(map(len, strs))  # the longest prose wins


def _fits_title(values: list) -> float:
    strs = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    if len(strs) < MOST * len(values):
        return 0.0
    one_line = [s for s in strs if "\n" not in s and len(s) <= SHORT_VALUE and not _URL.match(s)]
    if len(one_line) < MOST * len(strs):
        return 0.0
    words = mean(map(_words, one_line))
    if not TITLE_WORDS[0] <= words <= TITLE_WORDS[1] or len(set(one_line)) < 0.5 * len(one_line):
        return 0.0
    return words  # headlines are longer than bylines, places and section names


def _fits_id(values: list) -> float:
    toks = [s for s in map(_short_str, values) if s and _TOKEN.match(s)]
    if len(toks) < len(values) or len(set(toks)) < len(toks) or _URL.match(toks[0]):
        return 0.0  # every value a token, all distinct
    if _share(toks, _is_date, 0.0) > 0.2:
        return 0.0  # timestamps are unique too, but not an identity
    return 1.0 / mean(map(len, toks))  # the shortest such key


def _fits_outlet(pairs: list[tuple[Any, str | None]]) -> float:
    """(value, the record's URL) pairs: a few distinct short values, repeated, that name the site of
    the record's URL or are domain names. Category, country and language values are few and
    repeated too; naming the site is what tells an outlet."""
    strs = [(s, url) for s, url in ((_short_str(v), url) for v, url in pairs) if s]
    if not strs or len(strs) < MOST * len(pairs) or any("\n" in s or len(s) > 80 for s, _ in strs):
        return 0.0
    if len({s for s, _ in strs}) > max(1, OUTLET_MAX_DISTINCT * len(strs)):
        return 0.0
    return _share(strs, _names_site, 0.0)


def _names_site(pair: tuple[str, str | None]) -> bool:
    """'alarabiya' for http://www.alarabiya.net/..., or a domain name itself ('jawharafm.net')."""
    value, url = pair
    v = value.lower().replace(" ", "")
    if re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", v):
        return True
    try:
        host = (urlsplit(url.strip()).hostname or "") if url else ""
    except ValueError:  # a URL urllib cannot parse (`http://[::1`) names no site
        host = ""
    labels = [p for p in host.removeprefix("www.").split(".") if len(p) > 2]
    # contained either way ('skynews' in skynewsarabia.com), or spelt a little differently
    # ('alarabia' for alarabiya.net)
    return any(v in p or (len(v) > 3 and p in v) or SequenceMatcher(None, v, p).ratio() >= 0.8 for p in labels)


def _fits_strings(values: list) -> float:
    """Author, category: short one-line text (or lists of it)."""
    texts = _texts(values)
    ok = [t for t in texts if len(t) <= SHORT_VALUE and not _URL.match(t)]
    return 1.0 if texts and len(ok) >= MOST * len(values) else 0.0


def _fits_keywords(values: list) -> float:
    ok = [v for v in values if isinstance(v, (list, str)) and as_keywords(v)]
    return 1.0 if len(ok) >= MOST * len(values) else 0.0


# --- what names say --------------------------------------------------------------------------
# Glob patterns on the lower-cased key (its last part for 'meta.date'), most telling first.
PATTERNS: dict[str, tuple[str, ...]] = {
    "published": ("published*", "pub*", "issued*", "created*", "*date*", "تاريخ*", "*_at", "*time*"),
    "text": ("*text*", "*content*", "*body*", "*article*", "*story*", "*html*", "نص*", "*محتوى*"),
    "url": ("*url*", "*link*", "*href*", "*uri", "permalink*", "رابط*"),
    "title": ("*title*", "*headline*", "*heading*", "عنوان*"),
    "id": ("*_id", "*-id", "guid*", "uuid*", "*identifier*", "معرف*"),
    "author": (
        "*author*",
        "*byline*",
        "*writer*",
        "*creator*",
        "*reporter*",
        "*journalist*",
        "*كاتب*",
        "مؤلف*",
        "محرر*",
    ),
    "outlet": (
        "*outlet*",
        "*publisher*",
        "*source*",
        "*site*",
        "*newspaper*",
        "*channel*",
        "*provider*",
        "*domain*",
        "مصدر*",
        "موقع*",
        "صحيفة*",
        "جريدة*",
    ),
    "category": ("*categor*", "*section*", "*topic*", "*rubric*", "*genre*", "*قسم*", "*تصنيف*"),
    "keywords": ("*keyword*", "*tag*", "كلمات*", "وسوم*"),
}
# Names that match a pattern but say the key holds something else.
NOT_PATTERNS: dict[str, tuple[str, ...]] = {
    "published": (
        "*updat*",
        "*modif*",
        "*crawl*",
        "*scrap*",
        "*fetch*",
        "*retriev*",
        "*download*",
        "*index*",
        "*expir*",
        "*edit*",
        "*insert*",
        "*ingest*",
        "*seen*",
        "*zone*",
        "*tz*",
        "*reading*",
        "*duration*",
    ),
    "text": ("*summary*", "*abstract*", "*excerpt*", "*teaser*", "*_id", "*url*", "*length*", "*count*"),
    "url": (
        "*image*",
        "*img*",
        "*thumb*",
        "*photo*",
        "*video*",
        "*media*",
        "*icon*",
        "*logo*",
        "*avatar*",
        "*audio*",
        "*pic*",
        "*amp*",
    ),
    "title": ("*subtitle*", "*sub_title*", "*_id", "*url*"),
    "id": ("*author*", "*user*", "*categor*", "*section*", "*feed*", "*site*", "*outlet*", "*parent*", "*image*"),
    "author": ("*_id", "*url*", "*email*", "*image*", "*avatar*"),
    "outlet": ("*_id", "*url*", "*path*", "*logo*", "*image*"),
    "category": ("*_id", "*url*"),
    "keywords": ("*_id", "*url*"),
}


def _pattern_rank(name: str, key: str) -> int | None:
    leaf = key.rsplit(".", 1)[-1]
    low = leaf.lower()
    if any(fnmatchcase(low, p) for p in NOT_PATTERNS[name]):
        return None
    if name == "id" and leaf != low and leaf.endswith("Id"):  # camelCase: docId, articleId
        return 0
    return next((i for i, p in enumerate(PATTERNS[name]) if fnmatchcase(low, p)), None)


# --- inference -------------------------------------------------------------------------------


def _columns(sample: list) -> tuple[list[str], dict[str, list[Any]], int]:
    """Keys in first-seen order (dotted ones for one level of nesting), and their non-empty values."""
    order: list[str] = []
    cols: dict[str, list[Any]] = {}
    records = [r for r in sample if isinstance(r, dict)]

    def add(key: str, v: Any) -> None:
        if key not in cols:
            order.append(key)
            cols[key] = []
        if not _empty(v):
            cols[key].append(v)

    for rec in records:
        for k, v in rec.items():
            if not isinstance(k, str):
                continue
            add(k, v)
            if isinstance(v, dict):
                for k2, v2 in v.items():
                    if isinstance(k2, str) and not isinstance(v2, dict):
                        add(f"{k}.{k2}", v2)
    return order, cols, len(records)


def _fits_named_url(values: list) -> float:
    """A known URL name may hold site-relative links ('/ar/article/12'), as the fixed lists took."""
    return _share(values, lambda v: _is_url(v) or (isinstance(v, str) and v.strip().startswith("/")))


def infer_mapping(sample: list, fields: FieldMap | None = None) -> FieldMapping:
    """Map each article field to a JSON key of `sample` (the first ~50 records of one file).
    Never raises on what the records hold; non-dict records are passed over."""
    fields = fields or FieldMap()
    sample = list(sample)
    order, cols, n = _columns(sample)
    records = [r for r in sample if isinstance(r, dict)]
    chosen: dict[str, FieldChoice] = {}
    taken: set[str] = set()

    def fit(name: str, key: str, tier: str) -> float:
        """How well the sample values of `key` fit field `name`; > 0 is a fit (>= MOST for shares)."""
        values = cols.get(key) or []
        if not values:
            return 0.0
        if name == "published":
            share = _share(values, _is_date)
        elif name == "url":
            share = _fits_named_url(values) if tier == "name" else _share(values, _is_url)
        elif name == "text":
            if tier == "name":
                return mean(len(t) for t in _texts(values)) if len(_texts(values)) >= MOST * len(values) else 0.0
            return _fits_text(values)
        elif name == "title":
            return _fits_strings(values) if tier == "name" else _fits_title(values)
        elif name == "id":
            return _fits_strings(values) if tier == "name" else _fits_id(values)
        elif name == "outlet" and tier == "values":
            url_key = chosen["url"].key if "url" in chosen else None
            pairs = [
                (_get(r, key), as_text(_get(r, url_key)) if url_key else None)
                for r in records
                if not _empty(_get(r, key))
            ]
            return _fits_outlet(pairs)
        elif name == "keywords":
            return _fits_keywords(values)
        else:
            return _fits_strings(values)
        return share if share >= MOST else 0.0

    def take(name: str, key: str, how: str) -> None:
        chosen[name] = FieldChoice(key, how)
        taken.add(key)

    # 1. the user's overrides
    for name, key in fields.overrides.items():
        if name in ARTICLE_FIELDS:
            take(name, key, "override")
    # 2. known names whose values fit, in FieldMap order
    for name in ARTICLE_FIELDS:
        key = (
            None
            if name in chosen
            else next(
                (k for k in getattr(fields, name) if k not in taken and cols.get(k) and fit(name, k, "name") > 0), None
            )
        )
        if key:
            take(name, key, "name")
    # 3. names that say what they hold, whose values fit: the most telling pattern, then the best fit
    for name in ARTICLE_FIELDS:
        if name in chosen:
            continue
        ranked = [
            (r, -f, i, k)
            for i, k in enumerate(order)
            if k not in taken
            and cols[k]
            and (r := _pattern_rank(name, k)) is not None
            and (f := fit(name, k, "pattern")) > 0
        ]
        if ranked:
            take(name, min(ranked)[3], "name pattern")
    # 4. values alone, for the fields whose values say what they are: the key present in the most
    #    records first (a headline is in every record, a one-line abstract in some), then the best fit
    for name in ("text", "url", "published", "id", "title", "outlet"):
        if name in chosen:
            continue
        scored = [
            (round(len(cols[k]) / n, 1), f, -i, k)
            for i, k in enumerate(order)
            if k not in taken and len(cols[k]) >= VALUES_MIN_COVERAGE * n and (f := fit(name, k, "values")) > 0
        ]
        if scored:
            take(name, max(scored)[3], "values")
    # 5. a known name whose values do not fit rather than nothing
    for name in ARTICLE_FIELDS:
        key = (
            None if name in chosen else next((k for k in getattr(fields, name) if k not in taken and cols.get(k)), None)
        )
        if key:
            take(name, key, "name, values do not fit")

    # Known names stay behind the chosen key for records where it is empty (as the fixed lists did),
    # except names present in the sample whose values do not fit (a 'date' holding edition numbers).
    out = {}
    for name in ARTICLE_FIELDS:
        c = chosen.get(name, FieldChoice(None, "unmapped"))
        back = tuple(
            k
            for k in getattr(fields, name)
            if k != c.key and k not in taken and (not cols.get(k) or fit(name, k, "name") > 0)
        )
        out[name] = FieldChoice(c.key, c.how, back)
    return FieldMapping(out)
