"""Bytes of a landing file (or of one JSON line) -> text, or a quarantine reason.

Order, cheapest first:

1. UTF-8 (a BOM is dropped). This is the path of nearly every input and runs once per JSON line in
   the streaming reader, so everything after the decode is gated by a cheap scan.
2. Not UTF-8: the page an HTML/XML file declares, charset-normalizer's answer and a strict decode
   under each legacy Arabic code page (windows-1256, ISO-8859-6, CP720, MacArabic) are scored by
   how Arabic the text reads; the best Arabic-plausible reading wins (in that order on a tie).
   charset-normalizer alone gives up on many windows-1256 files ("initial chaos probing") and reads
   others as Greek or Cyrillic. When no reading is Arabic, the declared page or charset-normalizer's
   answer stands (a French latin-1 file is text too); with neither, the bytes are refused.
3. Mojibake -- UTF-8 bytes once decoded as latin-1/cp1252 ('Ø§Ù„') or as windows-1256 ('ط§ظ„')
   and saved again -- is undone: by ftfy for the Latin code pages; ftfy has no windows-1256 table,
   so that case is a strict round trip (encode windows-1256, decode UTF-8).
4. Text whose letters were already replaced by '?' or U+FFFD before it reached us is refused with
   the share lost; so are bytes that are not text at all (control characters).

Public API: :class:`Decoded`, :class:`DecodeError`, :func:`decode_bytes`, :func:`lost_share`,
:func:`lost_reason`, :func:`repair_mojibake`, :func:`arabic_share`,
:func:`definite_share`.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

import ftfy
from charset_normalizer import from_bytes

__all__ = [
    "LEGACY_ARABIC",
    "Decoded",
    "DecodeError",
    "arabic_share",
    "decode_bytes",
    "definite_share",
    "lost_reason",
    "lost_share",
    "repair_mojibake",
]

# Legacy Arabic code pages, in the order that wins a tie (windows-1256 is by far the most common).
LEGACY_ARABIC = ("cp1256", "iso8859_6", "cp720", "mac_arabic")

# A reading is Arabic-plausible when at least this share of its non-ASCII letters (plus stray
# symbols and control characters, which a wrong code page produces) are Arabic letters of Arabic
# words. Measured by bench/decode_eval.py on 2 x 500 egynews2013 texts written in each page: the
# right page scores 1.00 on every text; charset-normalizer's wrong answers (Cyrillic, Greek) 0.0;
# CP720 read for another page 0.44-0.53; random bytes at most 0.30 in any page; French in cp1252
# about 0 (its accents read as Arabic letters inside Latin words). A wrong *Arabic* page can score
# up to 1.0 (MacArabic maps windows-1256 letter bytes to other Arabic letters): among plausible
# readings definite_share() decides, not this threshold.
ARABIC_PLAUSIBLE = 0.60

# A text is 'lost at the source' when at least this share of its letters are '?' or U+FFFD.
# Measured (bench/decode_eval.py): over the text and title of every record of the three shared
# corpora (98,517 records) the highest share is 0.041 (a title), none above 0.05; the egynews2013
# sample with every non-ASCII character written as '?' scores 0.85-1.00 (the rest is Latin names
# and English words); texts written in ISO-8859-6, which lacks « » and Persian letters, at most 0.04.
LOST_MAX_SHARE = 0.30
# Fewer '?'/U+FFFD than this never make a text lost: a title of two unknown words proves nothing.
LOST_MIN_MARKS = 3

# Bytes that decode to more than this share of control characters are not text (random or binary
# data, a UTF-16 file without BOM read as UTF-8). Real text has none but tab/newline/CR/FF/VT.
CONTROL_MAX_SHARE = 0.01


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str  # Python codec name of the bytes: 'utf-8', 'cp1256', 'iso8859_6', ...
    how: str  # 'utf-8' | 'declared' | 'charset-normalizer' | 'legacy-fallback', plus '+ftfy' or
    # '+mojibake(cp1256)' when mojibake was repaired


class DecodeError(ValueError):
    """The bytes cannot be turned into the text they were written as; the message is the
    quarantine reason."""


# --- character classes -------------------------------------------------------------------------

_ARABIC_RANGES = (
    (0x0620, 0x064A),
    (0x066E, 0x06D3),
    (0x06D5, 0x06D5),
    (0x06EE, 0x06EF),
    (0x06FA, 0x06FF),
    (0x0750, 0x077F),
    (0x08A0, 0x08FF),
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFC),
)
# Symbols a wrong code page sprays into Arabic text: box drawing, currency, ¬, ¦, ×, ... and controls.
_ODD_CATEGORIES = {"Cc", "Co", "Cn", "Cs", "So", "Sk", "Sc", "Sm"}


def _is_arabic_letter(ch: str) -> bool:
    o = ord(ch)
    return any(lo <= o <= hi for lo, hi in _ARABIC_RANGES) and ch.isalpha()


_LETTER_RUN = re.compile(r"[^\W\d_]+")


def arabic_share(text: str) -> float:
    """Arabic letters / (non-ASCII letters + stray symbols and control characters): ~1.0 for Arabic
    prose read in the right code page, low for a wrong one (Latin accents, Greek, box drawing).
    ASCII letters are left out: every candidate page reads them alike, so they cannot tell pages
    apart, and an HTML page's markup would drown its Arabic. Arabic letters inside a Latin word are
    what a wrong page makes of 'é' in 'café', and count against."""
    arabic = other = 0
    for run in _LETTER_RUN.findall(text):
        if run.isascii():
            continue
        latin = sum(ch < "\x80" for ch in run)
        found = 0 if latin else sum(map(_is_arabic_letter, run))
        arabic += found
        other += len(run) - latin - found
    for ch, n in Counter(_LETTER_RUN.sub("", text)).items():
        if ch < "\x80":
            if (ch < " " and not ch.isspace()) or ch == "\x7f":
                other += n
        elif not ch.isspace() and unicodedata.category(ch) in _ODD_CATEGORIES:
            other += n
    total = arabic + other
    return arabic / total if total else 0.0


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_C1 = re.compile(r"[\x80-\x9f]")
# Every byte but the ASCII control characters (tab, LF, VT, FF, CR are text).
_NOT_CONTROL_BYTES = bytes(b for b in range(256) if not (b <= 0x08 or 0x0E <= b <= 0x1F or b == 0x7F))


def _control_share(text: str) -> float:
    return len(_CONTROL.findall(text)) / max(len(text), 1)


def _control_share_bytes(data: bytes) -> float:
    """The same for ASCII-compatible bytes (UTF-8), at memory speed: bytes.translate deletes in C."""
    return len(data.translate(None, _NOT_CONTROL_BYTES)) / max(len(data), 1)


# --- text lost at the source -------------------------------------------------------------------

_LETTER = re.compile(r"[^\W\d_]")
# A run of '?' closing a word ("why?", "Really???") is punctuation, not a lost letter.
_QUESTION = re.compile(r"(?<=[^\s?\ufffd])\?+(?=[\s\"'»)\]}.,:;!،]|$)")


def lost_share(text: str) -> float:
    """Share of the text's letters that are '?' or U+FFFD: what is left of Arabic (or any script)
    written through a code page that did not have it ('???? ?????? ??'). A question mark closing
    a word is punctuation and does not count."""
    marks = text.count("?") + text.count("\ufffd")
    if not marks:
        return 0.0
    lost = marks - sum(len(m) for m in _QUESTION.findall(text))
    if lost <= 0:
        return 0.0
    letters = len(_LETTER.findall(text))
    return lost / (letters + lost)


def lost_reason(text: str) -> str | None:
    """The quarantine reason when the text was lost at the source, else None. For a JSON record's
    text, already decoded: `if (why := lost_reason(content)): raise ValueError(why)`."""
    if text.count("?") + text.count("\ufffd") < LOST_MIN_MARKS:
        return None
    share = lost_share(text)
    if share >= LOST_MAX_SHARE:
        return f"text lost at the source: {share:.0%} of its letters are '?' or U+FFFD"
    return None


# --- mojibake ----------------------------------------------------------------------------------


def _continuations(codec: str) -> str:
    """How UTF-8 continuation bytes (0x80-0xBF) look when read in `codec` (undefined bytes read
    as latin-1, as browsers and ftfy's 'sloppy' codecs do)."""
    out = []
    for b in range(0x80, 0xC0):
        try:
            out.append(bytes([b]).decode(codec))
        except UnicodeDecodeError:
            out.append(bytes([b]).decode("latin-1"))
    return re.escape("".join(out))


# UTF-8 lead byte + continuation read as latin-1/cp1252 ('Ø§', 'Ã©') or as windows-1256 ('ط§', 'ظ„').
_MOJIBAKE_LATIN = re.compile(f"[\u00c2-\u00df][{_continuations('cp1252')}]")
_MOJIBAKE_1256 = re.compile(f"[\u0637\u0638\u0639\u063a][{_continuations('cp1256')}]")
# Arabic prose has a few such pairs by chance ('نفط»'); mojibake has one per letter.
MOJIBAKE_MIN_PAIRS = 3


# Substrings without which neither kind of mojibake is there: 'ا' (in nearly every Arabic text) read
# as cp1256; the lead bytes of Arabic (Ø Ù) and of accented Latin (Ã Â) read as latin-1. Looked for
# in the first 2,000 characters (mojibake spoils a whole text): `in` is a fast C search, the regexes
# below run only when one is found (a regex scan costs ~6 µs/KiB, this gate ~2 µs/KiB).
_MOJIBAKE_GATE = ("\u0637\u00a7", "\u00d8", "\u00d9", "\u00c3", "\u00c2")
_GATE_CHARS = 2000


def repair_mojibake(text: str) -> tuple[str, str]:
    """(text, '' | '+ftfy' | '+mojibake(cp1256)'). decode_bytes applies it to what it decodes; call
    it on a JSON record's strings too, where mojibake may hide behind escapes ("\\u00d8\\u00a7")."""
    head = text[:_GATE_CHARS]
    if not any(g in head for g in _MOJIBAKE_GATE):
        return text, ""
    if len(_MOJIBAKE_1256.findall(text, 0, 4000)) >= MOJIBAKE_MIN_PAIRS:
        try:  # strict both ways: real Arabic almost never forms valid UTF-8 once encoded in cp1256
            fixed = text.encode("cp1256").decode("utf-8")
        except UnicodeError:
            fixed = text
        if fixed != text:
            return fixed, "+mojibake(cp1256)"
    if len(_MOJIBAKE_LATIN.findall(text, 0, 4000)) >= MOJIBAKE_MIN_PAIRS:
        fixed, steps = ftfy.fix_encoding_and_explain(text)
        if steps and fixed != text:
            return fixed, "+ftfy"
    return text, ""


# --- legacy code pages -------------------------------------------------------------------------

# <meta charset="windows-1256">, <meta ... content="text/html; charset=windows-1256">, <?xml encoding="...">
_DECLARED = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?([A-Za-z][A-Za-z0-9_.:-]{1,30})""", re.I)


def _declared(data: bytes) -> str | None:
    """The code page an HTML or XML file names in its first 4 KiB, as a Python codec name."""
    m = _DECLARED.search(data, 0, 4096)
    if not m:
        return None
    try:
        name = codecs.lookup(m.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    return None if name.startswith(("utf-16", "utf-32")) else name  # an ASCII declaration is not UTF-16


def _readings(data: bytes) -> list[tuple[str, str, str]]:
    """(text, encoding, how) for the page the file declares, charset-normalizer's answer, then
    every legacy Arabic page that decodes the bytes strictly; earlier ones win a tie. A declaration
    is only a candidate: servers often declare iso-8859-1 for windows-1256 pages."""
    out = []
    declared = _declared(data)
    if declared:
        try:
            out.append((data.decode(declared), declared, "declared"))
        except UnicodeDecodeError:
            pass
    best = from_bytes(data).best()
    if best is not None:
        out.append((str(best), best.encoding, "charset-normalizer"))
    for enc in LEGACY_ARABIC:
        try:
            out.append((data.decode(enc), enc, "legacy-fallback"))
        except UnicodeDecodeError:
            continue
    return out


_WORD = re.compile(r"\S+")
# the article, alone or after a one-letter prefix: ال، وال، فال، بال، كال، لل
_DEFINITE = re.compile(r"(?:^|(?<=\s))[\W\d_]*[\u0648\u0641\u0628\u0643]?(?:\u0627\u0644|\u0644\u0644)")


def definite_share(text: str) -> float:
    """Share of words that start with the article 'ال' (a third of the words of Arabic prose).
    A wrong Arabic code page still yields Arabic letters, but other ones (windows-1256 'ل' is
    MacArabic 'ف', ISO-8859-6 'ل' is windows-1256 'ن'), and this share falls to about zero."""
    words = len(_WORD.findall(text))
    return len(_DEFINITE.findall(text)) / words if words else 0.0


def _decode_not_utf8(data: bytes) -> tuple[str, str, str]:
    readings = _readings(data)
    scored = [(arabic_share(text), i, text, enc, how) for i, (text, enc, how) in enumerate(readings)]
    plausible = [r for r in scored if r[0] >= ARABIC_PLAUSIBLE]
    if plausible:
        # no C1 control characters (ISO-8859-6 reads bytes 0x80-0x9F, letters in MacArabic, as
        # controls no text holds), the most Arabic-like letters, then the most Arabic letters; on a
        # tie the declared page, charset-normalizer's answer, then LEGACY_ARABIC order (MacArabic
        # reads ISO-8859-6 Arabic letters alike)
        best = max(plausible, key=lambda r: (not _C1.search(r[2]), round(definite_share(r[2]), 2), r[0], -r[1]))
        return best[2], best[3], best[4]
    if readings and readings[0][2] in ("declared", "charset-normalizer"):
        return readings[0]  # not Arabic, but declared or recognised as some text
    tried = max(((s, enc) for s, _, _, enc, _ in scored), default=None)
    detail = f" (best legacy reading {tried[1]}: {tried[0]:.0%} Arabic letters)" if tried else ""
    raise DecodeError(f"could not detect the text encoding: not UTF-8, charset-normalizer found none{detail}")


def decode_bytes(data: bytes, *, check_lost: bool = True) -> Decoded:
    """Decode one file's (or one JSON line's) bytes; raises DecodeError with the quarantine reason.

    check_lost=False skips the '?'-lost check: for a JSON line, where keys and escapes dilute the
    share; the reader then calls lost_share() on the record's text field instead."""
    try:
        text, encoding, how = data.decode("utf-8-sig"), "utf-8", "utf-8"
        controls = _control_share_bytes(data)
    except UnicodeDecodeError:
        text, encoding, how = _decode_not_utf8(data)
        controls = _control_share(text)
    text, repaired = repair_mojibake(text)
    if repaired:  # latin-1 mojibake is full of C1 controls, the repaired text is what counts
        controls = _control_share(text)
    if controls > CONTROL_MAX_SHARE:
        raise DecodeError(f"not text: {controls:.0%} of its characters are control characters ({encoding})")
    if check_lost and (why := lost_reason(text)):
        raise DecodeError(why)
    return Decoded(text, encoding, how + repaired)
