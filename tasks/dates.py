"""Publication-date parsing for scraped Arabic news.

Pure functions, no Prefect.  Public API:

* :func:`parse_date` -- a publication-date string -> aware UTC ``datetime`` or ``None``.
* :data:`DATE_LABEL_RE` -- matches a label line such as ``تاريخ النشر: ...`` or
  ``Published: ...``; group ``value`` is the date part.
* :func:`find_date_line` -- a whole line that is a label line or a bare date line
  -> parsed date, else ``None``.

Strategy (cheapest first):

1. RFC 2822 (``Sun, 15 Jul 2018 21:56:56 +0400``) gated by a regex, parsed by
   :func:`email.utils.parsedate_to_datetime`.
2. Strip a label prefix (``تاريخ النشر:``, ``Published:`` ...).
3. Normalise (Arabic-Indic / Persian digits, alef/ta-marbuta/alef-maqsura forms,
   tatweel, diacritics, bidi marks, dashes, case) and try a full-match ISO 8601.
4. Token scan: Gregorian dates with Arabic (Egyptian/Gulf, Levantine/Iraqi,
   Maghrebi) or English month names, numeric dates, Hijri dates (converted with
   ``hijridate`` / Umm al-Qura when no Gregorian date is given), time of day with
   ص/م/AM/PM, and GMT/UTC/numeric offsets or ``بتوقيت <city>``.  Whatever is
   left over must be date vocabulary (weekday names, ``الموافق``, ``الساعة`` ...);
   a few unknown words are tolerated by :func:`parse_date`, none by
   :func:`find_date_line` for a bare line -- this is what keeps prose out.
5. ``dateparser`` with ``STRICT_PARSING`` (day, month and year required), only
   for short strings containing a 4-digit year, so relative phrases
   (``منذ 3 ساعات``) and prose never become dates.

A date without a year (``17 سبتمبر``) or without a day (``سبتمبر 2023``) is
``None``: a publication date must be a full calendar date.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from functools import lru_cache

__all__ = ["DATE_LABEL_RE", "find_date_line", "parse_date"]

UTC = timezone.utc

MIN_YEAR = 1900
MAX_YEAR = 2100
HIJRI_MIN_YEAR = 1300
HIJRI_MAX_YEAR = 1600

# A publication-date string longer than this is not a date string.
MAX_INPUT_LEN = 300
# find_date_line ignores longer lines outright (body paragraphs).
MAX_LINE_LEN = 160
# Unknown (non-date) words tolerated next to a full date by parse_date.
LENIENT_UNKNOWN_WORDS = 2

# --------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------

_TRANSLATE: dict[int, str | None] = {}
for _i in range(10):
    _TRANSLATE[0x0660 + _i] = str(_i)  # Arabic-Indic digits
    _TRANSLATE[0x06F0 + _i] = str(_i)  # Extended Arabic-Indic (Persian/Urdu)
_TRANSLATE.update(
    {
        ord("أ"): "ا",
        ord("إ"): "ا",
        ord("آ"): "ا",
        ord("ٱ"): "ا",
        ord("ة"): "ه",
        ord("ى"): "ي",
        ord("ی"): "ي",  # Persian yeh
        ord("ې"): "ي",
        ord("ک"): "ك",  # Persian kaf
        ord("ۀ"): "ه",
        ord("ە"): "ه",
        ord("ـ"): None,  # tatweel
        ord("،"): ",",
        ord("؛"): ";",
        ord("٫"): ".",
        ord("٬"): ",",
        ord("–"): "-",
        ord("—"): "-",
        ord("‐"): "-",
        ord("‑"): "-",
        ord("−"): "-",
        ord("／"): "/",
        ord("："): ":",
    }
)
for _cp in list(range(0x064B, 0x0660)) + [0x0670]:  # harakat, shadda, sukun, dagger alef
    _TRANSLATE[_cp] = None
for _cp in (0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x061C, 0xFEFF, *range(0x202A, 0x202F), *range(0x2066, 0x206A)):
    _TRANSLATE[_cp] = None  # zero-width and bidi controls
for _cp in (0x00A0, 0x2007, 0x202F, 0x2009, 0x200A, 0x2002, 0x2003, 0x3000):
    _TRANSLATE[_cp] = " "

_WS_RE = re.compile(r"\s+")


def _normalize(text: str) -> str:
    """Digits to ASCII, Arabic letter variants folded, lower-cased, single spaces."""
    return _WS_RE.sub(" ", text.translate(_TRANSLATE)).strip().lower()


# --------------------------------------------------------------------------
# Month / weekday tables (keys are written naturally, normalised at import)
# --------------------------------------------------------------------------

_GREGORIAN_MONTHS_RAW: dict[str, int] = {
    # Egyptian / Gulf (transliterated)
    "يناير": 1,
    "فبراير": 2,
    "مارس": 3,
    "أبريل": 4,
    "ابريل": 4,
    "إبريل": 4,
    "مايو": 5,
    "يونيو": 6,
    "يونيه": 6,
    "يوليو": 7,
    "يوليه": 7,
    "أغسطس": 8,
    "اغسطس": 8,
    "اغسطوس": 8,
    "سبتمبر": 9,
    "سبتمر": 9,
    "أكتوبر": 10,
    "اكتوبر": 10,
    "نوفمبر": 11,
    "ديسمبر": 12,
    # Levantine / Iraqi (Syriac)
    "كانون الثاني": 1,
    "كانون ثاني": 1,
    "شباط": 2,
    "آذار": 3,
    "اذار": 3,
    "نيسان": 4,
    "أيار": 5,
    "ايار": 5,
    "حزيران": 6,
    "تموز": 7,
    "آب": 8,
    "اب": 8,
    "أيلول": 9,
    "ايلول": 9,
    "تشرين الأول": 10,
    "تشرين الاول": 10,
    "تشرين أول": 10,
    "تشرين الثاني": 11,
    "تشرين ثاني": 11,
    "كانون الأول": 12,
    "كانون الاول": 12,
    "كانون أول": 12,
    # Maghrebi (Morocco / Algeria / Tunisia)
    "ماي": 5,
    "يوليوز": 7,
    "غشت": 8,
    "شتنبر": 9,
    "نونبر": 11,
    "دجنبر": 12,
    "جانفي": 1,
    "فيفري": 2,
    "أفريل": 4,
    "افريل": 4,
    "جوان": 6,
    "جويلية": 7,
    "اوت": 8,
    "أوت": 8,
    # English
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}

_HIJRI_MONTHS_RAW: dict[str, int] = {
    "محرم": 1,
    "المحرم": 1,
    "صفر": 2,
    "ربيع الأول": 3,
    "ربيع الاول": 3,
    "ربيع أول": 3,
    "ربيع الآخر": 4,
    "ربيع الاخر": 4,
    "ربيع الثاني": 4,
    "ربيع ثاني": 4,
    "ربيع آخر": 4,
    "جمادى الأولى": 5,
    "جمادى الاولى": 5,
    "جمادى الأول": 5,
    "جمادى الاول": 5,
    "جمادى أولى": 5,
    "جمادى الآخرة": 6,
    "جمادى الاخرة": 6,
    "جمادى الثانية": 6,
    "جمادى الثاني": 6,
    "جمادى الآخر": 6,
    "جمادى الاخر": 6,
    "جمادى آخرة": 6,
    "جمادى ثانية": 6,
    "رجب": 7,
    "شعبان": 8,
    "رمضان": 9,
    "شوال": 10,
    "ذو القعدة": 11,
    "ذي القعدة": 11,
    "ذوالقعدة": 11,
    "ذو القعده": 11,
    "ذو الحجة": 12,
    "ذي الحجة": 12,
    "ذوالحجة": 12,
}

_VOCAB_RAW = (
    # weekdays
    "الأحد الاحد الإثنين الاثنين الأثنين الاتنين الثلاثاء الثلاثا الأربعاء الاربعاء الخميس الجمعة السبت "
    "احد اثنين ثلاثاء اربعاء خميس جمعة سبت "
    "sunday monday tuesday wednesday thursday friday saturday sun mon tue tues wed thu thur thurs fri sat "
    # calendar markers / connectors
    "يوم اليوم الموافق موافق م ه هـ ق هجري هجرية ميلادي ميلادية للهجرة الهجري الميلادي "
    "الساعة ساعة الساعه عند في على من بتاريخ تاريخ و "
    "ص م صباحا صباحاً مساء مساءً مساءا ظهرا ظهراً فجرا فجراً ليلا "
    "am pm a.m p.m at on of the t z "
    # timezone words
    "gmt utc غرينتش غرينيتش جرينتش جرينيتش توقيت بتوقيت "
    # label words (for values that carry a second label, e.g. "... | آخر تحديث: ...")
    "النشر نشر نشرت نشره تم التحديث تحديث تحديثه اخر آخر محدث التعديل تعديل منشور "
    "published posted updated last update modified date publication"
)

_WEEKDAYS_RAW = "الأحد الاحد الإثنين الاثنين الأثنين الاتنين الثلاثاء الثلاثا الأربعاء الاربعاء الخميس الجمعة السبت"


def _norm_table(raw: dict[str, int]) -> dict[str, int]:
    return {_normalize(k): v for k, v in raw.items()}


GREGORIAN_MONTHS: dict[str, int] = _norm_table(_GREGORIAN_MONTHS_RAW)
HIJRI_MONTHS: dict[str, int] = _norm_table(_HIJRI_MONTHS_RAW)
_VOCAB: frozenset[str] = frozenset(_normalize(w) for w in _VOCAB_RAW.split())
_WEEKDAYS: frozenset[str] = frozenset(_normalize(w) for w in _WEEKDAYS_RAW.split())


def _alternation(keys) -> str:
    parts = []
    for k in sorted(keys, key=len, reverse=True):
        parts.append(r"\s*".join(re.escape(w) for w in k.split(" ")) if " " in k else re.escape(k))
    return "|".join(parts)


def _month_key(s: str) -> str:
    return _WS_RE.sub(" ", s).strip()


def _lookup(table: dict[str, int], name: str) -> int | None:
    key = _month_key(name)
    m = table.get(key)
    if m is None:  # multi-word name written without the space ("ذوالقعده")
        squeezed = key.replace(" ", "")
        for k, v in table.items():
            if k.replace(" ", "") == squeezed:
                return v
    return m


# --------------------------------------------------------------------------
# Regexes (all applied to normalised text unless stated)
# --------------------------------------------------------------------------

_B = r"(?<![^\W\d_])"  # not preceded by a letter
_E = r"(?![^\W\d_])"  # not followed by a letter
_GM = _alternation(GREGORIAN_MONTHS)
_HM = _alternation(HIJRI_MONTHS)

# month name, optionally followed by a second name: "مارس/اذار", "مارس (اذار)", "مارس - اذار"
_GM_PAIR = rf"{_B}(?P<mon>{_GM}){_E}(?:\s*(?:/|\(|-|\|)\s*(?:{_GM}){_E}\s*\)?)?"
_DAY = r"(?<!\d)(?P<day>\d{1,2})(?:st|nd|rd|th)?(?!\d)"
_YEAR = r"(?<!\d)(?P<year>\d{4})(?!\d)"
_SEP = r"[\s,./\-]*"
_GREG_SUFFIX = rf"(?:\s*(?:م|ميلادي|ميلاديه){_E})?"

_GREG_DMY_RE = re.compile(
    rf"{_DAY}{_SEP}(?:(?:من|of)\s+)?(?:شهر\s+)?{_GM_PAIR}{_SEP}(?:(?:ل|ال)?(?:سنه|عام)\s+)?{_YEAR}{_GREG_SUFFIX}"
)
_GREG_MDY_RE = re.compile(rf"{_GM_PAIR}{_SEP}{_DAY}{_SEP}{_YEAR}{_GREG_SUFFIX}")
_GREG_YMD_NAMED_RE = re.compile(rf"{_YEAR}{_SEP}{_GM_PAIR}{_SEP}{_DAY}{_GREG_SUFFIX}")

_HIJRI_RE = re.compile(
    rf"{_DAY}{_SEP}(?:من\s+)?{_B}(?P<mon>{_HM}){_E}{_SEP}{_YEAR}"
    rf"(?:\s*(?:ه|هجري|هجريه|للهجره){_E}\.?)?"
)

_NUM_YMD_RE = re.compile(
    r"(?<![\d.:/-])(?P<year>\d{4})(?P<s>[-/.])(?P<mon>\d{1,2})(?P=s)(?P<day>\d{1,2})(?![\d/]|\.\d)"
)
_NUM_DMY_RE = re.compile(
    r"(?<![\d.:/-])(?P<day>\d{1,2})(?P<s>[-/.])(?P<mon>\d{1,2})(?P=s)(?P<year>\d{4})(?![\d/]|\.\d)"
)
_HIJRI_MARK_RE = re.compile(rf"\s*(?:ه|هجري|هجريه|للهجره){_E}\.?")
_GREG_MARK_RE = re.compile(rf"\s*(?:م|ميلادي|ميلاديه){_E}")

_TIME_RE = re.compile(
    r"(?<![\d:.])(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.\d{1,6})?)?(?![\d:])"
    r"(?:\s?(?P<off>z|[+-]\d{2}:?\d{2})(?![\d:]))?"
    rf"(?:\s*(?P<ampm>ص|م|صباحا|مساء|مساءا|ظهرا|فجرا|ليلا|am|pm|a\.m\.?|p\.m\.?){_E})?"
)
_TZ_RE = re.compile(
    r"(?<![a-z])(?:gmt|utc)(?![a-z])\s*(?:(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?)?"
    r"|\(\s*(?:gmt|utc)\s*(?:(?P<sign2>[+-])(?P<h2>\d{1,2})(?::?(?P<m2>\d{2}))?)?\s*\)"
)
_TOKEN_RE = re.compile(r"[^\W\d_]+(?:\.[^\W\d_]+)*\.?|\d+")

# ISO 8601, full match on normalised (lower-cased) text.
_ISO_RE = re.compile(
    r"(?P<year>\d{4})-(?P<mon>\d{2})-(?P<day>\d{2})"
    r"(?:[t ](?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d{1,9}))?)?)?"
    r"\s*(?P<off>z|[+-]\d{2}(?::?\d{2})?)?"
)

# RFC 2822 shape, on the raw string (ASCII only).
_RFC_RE = re.compile(
    r"(?:[A-Za-z]{3},?\s+)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"(?:\s+(?:[+-]\d{4}|(?![AaPp]\.?[Mm]\b)[A-Za-z]{1,5}))?"
)

_FOUR_DIGIT_YEAR_RE = re.compile(r"(?<!\d)(?:1[89]|20|21)\d\d(?!\d)")
_HAS_DIGIT_RE = re.compile(r"\d")

# --------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------

_A = "[اأإآ]"  # any alef
_H = "[\u064b-\u0652\u0640]*"  # optional harakat / tatweel between letters
_TA = "[ةه]"


def _ar(word: str) -> str:
    """Regex for an Arabic word tolerant of alef variants, harakat and tatweel."""
    out = []
    for ch in word:
        if ch in "اأإآ":
            out.append(_A)
        elif ch == "ة":
            out.append(_TA)
        elif ch == " ":
            out.append(r"\s+")
            continue
        else:
            out.append(re.escape(ch))
        out.append(_H)
    return "".join(out)


_AR_LABELS = [
    "تاريخ النشر",
    "تاريخ نشر",
    "تاريخ الخبر",
    "تاريخ المقال",
    "تاريخ الإضافة",
    "تاريخ الاضافة",
    "تاريخ التحديث",
    "تاريخ آخر تحديث",
    "نشر بتاريخ",
    "نشر في",
    "نشر يوم",
    "نشرت في",
    "نشرت بتاريخ",
    "تم النشر في",
    "تم النشر بتاريخ",
    "تم النشر",
    "منشور في",
    "منشور بتاريخ",
    "آخر تحديث",
    "اخر تحديث",
    "آخر تعديل",
    "تم التحديث في",
    "تم التحديث",
    "تحديث في",
    "محدث في",
    "أضيف في",
    "أضيف بتاريخ",
    "أضيف",
    "نشر",
    "تحديث",
    "محدث",
    "التاريخ",
    "تاريخ",
    "بتاريخ",
]
_EN_LABELS = [
    r"publication\s+date",
    r"date\s+published",
    r"published\s+(?:on|at)",
    r"published",
    r"posted\s+(?:on|at)",
    r"posted",
    r"last\s+updated?(?:\s+(?:on|at))?",
    r"updated\s+(?:on|at)",
    r"updated",
    r"last\s+modified",
    r"modified",
    r"date",
]
_LABEL_ALT = "|".join([_ar(w) for w in sorted(_AR_LABELS, key=len, reverse=True)] + _EN_LABELS)

DATE_LABEL_RE: re.Pattern[str] = re.compile(
    r"^[\s\-–—•*|»>]*"
    rf"(?P<label>(?:{_LABEL_ALT}))(?![^\W\d_])"
    r"\s*[:：\-–—|]?\s*"
    r"(?P<value>(?=.*\d).+?)"
    r"[\s.]*$",
    re.IGNORECASE,
)
"""A publication-date label line; ``value`` holds the date part (must contain a digit)."""

# --------------------------------------------------------------------------
# Time zones named as "بتوقيت <city>"
# --------------------------------------------------------------------------


def _fixed(h: float) -> timezone:
    return timezone(timedelta(hours=h))


def _zone(name: str, fallback_hours: float) -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:  # pragma: no cover - tzdata missing
        return _fixed(fallback_hours)


_CITY_TZ_RAW: dict[str, tzinfo] = {
    "غرينتش": UTC,
    "غرينيتش": UTC,
    "جرينتش": UTC,
    "جرينيتش": UTC,
    "gmt": UTC,
    "utc": UTC,
    "مكة": _fixed(3),
    "مكة المكرمة": _fixed(3),
    "السعودية": _fixed(3),
    "الرياض": _fixed(3),
    "الكويت": _fixed(3),
    "الدوحة": _fixed(3),
    "قطر": _fixed(3),
    "البحرين": _fixed(3),
    "المنامة": _fixed(3),
    "بغداد": _fixed(3),
    "العراق": _fixed(3),
    "اليمن": _fixed(3),
    "صنعاء": _fixed(3),
    "عدن": _fixed(3),
    "أبوظبي": _fixed(4),
    "ابوظبي": _fixed(4),
    "أبو ظبي": _fixed(4),
    "ابو ظبي": _fixed(4),
    "الإمارات": _fixed(4),
    "الامارات": _fixed(4),
    "دبي": _fixed(4),
    "مسقط": _fixed(4),
    # "عمان" is left out on purpose: after normalisation Amman (+3) and Oman (+4) collide.
    "القاهرة": _zone("Africa/Cairo", 2),
    "مصر": _zone("Africa/Cairo", 2),
    "دمشق": _zone("Asia/Damascus", 3),
    "سوريا": _zone("Asia/Damascus", 3),
    "بيروت": _zone("Asia/Beirut", 2),
    "لبنان": _zone("Asia/Beirut", 2),
    "القدس": _zone("Asia/Jerusalem", 2),
    "فلسطين": _zone("Asia/Hebron", 2),
    "غزة": _zone("Asia/Gaza", 2),
    "الأردن": _zone("Asia/Amman", 3),
    "الاردن": _zone("Asia/Amman", 3),
    "الخرطوم": _fixed(2),
    "السودان": _fixed(2),
    "طرابلس": _fixed(2),
    "ليبيا": _fixed(2),
    "تونس": _fixed(1),
    "الجزائر": _fixed(1),
    "الرباط": _zone("Africa/Casablanca", 1),
    "المغرب": _zone("Africa/Casablanca", 1),
}
_CITY_TZ: dict[str, tzinfo] = {_normalize(k): v for k, v in _CITY_TZ_RAW.items()}
_CITY_TZ_ALT = _alternation(_CITY_TZ)
_CITY_RE = re.compile(rf"{_B}ب?توقيت\s+(?:مدينه\s+)?(?P<city>{_CITY_TZ_ALT}){_E}")

# --------------------------------------------------------------------------
# Core
# --------------------------------------------------------------------------


def _offset(sign: str | None, h: str | None, m: str | None) -> timezone | None:
    if not sign or h is None:
        return None
    hours, minutes = int(h), int(m or 0)
    if hours > 14 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if sign == "-" else delta)


def _offset_str(off: str) -> timezone | None:
    if off == "z":
        return UTC
    digits = off[1:].replace(":", "")
    return _offset(off[0], digits[:2], digits[2:4] or None)


def _finish(dt: datetime, default_tz: tzinfo) -> datetime | None:
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        dt = dt.replace(tzinfo=default_tz)
    try:
        out = dt.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    if not (MIN_YEAR <= out.year <= MAX_YEAR):
        return None
    return out


def _build(year: int, month: int, day: int, time: tuple[int, int, int] | None, tz: tzinfo | None) -> datetime | None:
    if not (MIN_YEAR <= year <= MAX_YEAR):
        return None
    h, mi, s = time or (0, 0, 0)
    try:
        return datetime(year, month, day, h, mi, s, tzinfo=tz)
    except ValueError:
        return None


def _hijri_to_date(year: int, month: int, day: int):
    if not (HIJRI_MIN_YEAR <= year <= HIJRI_MAX_YEAR):
        return None
    try:
        from hijridate import Hijri

        return Hijri(year, month, day).to_gregorian()
    except (ValueError, OverflowError, TypeError):
        return None


def _parse_iso(norm: str) -> datetime | None:
    m = _ISO_RE.fullmatch(norm)
    if not m:
        return None
    tz = _offset_str(m["off"]) if m["off"] else None
    if m["off"] and tz is None:
        return None
    time = None
    if m["h"] is not None:
        time = (int(m["h"]), int(m["m"]), int(m["s"] or 0))
        if time[0] > 23 or time[1] > 59 or time[2] > 59:
            return None
    try:
        dt = _build(int(m["year"]), int(m["mon"]), int(m["day"]), time, tz)
    except ValueError:
        return None
    if dt is not None and m["frac"]:
        dt = dt.replace(microsecond=int(m["frac"][:6].ljust(6, "0")))
    return dt


def _ampm(h: int, marker: str | None) -> int | None:
    if marker is None:
        return h
    marker = marker.rstrip(".")
    pm = marker in ("م", "مساء", "مساءا", "pm", "p.m", "ليلا") or (marker == "ظهرا" and h < 12)
    if pm and h < 12:
        return h + 12
    if not pm and h == 12 and marker in ("ص", "am", "a.m", "فجرا", "صباحا"):
        return 0
    return h


class _Scan:
    """Cut recognised spans out of a normalised string."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def take(self, rx: re.Pattern[str], *, all_: bool = True) -> list[re.Match[str]]:
        found = list(rx.finditer(self.text)) if all_ else [m for m in [rx.search(self.text)] if m]
        if found:
            chars = list(self.text)
            for m in found:
                for i in range(m.start(), m.end()):
                    chars[i] = " "
            self.text = "".join(chars)
        return found

    def unknown_words(self) -> int:
        n = 0
        for tok in _TOKEN_RE.findall(self.text):
            t = tok.rstrip(".")
            if t and t not in _VOCAB and t not in _WEEKDAYS:
                n += 1
        return n


def _parse_tokens(norm: str, default_tz: tzinfo, max_unknown: int) -> datetime | None:
    scan = _Scan(norm)

    # --- date part: Gregorian named > Gregorian numeric > Hijri named/numeric
    ymd: tuple[int, int, int] | None = None
    greg = scan.take(_GREG_DMY_RE) or scan.take(_GREG_MDY_RE) or scan.take(_GREG_YMD_NAMED_RE)
    hijri = scan.take(_HIJRI_RE)
    nums = scan.take(_NUM_YMD_RE) + scan.take(_NUM_DMY_RE)
    nums.sort(key=lambda m: m.start())

    if greg:
        m = greg[0]
        mon = _lookup(GREGORIAN_MONTHS, m["mon"])
        if mon is None:
            return None
        ymd = (int(m["year"]), mon, int(m["day"]))
    else:
        greg_nums = []
        hijri_nums = []
        for m in nums:
            y = int(m["year"])
            (hijri_nums if HIJRI_MIN_YEAR <= y <= HIJRI_MAX_YEAR else greg_nums).append(m)
        if greg_nums:
            m = greg_nums[0]
            day, mon = int(m["day"]), int(m["mon"])
            if mon > 12 and day <= 12:  # unambiguous month-first
                day, mon = mon, day
            ymd = (int(m["year"]), mon, day)
        elif hijri:
            m = hijri[0]
            mon = _lookup(HIJRI_MONTHS, m["mon"])
            d = _hijri_to_date(int(m["year"]), mon, int(m["day"])) if mon else None
            if d is None:
                return None
            ymd = (d.year, d.month, d.day)
        elif hijri_nums:
            m = hijri_nums[0]
            d = _hijri_to_date(int(m["year"]), int(m["mon"]), int(m["day"]))
            if d is None:
                return None
            ymd = (d.year, d.month, d.day)
    if ymd is None:
        return None
    if nums:
        scan.take(_HIJRI_MARK_RE)
        scan.take(_GREG_MARK_RE)

    # --- time of day and zone
    time = None
    tz: tzinfo | None = None
    times = scan.take(_TIME_RE, all_=False)
    if times:
        t = times[0]
        h, mi, s = int(t["h"]), int(t["m"]), int(t["s"] or 0)
        h = _ampm(h, t["ampm"])
        if h is None or h > 23 or mi > 59 or s > 59:
            return None
        time = (h, mi, s)
        if t["off"]:
            tz = _offset_str(t["off"])
    tzm = scan.take(_TZ_RE, all_=False)
    if tzm and tz is None:
        m = tzm[0]
        if m["sign"] or m["sign2"]:
            tz = _offset(m["sign"] or m["sign2"], m["h"] or m["h2"], m["m"] or m["m2"])
        else:
            tz = UTC
    city = scan.take(_CITY_RE, all_=False)
    if city and tz is None:
        tz = _CITY_TZ.get(_month_key(city[0]["city"]))

    if scan.unknown_words() > max_unknown:
        return None
    dt = _build(ymd[0], ymd[1], ymd[2], time, tz)
    if dt is None:
        return None
    return _finish(dt, default_tz)


_DATEPARSER_SETTINGS = {
    "STRICT_PARSING": True,  # day, month and year must all be present
    "PREFER_DAY_OF_MONTH": "first",
    "DATE_ORDER": "DMY",
    "RETURN_AS_TIMEZONE_AWARE": None,  # aware only if the string names a zone
}


def _parse_dateparser(norm: str, default_tz: tzinfo) -> datetime | None:
    # Only short strings with an explicit 4-digit year: keeps prose and relative
    # phrases ("منذ 3 ساعات", "yesterday") out.
    if len(norm) > 80 or not _FOUR_DIGIT_YEAR_RE.search(norm):
        return None
    if len(_TOKEN_RE.findall(norm)) > 8:
        return None
    try:
        import dateparser
    except ImportError:  # pragma: no cover
        return None
    settings = {k: v for k, v in _DATEPARSER_SETTINGS.items() if v is not None}
    try:
        dt = dateparser.parse(norm, languages=["ar", "en"], settings=settings)
    except Exception:
        return None
    if dt is None or str(dt.year) not in norm:
        return None
    return _finish(dt, default_tz)


def _parse_rfc(raw: str) -> datetime | None:
    if not raw[0].isascii() or not _RFC_RE.fullmatch(raw):
        return None
    try:
        return parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


@lru_cache(maxsize=65536)
def _parse_cached(text: str, default_tz: tzinfo, max_unknown: int, use_labels: bool) -> datetime | None:
    raw = text.strip()
    if not raw or len(raw) > MAX_INPUT_LEN or not _HAS_DIGIT_RE.search(raw):
        return None

    # 1. RFC 2822 fast path
    dt = _parse_rfc(raw)
    if dt is not None:
        return _finish(dt, default_tz)

    # 2. label prefix
    if use_labels:
        lm = DATE_LABEL_RE.match(raw)
        if lm:
            raw = lm["value"]
            dt = _parse_rfc(raw)
            if dt is not None:
                return _finish(dt, default_tz)

    # 3. ISO 8601
    norm = _normalize(raw)
    if norm[:4].isdigit():
        dt = _parse_iso(norm)
        if dt is not None:
            return _finish(dt, default_tz)

    # 4. token scan
    dt = _parse_tokens(norm, default_tz, max_unknown)
    if dt is not None:
        return dt

    # 5. dateparser (only when the text is not obviously prose)
    if max_unknown >= LENIENT_UNKNOWN_WORDS:
        return _parse_dateparser(norm, default_tz)
    return None


def parse_date(text: str, *, default_tz: tzinfo = timezone.utc) -> datetime | None:
    """Parse a scraped publication-date string into an aware UTC datetime.

    Returns ``None`` when ``text`` is not a (full: day, month and year) date.
    Naive inputs are interpreted in ``default_tz``.  Hijri-only dates are
    converted with ``hijridate`` (Umm al-Qura); when a Gregorian date is given
    beside the Hijri one, the Gregorian wins.
    """
    if not isinstance(text, str):
        return None
    return _parse_cached(text, default_tz, LENIENT_UNKNOWN_WORDS, True)


def find_date_line(line: str, *, default_tz: tzinfo = timezone.utc) -> datetime | None:
    """Return the date if the whole ``line`` is a date label line or a bare date line.

    ``تاريخ النشر: 17 سبتمبر 2023`` and ``الأحد 17 سبتمبر 2023`` give a date;
    a prose line that merely mentions a date gives ``None``.
    """
    if not isinstance(line, str):
        return None
    s = line.strip()
    if not s or len(s) > MAX_LINE_LEN:
        return None
    lm = DATE_LABEL_RE.match(s)
    if lm:
        return _parse_cached(lm["value"], default_tz, LENIENT_UNKNOWN_WORDS, False)
    return _parse_cached(s, default_tz, 0, False)
