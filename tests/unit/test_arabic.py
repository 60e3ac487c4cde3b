"""Unit tests for tasks.arabic and the ar_normalize DuckDB macro."""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import duckdb
import pytest
from akhbar.tasks.arabic import (
    arabic_ratio,
    arabic_ratios,
    letter_counts,
    normalize_display,
    normalize_search,
    normalize_search_lines,
    normalize_search_many,
    word_count,
    word_counts,
)

MACROS_SQL = Path(__file__).resolve().parents[2] / "warehouse" / "00_macros.sql"


# ---------------------------------------------------------------------------
# normalize_display -- one rule at a time
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        # presentation forms -> base letters (isolated/initial/medial/final)
        ("\ufeed\ufeaf\ufe8d\ufead\ufe93", "وزارة"),
        ("\ufedf\ufee4\ufea0\ufee0\ufeb2", "لمجلس"),
        # lam-alef ligatures -> two letters, hamza/madda kept
        ("\ufefb", "لا"),
        ("\ufef7", "لأ"),
        ("\ufef9", "لإ"),
        ("\ufef5", "لآ"),
        ("\ufefbعب", "لاعب"),
        # long phrase ligatures: as NFKC gives them
        ("\ufdfa", "صلى الله عليه وسلم"),
        ("\ufdfb", "جل جلاله"),
        ("\ufdf2", "الله"),
        # NFKC result gets the Persian folding too (rial sign has a Farsi yeh)
        ("\ufdfc", "ريال"),
        # isolated harakat form: the mark, without the space NFKC prepends
        ("ب\ufe70", "بً"),
        # BOM removed
        ("\ufeffخبر", "خبر"),
    ],
)
def test_display_presentation_forms(raw, expected):
    assert normalize_display(raw) == expected


def test_display_nfkc_only_on_presentation_forms():
    # NFKC elsewhere would turn these into "fi", "2", "1/2", "A", "3"
    raw = "\ufb01 x\u00b2 \u00bd \uff21 \u2462 \u0627\u0654"
    assert normalize_display(raw) == raw


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("کوریا الشمالیة", "كوريا الشمالية"),
        ("\u06a9\u06aa", "كك"),  # keheh, swash kaf
        ("\u06cc\u06d0", "يي"),  # farsi yeh, e
        ("مدرس\u06c0", "مدرسة"),  # heh with yeh above
        ("مدرس\u06c3", "مدرسة"),  # teh marbuta goal
        ("ل\u06d5", "له"),  # ae
        ("\u06c1ذا", "هذا"),  # heh goal
    ],
)
def test_display_persian_letters(raw, expected):
    assert normalize_display(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("قـــال", "قال"),  # tatweel
        ("ال\u200bخبر", "الخبر"),  # ZWSP
        ("می\u200cخواهم", "ميخواهم"),  # ZWNJ (+ farsi yeh)
        ("a\u200db\u2060c\ufeffd", "abcd"),  # ZWJ, word joiner, BOM
        ("\u200fالخبر\u200e", "الخبر"),  # RLM, LRM
        ("\u061cنص", "نص"),  # ALM
        ("\u202bنص\u202c \u202a\u202d\u202ex", "نص x"),  # embeddings/overrides
        ("\u2066a\u2067b\u2068c\u2069", "abc"),  # isolates
        ("انت\u00adخابات", "انتخابات"),  # soft hyphen
        ("a\x00b\x07c\x7fd\x9be", "abcde"),  # other control chars
    ],
)
def test_display_removed_characters(raw, expected):
    assert normalize_display(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("a\u00a0b", "a b"),  # NBSP
        ("a\u2009b\u202fc\u3000d\u2003e", "a b c d e"),  # thin/narrow/ideographic/em
        ("a\tb", "a b"),
        ("a  \t \u00a0 b", "a b"),  # runs collapsed
        ("  a b  ", "a b"),
        ("a\r\nb", "a\nb"),
        ("a\rb", "a\nb"),
        ("a\u2029b\u2028c\x85d\x0be\x0cf", "a\nb\nc\nd\ne\nf"),
        ("  one  \n  two  ", "one\ntwo"),  # lines stripped
        ("p1\n\n\n\np2", "p1\np2"),  # blank lines dropped
        ("p1\r\n \r\n\t\r\n\u00a0\r\np2", "p1\np2"),
        ("\n\n  \np1\n\n", "p1"),
        (" \t\n\u00a0", ""),
        ("", ""),
    ],
)
def test_display_whitespace(raw, expected):
    assert normalize_display(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        # a run of tatweel that follows no Arabic letter is a dash, not elongation
        ("المنيا ـ حجاج الحسيني", "المنيا - حجاج الحسيني"),  # credit: place - name
        ("كتب ـــ بهاء مباشر", "كتب - بهاء مباشر"),  # a run between spaces: one dash
        ("ـ أولا: الدستور\nـ ثانيا: القانون", "- أولا: الدستور\n- ثانيا: القانون"),  # list items
        ("الموسم 2013ـ2014", "الموسم 2013-2014"),  # between digits
        ("نص\nــــــــــــ\nنص", "نص\n-\nنص"),  # a separator line
        # elongation inside or at the end of a word is deleted as before
        ("قـــال المتحـدث", "قال المتحدث"),
        ("قَـــال", "قَال"),  # after a mark on a letter
        ("الـ BBC", "ال BBC"),  # the article stretched before a Latin name
        ("\ufeb3\u0640\ufeae", "سر"),  # after a presentation-form letter
    ],
)
def test_display_tatweel_as_dash(raw, expected):
    assert normalize_display(raw) == expected
    assert normalize_search(raw) == normalize_search(expected)  # search sees the dash as a space too


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("قال ، ثم", "قال، ثم"),
        ("أولا ؛ ثانيا", "أولا؛ ثانيا"),
        ("لماذا ؟", "لماذا؟"),
        ("انتهى .", "انتهى."),
        ("yes , no ; maybe : ok ! really ?", "yes, no; maybe: ok! really?"),
        ("انتهى ... ثم", "انتهى... ثم"),
        ("قال : «نعم»", "قال: «نعم»"),
        ("( مصر )", "(مصر)"),
        ("« السلام »", "«السلام»"),
        ("“ quote ”", "“quote”"),
        ("«نعم» .", "«نعم»."),
        ("(نعم) ، ثم", "(نعم)، ثم"),
        # mark glued to the next word: the space moves after the mark
        ("قال ،إن", "قال، إن"),
        ("قال :إن", "قال: إن"),
        ("ok ,then", "ok, then"),
        ("عام ،٢٠٢٤", "عام، ٢٠٢٤"),
        # not touched: no-space numbers, times, URLs, and ambiguous glued forms
        ("3.5 و 10:45 و 1,000", "3.5 و 10:45 و 1,000"),
        ("https://example.com/a?b=1&c=2:3", "https://example.com/a?b=1&c=2:3"),
        ("النسبة .5 في", "النسبة .5 في"),
        ("إطار .NET", "إطار .NET"),
        ("الساعة 10 :45", "الساعة 10 :45"),
        ("1 ,000", "1 ,000"),
        # spaces are only removed, never newlines
        ("سطر\n، ثم", "سطر\n، ثم"),
    ],
)
def test_display_punctuation_spacing(raw, expected):
    assert normalize_display(raw) == expected


def test_display_keeps_diacritics_and_letters():
    raw = "مَدْرَسَةٌ أَإِآ إلى هٰذا رئيس مؤتمر ى ة ٢٠٢٤"
    assert normalize_display(raw) == raw


def test_display_dirty_paragraph():
    raw = (
        "\ufeff\u200fقـــال   المتحدث\u00a0باسم  \ufeed\ufeaf\ufe8d\ufead\ufe93 الخارجية ، "
        "یوم الأربعاء ( ٢٠٢٤/٠٥/١٥ ) :\t« إن الوضع مُستقرٌّ » .\r\n\r\n\r\n"
        "  وأضاف في تمام الساعة 10:45 أن نسبة النمو بلغت 3.5 % ، مشیراً إلى "
        "موقع https://example.com/news?id=7 ؟  \r\n"
    )
    assert normalize_display(raw) == (
        "قال المتحدث باسم وزارة الخارجية، يوم الأربعاء (٢٠٢٤/٠٥/١٥): «إن الوضع مُستقرٌّ».\n"
        "وأضاف في تمام الساعة 10:45 أن نسبة النمو بلغت 3.5 %، مشيراً إلى "
        "موقع https://example.com/news?id=7؟"
    )
    assert normalize_search(raw) == (
        "قال المتحدث باسم وزاره الخارجيه يوم الاربعاء 2024 05 15 ان الوضع مستقر "
        "واضاف في تمام الساعه 10 45 ان نسبه النمو بلغت 3 5 مشيرا الي "
        "موقع https example com news id 7"
    )


# ---------------------------------------------------------------------------
# normalize_search
# ---------------------------------------------------------------------------


def test_search_alef_variants():
    assert normalize_search("الإمارات") == normalize_search("الامارات") == "الامارات"
    assert normalize_search("أإآٱٲٳا") == "ااااااا"


def test_search_diacritics():
    assert normalize_search("مَدْرَسَةٌ") == "مدرسه"
    assert normalize_search("هٰذا") == "هذا"  # superscript alef
    assert normalize_search("صَلَّى") == "صلي"  # shadda
    assert normalize_search("ا\u0654") == "ا"  # combining hamza
    assert normalize_search("\u0610محمد\u061a") == "محمد"  # U+0610-061A
    assert normalize_search("الرحيم\u06d6\u06ed") == "الرحيم"  # Quranic marks


def test_search_letter_folding():
    assert normalize_search("إلى") == "الي"
    assert normalize_search("مدرسة") == "مدرسه"
    assert normalize_search("مؤتمر") == "موتمر"
    assert normalize_search("رئيس") == "رييس"
    assert normalize_search("سؤال") == normalize_search("سوال") == normalize_search("سو\u0654ال")
    assert normalize_search("كوریا الشمالیة") == "كوريا الشماليه"
    assert normalize_search("شيء") == "شيء"  # lone hamza kept


def test_search_digits():
    assert normalize_search("٠١٢٣٤٥٦٧٨٩") == "0123456789"
    assert normalize_search("۰۱۲۳۴۵۶۷۸۹") == "0123456789"
    assert normalize_search("عام ٢٠٢٤ و۱۴۰۲") == "عام 2024 و1402"
    assert normalize_search("3.5٪") == "3 5"


def test_search_punctuation_and_case():
    assert normalize_search("«السلام» عليكم، كيف حالك؟ (بخير)؛ “نعم” - [لا] …") == ("السلام عليكم كيف حالك بخير نعم لا")
    assert normalize_search("COVID-19: Hello, WORLD! 'quoted' \"x\" a_b") == ("covid 19 hello world quoted x a b")
    assert normalize_search("50% + $3 = 😀 ©") == "50 3"  # symbols and emoji too


def test_search_lowercase_is_per_character():
    # simple case mapping, as DuckDB lower(): no final-sigma context, İ -> i
    assert normalize_search("ΟΔΥΣΣΕΥΣ.") == "οδυσσευσ"
    assert normalize_search("İSTANBUL Ünïcödé") == "istanbul ünïcödé"


def test_search_whitespace():
    assert normalize_search("  سطر\n\nثان\t\u00a0ثالث  ") == "سطر ثان ثالث"
    assert normalize_search("") == ""
    assert normalize_search(" ؟ ، . ") == ""


# ---------------------------------------------------------------------------
# arabic_ratio, word_count
# ---------------------------------------------------------------------------


def test_arabic_ratio():
    assert arabic_ratio("") == 0.0
    assert arabic_ratio("123 ٤٥٦ ... !") == 0.0
    assert arabic_ratio("مرحبا") == 1.0
    assert arabic_ratio("hello") == 0.0
    assert arabic_ratio("abcd عربي") == pytest.approx(4 / 8)  # 4 Arabic, 4 Latin letters
    assert arabic_ratio("مَدْرَسَة 2024") == 1.0  # marks/digits ignored
    assert arabic_ratio("\ufefb\ufdf2 ab") == pytest.approx(2 / 4)  # presentation forms count
    assert arabic_ratio("\u0750\u08a0 x") == pytest.approx(2 / 3)  # supplement / extended-A
    assert arabic_ratio("Привет مرحبا") == pytest.approx(5 / 11)


def test_word_count():
    assert word_count("") == 0
    assert word_count("   ... ، ؟ — ") == 0
    assert word_count("قال المتحدث، إن الوضع مستقر.") == 5
    assert word_count("(مصر) «السلام» و") == 3
    assert word_count("3.5 و 10:45") == 5  # punctuation delimits
    assert word_count("COVID-19 is here") == 4
    assert word_count("می\u200cخواهم") == 1  # ZWNJ does not split
    assert word_count("مَدْرَسَةٌ") == 1
    assert word_count("ـــــ ok") == 1  # tatweel-only run is not a word
    assert word_count("٢٠٢٤ 😀 $") == 1


# ---------------------------------------------------------------------------
# Properties on random strings
# ---------------------------------------------------------------------------

_ALPHABET = (
    list("ابتثجحخدذرزسشصضطظعغفقكلمنهويءأإآٱىةؤئ")
    + list("کڪیېۀەۃہ")
    + ["\u064b", "\u064c", "\u064d", "\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "\u0670", "\u0654", "\u0640"]
    + list("abcXYZé")
    + list("0123456789٠١٢٣٤٥٦٧٨٩۰۱۲۳")
    + list("،؛؟.,;:!?()«»“”\"'-–—/[]%…")
    + [" "] * 8
    + ["\u00a0", "\t", "\n", "\n", "\r", "\r\n", "\u2009", "\u200b", "\u200c", "\u200f", "\u202b", "\u00ad", "\ufeff"]
)
_PRESENTATION = ["\ufefb", "\ufdfa", "\ufdfc", "\ufe70", "\ufe8d", "\ufee4", "\ufb8f", "\ufbfd"]


def _random_texts(n: int, seed: int, presentation: bool = True) -> list[str]:
    rng = random.Random(seed)
    alphabet = _ALPHABET + (_PRESENTATION if presentation else [])
    return ["".join(rng.choices(alphabet, k=rng.randint(0, 80))) for _ in range(n)]


def test_idempotent_on_random_strings():
    for text in _random_texts(200, seed=20240515):
        d = normalize_display(text)
        assert normalize_display(d) == d, repr(text)
        s = normalize_search(text)
        assert normalize_search(s) == s, repr(text)
        # normalize_search == search folding applied on top of display
        assert normalize_search(d) == s, repr(text)


# ---------------------------------------------------------------------------
# Whole columns at once: the same results as one text at a time
# ---------------------------------------------------------------------------


def test_search_many_concrete():
    texts = [
        "",
        "  ",
        "أحمد  يقرأ\nالكتاب ",
        "ﷺ قال",
        "\U00010400bc ـ ب",
        "الوزارة\u064b\u0640",
        "x\ud800y",
        "\x01\x00",
    ]
    assert normalize_search_many(texts) == [
        "",
        "",
        "احمد يقرا الكتاب",
        "صلي الله عليه وسلم قال",  # a ligature that expands
        "\U00010428bc ب",  # astral letters lower-cased (Deseret), the dash between spaces gone
        "الوزاره",  # diacritic and tatweel deleted
        "x y",  # a lone surrogate is no word character
        "",  # the markers the batch uses inside are deleted as controls
    ]
    assert normalize_search_lines(["ـ أولا\nثانيا،  ثالثا", ""]) == [["اولا", "ثانيا ثالثا"], [""]]
    # a batch of one empty text (an empty body, found by tests/unit/test_properties.py)
    assert normalize_search_many([""]) == [""] and normalize_search_many([]) == []
    assert normalize_search_lines([""]) == [[""]] and word_counts([""]) == [0] and arabic_ratios([""]) == [0.0]
    assert word_counts(["", "قال المتحدث، إن الوضع مستقر.", "ـــــ ok", "٢٠٢٤ 😀 $", "مَدْرَسَةٌ"]) == [0, 5, 1, 1, 1]
    assert arabic_ratios(["", "abcd عربي", "\ufefb\ufdf2 ab", "123"]) == [0.0, 0.5, 0.5, 0.0]


def test_many_equal_one_by_one_on_random_strings():
    rng = random.Random(7)
    astral = ["\U0001d400", "\U0001f600", "\U00010400", "\ud800"]
    texts = _random_texts(400, seed=99) + [t + rng.choice(astral) for t in _random_texts(50, seed=5)]
    assert normalize_search_many(texts) == [normalize_search(t) for t in texts]
    assert normalize_search_lines(texts) == [[normalize_search(ln) for ln in t.split("\n")] for t in texts]
    assert word_counts(texts) == [word_count(t) for t in texts]
    assert arabic_ratios(texts) == [arabic_ratio(t) for t in texts]


def code_points_to_check() -> list[str]:
    """Every assigned code point; of each run of unassigned, private-use or surrogate ones (a run takes
    its table entries from its category alone) the first, the last and every 61st: ~162k of 1.1M."""
    out, run = [], []

    def close_run() -> None:
        out.extend(run[::61] + run[-1:] if run else [])
        run.clear()

    for cp in range(0x110000):
        c = chr(cp)
        if unicodedata.category(c) in ("Cn", "Co", "Cs"):
            if run and unicodedata.category(run[-1]) != unicodedata.category(c):
                close_run()
            run.append(c)
        else:
            close_run()
            out.append(c)
    close_run()
    return out


def test_many_equal_one_by_one_on_every_code_point():
    """The column functions map each code point through tables built once; every assigned code point
    (and the edges and a sample of each unassigned run), alone and between letters, gives what the
    one-text functions give."""
    chars = code_points_to_check()
    assert len(chars) > 150_000 and "\U0010ffff" in chars and "\ufdd0" in chars
    assert normalize_search_many(chars) == [normalize_search(c) for c in chars]
    assert letter_counts(chars)[0] == [int(c.isalpha()) for c in chars]  # what the language stage counted
    between = ["ب" + c + "b" for c in chars]
    assert word_counts(between) == [word_count(t) for t in between]
    assert arabic_ratios(between) == [arabic_ratio(t) for t in between]


def test_search_form_of_an_opening_is_a_prefix():
    """Each character is search-normalized alone (a tatweel looks at the one before it), so a text's
    opening normalizes to a prefix of the whole text's search form (clean's title-echo check relies on it)."""
    astral = ["\U00010400", "\U0001f600"]
    rng = random.Random(11)
    for text in _random_texts(150, seed=3) + [t + rng.choice(astral) + t for t in _random_texts(30, seed=4)]:
        whole = normalize_search(text)
        for k in range(len(text) + 1):
            assert whole.startswith(normalize_search(text[:k])), (text, k)


def test_display_invariants_on_random_strings():
    forbidden = set("\u0640\u200b\u200c\u200d\u200e\u200f\u202b\u00ad\ufeff\t\r\u00a0\u2009کیۀ")
    for text in _random_texts(200, seed=7):
        d = normalize_display(text)
        assert "  " not in d and "\n\n" not in d
        assert d == d.strip()
        assert all(line == line.strip() and line for line in d.split("\n")) or d == ""
        assert not forbidden & set(d), repr(text)
        s = normalize_search(text)
        assert "  " not in s and "\n" not in s and s == s.strip()


# ---------------------------------------------------------------------------
# DuckDB macro parity
# ---------------------------------------------------------------------------

_SQL_CASES = [
    "الإمارات",
    "الامارات",
    "أحمد",
    "إسلام",
    "آمال",
    "ٱلرَّحْمَٰن",
    "ٲ ٳ",
    "مَدْرَسَةٌ",
    "مُحَمَّدٌ",
    "كِتَابٌ",
    "هٰذا",
    "القُرْآن",
    "صَلَّى",
    "مدرسة",
    "الجامعة العربية",
    "إلى",
    "مستشفى",
    "على",
    "مؤتمر",
    "رئيس",
    "مسؤول",
    "مسئول",
    "شيء",
    "سماء",
    "سو\u0654ال",
    "کوریا الشمالیة",
    "ڪتاب",
    "ېوم",
    "مدرس\u06c0",
    "مدرس\u06c3",
    "ل\u06d5",
    "\u06c1ذا",
    "٢٠٢٤",
    "۱۴۰۲",
    "عام 2024م",
    "3.5%",
    "10:45",
    "«السلام عليكم»",
    "قال: نعم!",
    "لماذا؟",
    "أولاً، ثانياً؛ ثالثاً",
    "(مصر)",
    "“نعم”",
    "[لا] — {ربما} … 'x' \"y\"",
    "ـــاللـــه",
    "ال\u200cخبر\u200b",
    "\u200fنص\u202c",
    "انت\u00adخابات",
    "a\u00a0b\tc\nd\r\ne",
    "  مسافات   كثيرة  ",
    "COVID-19",
    "Hello WORLD",
    "iPhone 15 Pro",
    "Ünïcödé",
    "الـ BBC عربي",
    "المنيا ـ حجاج",
    "2013ـ2014 وـ ثم ـــ",
    "ΟΔΥΣΣΕΥΣ.",
    "İstanbul",
    "50% + $3 = 😀",
    "https://example.com/news?id=7",
    "",
    "   ",
    "؟!.",
]


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect(":memory:")
    c.execute(MACROS_SQL.read_text(encoding="utf-8"))
    yield c
    c.close()


def test_sql_macro_case_count():
    assert len(_SQL_CASES) >= 40


@pytest.mark.parametrize("text", _SQL_CASES)
def test_sql_macro_matches_python(con, text):
    assert con.execute("SELECT ar_normalize(?)", [text]).fetchone()[0] == normalize_search(text)


def test_sql_macro_random_strings(con):
    texts = _random_texts(200, seed=99, presentation=False)
    got = con.execute(
        "SELECT list(ar_normalize(t) ORDER BY i) FROM (SELECT unnest(?) AS t, generate_subscripts(?, 1) AS i)",
        [texts, texts],
    ).fetchone()[0]
    assert got == [normalize_search(t) for t in texts]


def test_sql_macro_null_and_column(con):
    assert con.execute("SELECT ar_normalize(NULL)").fetchone()[0] is None
    rows = con.execute("SELECT ar_normalize(x) FROM (VALUES ('الإمارات'), ('مَدْرَسَةٌ')) v(x) ORDER BY 1").fetchall()
    assert rows == [("الامارات",), ("مدرسه",)]


def test_column_normalizers_give_the_same_answers_chunk_by_chunk(monkeypatch):
    """A column goes through NumPy in chunks of about CHUNK_CHARS characters (bounded memory): the
    answers are those of the whole column at once, and of each text alone."""
    from akhbar.tasks import arabic

    texts = [
        "قالَ الوزيرُ ـ في بيانٍ ـ إنّ 3 مشروعات ستبدأ",
        "",
        "الإسكندرية\nوالقاهرة  و  أسوان",
        "Latin words 12 و عربي",
        "ـــ",
    ] * 7
    whole = (arabic.normalize_search_many(texts), arabic.word_counts(texts), arabic.letter_counts(texts))
    monkeypatch.setattr(arabic, "CHUNK_CHARS", 40)
    assert list(arabic._chunks(texts))[1:]  # more than one chunk
    chunked = (arabic.normalize_search_many(texts), arabic.word_counts(texts), arabic.letter_counts(texts))
    assert chunked == whole
    assert chunked[0] == [arabic.normalize_search(t) for t in texts]
    assert arabic.normalize_search_many([]) == [] and arabic.word_counts([]) == []
