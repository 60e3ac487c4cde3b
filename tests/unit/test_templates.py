"""Learning boilerplate on an outlet akhbar has never seen: without record dates (recurrence over
stories and input files), line templates glued to the first or last paragraph (tasks/templates.py),
and what is never learned (verse, salutations, pieces of a sentence broken around a link)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pyarrow as pa
from akhbar.tasks.clean import clean_text
from akhbar.tasks.learned import inside_sentence, is_verse_or_quote, learn_and_remove
from akhbar.tasks.templates import decide_templates, edge_rows, remove_templates, strip_templates

from akhbar.settings import LearnedSettings

CFG = LearnedSettings()
DAY0 = datetime(2025, 3, 1, 8, tzinfo=timezone.utc)
SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("outlet", pa.string()),
        ("body", pa.string()),
        ("published_at", pa.timestamp("us", tz="UTC")),
        ("source_uri", pa.string()),
    ]
)
PLACES = [
    "الموصل",
    "البصرة",
    "أربيل",
    "كركوك",
    "النجف",
    "الحلة",
    "دهوك",
    "السليمانية",
    "الرمادي",
    "تكريت",
    "سامراء",
    "العمارة",
]


def story(i: int) -> list[str]:
    place = PLACES[i]
    return [
        f"افتتحت السلطات المحلية في {place} اليوم مشروعا جديدا لتحلية المياه يخدم آلاف الأسر.",
        f"وقال مسؤول في {place} إن المشروع استغرق عامين من العمل المتواصل وكلف مبالغ كبيرة.",
        f"ويتوقع سكان {place} أن تتحسن الخدمات خلال الأشهر المقبلة بعد تشغيل المحطة.",
    ]


def table(rows) -> pa.Table:
    """rows: (article id, outlet, body lines, date or None, input file)."""
    return pa.Table.from_pylist(
        [
            {"article_id": a, "outlet": o, "body": "\n".join(lines), "published_at": when, "source_uri": src}
            for a, o, lines, when, src in rows
        ],
        schema=SCHEMA,
    )


def bodies(result) -> dict[str, list[str]]:
    return {
        a: b.split("\n") for a, b in zip(result.articles["article_id"].to_pylist(), result.articles["body"].to_pylist())
    }


SIGNOFF = "لمتابعة آخر الأخبار حملوا تطبيق الموقع المجاني."


# ----------------------------------------------------------------------------- no dates


def test_undated_sign_off_spread_over_three_files_is_learned():
    t = table([(f"a{i}", "nakheel", story(i) + [SIGNOFF], None, f"/landing/part-{i % 3}.json") for i in range(8)])
    got = bodies(learn_and_remove(t, "r1", CFG))
    assert all(got[f"a{i}"] == story(i) for i in range(8))


def test_undated_sign_off_from_one_file_is_not_learned():
    t = table([(f"a{i}", "nakheel", story(i) + [SIGNOFF], None, "/landing/all.json") for i in range(8)])
    assert learn_and_remove(t, "r1", CFG).boilerplate.num_rows == 0


def test_dated_stories_keep_the_day_rule_whatever_the_files():
    # eight dated stories on one day from eight files: the dates decide, and one day is not five
    t = table([(f"a{i}", "nakheel", story(i) + [SIGNOFF], DAY0, f"/landing/f{i}.json") for i in range(8)])
    assert learn_and_remove(t, "r1", CFG).boilerplate.num_rows == 0


def test_a_long_sentence_a_series_shares_needs_many_more_undated_stories():
    shared = (
        "وتم اتخاذ الإجراءات القانونية اللازمة حيال الواقعة وإخطار النيابة العامة لتتولى التحقيق في ملابساتها كاملة."
    )
    t = table([(f"a{i}", "nakheel", story(i) + [shared], None, f"/landing/part-{i % 4}.json") for i in range(10)])
    got = bodies(learn_and_remove(t, "r1", CFG))
    assert all(got[f"a{i}"][-1] == shared for i in range(10))


# ----------------------------------------------------------------------------- never learned


def test_closing_verse_and_salutation_stay_however_often_they_recur():
    verse = "ومن يتق الله يجعل له مخرجا * ويرزقه من حيث لا يحتسب"
    salute = "والسلام عليكم ورحمة الله وبركاته"
    t = table(
        [(f"a{i}", "column", story(i) + [verse, salute], DAY0 + timedelta(days=i), f"/l/{i}.json") for i in range(10)]
    )
    got = bodies(learn_and_remove(t, "r1", CFG))
    assert all(got[f"a{i}"][-2:] == [verse, salute] for i in range(10))
    assert is_verse_or_quote("﴿ إن مع العسر يسرا ﴾") and is_verse_or_quote("«لا شيء يبقى على حاله.»")
    assert not is_verse_or_quote(SIGNOFF)


def test_pieces_of_a_sentence_broken_around_a_link_stay():
    # the site broke "وكتب الوزير في حسابه على «تويتر»، الأحد: ..." around the link in every story
    rows = []
    for i in range(12):
        lines = story(i)[:1] + [
            "وكتب الوزير في",
            "حسابه على «تويتر»",
            f"، الأحد: «سنواصل العمل في {PLACES[i]} حتى اكتماله».",
        ]
        rows.append((f"a{i}", "minbar", lines, DAY0 + timedelta(days=i), f"/l/{i}.json"))
    got = bodies(learn_and_remove(table(rows), "r1", CFG))
    assert all("حسابه على «تويتر»" in got[f"a{i}"] for i in range(12))
    assert inside_sentence("وكتب الوزير في", "حسابه على «تويتر»", "، الأحد: ...")
    assert not inside_sentence(None, "مروة على", "افتتحت السلطات ...")  # a name ending like a particle, first line


# ----------------------------------------------------------------------------- line templates

CREDIT = "النخيل نيوز - بغداد:"
LINK_BACK = "تابعوا الخبر كاملا على موقع النخيل نيوز:"


def templated(i: int) -> list[str]:
    lines = story(i)
    headline = f"مشروع جديد للمياه في {PLACES[i]}"
    return [f"{CREDIT} {lines[0]}", *lines[1:], f"{LINK_BACK} {headline}"]


def test_a_credit_prefix_and_a_link_back_are_learned_from_recurrence_and_cut():
    t = table([(f"a{i}", "nakheel", templated(i), None, f"/landing/part-{i % 3}.json") for i in range(9)])
    result = learn_and_remove(t, "r1", CFG)
    got = bodies(result)
    assert all(got[f"a{i}"] == story(i) for i in range(9))  # the paragraph after the credit stays whole
    rows = sorted(
        zip(
            result.boilerplate["article_id"].to_pylist(),
            result.boilerplate["rule"].to_pylist(),
            result.boilerplate["text"].to_pylist(),
        )
    )
    assert rows[:2] == [
        ("a0", "learned.template", CREDIT),
        ("a0", "learned.template", f"{LINK_BACK} مشروع جديد للمياه في الموصل"),
    ]
    assert result.edges is not None and result.edges.num_rows > 0


def test_a_tag_list_glued_after_the_last_sentence_is_cut_with_its_label():
    rows = []
    for i in range(8):
        lines = story(i)
        lines[-1] += f" الوسوم: مياه {PLACES[i]} مشاريع"
        rows.append((f"a{i}", "nakheel", lines, None, f"/landing/part-{i % 3}.json"))
    t = table(rows)
    articles, removed, bad = remove_templates(t, decide_templates(edge_rows(t, CFG), CFG), "r1", CFG)
    assert [b.split("\n") for b in articles["body"].to_pylist()] == [story(i) for i in range(8)]
    assert set(removed["category"].to_pylist()) == {"tags"} and bad.num_rows == 0


def test_templates_need_enough_stories_files_and_a_varying_rest():
    few = table([(f"a{i}", "nakheel", templated(i), None, f"/l/part-{i % 3}.json") for i in range(7)])
    assert not decide_templates(edge_rows(few, CFG), CFG).keys
    one_file = table([(f"a{i}", "nakheel", templated(i), None, "/l/all.json") for i in range(9)])
    assert not decide_templates(edge_rows(one_file, CFG), CFG).keys
    # the other outlet's stories do not count for this one
    mixed = table(
        [(f"a{i}", "nakheel" if i % 2 else "furat", templated(i), None, f"/l/part-{i % 3}.json") for i in range(12)]
    )
    assert not decide_templates(edge_rows(mixed, CFG), CFG).keys


def test_speech_openers_are_never_cut_as_templates():
    t = table(
        [(f"a{i}", "nakheel", [f"وقال: {story(i)[0]}", *story(i)[1:]], None, f"/l/part-{i % 3}.json") for i in range(9)]
    )
    found = decide_templates(edge_rows(t, CFG), CFG)
    keys = found.keys["nakheel"]
    assert keys  # recurring and varying, so decided ...
    body = "\n".join([f"وقال: {story(0)[0]}", *story(0)[1:]])
    assert strip_templates(body, keys, CFG) == (body, [])  # ... but speech is not cut


# ----------------------------------------------------------------------------- generic rules (own examples)


def test_a_wire_story_from_an_unseen_outlet_loses_its_credits_prompts_and_contact_block():
    raw = "\n".join(
        [
            "افتتاح محطة لتحلية المياه في الموصل",
            "كتب - سامر يوسف:",
            "افتتحت السلطات المحلية في الموصل اليوم مشروعا جديدا لتحلية المياه يخدم آلاف الأسر.",
            "صورة أرشيفية",
            "وقال مسؤول إن المشروع استغرق عامين من العمل المتواصل.",
            "لمشاهدة الصور",
            "للاشتراك في خدمة الأخبار العاجلة أرسل كلمة مياه إلى 95123 لعملاء فودافون",
            "desk@example-news.org",
            "وسنوافيكم بالتفاصيل..",
        ]
    )
    c = clean_text(raw, title="افتتاح محطة لتحلية المياه في الموصل")
    assert c.body.split("\n") == [
        "افتتحت السلطات المحلية في الموصل اليوم مشروعا جديدا لتحلية المياه يخدم آلاف الأسر.",
        "وقال مسؤول إن المشروع استغرق عامين من العمل المتواصل.",
    ]
    assert c.author == "سامر يوسف"
    assert [r for r, _, _ in c.removed] == [
        "byline.writer_dash",
        "caption.archive",
        "media.prompt",
        "contact.sms",
        "markup.email_only",
        "signoff.details_follow",
        "title.repeated",
    ]


def test_a_place_agency_line_and_script_junk_go_and_fixture_lists_stay():
    raw = "\n".join(
        [
            "المدينة _أ ش أ",
            "أعلن الاتحاد المحلي لكرة القدم برنامج الجولة المقبلة من البطولة.",
            "الجولة الأولى: الأحد 26 فيفري الساعة 14:00 النادي الأول - النادي الثاني",
            "- نادي الشمال",
            "- نادي الجنوب",
            "/* <![CDATA[ */",
            "(function(){var s=document.getElementById('x');s.remove();})();",
            "/* ]]> */",
        ]
    )
    c = clean_text(raw, title="برنامج الجولة المقبلة")
    assert c.body.split("\n") == raw.split("\n")[1:5]
    assert (c.dateline, c.agency) == ("المدينة", "أ ش أ")


# ----------------------------------------------------------------------------- first-line slot


def test_an_outlet_that_puts_a_short_label_above_most_first_paragraphs_loses_it():
    names = ["سامر يوسف", "منى خليل", "أرشيف الموقع", "هالة فؤاد", "علي حسن", "ريم سالم"]
    rows = []
    for i in range(60):
        lines = story(i % 12)
        lines = [lines[0].replace("اليوم", f"اليوم {i}"), *lines[1:]]  # sixty distinct stories
        if i % 3:  # two in three stories open with a label
            lines = [names[i % 6], *lines]
        rows.append((f"a{i}", "nakheel", lines, None, f"/l/part-{i % 3}.json"))
    t = table(rows)
    found = decide_templates(edge_rows(t, CFG), CFG)
    assert "nakheel" in found.slots and found.slots["nakheel"][0] == 60
    articles, removed, _ = remove_templates(t, found, "r1", CFG)
    got = dict(zip(articles["article_id"].to_pylist(), articles["body"].to_pylist()))
    assert got["a1"].split("\n")[0].startswith("افتتحت") and got["a0"] == t["body"][0].as_py()
    assert set(removed["rule"].to_pylist()) == {"learned.first_line_slot"} and removed.num_rows == 40


def test_an_outlet_whose_stories_rarely_open_with_a_label_keeps_them():
    rows = [
        (f"a{i}", "furat", ([" مقتطفات"] if i % 10 == 0 else []) + story(i % 12), None, f"/l/{i % 3}.json")
        for i in range(60)
    ]
    assert not decide_templates(edge_rows(table(rows), CFG), CFG).slots


def test_a_history_written_before_the_source_column_still_counts():
    from akhbar.tasks.learned import decide, line_rows

    old_history = line_rows(
        table([(f"h{i}", "nakheel", story(i) + [SIGNOFF], None, None) for i in range(4, 8)]), CFG
    ).table
    old_history = old_history.drop_columns(["source"])  # rows from before the column
    night = table([(f"a{i}", "nakheel", story(i) + [SIGNOFF], None, f"/landing/part-{i}.json") for i in range(4)])
    learned = decide(line_rows(night, CFG, "r2").table, CFG, history=old_history)
    assert learned.repeated["nakheel"]  # 8 undated stories: 4 files tonight + the history's night


def test_in_a_slot_outlet_a_caption_naming_the_storys_subject_goes_however_long():
    from akhbar.tasks.templates import caption_shaped

    lead = "أعرب وزير الخارجية الفرنسي لوران فابيوس عن قلق بلاده إزاء تطورات الأوضاع في مصر خلال اليومين الماضيين."
    title = "فرنسا تعرب عن قلقها إزاء تطورات الأوضاع في مصر"
    # five words, every one of them in the title or the lead: the photo's caption
    assert caption_shaped(["وزير خارجية فرنسا لوران فابيوس", lead], title)
    # a caption above the story's subtitle, then the lead
    subtitle = "المركز: وحدات سكنية مهددة بالانهيار تهدد حياة ألف مواطن"
    lead2 = "حذر مركز حقوقي بالإسكندرية من انهيار مساكن الطوبجية التي تضم نحو 140 وحدة سكنية مهددة بالسقوط."
    assert caption_shaped(["مساكن الطوبجية", subtitle, lead2], "تحذير من كارثة في مساكن «الطوبجية»")
    # a line saying something the story does not: a subtitle of its own, kept
    assert not caption_shaped(["باريس تخشى اتساع الأزمة إلى ليبيا", lead], title)
    # a label before a colon, two subtitles in a row, a line of eight words: not a caption
    assert not caption_shaped(["فابيوس: مصر", lead], title)
    assert not caption_shaped(["لوران فابيوس", subtitle, "عنوان فرعي آخر", lead], title)
    assert not caption_shaped(["وزير خارجية فرنسا لوران فابيوس في مصر اليوم", lead], title)


def test_a_caption_slot_applies_only_in_an_outlet_that_has_one():
    from akhbar.tasks.templates import Templates

    lead = "أعرب وزير الخارجية الفرنسي لوران فابيوس عن قلق بلاده إزاء تطورات الأوضاع في مصر خلال اليومين الماضيين."
    title = "فرنسا تعرب عن قلقها إزاء تطورات الأوضاع في مصر"
    t = pa.Table.from_pylist(
        [
            {"article_id": a, "outlet": o, "title": title, "body": f"وزير خارجية فرنسا لوران فابيوس\n{lead}"}
            for a, o in (("a1", "dostour"), ("a2", "other"))
        ]
    )
    found = Templates()
    found.slots["dostour"] = (100, 0.4)
    articles, removed, _ = remove_templates(t, found, "r1", CFG)
    assert articles["body"].to_pylist() == [lead, f"وزير خارجية فرنسا لوران فابيوس\n{lead}"]
    assert removed["text"].to_pylist() == ["وزير خارجية فرنسا لوران فابيوس"]


def test_tag_labels_sit_among_the_last_words_of_a_long_paragraph():
    """A label is found at the end of a last paragraph of any length, and only where at most
    TAGS_MAX_WORDS words of tags follow it (the walk looks at the line's last words only)."""
    from akhbar.tasks.templates import TAGS_MAX_WORDS, _labels

    paragraph = ("وقال المتحدث إن الاجتماع بحث ملفات عديدة. " * 60).split()  # 420 words
    tags = "الوسوم: مصر السودان النيل".split()
    words = paragraph + tags
    end = len(paragraph)  # "الوسوم:" after "... عديدة."
    assert _labels(words) == [(end, 1)]
    many = ["وسم"] * (TAGS_MAX_WORDS + 1)  # one word of tags too many: a colon opening prose, not a tag list
    assert _labels(paragraph + ["الوسوم:"] + many) == []
    assert _labels(paragraph + ["الوسوم:"] + many[:-1]) == [(end, 1)]
    # two- and three-word labels after the sentence end, the colon on the last of them
    assert _labels(paragraph + "كلمات مفتاحية: مصر".split()) == [(end + 1, 2)]
