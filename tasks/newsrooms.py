"""Which words of a credit line name a wire agency or a newsroom (places: `tasks/gazetteer.py`)."""

from __future__ import annotations

import re

from akhbar.tasks.arabic import normalize_search

__all__ = ["is_agency", "is_outlet", "AGENCY_PATTERN"]

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
