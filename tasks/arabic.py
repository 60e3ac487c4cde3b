"""Arabic text normalisation for scraped news (pure functions, no Prefect).

Two normalisation levels:

* :func:`normalize_display` -- the text we store and show.  It stays faithful
  to the source: diacritics and hamza/alef/teh-marbuta spellings are kept; only
  encoding noise is repaired (presentation forms, Persian/Urdu look-alike
  letters, tatweel, invisible format characters, odd whitespace, spaces around
  punctuation).
* :func:`normalize_search` -- an aggressive key for dedup and search: display
  normalisation plus diacritic stripping, letter folding, ASCII digits,
  lower-casing and punctuation removal.  ``warehouse/00_macros.sql`` defines
  the DuckDB macro ``ar_normalize(t)`` that mirrors it for short query terms;
  ``tests/unit/test_arabic.py`` checks that the two agree.

Plus two measurements: :func:`arabic_ratio` and :func:`word_count`.

Implementation notes (speed):

* Everything is ``str.translate``, ``str`` methods and precompiled regular
  expressions; no per-character Python code.  Tables are built once at import
  (~0.1 s: one pass over the Unicode database, because the stdlib ``re`` has
  no ``\\p{L}``-style classes).
* CPython's ``re`` checks characters above U+FFFF against a class by scanning
  its ranges one by one, which makes big Unicode classes (all letters, ...)
  ~10x slower.  So each such class is compiled twice: BMP-only (fast) and
  full; the full one is used only for texts that contain astral characters
  (emoji, ...), detected with a cheap one-range regex.
* ``str.translate`` with a list table is ~2x faster than with a dict, and still costs ~0.1 µs per
  non-ASCII character (a lookup through a Python int per character). A stage with a whole column to
  normalize calls the ``*_many`` functions instead: the texts are encoded as one UTF-32 array and
  mapped through a NumPy table of every code point (``_SEARCH_LUT``, ``_WORD_CLASS``,
  ``_LETTER_CLASS``, built from the same tables and ranges as the one-text functions), ~10x
  faster on the corpus; ``tests/unit/test_arabic.py`` checks they equal the one-text functions.
"""

from __future__ import annotations

import re
import sys
import unicodedata

import numpy as np

__all__ = [
    "normalize_display",
    "normalize_search",
    "arabic_ratio",
    "word_count",
    "normalize_search_many",
    "normalize_search_lines",
    "word_counts",
    "arabic_ratios",
    "letter_counts",
]

Ranges = list[tuple[int, int]]  # inclusive code-point ranges, sorted


# ---------------------------------------------------------------------------
# Unicode character classes
# ---------------------------------------------------------------------------


def _category_ranges() -> dict[str, Ranges]:
    """Ranges per general category ("Lu", "Cf", ...) and major class ("L", ...)."""
    out: dict[str, Ranges] = {}
    category = unicodedata.category
    start, prev = 0, category("\x00")
    for cp in range(1, sys.maxunicode + 2):
        cat = category(chr(cp)) if cp <= sys.maxunicode else ""
        if cat != prev:
            for key in (prev, prev[0]):
                runs = out.setdefault(key, [])
                if runs and runs[-1][1] == start - 1:
                    runs[-1] = (runs[-1][0], cp - 1)
                else:
                    runs.append((start, cp - 1))
            start, prev = cp, cat
    return out


def _merge(*parts: Ranges) -> Ranges:
    out: Ranges = []
    for lo, hi in sorted(r for part in parts for r in part):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out


def _complement(ranges: Ranges) -> Ranges:
    out: Ranges = []
    nxt = 0
    for lo, hi in _merge(ranges):
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= sys.maxunicode:
        out.append((nxt, sys.maxunicode))
    return out


def _chars(s: str) -> Ranges:
    return _merge([(ord(c), ord(c)) for c in s])


def _body(ranges: Ranges) -> str:
    """Character-class body (no brackets) for ``ranges``."""
    return "".join(f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges)


_BMP_MAX = 0xFFFF
_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")


class _CharRun:
    """``[ranges]+`` compiled twice: BMP-only (fast) and full (any text)."""

    def __init__(self, ranges: Ranges) -> None:
        ranges = _merge(ranges)
        bmp = [(lo, min(hi, _BMP_MAX)) for lo, hi in ranges if lo <= _BMP_MAX]
        astral = [(max(lo, _BMP_MAX + 1), hi) for lo, hi in ranges if hi > _BMP_MAX]
        self.bmp = re.compile(f"[{_body(bmp)}]+")
        alts = [f"[{_body(bmp)}]"] if bmp else []
        if astral:  # guard so BMP characters never scan the astral range list
            alts.append(f"(?=[\\U00010000-\\U0010ffff])[{_body(astral)}]")
        self.full = re.compile(f"(?:{'|'.join(alts)})+")

    def sub(self, repl: str, text: str) -> str:
        return (self.full if _ASTRAL_RE.search(text) else self.bmp).sub(repl, text)


_CAT = _category_ranges()
_L, _M, _N, _CF = _CAT["L"], _CAT["M"], _CAT["N"], _CAT["Cf"]
_SPACES = _merge([(cp, cp) for cp in range(_BMP_MAX + 1) if chr(cp).isspace()])  # all in BMP
_TATWEEL = "\u0640"

# Arabic-script blocks (presentation forms included so raw text measures right).
_ARABIC_BLOCKS: Ranges = [
    (0x0600, 0x06FF),  # Arabic
    (0x0750, 0x077F),  # Arabic Supplement
    (0x08A0, 0x08FF),  # Arabic Extended-A
    (0xFB50, 0xFDFF),  # Arabic Presentation Forms-A
    (0xFE70, 0xFEFF),  # Arabic Presentation Forms-B
]


# ---------------------------------------------------------------------------
# normalize_display
# ---------------------------------------------------------------------------

# Persian / Urdu look-alike letters -> Arabic letters.
_PERSIAN_TO_ARABIC = {
    "\u06a9": "\u0643",  # ک keheh            -> ك kaf
    "\u06aa": "\u0643",  # ڪ swash kaf        -> ك
    "\u06cc": "\u064a",  # ی farsi yeh        -> ي yeh
    "\u06d0": "\u064a",  # ې e                -> ي
    "\u06c0": "\u0629",  # ۀ heh with yeh     -> ة teh marbuta
    "\u06c3": "\u0629",  # ۃ teh marbuta goal -> ة
    "\u06d5": "\u0647",  # ە ae               -> ه heh
    "\u06c1": "\u0647",  # ہ heh goal         -> ه
}

# Invisible characters removed outright (all in the BMP).
_REMOVE = (
    [_TATWEEL, "\u00ad", "\u180e"]  # tatweel, soft hyphen, Mongolian vowel sep.
    + ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]  # zero-width chars, BOM
    + ["\u200e", "\u200f", "\u061c"]  # LRM, RLM, ALM
    + [chr(c) for c in range(0x202A, 0x202F)]  # LRE..RLO (embeddings/overrides)
    + [chr(c) for c in range(0x2066, 0x206A)]  # LRI..PDI (isolates)
    # other C0/C1 controls (tab, newlines, U+001C-001F, NEL are whitespace)
    + [chr(c) for c in range(0x00, 0x09)]
    + [chr(c) for c in range(0x0E, 0x1C)]
    + ["\x7f"]
    + [chr(c) for c in range(0x80, 0xA0) if c != 0x85]
)

# Vertical separators -> "\n"; every other Unicode space (NBSP, thin, tab...) -> " ".
_NEWLINES = "\n\r\v\f\x85\u2028\u2029"


def _build_display_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for lo, hi in _SPACES:
        for cp in range(lo, hi + 1):
            table[cp] = "\n" if chr(cp) in _NEWLINES else " "
    for ch in _REMOVE:
        table[ord(ch)] = None
    for src, dst in _PERSIAN_TO_ARABIC.items():
        table[ord(src)] = dst
    base = dict(table)

    # Presentation forms: NFKC of that character alone, then the rest of the
    # table on the result (U+FDFC RIAL SIGN -> "ریال" with a Farsi yeh ->
    # "ريال"; U+FE71 tatweel+fathatan form -> tatweel + fathatan -> fathatan).
    for lo, hi in ((0xFB50, 0xFDFF), (0xFE70, 0xFEFE)):  # U+FEFF (BOM) removed above
        for cp in range(lo, hi + 1):
            nf = unicodedata.normalize("NFKC", chr(cp))
            if nf == chr(cp):
                continue
            # Isolated harakat forms (U+FE70.., U+FC5E..) decompose to " " +
            # combining mark; drop that space so the mark stays on its letter.
            if nf[0] == " " and len(nf) > 1 and unicodedata.category(nf[1]) == "Mn":
                nf = nf[1:]
            table[cp] = nf.translate(base) or None
    return {cp: v for cp, v in table.items() if v != chr(cp)}


_DISPLAY_TABLE = _build_display_table()
# Characters the display table changes are rare in real text: find runs of
# them and translate only those (much faster than translating every char).
_DISPLAY_RUN_RE = re.compile(f"[{_body(_merge([(c, c) for c in _DISPLAY_TABLE]))}]+")


def _display_repl(m: re.Match[str]) -> str:
    return m.group().translate(_DISPLAY_TABLE)


# Tatweel (U+0640) stretches the joint between two Arabic letters, so it only ever follows a letter (or a
# mark on one): "قـــال" is "قال". A run with no Arabic letter before it -- between spaces ("المنيا ـ حجاج
# الحسيني", "كتب ـــ بهاء"), opening a line or a list item ("ـ أولا"), between digits ("2013ـ2014") -- is
# a dash the writer typed with the key next to the letters; deleting it would run the two sides together.
_TATWEEL_DASH_RE = re.compile(
    "(?<![\u0610-\u061a\u0620-\u065f\u066e-\u06d3\u06d5-\u06ed\u06fa-\u06ff"
    "\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc\u0640])\u0640+"
)


def _tatweel_dashes(text: str) -> str:
    return _TATWEEL_DASH_RE.sub("-", text) if _TATWEEL in text else text


_MULTI_SPACE_RE = re.compile("  +")
_BLANK_LINES_RE = re.compile("\n[ \n]+")  # "\n" + spaces/blank lines -> "\n"

# Punctuation spacing.  Runs after whitespace collapsing, so a "space" is
# exactly one " ", and only spaces (never newlines) are touched.  Text with no
# space next to the mark (3.5, 10:45, URLs) is never changed.
_OPENERS_RE = re.compile("([(«“]) ")  # "( x" -> "(x"
_SPACE_PUNCT_RE = re.compile(
    " (?:"
    "([)»”])"  # 1: "x )"   -> "x)"
    "|([،؛؟.,;:!?])(?!\\w)"  # 2: "x ، y" -> "x، y"  (mark not glued to a word)
    "|([،؛؟])(?=\\w)"  # 3: "قال ،إن" -> "قال، إن" (move the space)
    "|([,;:!?])(?=[^\\W\\d_])"  # 4: "ok ,then" -> "ok, then" (letters only)
    ")"
)


def _punct_repl(m: re.Match[str]) -> str:
    closing = m.group(1) or m.group(2)
    return closing if closing else (m.group(3) or m.group(4)) + " "


def normalize_display(text: str) -> str:
    """Clean scraped Arabic text for storage/display, keeping it faithful.

    * Arabic presentation forms (U+FB50-U+FDFF, U+FE70-U+FEFF) -> base
      letters via NFKC applied to those characters only (lam-alef ligatures
      become two letters; U+FDFA/U+FDFB become their NFKC phrases); the
      space NFKC puts in front of isolated harakat forms is dropped.
    * Persian/Urdu letters -> Arabic: ک ڪ -> ك, ی ې -> ي, ۀ ۃ -> ة, ە ہ -> ه.
    * Tatweel with no Arabic letter before it (between spaces, opening a
      line, between digits) is a dash: "المنيا ـ حجاج" -> "المنيا - حجاج".
    * Removed: tatweel inside words (elongation), soft hyphen, zero-width chars (U+200B/C/D, U+2060,
      BOM), bidi controls (LRM/RLM/ALM, U+202A-E, U+2066-9), U+180E and other
      C0/C1 control characters.
    * Whitespace: every Unicode space and tab -> " " (runs collapsed);
      CR, CRLF, VT, FF, NEL, U+2028/9 -> "\\n"; lines stripped; blank lines
      dropped (paragraphs separated by exactly one "\\n"); result stripped.
    * Punctuation spacing: no space before ، ؛ ؟ . , ; : ! ? ) » ” and none
      after ( « “.  When one of the first marks is glued to the next word
      ("قال ،إن") the space is moved after it ("قال، إن") -- for ، ؛ ؟
      always, for , ; : ! ? only before a letter, for "." never -- so
      "3 .5", ".NET", "1 ,000" and "10 :45" are left alone.  Text without
      spaces (3.5, 10:45, URLs) is never changed; newlines are never removed.
    * Kept: harakat, superscript alef, and letters such as أ إ آ ى ة.
      No NFC/NFKC is applied outside the presentation-form blocks.

    Idempotent: ``normalize_display(normalize_display(x)) == normalize_display(x)``.
    """
    s = _DISPLAY_RUN_RE.sub(_display_repl, _tatweel_dashes(text))
    if "  " in s:
        s = _MULTI_SPACE_RE.sub(" ", s)
    if "\n" in s:
        s = _BLANK_LINES_RE.sub("\n", s.replace(" \n", "\n"))
    s = s.strip(" \n")
    if "( " in s or "« " in s or "“ " in s:
        s = _OPENERS_RE.sub(r"\1", s)
    return _SPACE_PUNCT_RE.sub(_punct_repl, s)


# ---------------------------------------------------------------------------
# normalize_search
# ---------------------------------------------------------------------------

_DIACRITICS: Ranges = [(0x0610, 0x061A), (0x064B, 0x065F), (0x0670, 0x0670), (0x06D6, 0x06ED)]

_SEARCH_FOLD: dict[int, str | None] = {cp: None for lo, hi in _DIACRITICS for cp in range(lo, hi + 1)}
_SEARCH_FOLD.update({ord(c): "\u0627" for c in "\u0623\u0625\u0622\u0671\u0672\u0673"})  # أ إ آ ٱ ٲ ٳ -> ا
_SEARCH_FOLD[0x0649] = "\u064a"  # ى -> ي
_SEARCH_FOLD[0x0629] = "\u0647"  # ة -> ه
_SEARCH_FOLD[0x0624] = "\u0648"  # ؤ -> و
_SEARCH_FOLD[0x0626] = "\u064a"  # ئ -> ي
_SEARCH_FOLD.update({0x0660 + i: str(i) for i in range(10)})  # ٠-٩
_SEARCH_FOLD.update({0x06F0 + i: str(i) for i in range(10)})  # ۰-۹

# Letters, combining marks, numbers survive; everything else becomes a space.
_WORD_CHARS = _merge(_L, _M, _N)
_NON_WORD = _CharRun(_complement(_WORD_CHARS))
_IS_WORD_BMP = bytearray(_BMP_MAX + 1)
for _lo, _hi in _WORD_CHARS:
    for _cp in range(_lo, min(_hi, _BMP_MAX) + 1):
        _IS_WORD_BMP[_cp] = 1
del _lo, _hi, _cp


def _lower1(c: str) -> str:
    """Context-free lower-casing of one character (Unicode simple mapping,
    like DuckDB's lower()): "Σ" -> "σ" even word-finally, "İ" -> "i"."""
    return "i" if c == "\u0130" else c.lower()


def _build_search_list() -> list[int | str | None]:
    """One list-based translate table for the whole BMP: display table, then
    search folding, then lower-casing, then non-word characters -> " "
    (astral characters are not in the list: translate leaves them as they are)."""
    out: list[int | str | None] = []
    for cp in range(_BMP_MAX + 1):
        v = _DISPLAY_TABLE.get(cp, chr(cp))
        v = v.translate(_SEARCH_FOLD) if v else ""
        v = "".join(_lower1(c) if ord(c) > _BMP_MAX or _IS_WORD_BMP[ord(c)] else " " for c in v)
        out.append(cp if v == chr(cp) else (v or None))
    return out


_SEARCH_LIST = _build_search_list()


def normalize_search(text: str) -> str:
    """Aggressive normalisation for dedup keys and search terms.

    Equivalent to applying :func:`normalize_display` and then:

    * strip diacritics: U+0610-U+061A, U+064B-U+065F (harakat, shadda,
      sukun, hamza above/below, madda), U+0670 superscript alef,
      U+06D6-U+06ED (Quranic marks);
    * fold letters: أ إ آ ٱ ٲ ٳ -> ا, ى -> ي, ة -> ه, ؤ -> و, ئ -> ي;
    * Arabic-Indic (٠-٩) and Persian (۰-۹) digits -> ASCII 0-9;
    * lower-case, character by character (Unicode simple mapping, as DuckDB's
      ``lower()``: "Σ" -> "σ" even word-finally, "İ" -> "i");
    * every character that is not a letter, combining mark or number -- all
      punctuation incl. « » “ ” ، ؛ ؟ quotes, dashes, brackets, and also
      symbols (% $ + ...), emoji and whitespace/newlines -- becomes a space;
      runs of spaces collapse to one; strip.

    The hamza-seat folding (ؤ -> و, ئ -> ي) is deliberate: scraped spellings
    vary (hamza dropped, e.g. "سوال"/"سؤال", or typed as a separate combining
    U+0654, which is stripped as a diacritic -- folding the precomposed
    letters keeps "ؤ" and "و" + U+0654 identical).  The price is a few
    collisions (سئل/سيل), harmless for dedup/search.  It does NOT unify the
    Egyptian/Levantine spellings مسئول/مسؤول, شئون/شؤون (-> مسيول/مسوول).

    The display-only steps (punctuation spacing, line handling) cannot change
    the result, because punctuation and whitespace all become single spaces,
    so this runs as one composed translate table + ``split``/``join``.
    Mirrored for short query terms by the DuckDB macro ``ar_normalize``
    (warehouse/00_macros.sql).  Idempotent.
    """
    s = _tatweel_dashes(text).translate(_SEARCH_LIST)
    if _ASTRAL_RE.search(s):  # astral letters (Deseret, Adlam...) and emoji/symbols
        s = _NON_WORD.full.sub(" ", s.lower())  # BMP part is already lower-case
    return " ".join(s.split())


# ---------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------

_NON_LETTER = _CharRun(_complement(_L))
_NON_ARABIC_RE = re.compile(f"[^{_body(_ARABIC_BLOCKS)}]+")


def arabic_ratio(text: str) -> float:
    """Share of letters (Unicode category L*) that are in the Arabic-script blocks.

    Blocks: U+0600-06FF, U+0750-077F, U+08A0-08FF, U+FB50-FDFF, U+FE70-FEFF.
    Digits, punctuation, marks and spaces are ignored; 0.0 if there are no
    letters.  Tatweel (category Lm) counts as an Arabic letter.
    """
    # dropping spaces first leaves few non-letter runs for the regex to cut
    letters = _NON_LETTER.sub("", text.replace(" ", ""))
    if not letters:
        return 0.0
    return len(_NON_ARABIC_RE.sub("", letters)) / len(letters)


# word_count: token characters are letters, marks, numbers and format chars
# (ZWNJ/ZWJ/soft hyphen inside a word do not split it); everything else
# (whitespace, punctuation, symbols, controls) delimits.  Marks, format chars
# and tatweel are deleted first, so tokens made only of them ("ـــ") vanish;
# then the remaining non-letter/number/space characters become spaces.
_MARK_LIKE = _CharRun(_merge(_M, _CF, _chars(_TATWEEL)))
_DELIMITER_NON_SPACE = _CharRun(_complement(_merge(_L, _N, _M, _CF, _SPACES)))


def word_count(text: str) -> int:
    """Number of tokens delimited by whitespace/punctuation (and symbols) that
    contain at least one letter or digit, in any script.  Punctuation always
    splits: "3.5" and "COVID-19" are two tokens each."""
    s = _MARK_LIKE.sub("", text)
    return len(_DELIMITER_NON_SPACE.sub(" ", s).split())


# ---------------------------------------------------------------------------
# Whole columns at once (the stages): the same functions over many texts
# ---------------------------------------------------------------------------

_CODES = sys.maxunicode + 1
# normalize_search over many texts runs in UTF-16 code units (texts with astral characters take the
# one-text path): every BMP character maps to one BMP character, to nothing, or (presentation-form
# ligatures) to several. Two code points never come out of the table and mark what it cannot say in
# one unit: NUL (deleted) and U+0001 (between two texts); U+FFFF marks a character that expands.
_GONE, _BETWEEN, _EXPANDS = 0, 1, 0xFFFF


def _search_units() -> np.ndarray:
    """`_SEARCH_LIST` as a uint16 table of the BMP: what str.translate makes of each character."""
    lut = np.empty(_BMP_MAX + 1, dtype=np.uint16)
    for cp, v in enumerate(_SEARCH_LIST):
        if v is None:
            lut[cp] = _GONE
        elif isinstance(v, int):
            lut[cp] = v
        else:
            lut[cp] = ord(v) if len(v) == 1 else _EXPANDS
    made = {v for v in _SEARCH_LIST if isinstance(v, int)} | {
        ord(v) for v in _SEARCH_LIST if isinstance(v, str) and len(v) == 1
    }
    assert not made & {_GONE, _BETWEEN, _EXPANDS}, "a marker code point is a translation"
    return lut


def _class_lut(*classes: tuple[int, Ranges]) -> np.ndarray:
    """A uint8 table of every code point: the value of the last class whose ranges hold it, else 0."""
    lut = np.zeros(_CODES, dtype=np.uint8)
    for value, ranges in classes:
        for lo, hi in ranges:
            lut[lo : hi + 1] = value
    return lut


_SEARCH_UNITS = _search_units()
# word_count's classes: 1 delimits (whitespace, punctuation, symbols...), 2 is a token character (a
# letter or number), 0 is deleted first (marks, format characters, tatweel), as its regexes do.
_WORD_CLASS = _class_lut(
    (1, [(0, sys.maxunicode)]), (2, _merge(_L, _N)), (1, _SPACES), (0, _merge(_M, _CF, _chars(_TATWEEL)))
)
# arabic_ratio's classes: 1 a letter, 2 a letter in the Arabic-script blocks.
_LETTER_CLASS = _class_lut(
    (1, _L), (2, [(max(lo, a), min(hi, b)) for lo, hi in _L for a, b in _ARABIC_BLOCKS if lo <= b and a <= hi])
)


def _code_points(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The texts' code points as one uint32 array, and the offsets where each text starts (n + 1)."""
    bounds = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in texts], out=bounds[1:])
    joined = "".join(texts).encode("utf-32-le", "surrogatepass")  # a lone surrogate is one code point too
    return np.frombuffer(joined, dtype=np.uint32), bounds


def _per_text(mask: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """How many of each text's positions `mask` holds (bounds as from _code_points)."""
    total = np.zeros(len(mask) + 1, dtype=np.int64)
    np.cumsum(mask, out=total[1:])
    return total[bounds[1:]] - total[bounds[:-1]]


def _one_by_one(texts: list[str], alone: set[int]) -> list[str]:
    """normalize_search of the texts at positions `alone`, the others batched."""
    done = iter(_search_many([t for i, t in enumerate(texts) if i not in alone]))
    return [normalize_search(t) if i in alone else next(done) for i, t in enumerate(texts)]


def _search_many(texts: list[str]) -> list[str]:
    if not texts:
        return []
    texts = [_tatweel_dashes(t) for t in texts]
    joined = "\x01".join(texts)
    encoded = joined.encode("utf-16-le", "surrogatepass")
    if len(encoded) != 2 * len(joined):  # astral characters (two units each): those texts one by one
        return _one_by_one(texts, {i for i, t in enumerate(texts) if _ASTRAL_RE.search(t)})
    out = _SEARCH_UNITS[np.frombuffer(encoded, dtype=np.uint16)]
    between = np.cumsum([len(t) + 1 for t in texts[:-1]], dtype=np.int64) - 1
    out[between] = _BETWEEN
    if out.size and out.max() == _EXPANDS:  # rare: texts with a ligature that expands go one by one
        at = np.flatnonzero(out == _EXPANDS)
        return _one_by_one(texts, set(np.searchsorted(between, at).tolist()))
    out = out[out != _GONE]
    # whitespace is all " " now: collapse runs and trim each text, as " ".join(s.split()) does
    space = out == 0x20
    first = np.ones(len(out), dtype=bool)  # the unit opens its text, or follows a space
    first[1:] = (out[:-1] == 0x20) | (out[:-1] == _BETWEEN)
    out = out[~(space & first)]
    last = np.ones(len(out), dtype=bool)  # the unit closes its text
    last[:-1] = out[1:] == _BETWEEN
    out = out[~((out == 0x20) & last)]
    return out.tobytes().decode("utf-16-le", "surrogatepass").split("\x01")


# A column's texts go through NumPy in chunks of about this many characters: the arrays a chunk needs
# (code points, classes, masks, running sums: ~25 bytes a character) stay a few tens of MB, where a
# whole partition's bodies at once raised a worker's peak by over a hundred.
CHUNK_CHARS = 1 << 20


def _chunks(texts: list[str]):
    """`texts` in consecutive slices of about CHUNK_CHARS characters (one slice, empty, for none)."""
    start, size = 0, 0
    for i, text in enumerate(texts):
        size += len(text) + 1
        if size >= CHUNK_CHARS:
            yield texts[start : i + 1]
            start, size = i + 1, 0
    if start < len(texts) or not texts:
        yield texts[start:]


def normalize_search_many(texts: list[str]) -> list[str]:
    """[normalize_search(t) for t in texts], ~5x faster on a column of articles."""
    return [norm for chunk in _chunks(list(texts)) for norm in _search_many(chunk)]


def normalize_search_lines(texts: list[str]) -> list[list[str]]:
    """[[normalize_search(line) for line in t.split("\n")] for t in texts], every line of every text
    in one batch."""
    lines = [t.split("\n") for t in texts]
    flat = normalize_search_many([ln for ls in lines for ln in ls])
    out, at = [], 0
    for ls in lines:
        out.append(flat[at : at + len(ls)])
        at += len(ls)
    return out


def _kept(keep: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Where each text starts once the positions `keep` leaves out are gone."""
    kept = np.zeros(len(keep) + 1, dtype=np.int64)
    np.cumsum(keep, out=kept[1:])
    return kept[bounds]


def word_counts(texts: list[str]) -> list[int]:
    """[word_count(t) for t in texts]: runs of letters and numbers once marks, format characters and
    tatweel are out, counted per text."""
    return [n for chunk in _chunks(list(texts)) for n in _word_counts(chunk)]


def _word_counts(texts: list[str]) -> list[int]:
    cps, bounds = _code_points(texts)
    cls = _WORD_CLASS[cps]
    keep = cls != 0
    cls, bounds = cls[keep], _kept(keep, bounds)
    token = cls == 2
    opens = token.copy()
    opens[1:] &= ~token[:-1]
    starts = bounds[:-1][bounds[:-1] < bounds[1:]]
    opens[starts] = token[starts]  # a text's first token opens a run whatever ends the text before it
    return _per_text(opens, bounds).tolist()


def letter_counts(texts: list[str]) -> tuple[list[int], list[int]]:
    """Per text: its letters (category L*, what str.isalpha counts) and of them those in the
    Arabic-script blocks."""
    letters: list[int] = []
    arabic: list[int] = []
    for chunk in _chunks(list(texts)):
        some, of_them = _letter_counts(chunk)
        letters += some
        arabic += of_them
    return letters, arabic


def _letter_counts(texts: list[str]) -> tuple[list[int], list[int]]:
    cps, bounds = _code_points(texts)
    cls = _LETTER_CLASS[cps]
    return _per_text(cls != 0, bounds).tolist(), _per_text(cls == 2, bounds).tolist()


def arabic_ratios(texts: list[str]) -> list[float]:
    """[arabic_ratio(t) for t in texts]."""
    letters, arabic = letter_counts(texts)
    return [a / n if n else 0.0 for a, n in zip(arabic, letters)]
