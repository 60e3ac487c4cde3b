"""Cleaning: the rules file checks itself, and the five seeds come out as the foundation requires."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pytest
from akhbar.tasks.clean import (
    Credit,
    clean_stage,
    clean_text,
    default_rules,
    is_headline,
    load_rules,
    marker_regex,
    segment_space_tags,
    split_keywords,
    untag_inline_hashtags,
)
from conftest import need, seed_path


def seed(prefix: str):
    return clean_text(need(seed_path(prefix)).read_text(encoding="utf-8"))


def removed_by(c, rule: str) -> list[str]:
    return [text for rid, _, text in c.removed if rid == rule]


@pytest.mark.parametrize("rule", default_rules().rules, ids=lambda r: r.id)
def test_every_rule_matches_its_own_examples(rule):
    assert rule.examples, f"rule {rule.id} has no examples"
    for example in rule.examples:
        assert rule.find(example), f"{rule.id} does not match its example {example!r}"


def test_rules_file_rejects_bad_entries(tmp_path: Path):
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules:\n  - {id: x, category: ad, action: explode, pattern: 'a'}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown action"):
        load_rules(bad)
    bad.write_text("rules:\n  - {id: x, category: ad, action: drop_line, pattern: '(('}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="rule x: bad pattern"):
        load_rules(bad)


def test_seed_000_cut_at_read_also_and_metadata():
    c = seed("000")
    assert c.body.split("\n")[-1].startswith("بذلت روسيا قصارى جهدها")
    for gone in ("زيلينسكي", "زاخاروفا", "أيضاً:", "كلمات دلالية", "المصدر:", "تاريخ النشر"):
        assert gone not in c.body
    assert c.source_credit == "صدى البلد"
    assert c.published_at == datetime(2023, 9, 17, tzinfo=timezone.utc)
    assert c.title == "زيارة أسبوع.. كوريا الشمالية تخرج من حالة العزلة بدعم روسي"
    # tags joined by spaces, cut where the article never runs them together (the golden file has all 7)
    assert c.keywords[:2] == ["التعاون العسكري", "الرئيس الروسي فلاديمير بوتين"]
    assert c.keywords[-1] == "كوريا الشمالية"  # Persian letters of the tag line normalized
    assert len(c.body.split("\n")) == 9
    cut = removed_by(c, "read_also.trailing")
    assert len(cut) == 1 and cut[0].startswith("إقرأ أيضاً:") and "زيلينسكي" in cut[0]


def test_seed_001_comment_form_and_byline():
    c = seed("001")
    for gone in ("اترك تعليق", "بريدك الإلكتروني", "الحقول الإلزامية", "شارك المقال", "دقيقة للقراءة"):
        assert gone not in c.body
    assert c.author == "فريق التحرير"
    assert c.dateline == "موسكو"
    assert c.body.startswith("أشاد وزير خارجية كوريا الشمالية الثلاثاء")
    assert "زيارة بوتين؟" in c.body.split("\n")  # a subheading is body, not boilerplate
    assert c.body.split("\n")[-1].startswith("وبعد توليه منصب الرئيس خلفاً لبوريس يلتسين")


def test_seed_002_dateline_agency_and_closing_question():
    c = seed("002")
    assert (c.dateline, c.agency) == ("سول", "رويترز")
    assert c.body.startswith("ذكرت وسائل إعلام رسمية في كوريا الشمالية")
    assert "هل ترغب بالتعليق" not in c.body and "لا تتردد" not in c.body
    assert c.title is None  # the first line is a paragraph, not a headline
    assert len(c.body.split("\n")) == 6


def test_seed_003_ads_newsletter_captions_source():
    c = seed("003")
    for gone in ("[ad_1]", "[ad_2]", "تنبيهات مجانية", "اشترك", "(EPA)", "(عبر رويترز)", "عبر AP"):
        assert gone not in c.body
    assert c.body.split("\n")[-1].startswith("وتكافح روسيا حاليًا")
    assert not c.body.rstrip().endswith("المصدر")
    assert len(removed_by(c, "caption.photo_credit")) == 4
    # a paragraph that merely lacks a final period is body, not a caption
    assert any(
        line.endswith("غادروا في نفس سيارة الليموزين إلى دار ضيافة ولاية كومسوسان") for line in c.body.split("\n")
    )


def test_seed_004_keeps_conclusion_drops_everything_after_read_also():
    c = seed("004")
    assert c.body.split("\n")[-1].startswith("وخلص تقرير الصحيفة")
    for gone in ("إقرأ أيضاً", "كريفي ريه", "مقالات مشابهة", "•", "المصدر: الوطن"):
        assert gone not in c.body
    assert c.title is None
    assert c.source_credit == "الوطن"
    assert "قلق في واشنطن بسبب الزيارة" in c.body.split("\n")


def test_read_also_inside_body_drops_label_and_its_headlines_only():
    text = "\n".join(
        [
            "عنوان الخبر هنا",
            "الفقرة الأولى من الخبر تتحدث عن الاقتصاد والأسواق بتفصيل كاف.",
            "اقرأ أيضاً:",
            "البنك المركزي يرفع الفائدة",
            "أسعار النفط تتراجع في التعاملات المبكرة",
            "ولم تتوقف التداعيات عند ذلك بل امتدت إلى قطاعات أخرى منها:",
            "الفقرة الأخيرة تختم الخبر بتصريح للوزير.",
        ]
    )
    c = clean_text(text)
    assert c.body.split("\n") == [
        "الفقرة الأولى من الخبر تتحدث عن الاقتصاد والأسواق بتفصيل كاف.",
        "ولم تتوقف التداعيات عند ذلك بل امتدت إلى قطاعات أخرى منها:",
        "الفقرة الأخيرة تختم الخبر بتصريح للوزير.",
    ]
    assert removed_by(c, "read_also.block") == [
        "اقرأ أيضاً:\nالبنك المركزي يرفع الفائدة\nأسعار النفط تتراجع في التعاملات المبكرة"
    ]


def test_an_also_link_goes_and_prose_opening_with_also_stays():
    """CNN links a story inside the body as "أيضاً.. <headline>"; a sentence that opens with "وأيضا:"
    and ends like one is prose."""
    text = "\n".join(
        [
            "الفقرة الأولى من الخبر تتحدث عن الاقتصاد والأسواق بتفصيل كاف.",
            "أيضاً.. خارجية بلد ما توضح موقع سفارتها الجديدة",
            "وأيضا: الاهتمام بالتعليم والصحة في الموازنة المقبلة.",
            "الفقرة الأخيرة تختم الخبر بتصريح للوزير.",
        ]
    )
    c = clean_text(text)
    assert removed_by(c, "read_also.block") == ["أيضاً.. خارجية بلد ما توضح موقع سفارتها الجديدة"]
    assert c.body.split("\n") == [text.split("\n")[i] for i in (0, 2, 3)]


def test_known_title_repeated_as_first_line_is_dropped():
    c = clean_text(
        "سعر الذهب يرتفع\nارتفع سعر الذهب اليوم في الأسواق المحلية بنسبة واحد بالمئة.", title="سعر الذهب يرتفع"
    )
    assert c.body == "ارتفع سعر الذهب اليوم في الأسواق المحلية بنسبة واحد بالمئة."
    assert removed_by(c, "title.repeated") == ["سعر الذهب يرتفع"]


def test_same_text_on_long_lines():
    from akhbar.tasks.clean import _same_text

    title = "سعر الذهب يرتفع"
    marked = "سعر" + "\u064b" * 200 + " الذهب  ـــ  يرتفع."  # diacritics, a dash and spaces: the same search form
    assert _same_text(marked, title) and _same_text(title, marked)
    assert not _same_text(title + " " + "اليوم " * 50, title)  # opens with the title, goes on
    assert not _same_text("ارتفع سعر الذهب اليوم " * 20, title)  # opens otherwise
    assert _same_text("سعر الذهب", "سعر الذهب!")


def test_corpus_style_credits_and_notices():
    text = "\n".join(
        [
            "افتتح المعرض أبوابه أمام الزوار صباح اليوم وسط إقبال كبير من العائلات.",
            "يمكنكم استلام إشعارات بأهم الموضوعات بعد تحميل أحدث نسخة من تطبيق بي بي سي عربي على هاتفكم المحمول.",
            "------------------------------",
            "** جميع المقالات المنشورة تمثل رأي كتابها فقط.",
            "*نقلاً عن صحيفة المساء",
            "فرانس24/ أ ف ب",
        ]
    )
    c = clean_text(text)
    assert c.body == "افتتح المعرض أبوابه أمام الزوار صباح اليوم وسط إقبال كبير من العائلات."
    assert c.source_credit == "صحيفة المساء"
    assert c.agency == "فرانس24/ أ ف ب"
    assert {cat for _, cat, _ in c.removed} == {"share", "separator", "disclaimer", "source", "agency"}


def test_headline_shape():
    assert is_headline("وفاة الممثل المصري نور الشريف")
    assert is_headline("هل انتهى الموسم؟")
    assert not is_headline("ولم تخلُ الدراما المصرية من مشاركته في أعمال منها:")
    assert not is_headline("جملة تامة تنتهي بنقطة.")


def test_split_keywords():
    assert split_keywords("اقتصاد، طاقة , نفط| #أسواق_المال") == ["اقتصاد", "طاقة", "نفط", "أسواق المال"]


def test_marker_regex_catches_leftovers_and_spares_body():
    import re

    rx = re.compile(marker_regex())
    assert rx.search("فقرة.\n[ad_1]\nفقرة")
    assert rx.search("فقرة.\nكلمات دلالية: أ ب")
    assert rx.search("نص [ad_2] نص")
    assert not rx.search("قال الوزير إن الاتفاق يشمل التعاون العسكري.\nوأضاف أن المصدر الرئيسي للطاقة هو النفط.")


def test_inline_tag_links_become_words_and_quoted_hashtags_stay():
    removed = []
    line = "أكد #الرئيس_الفلبيني، رودريغو دوتيرتي، انسحاب بلاده من #نظام_روما بمفعول فوري."
    assert (
        untag_inline_hashtags(line, removed)
        == "أكد الرئيس الفلبيني، رودريغو دوتيرتي، انسحاب بلاده من نظام روما بمفعول فوري."
    )
    assert removed == [
        ("markup.inline_hashtag", "markup", "#الرئيس_الفلبيني"),
        ("markup.inline_hashtag", "markup", "#نظام_روما"),
    ]
    for kept in (
        "وأطلق ناشطون وسم #مي_تو على المنصات.",
        'ودشن مغردون وسما بعنوان "#ادعم_محمد_صلاح" أمس.',
        "وانتشر الوسم (#تمام) بسرعة.",
        'قال "السماء هي الحدود مع #الجنسية الكندية".',
        "[ad_1] #1 في الترتيب",
    ):
        assert untag_inline_hashtags(kept) == kept
    # the same link with its "#" lost: Arabic never joins words by "_"; a quoted or named hashtag stays
    removed = []
    assert (
        untag_inline_hashtags("أعلن صندوق_الاستثمارات_العامة عن شراكة بين الرجال_والنساء.", removed)
        == "أعلن صندوق الاستثمارات العامة عن شراكة بين الرجال والنساء."
    )
    assert [t for _, _, t in removed] == ["صندوق_الاستثمارات_العامة", "الرجال_والنساء"]
    for kept in (
        'نشر صورته بهاشتاغ "الذهب_فقط" أمس.',
        "وأطلقوا وسم الصحة_النفسية على المنصات.",
        "حساب user_name في الموقع",
    ):
        assert untag_inline_hashtags(kept) == kept
    c = clean_text(
        "وقع زلزال قوي في #اليابان صباح اليوم وأدى إلى انقطاع الكهرباء عن آلاف المنازل في الشمال.\nوقالت السلطات إن فرق الإنقاذ تعمل."
    )
    assert c.body.startswith("وقع زلزال قوي في اليابان صباح")
    assert ("markup.inline_hashtag", "markup", "#اليابان") in c.removed


SUEZ = (
    "قال الرئيس المصري عبد الفتاح السيسي إن حركة الملاحة في قناة السويس عادت إلى طبيعتها، "
    "مؤكدا أن الاقتصاد المصري تجاوز الأزمة."
)


@pytest.mark.parametrize(
    "line, text, tags",
    [
        (
            "الرئيس المصري عبد الفتاح السيسي قناة السويس الاقتصاد المصري",
            SUEZ,
            ["الرئيس المصري عبد الفتاح السيسي", "قناة السويس", "الاقتصاد المصري"],
        ),
        (
            "الأمم المتحدة اليمن الحديدة المساعدات الإنسانية",
            "أعلنت الأمم المتحدة أن المساعدات الإنسانية وصلت إلى ميناء الحديدة في اليمن بعد توقف دام أسابيع.",
            ["الأمم المتحدة", "اليمن", "الحديدة", "المساعدات الإنسانية"],
        ),
        # a phrase the line lists twice (two spellings) ends a tag even where the text runs on
        (
            "المغرب كأس العالم الجزائر كأس العالم",
            "تأهل المغرب إلى كأس العالم الجزائر لم تتأهل.",
            ["المغرب", "كأس العالم", "الجزائر", "كأس العالم"],
        ),
        # a tag the text never spells out is cut into its words
        (
            "الطاقة المتجددة محطة نور ورزازات",
            "افتتحت الحكومة محطة جديدة للطاقة الشمسية.",
            ["الطاقة", "المتجددة", "محطة", "نور", "ورزازات"],
        ),
    ],
)
def test_tags_joined_by_spaces_are_cut_where_the_text_never_joins_them(line, text, tags):
    assert segment_space_tags(line, text) == tags


def test_space_joined_tag_line_is_cut_by_the_articles_own_text_and_separators_win():
    c = clean_text(
        SUEZ
        + "\nوأضاف أن الإيرادات ارتفعت خلال العام الماضي.\nكلمات دلالية: الرئيس المصري عبد الفتاح السيسي قناة السويس الاقتصاد المصري"
    )
    assert c.keywords == ["الرئيس المصري عبد الفتاح السيسي", "قناة السويس", "الاقتصاد المصري"]
    # a tag line with separators is taken as the site wrote it, however long a tag
    c = clean_text(
        SUEZ
        + "\nوأضاف أن الإيرادات ارتفعت خلال العام الماضي.\nكلمات دلالية: الرئيس المصري عبد الفتاح السيسي، الملاحة البحرية"
    )
    assert c.keywords == ["الرئيس المصري عبد الفتاح السيسي", "الملاحة البحرية"]


@pytest.mark.parametrize(
    "credit, author, dateline, agency",
    [
        ("برشلونة - رويترز", None, "برشلونة", "رويترز"),  # city, wire agency
        ("أبوظبي - سكاي نيوز عربية", None, "أبوظبي", None),  # desk, the outlet itself
        ("العربية.نت - إسلام سيف", "إسلام سيف", None, None),  # outlet, reporter
        ("العربية.نت-إسلام سيف", "إسلام سيف", None, None),
        ("العربية.نت _ محمد جراح", "محمد جراح", None, None),
        ("لندن - العربية.نت - كمال قبيسي", "كمال قبيسي", "لندن", None),
        ("دبي ـ العربية.نت", None, "دبي", None),  # a tatweel for a dash
        ("العربية.نت، رويترز", None, None, "رويترز"),
        ("فرانس 24 / أ ف ب", None, None, "أ ف ب"),
        ("30174026-20d9-40a2-9e04-5b63346a78a6", None, None, None),  # an id the CMS leaked
        ("عماد الحكمي (تصوير عبدالعزيز النزهة)", "عماد الحكمي", None, None),
        ("كوليندا غرابار-كيتاروفيتش", "كوليندا غرابار-كيتاروفيتش", None, None),  # a hyphen inside a name
        ("فريق التحرير", "فريق التحرير", None, None),
        (None, None, None, None),
    ],
)
def test_a_credit_line_is_read_into_author_dateline_and_agency(credit, author, dateline, agency):
    from akhbar.tasks.clean import parse_credit

    assert parse_credit(credit) == Credit(author, dateline, agency)


def test_the_records_credit_fills_fields_the_text_left_empty():
    from akhbar.schemas.tables import PAGE

    base = {
        "source_id": "s",
        "outlet_from": "record",
        "url": None,
        "category": None,
        "title": "عنوان",
        "published_raw": None,
        "keywords": [],
        "raw_payload": "{}",
    }
    rows = pa.Table.from_pylist(
        [
            {
                **base,
                "article_id": "a",
                "source_uri": "/l/a",
                "outlet": "alarabia",
                "author": "برشلونة - رويترز",
                "text": "الفقرة الأولى من الخبر تتحدث عن المباراة بتفصيل كاف.",
            },
            {
                **base,
                "article_id": "b",
                "source_uri": "/l/b",
                "outlet": "CNN",
                "author": "دبي - العربية.نت",
                "text": "نيويورك، الولايات المتحدة (CNN)-- قال مسؤول إن المحادثات مستمرة بين الطرفين.",
            },
        ],
        schema=PAGE,
    )
    cleaned = clean_stage(rows, "r1").kept
    got = {r["article_id"]: (r["author"], r["dateline"], r["agency"]) for r in cleaned.to_pylist()}
    assert got["a"] == (None, "برشلونة", "رويترز")
    assert got["b"] == (None, "نيويورك، الولايات المتحدة", "CNN")  # the text's own dateline wins
