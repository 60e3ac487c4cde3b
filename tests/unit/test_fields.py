"""Field mapping by name, name pattern and value (tasks/fields.py), on records written for akhbar."""

from __future__ import annotations

import pytest
from akhbar.tasks.fields import FieldChoice, as_keywords, as_text, infer_mapping

from akhbar.settings import FieldMap

BODIES = [
    "افتتحت محافظة المدينة صباح اليوم جسرا جديدا فوق النهر يربط بين الحيين الشرقي والغربي ويختصر زمن الرحلة إلى النصف.",
    "قررت لجنة المسابقات تأجيل مباراة الفريقين إلى الأسبوع المقبل بسبب سوء الأحوال الجوية وغزارة الأمطار على الملعب.",
    "أعلن البنك المركزي تثبيت أسعار الفائدة للمرة الثالثة على التوالي في ظل تراجع معدلات التضخم خلال الربع الأخير.",
    "بدأت وزارة التربية توزيع الكتب المدرسية على المدارس الحكومية قبل أسبوعين من بداية العام الدراسي الجديد.",
    "حذرت هيئة الأرصاد من موجة حارة تضرب البلاد نهاية الأسبوع مع ارتفاع درجات الحرارة إلى أربعين درجة مئوية.",
    "وقعت الشركة الوطنية للكهرباء عقدا لإنشاء محطة طاقة شمسية جديدة في الصحراء الغربية بقدرة خمسمئة ميغاواط.",
]
TITLES = [
    "افتتاح جسر جديد فوق النهر",
    "تأجيل مباراة الفريقين",
    "تثبيت أسعار الفائدة",
    "توزيع الكتب المدرسية",
    "موجة حارة نهاية الأسبوع",
    "محطة طاقة شمسية جديدة",
]
DATES = ["2024-03-0%dT10:15:00+02:00" % d for d in range(1, 7)]
AR_DATES = ["%d مارس 2024" % d for d in range(1, 7)]


def records(**columns) -> list[dict]:
    """Six records: text and title, plus each given column (a list of six values)."""
    return [
        {"text": b, "title": t, **{k: v[i] for k, v in columns.items()}} for i, (b, t) in enumerate(zip(BODIES, TITLES))
    ]


@pytest.mark.parametrize(
    "key,how",
    [
        ("article_date", "name pattern"),
        ("pubDate", "name pattern"),
        ("timestamp", "name pattern"),
        ("تاريخ_النشر", "name pattern"),
        ("x1", "values"),
    ],
)
def test_date_found_under_an_unlisted_key(key, how):
    sample = records(**{key: DATES})
    m = infer_mapping(sample, FieldMap())
    assert m.choices["published"].key == key and m.choices["published"].how == how
    assert m.extract(sample[2])["published"] == "2024-03-03T10:15:00+02:00"
    assert f"published <- {key!r} ({how})" in m.describe()


def test_arabic_dates_count_as_dates():
    m = infer_mapping(records(yawm=AR_DATES), FieldMap())
    assert m.choices["published"] == FieldChoice("yawm", "values", tuple(FieldMap().published))


def test_a_date_named_key_without_dates_loses_to_a_key_with_dates():
    editions = ["العدد %d" % n for n in range(4501, 4507)]
    sample = records(date=editions, release=AR_DATES)
    m = infer_mapping(sample, FieldMap())
    assert (m.key("published"), m.choices["published"].how) == ("release", "values")
    assert "date" not in m.choices["published"].keys  # not read as a fallback either
    assert m.extract({"text": "نص", "date": "العدد 4510"})["published"] is None
    # alone, the named key is still read, and the log says its values do not fit
    m = infer_mapping(records(date=editions), FieldMap())
    assert m.choices["published"].how == "name, values do not fit"


def test_an_override_wins():
    fields = FieldMap()
    fields.prefer("published", "print_day")
    sample = records(published_at=DATES, print_day=AR_DATES)
    m = infer_mapping(sample, fields)
    assert (m.key("published"), m.choices["published"].how) == ("print_day", "override")
    assert m.extract(sample[0])["published"] == "1 مارس 2024"
    assert m.choices["published"].fallbacks[0] == "published_at"  # read where print_day is empty
    assert m.extract({"text": "نص", "published_at": DATES[5]})["published"] == DATES[5]


def test_url_found_by_value_and_pictures_are_not_urls():
    links = ["https://www.madina-news.test/ar/news/%d" % n for n in range(6)]
    pictures = ["https://cdn.madina-news.test/img/%d.jpg" % n for n in range(6)]
    m = infer_mapping(records(pic=pictures, ref=links), FieldMap())
    assert (m.key("url"), m.choices["url"].how) == ("ref", "values")


def test_outlet_by_value_names_the_site_and_a_language_code_does_not():
    links = ["https://www.madina-news.test/ar/news/%d" % n for n in range(6)]
    m = infer_mapping(records(link=links, lang=["ar"] * 6, src=["madina-news"] * 6), FieldMap())
    assert (m.key("outlet"), m.choices["outlet"].how) == ("src", "values")
    m = infer_mapping(records(link=links, lang=["ar"] * 6), FieldMap())
    assert m.key("outlet") is None and "outlet" in m.unmapped


def test_text_and_title_found_by_value():
    sample = [{"h": t, "corps": b, "n": i} for i, (t, b) in enumerate(zip(TITLES, BODIES))]
    m = infer_mapping(sample, FieldMap())
    assert (m.key("text"), m.choices["text"].how) == ("corps", "values")
    assert (m.key("title"), m.choices["title"].how) == ("h", "values")
    assert m.extract(sample[1])["text_key"] == "corps"


def test_unmapped_fields_are_reported():
    m = infer_mapping(records(), FieldMap())
    assert m.unmapped == ["url", "id", "published", "author", "outlet", "category", "keywords"]
    assert m.describe() == (
        "text <- 'text' (name), title <- 'title' (name), url unmapped, id unmapped, "
        "published unmapped, author unmapped, outlet unmapped, category unmapped, keywords unmapped"
    )


def test_one_level_of_nesting():
    sample = records(meta=[{"date": d, "writer": "سعاد حسن"} for d in AR_DATES])
    m = infer_mapping(sample, FieldMap())
    assert (m.key("published"), m.key("author")) == ("meta.date", "meta.writer")
    assert m.extract(sample[3])["published"] == "4 مارس 2024"


def test_known_names_map_as_the_fixed_lists_did():
    rec = {
        "id": 17,
        "url": "https://www.madina-news.test/a/17",
        "headline": {"text": TITLES[0]},
        "body": BODIES[0],
        "published_at": DATES[0],
        "byline": ["سعاد حسن", "كريم علي"],
        "site": "مدينة",
        "section": "محليات",
        "tags": "طرق، جسور, نقل",
    }
    m = infer_mapping([rec] * 3, FieldMap())
    got = m.extract(rec)
    assert {name: got[name] for name in ("title", "url", "id", "published", "author", "outlet", "category")} == {
        "title": TITLES[0],
        "url": "https://www.madina-news.test/a/17",
        "id": "17",
        "published": DATES[0],
        "author": "سعاد حسن\nكريم علي",
        "outlet": "مدينة",
        "category": "محليات",
    }
    assert got["keywords"] == ["طرق", "جسور", "نقل"]
    assert got["text"] == BODIES[0] and got["text_key"] == "body"


def test_hostile_values_never_raise():
    deep: list = ["كلمة"]
    for _ in range(5000):
        deep = [deep]
    sample = records(
        keywords=[5, True, None, deep, {"name": "اقتصاد"}, ["أ", ["ب", ["ج"]]]], title2=[True, 3.5, None, {}, [], "x"]
    )
    sample += [5, "نص", None, ["list"], {"text": deep, "title": {"a": {"b": 1}}, 7: "non-string key"}]
    m = infer_mapping(sample, FieldMap())
    got = [m.extract(r) for r in sample]
    assert [g["keywords"] for g in got[:6]] == [["5"], [], [], [], ["اقتصاد"], ["أ", "ب\nج"]]
    assert got[6] == {**{f: None for f in m.choices}, "keywords": [], "text_key": None}  # not a record
    assert got[-1]["text"] is None and got[-1]["title"] is None
    assert m.extract({"text": BODIES[0], "tags": True})["keywords"] == []
    assert m.extract({"text": BODIES[0], "keywords": 5, "title": 1234})["keywords"] == ["5"]
    assert as_text(True) is None and as_keywords(True) == [] and as_keywords(5) == ["5"]
    assert as_text({"name": "سعاد"}) == "سعاد"


def test_an_empty_sample_reads_as_the_fixed_lists_did():
    m = infer_mapping([], FieldMap())
    assert m.unmapped == ["text", "title", "url", "id", "published", "author", "outlet", "category", "keywords"]
    rec = {"content": BODIES[2], "pub_date": DATES[2], "link": "https://www.madina-news.test/a/3"}
    got = m.extract(rec)
    assert (got["text"], got["text_key"], got["published"], got["url"]) == (BODIES[2], "content", DATES[2], rec["link"])


def test_outlet_spelt_a_little_differently_from_the_host():
    links = ["https://www.alkhabariya.test/news/%d" % n for n in range(6)]
    m = infer_mapping(records(u=links, s=["alkhabaria"] * 6), FieldMap())
    assert (m.key("outlet"), m.choices["outlet"].how) == ("s", "values")
