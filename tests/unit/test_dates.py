"""Unit tests for tasks.dates (publication-date parsing)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from akhbar.tasks.dates import DATE_LABEL_RE, find_date_line, parse_date
from hijridate import Hijri

UTC = timezone.utc


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _hijri_utc(y: int, m: int, d: int) -> datetime:
    g = Hijri(y, m, d).to_gregorian()
    return utc(g.year, g.month, g.day)


PARSE_CASES = [
    # --- RFC 2822 (corpus fast path)
    ("Sun, 15 Jul 2018 21:56:56 +0400", utc(2018, 7, 15, 17, 56, 56)),
    ("Sun, 15 Jul 2018 21:56:56 GMT", utc(2018, 7, 15, 21, 56, 56)),
    ("Mon, 16 Jul 2018 01:02:03 -0500", utc(2018, 7, 16, 6, 2, 3)),
    ("Sun, 15 Jul 2018 21:56:56 -0000", utc(2018, 7, 15, 21, 56, 56)),  # unknown zone -> default_tz
    # --- ISO 8601
    ("2025-03-18T09:30:00+03:00", utc(2025, 3, 18, 6, 30)),
    ("2025-03-18", utc(2025, 3, 18)),
    ("2025-03-18 09:30", utc(2025, 3, 18, 9, 30)),
    ("2025-03-18T09:30:00Z", utc(2025, 3, 18, 9, 30)),
    ("2025-03-18T09:30:00.250Z", utc(2025, 3, 18, 9, 30, 0, 250000)),
    ("2024-01-17 10:00 +03:00", utc(2024, 1, 17, 7, 0)),
    # --- English forms
    ("17th, September 2023 GMT", utc(2023, 9, 17)),
    ("September 17, 2023", utc(2023, 9, 17)),
    ("17 Sep 2023 10:05", utc(2023, 9, 17, 10, 5)),
    ("17 Sep 2023 12:05 AM", utc(2023, 9, 17, 0, 5)),
    ("Mar 5, 2024 | 3:15 pm", utc(2024, 3, 5, 15, 15)),
    ("April 1st 2024", utc(2024, 4, 1)),
    ("17-Sep-2023", utc(2023, 9, 17)),
    ("5 March 2024 15:15 +0300", utc(2024, 3, 5, 12, 15)),
    # --- Arabic month names: Egyptian / Gulf
    ("17 سبتمبر 2023", utc(2023, 9, 17)),
    ("الأحد 17 سبتمبر 2023", utc(2023, 9, 17)),
    ("الأحد، 17 سبتمبر 2023 - 10:45 ص", utc(2023, 9, 17, 10, 45)),
    ("17 سبتمبر 2023 - 10:45 م", utc(2023, 9, 17, 22, 45)),
    ("12:30 م - 17 سبتمبر 2023", utc(2023, 9, 17, 12, 30)),
    ("الخميس 07 مارس 2024 | 12:00 ص", utc(2024, 3, 7, 0, 0)),
    ("17 سبتمبر 2023 الساعة 10:45", utc(2023, 9, 17, 10, 45)),
    ("3 أبريل 2024", utc(2024, 4, 3)),
    ("3 ابريل 2024", utc(2024, 4, 3)),
    ("3 يونيه 2025", utc(2025, 6, 3)),
    ("3 يوليه 2025", utc(2025, 7, 3)),
    ("1 اكتوبر 2022", utc(2022, 10, 1)),
    ("1 أغسطس 2022", utc(2022, 8, 1)),
    # --- Arabic month names: Levantine / Iraqi, combined form
    ("17 كانون الثاني 2024", utc(2024, 1, 17)),
    ("5 شباط 2024", utc(2024, 2, 5)),
    ("5 آذار 2024", utc(2024, 3, 5)),
    ("5 اذار 2024", utc(2024, 3, 5)),
    ("5 نيسان 2024", utc(2024, 4, 5)),
    ("5 أيار 2024", utc(2024, 5, 5)),
    ("5 حزيران 2024", utc(2024, 6, 5)),
    ("5 تموز 2024", utc(2024, 7, 5)),
    ("5 آب 2024", utc(2024, 8, 5)),
    ("5 اب 2024", utc(2024, 8, 5)),
    ("3 تشرين الأول 2023", utc(2023, 10, 3)),
    ("3 تشرين الاول 2023", utc(2023, 10, 3)),
    ("3 تشرين الثاني 2023", utc(2023, 11, 3)),
    ("25 كانون الأول 2023", utc(2023, 12, 25)),
    ("3 مارس/آذار 2025", utc(2025, 3, 3)),
    ("3 مارس (آذار) 2025", utc(2025, 3, 3)),
    # --- Arabic-Indic and Persian digits
    ("١٧ أيلول ٢٠٢٣", utc(2023, 9, 17)),
    ("۱۷ ایلول ۲۰۲۳", utc(2023, 9, 17)),
    ("١٧ سبتمبر ٢٠٢٣ - ١٠:٤٥ م", utc(2023, 9, 17, 22, 45)),
    # --- Hijri beside Gregorian -> Gregorian wins
    ("الأحد 2 ربيع الأول 1445 هـ - 17 سبتمبر 2023 م", utc(2023, 9, 17)),
    ("الأحد 2 ربيع الأول 1445 هـ الموافق 17/09/2023 م", utc(2023, 9, 17)),
    # --- numeric (day-first, as used in Arab media)
    ("17/09/2023", utc(2023, 9, 17)),
    ("الاثنين 18/09/2023 10:45 ص", utc(2023, 9, 18, 10, 45)),
    ("2023/09/17 10:45", utc(2023, 9, 17, 10, 45)),
    ("9/17/2023", utc(2023, 9, 17)),  # unambiguous month-first
    # --- zones named in words
    ("17 سبتمبر 2023 - 10:45 بتوقيت مكة المكرمة", utc(2023, 9, 17, 7, 45)),
    ("17 سبتمبر 2023 10:45 بتوقيت غرينتش", utc(2023, 9, 17, 10, 45)),
    ("17 سبتمبر 2023 10:45 GMT+3", utc(2023, 9, 17, 7, 45)),
    # --- label lines
    ("تاريخ النشر: 17th, September 2023 GMT", utc(2023, 9, 17)),
    ("نشر في: 3 مارس 2025", utc(2025, 3, 3)),
    ("نُشر في: ٣ مارس ٢٠٢٥ - ١٠:٤٥ م", utc(2025, 3, 3, 22, 45)),
    ("آخر تحديث: الأحد 17 سبتمبر 2023 - 10:45 م", utc(2023, 9, 17, 22, 45)),
    ("Published: 2025-03-18T09:30:00Z", utc(2025, 3, 18, 9, 30)),
    ("Published: Sun, 15 Jul 2018 21:56:56 +0400", utc(2018, 7, 15, 17, 56, 56)),
    ("Last updated: 17 Sep 2023 12:05 AM", utc(2023, 9, 17, 0, 5)),
    ("نشر بتاريخ 3 مارس 2025", utc(2025, 3, 3)),
    ("نشر في: 3 مارس 2025 | آخر تحديث: 4 مارس 2025", utc(2025, 3, 3)),  # first date = publication
    ("في 17 من شهر سبتمبر لعام 2023", utc(2023, 9, 17)),
    ("2023 سبتمبر 17", utc(2023, 9, 17)),
    # --- dateparser fallback (shapes the fast paths do not cover)
    ("September the 17th, 2023", utc(2023, 9, 17)),
    ("2023, 17 September", utc(2023, 9, 17)),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES, ids=[c[0] for c in PARSE_CASES])
def test_parse_date(text: str, expected: datetime) -> None:
    got = parse_date(text)
    assert got == expected
    assert got.utcoffset() == timedelta(0)
    assert got.tzinfo is UTC


HIJRI_CASES = [
    ("2 ربيع الأول 1445 هـ", (1445, 3, 2)),
    ("2 ربيع الاول 1445هـ", (1445, 3, 2)),
    ("1 رمضان 1446", (1446, 9, 1)),
    ("1 محرم 1446 هـ", (1446, 1, 1)),
    ("15 صفر 1445 هـ", (1445, 2, 15)),
    ("10 ربيع الآخر 1445 هـ", (1445, 4, 10)),
    ("10 ربيع الثاني 1445 هـ", (1445, 4, 10)),
    ("3 جمادى الأولى 1445 هـ", (1445, 5, 3)),
    ("3 جمادى الاولى 1445 هـ", (1445, 5, 3)),
    ("3 جمادى الآخرة 1445 هـ", (1445, 6, 3)),
    ("3 جمادى الثانية 1445 هـ", (1445, 6, 3)),
    ("27 رجب 1445 هـ", (1445, 7, 27)),
    ("15 شعبان 1445 هـ", (1445, 8, 15)),
    ("1 شوال 1445 هـ", (1445, 10, 1)),
    ("5 ذو القعدة 1445 هـ", (1445, 11, 5)),
    ("10 ذو الحجة 1445 هـ", (1445, 12, 10)),
    ("10 ذي الحجة 1445", (1445, 12, 10)),
    ("١٠ ذو الحجة ١٤٤٥ هـ", (1445, 12, 10)),
    ("1445/03/02 هـ", (1445, 3, 2)),
]


@pytest.mark.parametrize(("text", "hijri"), HIJRI_CASES, ids=[c[0] for c in HIJRI_CASES])
def test_parse_hijri_only_matches_hijridate(text: str, hijri: tuple[int, int, int]) -> None:
    assert parse_date(text) == _hijri_utc(*hijri)


def test_hijri_known_value() -> None:
    # 2 Rabi' al-Awwal 1445 = Sunday 17 September 2023 (Umm al-Qura)
    assert parse_date("2 ربيع الأول 1445 هـ") == utc(2023, 9, 17)
    assert parse_date("الأحد 2 ربيع الأول 1445 هـ") == utc(2023, 9, 17)


NONE_CASES = [
    "",
    "   ",
    "2023",
    "قال الرئيس إن الاتفاق مهم",
    "قال الرئيس في 17 سبتمبر 2023 إن الاتفاق مهم وضروري للمنطقة",
    "سبتمبر 2023",  # no day
    "17 سبتمبر",  # no year
    "منذ 3 ساعات",  # relative: no fixed reference
    "منذ 2 يوم",
    "yesterday",
    "30 فبراير 2023",  # impossible day
    "2023-13-45",
    "17 سبتمبر 1066",  # out of range
    "1 رمضان 1800 هـ",  # Hijri year outside Umm al-Qura table
    "نشر",
    "تحديث البيانات المالية",
    "The 3 ministers met on Tuesday",
    "x" * 1000,
]


@pytest.mark.parametrize("text", NONE_CASES, ids=[c[:40] or "<empty>" for c in NONE_CASES])
def test_parse_date_none(text: str) -> None:
    assert parse_date(text) is None


def test_parse_date_non_string() -> None:
    assert parse_date(None) is None  # type: ignore[arg-type]
    assert parse_date(20230917) is None  # type: ignore[arg-type]


def test_default_tz_applies_to_naive_only() -> None:
    riyadh = ZoneInfo("Asia/Riyadh")
    assert parse_date("2025-03-18 09:30", default_tz=riyadh) == utc(2025, 3, 18, 6, 30)
    assert parse_date("17 سبتمبر 2023", default_tz=riyadh) == utc(2023, 9, 16, 21, 0)
    assert parse_date("17 سبتمبر 2023", default_tz=timezone(timedelta(hours=2))) == utc(2023, 9, 16, 22, 0)
    # explicit zone wins over default_tz
    assert parse_date("2025-03-18T09:30:00Z", default_tz=riyadh) == utc(2025, 3, 18, 9, 30)
    assert parse_date("Sun, 15 Jul 2018 21:56:56 +0400", default_tz=riyadh) == utc(2018, 7, 15, 17, 56, 56)
    # RFC 2822 "-0000" means "zone unknown" -> default_tz
    assert parse_date("Sun, 15 Jul 2018 21:56:56 -0000", default_tz=riyadh) == utc(2018, 7, 15, 18, 56, 56)


def test_named_zone_with_dst() -> None:
    # Cairo observed DST (+3) in September 2023 and standard time (+2) in January
    assert parse_date("17 سبتمبر 2023 10:45 بتوقيت القاهرة") == utc(2023, 9, 17, 7, 45)
    assert parse_date("17 يناير 2024 10:45 بتوقيت القاهرة") == utc(2024, 1, 17, 8, 45)


# --------------------------------------------------------------------------
# DATE_LABEL_RE
# --------------------------------------------------------------------------

LABEL_CASES = [
    ("تاريخ النشر: 17th, September 2023 GMT", "17th, September 2023 GMT"),
    ("نشر في: 3 مارس 2025", "3 مارس 2025"),
    ("نُشر في: ٣ مارس ٢٠٢٥", "٣ مارس ٢٠٢٥"),
    ("نشر بتاريخ 3 مارس 2025", "3 مارس 2025"),
    ("آخر تحديث: 4 مارس 2025 - 10:00", "4 مارس 2025 - 10:00"),
    ("اخر تحديث : 4 مارس 2025", "4 مارس 2025"),
    ("Published: 2025-03-18T09:30:00Z", "2025-03-18T09:30:00Z"),
    ("Published on September 17, 2023", "September 17, 2023"),
    ("Last updated: 17 Sep 2023", "17 Sep 2023"),
    ("• تاريخ النشر : 2024/01/17", "2024/01/17"),
]


@pytest.mark.parametrize(("line", "value"), LABEL_CASES, ids=[c[0] for c in LABEL_CASES])
def test_date_label_re_value(line: str, value: str) -> None:
    m = DATE_LABEL_RE.match(line)
    assert m is not None
    assert m.group("value") == value


@pytest.mark.parametrize(
    "line",
    ["قال الرئيس إن الاتفاق مهم", "نشر", "تحديث البيانات المالية", "الأحد 17 سبتمبر 2023", "Publisher: Reuters"],
)
def test_date_label_re_no_match(line: str) -> None:
    assert DATE_LABEL_RE.match(line) is None


def test_date_label_re_is_pattern() -> None:
    assert isinstance(DATE_LABEL_RE, re.Pattern)


# --------------------------------------------------------------------------
# find_date_line
# --------------------------------------------------------------------------

FIND_CASES = [
    ("تاريخ النشر: 17th, September 2023 GMT", utc(2023, 9, 17)),
    ("الأحد 17 سبتمبر 2023", utc(2023, 9, 17)),  # bare date line
    ("  الأحد، 17 سبتمبر 2023 - 10:45 ص  ", utc(2023, 9, 17, 10, 45)),
    ("١٧ أيلول ٢٠٢٣", utc(2023, 9, 17)),
    ("الأحد 2 ربيع الأول 1445 هـ - 17 سبتمبر 2023 م", utc(2023, 9, 17)),
    ("Sun, 15 Jul 2018 21:56:56 +0400", utc(2018, 7, 15, 17, 56, 56)),
    ("2025-03-18T09:30:00+03:00", utc(2025, 3, 18, 6, 30)),
    ("آخر تحديث: 4 مارس 2025", utc(2025, 3, 4)),
]


@pytest.mark.parametrize(("line", "expected"), FIND_CASES, ids=[c[0] for c in FIND_CASES])
def test_find_date_line(line: str, expected: datetime) -> None:
    assert find_date_line(line) == expected


FIND_NONE_CASES = [
    "قال الرئيس إن الاتفاق مهم",
    # prose that mentions a date is not a date line (parse_date would be lenient)
    "حدث في 1 يناير 2020",
    "وقع الهجوم في 17 سبتمبر 2023 في العاصمة",
    "تاريخ النشر: غير معروف",
    "2023",
    "",
    "نشر في: " + "كلام " * 60 + "17 سبتمبر 2023",  # too long to be a date line
]


@pytest.mark.parametrize("line", FIND_NONE_CASES, ids=[c[:40] or "<empty>" for c in FIND_NONE_CASES])
def test_find_date_line_none(line: str) -> None:
    assert find_date_line(line) is None


def test_bare_vs_prose_line() -> None:
    assert find_date_line("الأحد 17 سبتمبر 2023") == utc(2023, 9, 17)
    assert find_date_line("قال الرئيس يوم الأحد 17 سبتمبر 2023 إن الاتفاق مهم") is None
    # parse_date tolerates up to two stray words, find_date_line none
    assert parse_date("حدث في 1 يناير 2020") == utc(2020, 1, 1)
    assert find_date_line("حدث في 1 يناير 2020") is None
