"""Learned boilerplate on small, concrete batches: what is learned, what must survive, and how the
history in the lake adds to a night's counts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pytest
from akhbar.tasks.learned import learn_and_remove, line_rows

from akhbar.settings import LearnedSettings

CFG = LearnedSettings()
DAY0 = datetime(2025, 1, 1, 9, tzinfo=timezone.utc)
SIGNOFF = "تابعوا آخر أخبار المنطقة عبر حساباتنا على المنصات الاجتماعية."
SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("outlet", pa.string()),
        ("body", pa.string()),
        ("published_at", pa.timestamp("us", tz="UTC")),
        ("source_uri", pa.string()),
    ]
)

# Distinct story bodies: each a few sentences no other story has.
TOPICS = [
    "الأمطار الغزيرة في الشمال",
    "افتتاح المعرض الدولي للكتاب",
    "ارتفاع أسعار الذهب",
    "مباراة القمة في الدوري",
    "إطلاق قمر صناعي جديد",
    "تعديل قانون الاستثمار",
    "موسم حصاد القمح",
    "مؤتمر الطاقة المتجددة",
    "ترميم القلعة التاريخية",
    "حملة التطعيم في المدارس",
    "اكتشاف أثري في الصحراء",
    "إضراب عمال الموانئ",
]


def story(i: int) -> list[str]:
    topic = TOPICS[i]
    return [
        f"أعلنت السلطات اليوم تفاصيل جديدة بشأن {topic} في بيان رسمي مطول.",
        f"وقال متحدث إن {topic} يحظى بمتابعة واسعة من المواطنين والمختصين في القطاع.",
        f"وأضاف أن الخطوات المقبلة بشأن {topic} ستعلن خلال الأسابيع القليلة القادمة.",
    ]


def table(rows: list[tuple[str, str, list[str], datetime]]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "article_id": a,
                "outlet": o,
                "body": "\n".join(lines),
                "published_at": when,
                "source_uri": f"/landing/{a}.txt",
            }
            for a, o, lines, when in rows
        ],
        schema=SCHEMA,
    )


def bodies(result) -> dict[str, list[str]]:
    return {
        a: b.split("\n") for a, b in zip(result.articles["article_id"].to_pylist(), result.articles["body"].to_pylist())
    }


def removed(result) -> list[tuple[str, str, str]]:
    return sorted(
        zip(
            result.boilerplate["article_id"].to_pylist(),
            result.boilerplate["rule"].to_pylist(),
            result.boilerplate["text"].to_pylist(),
        )
    )


def test_a_sign_off_in_eight_stories_on_eight_days_is_removed_from_each():
    t = table(
        [(f"a{i}", "wakala", story(i) + [SIGNOFF], DAY0 + timedelta(days=i)) for i in range(8)]
        + [("b0", "other-outlet", story(8) + [SIGNOFF], DAY0)]
    )
    result = learn_and_remove(t, "r1", CFG)
    got = bodies(result)
    assert all(got[f"a{i}"] == story(i) for i in range(8))
    assert got["b0"] == story(8) + [SIGNOFF]  # counted per outlet: one story elsewhere is not a template
    assert removed(result) == [(f"a{i}", "learned.repeated", SIGNOFF) for i in range(8)]
    assert set(result.boilerplate["category"].to_pylist()) == {"repeated"}


def test_below_the_thresholds_nothing_is_learned():
    # seven stories: one short of min_stories
    seven = table([(f"a{i}", "wakala", story(i) + [SIGNOFF], DAY0 + timedelta(days=i)) for i in range(7)])
    assert learn_and_remove(seven, "r1", CFG).boilerplate.num_rows == 0
    # eight stories within two days: a background paragraph of a running story, not a template
    burst = table([(f"a{i}", "wakala", story(i) + [SIGNOFF], DAY0 + timedelta(hours=5 * i)) for i in range(8)])
    assert learn_and_remove(burst, "r1", CFG).boilerplate.num_rows == 0


def test_exact_copies_count_once():
    """The same story filed under eight sections on eight days is one story, not eight."""
    t = table([(f"a{i}", "wakala", story(0) + [SIGNOFF], DAY0 + timedelta(days=i)) for i in range(8)])
    assert learn_and_remove(t, "r1", CFG).boilerplate.num_rows == 0
    run = line_rows(t, CFG)
    lines, stories = run.table, run.stories
    assert len(set(stories)) == 1 and lines.num_rows == 4


def test_a_recurring_line_mid_body_is_a_lead_in_and_stays():
    lead_in = "وفي ختام هذا المقال أقول:"
    rows = []
    for i in range(8):
        s = story(i)
        rows.append(
            (
                f"a{i}",
                "column",
                s + [lead_in] + story(i + 1 if i < 11 else 0) + story((i + 2) % 12),
                DAY0 + timedelta(days=i),
            )
        )
    result = learn_and_remove(table(rows), "r1", CFG)
    assert not any(text == lead_in for _, _, text in removed(result))


def test_a_quote_two_stories_share_survives():
    quote = "وقال الوزير في كلمته إن الحكومة ماضية في خطتها لإصلاح قطاع النقل العام."
    t = table(
        [("a0", "wakala", story(0) + [quote], DAY0), ("a1", "wakala", [quote] + story(1), DAY0 + timedelta(days=3))]
    )
    assert learn_and_remove(t, "r1", CFG).boilerplate.num_rows == 0


def test_leaked_leads_go_where_they_leaked_and_stay_where_they_lead():
    """Story 0's lead turns up, with other stories' leads, in the news box under stories 1 and 2."""
    box = [story(5)[0], story(6)[0], "أعلن الاتحاد المحلي لكرة السلة جدول الموسم الجديد الذي ينطلق الشهر المقبل."]
    t = table(
        [
            ("a0", "site", story(0), DAY0),
            ("a1", "site", story(1) + [story(0)[0]] + box, DAY0 + timedelta(hours=2)),
            ("a2", "site", story(2) + [story(0)[0]] + box[:2], DAY0 + timedelta(hours=3)),
            ("a5", "site", story(5), DAY0),
        ]
    )
    result = learn_and_remove(t, "r1", CFG)
    got = bodies(result)
    assert got["a0"] == story(0) and got["a5"] == story(5)
    assert got["a1"] == story(1) and got["a2"] == story(2)  # the whole box, unseen lead included
    assert {r for a, r, _ in removed(result)} == {"learned.leaked_lead"}
    assert set(result.boilerplate["category"].to_pylist()) == {"related"}
    assert sum(a == "a1" for a, _, _ in removed(result)) == 4


def test_a_leaked_lead_high_up_a_long_body_goes_alone():
    long_tail = story(3) + story(4) + story(7)  # nine lines after it: not a news box
    t = table(
        [
            ("a0", "site", story(0), DAY0),
            ("a1", "site", story(1) + [story(0)[0]] + long_tail, DAY0),
            ("a2", "site", story(2) + [story(0)[0]] + story(8), DAY0),
        ]
    )
    got = bodies(learn_and_remove(t, "r1", CFG))
    assert got["a1"] == story(1) + long_tail
    assert got["a2"] == story(2)


def test_history_adds_to_the_night():
    """Five stories in the warehouse plus three tonight reach the threshold; tonight's lines are
    removed, and a story already in history counts once."""
    past = table([(f"h{i}", "wakala", story(i) + [SIGNOFF], DAY0 + timedelta(days=i)) for i in range(5)])
    history = line_rows(past, CFG, "r0").table
    tonight = table([(f"n{i}", "wakala", story(i) + [SIGNOFF], DAY0 + timedelta(days=i)) for i in range(5, 8)])
    result = learn_and_remove(tonight, "r1", CFG, history=history)
    assert removed(result) == [(f"n{i}", "learned.repeated", SIGNOFF) for i in range(5, 8)]
    # the same five again tonight (re-scraped): still five stories, nothing learned
    again = table([(f"x{i}", "wakala", story(i) + [SIGNOFF], DAY0 + timedelta(days=i)) for i in range(5)])
    assert learn_and_remove(again, "r1", CFG, history=history).boilerplate.num_rows == 0


def test_an_article_of_learned_lines_only_is_quarantined_and_off_switch():
    rows = [(f"a{i}", "wakala", story(i) + [SIGNOFF], DAY0 + timedelta(days=i)) for i in range(8)]
    rows.append(("empty", "wakala", [SIGNOFF], DAY0 + timedelta(days=9)))
    result = learn_and_remove(table(rows), "r1", CFG)
    assert result.quarantine["article_id"].to_pylist() == ["empty"]
    assert "learned" in result.quarantine["reason"][0].as_py()
    assert "empty" not in bodies(result)
    off = learn_and_remove(table(rows), "r1", LearnedSettings(enabled=False))
    assert off.boilerplate.num_rows == 0 and off.articles.num_rows == 9


def test_lines_rows_and_lines_for_published_articles():
    t = table(
        [
            ("a0", "wakala", story(0) + [SIGNOFF], DAY0),
            ("a1", "wakala", story(0) + [SIGNOFF], DAY0),
            ("a2", "wakala", story(1), None),
        ]
    )
    result = learn_and_remove(t, "r1", CFG)
    assert result.lines.num_rows == 4 + 3  # the exact copy a1 adds no rows
    assert result.lines_for(["a1"]).num_rows == 4  # its story's rows, though a0 carried them
    assert result.lines_for(["a2"])["published_day"].null_count == 3
    assert sorted(result.lines_for(["a0", "a2"])["line_no"].to_pylist()) == [0, 0, 1, 1, 2, 2, 3]


@pytest.mark.parametrize("env, value", [("AKHBAR_LEARNED_MIN_STORIES", "12"), ("AKHBAR_LEARNED_ENABLED", "false")])
def test_thresholds_come_from_settings(monkeypatch, env, value):
    from akhbar.settings import get_settings

    monkeypatch.setenv(env, value)
    learned = get_settings().learned
    assert (learned.min_stories == 12) if "STORIES" in env else (learned.enabled is False)


def test_a_recurring_lead_in_stays_with_the_line_it_introduces():
    """A columnist's recurring closing formula is template, but it introduces the column's own last
    line: it stays. The same formula with nothing kept after it goes."""
    lead_in = "قبل أن أضع القلم أسأل:"
    rows = [
        (f"c{i}", "column", story(i) + [lead_in, f"متى نرى {TOPICS[i]} على أرض الواقع؟"], DAY0 + timedelta(days=i))
        for i in range(8)
    ]
    rows.append(("c8", "column", story(8) + [lead_in], DAY0 + timedelta(days=9)))
    result = learn_and_remove(table(rows), "r1", CFG)
    assert removed(result) == [("c8", "learned.repeated", lead_in)]
    assert bodies(result)["c0"][-2] == lead_in


def test_another_storys_title_among_the_paragraphs_is_a_link_and_goes():
    """A page links its outlet's other stories by their headlines between paragraphs, in runs; a
    short title ("زيارة رسمية") doubling as a subheading elsewhere stays."""
    schema = SCHEMA.append(pa.field("title", pa.string()))
    linked = "الحكومة تعلن خطة جديدة لدعم المزارعين في الجنوب"
    rows = [
        {"article_id": "a0", "outlet": "site", "title": linked, "body": "\n".join(story(0)), "published_at": DAY0},
        {
            "article_id": "a1",
            "outlet": "site",
            "title": "عنوان أول",
            "published_at": DAY0,
            "body": "\n".join(story(1)[:2] + [linked, "رابط لقصة لم تصل إلى المستودع بعد"] + story(1)[2:]),
        },
        {
            "article_id": "a2",
            "outlet": "site",
            "title": "زيارة رسمية",
            "body": "\n".join(story(2)),
            "published_at": DAY0,
        },
        {
            "article_id": "a3",
            "outlet": "site",
            "title": "عنوان ثالث",
            "published_at": DAY0,
            "body": "\n".join(story(3)[:1] + ["زيارة رسمية"] + story(3)[1:]),
        },
    ]
    result = learn_and_remove(pa.Table.from_pylist(rows, schema=schema), "r1", CFG)
    got = bodies(result)
    assert got["a1"] == story(1) and got["a0"] == story(0)
    # the headline next to it is another link of the same run, though its story was never seen
    assert removed(result) == [
        ("a1", "learned.linked_title", linked),
        ("a1", "learned.linked_title", "رابط لقصة لم تصل إلى المستودع بعد"),
    ]
    assert "زيارة رسمية" in got["a3"]
    assert (
        sorted(result.lines.filter(pa.compute.equal(result.lines["line_no"], -1))["outlet"].to_pylist()) == ["site"] * 4
    )


def test_a_title_repeated_inside_its_own_body_is_one_title_row_and_one_line_row():
    schema = SCHEMA.append(pa.field("title", pa.string()))
    title = "عنوان يتكرر داخل النص نفسه مرة أخرى"
    t = pa.Table.from_pylist(
        [
            {
                "article_id": "a0",
                "outlet": "site",
                "title": title,
                "published_at": DAY0,
                "body": "\n".join(story(0)[:2] + [title] + story(0)[2:]),
            }
        ],
        schema=schema,
    )
    result = learn_and_remove(t, "r1", CFG)
    rows = sorted(zip(result.lines["line_no"].to_pylist(), result.lines["line_hash"].to_pylist()))
    assert [n for n, _ in rows] == [-1, 0, 1, 2, 3] and rows[0][1] == rows[3][1]
    assert result.boilerplate.num_rows == 0  # its own title is not a link to another story


# --- runs of headlines between paragraphs (learned.link_run) ---------------------------------------
TITLED = SCHEMA.append(pa.field("title", pa.string()))
KNOWN = ["الحكومة تعلن خطة جديدة لدعم المزارعين في الجنوب", "افتتاح أكبر محطة لتحلية المياه في المنطقة"]
UNKNOWN = ["هيئة الصحة تطلق حملة وطنية ضد الحصبة هذا الشتاء", "فريق العاصمة يتأهل إلى نهائي الكأس بعد غياب طويل"]
SUBHEADING = "حصاد الموسم الماضي"
FACT_BOX = ["عدد السكان: 30 مليون نسمة تقريبا", "المساحة: 881 ألف كيلومتر مربع", "العملة: البوليفار الفنزويلي القوي"]
DIALOGUE = ['وقالت الشرطة: "نعم، إنه بخير الآن."', 'وردت الأم: "ماذا تقصدون بذلك الكلام؟"']
GROUPS = [
    "المجموعة الأولى - فريق الشمال وفريق الجنوب وفريق الساحل",
    "المجموعة الثانية - فريق الشرق وفريق الغرب وفريق الوسط",
    "المجموعة الثالثة - فريق الجبل وفريق الوادي وفريق السهل",
]
ANALYSIS = ["مدى خطورة البكتيريا على الصحة العامة اليوم؟", "تحليل محررة الصحة في الموقع فلانة الفلانية"]
LONE = "مديرة المسرح الوطني تروي قصة انتقادها الطويل لأنها امرأة"
QUESTION = "ما الذي تعنيه هذه الخطوة بالنسبة لسكان المدينة الساحلية؟"


def titled(rows: list[tuple[str, str, str | None, list[str]]]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "article_id": a,
                "outlet": o,
                "title": t,
                "body": "\n".join(lines),
                "published_at": DAY0,
                "source_uri": f"/landing/{a}.txt",
            }
            for a, o, t, lines in rows
        ],
        schema=TITLED,
    )


def link_site(outlet: str = "site") -> list[tuple[str, str, str | None, list[str]]]:
    """Two stories whose titles another page links between its paragraphs (the evidence), then pages
    with a run of unknown headlines + a subheading, a fact box, a list a paragraph introduces, and
    dialogue without final stops."""
    intro = story(7)[0][:-1] + " ومنها:"
    return [
        ("s0", outlet, KNOWN[0], story(0)),
        ("s1", outlet, KNOWN[1], story(1)),
        ("a", outlet, "صفحة فيها روابط معروفة", story(4)[:1] + KNOWN + story(4)[1:]),
        ("b", outlet, "صفحة فيها روابط مجهولة", story(5)[:2] + UNKNOWN + [SUBHEADING] + story(5)[2:]),
        ("c", outlet, "صفحة فيها بطاقة حقائق", story(6)[:1] + FACT_BOX + story(6)[1:]),
        ("d", outlet, "صفحة فيها قائمة", [intro] + UNKNOWN + story(7)[1:]),
        ("e", outlet, "صفحة فيها حوار", story(8)[:1] + DIALOGUE + story(8)[1:]),
        ("f", outlet, "صفحة فيها قائمة مجموعات", story(11)[:1] + GROUPS + story(11)[1:]),
        ("g", outlet, "صفحة فيها تحليل", story(3)[:1] + ANALYSIS + story(3)[1:]),
        ("h", outlet, "صفحة فيها رابط منفرد", story(2)[:1] + [LONE] + story(2)[1:2] + [QUESTION] + story(2)[2:]),
    ]


def test_runs_of_unknown_headlines_are_links_where_the_outlets_runs_hold_its_titles():
    cfg = LearnedSettings(link_min_lines=4)
    result = learn_and_remove(titled(link_site()), "r1", cfg)
    got = bodies(result)
    assert dict(result.learned.link_outlets) == {"site": (4, 2)}  # a's two known titles + b's two unknown headlines
    assert [r for r in removed(result) if r[0] == "b"] == [
        ("b", "learned.link_run", UNKNOWN[1]),
        ("b", "learned.link_run", UNKNOWN[0]),
    ]
    assert got["b"] == story(5)[:2] + [SUBHEADING] + story(5)[2:]  # the subheading above the paragraph stays
    assert got["a"] == story(4)  # known titles: learned.linked_title
    # a lone full headline interrupting the story is a link; a lone question opening a section stays
    assert [r for r in removed(result) if r[0] == "h"] == [("h", "learned.lone_link", LONE)]
    assert got["h"] == story(2)[:2] + [QUESTION] + story(2)[2:]
    for a in "cdefg":  # fact box, introduced list, dialogue, a list of one shape, an analysis box
        assert a not in {r[0] for r in removed(result)}
    assert set(result.boilerplate["category"].to_pylist()) == {"related"}


def test_runs_stay_in_an_outlet_whose_runs_never_hold_its_titles():
    """The same pages at an outlet whose runs are line-ups and lists: no run there is taken for links."""
    rows = [r for r in link_site("lists") if r[0] not in ("a",)]
    result = learn_and_remove(titled(rows), "r1", LearnedSettings(link_min_lines=2))
    assert result.learned.link_outlets == {} and result.boilerplate.num_rows == 0
    # too little evidence: the site's pages alone (4 run lines) under the default of 30
    assert learn_and_remove(titled(link_site()), "r1", CFG).learned.link_outlets == {}


def test_the_link_share_counts_the_history():
    """Tonight one page with unknown headlines; the warehouse already saw the site's pages linking its
    stories in runs. Rows written before the in_link_run column (null) count as not in a run."""
    cfg = LearnedSettings(link_min_lines=4)
    past = [r for r in link_site() if r[0] != "b"] + [
        ("b0", "site", "صفحة سابقة", story(9)[:1] + UNKNOWN + story(9)[1:])
    ]
    history = line_rows(titled(past), cfg, "r0").table
    tonight = titled([("n", "site", "صفحة الليلة", story(10)[:2] + UNKNOWN[::-1] + story(10)[2:])])
    result = learn_and_remove(tonight, "r1", cfg, history=history)
    assert bodies(result)["n"] == story(10)
    assert {r[1] for r in removed(result)} == {"learned.link_run"}
    before_column = history.set_column(
        history.schema.get_field_index("in_link_run"), "in_link_run", pa.nulls(history.num_rows, pa.bool_())
    )
    assert learn_and_remove(tonight, "r1", cfg, history=before_column).boilerplate.num_rows == 0


def test_a_read_also_list_ends_above_a_subheading():
    from akhbar.tasks.clean import clean_text

    body = "\n".join(story(0)[:2] + ["اقرأ أيضاً:"] + UNKNOWN + [SUBHEADING] + story(0)[2:])
    out = clean_text(body)
    assert out.body.split("\n") == story(0)[:2] + [SUBHEADING] + story(0)[2:]
    assert out.removed == [("read_also.block", "read_also", "\n".join(["اقرأ أيضاً:"] + UNKNOWN))]
    # one short headline under the label is the link it announces
    one = clean_text("\n".join(story(0)[:2] + ["اقرأ أيضاً:", SUBHEADING] + story(0)[2:]))
    assert one.body.split("\n") == story(0)


def signed_table(rows: list[tuple[str, str | None, list[str]]]) -> pa.Table:
    """Undated stories of one outlet with the author the rules read (None: they read none)."""
    schema = pa.schema([*SCHEMA, ("title", pa.string()), ("author", pa.string())])
    return pa.Table.from_pylist(
        [
            {
                "article_id": a,
                "outlet": "bawaba",
                "body": "\n".join(lines),
                "published_at": None,
                "source_uri": f"/landing/{a}.txt",
                "title": f"عنوان {a}",
                "author": author,
            }
            for a, author, lines in rows
        ],
        schema=schema,
    )


SUBJECT_STORY = [
    "استقبل رئيس نادي خليل الرياضي اليوم وفدا من اللاعبين القدامى في مقر النادي بالمدينة.",
    "وقال إن النادي سيكرم لاعبيه القدامى في حفل كبير الشهر المقبل.",
]


def test_a_reporter_the_rules_read_in_five_stories_is_a_byline_where_they_refused_her_name():
    from akhbar.tasks.learned import reporter_names

    # "منى خليل" signs five stories whose words she is not among: a reporter of the outlet
    signed = [(f"a{i}", "منى خليل", story(i)) for i in range(5)]
    # the rules left her name above a story naming "نادي خليل": the learned step takes it, and the author with it
    t = signed_table(signed + [("x", None, ["منى خليل", *SUBJECT_STORY])])
    result = learn_and_remove(t, "r1", CFG)
    assert bodies(result)["x"] == SUBJECT_STORY
    assert removed(result) == [("x", "learned.byline", "منى خليل")]
    authors = dict(zip(result.articles["article_id"].to_pylist(), result.articles["author"].to_pylist()))
    assert authors["x"] == "منى خليل" and authors["a0"] == "منى خليل"
    assert result.learned.reporters["bawaba"]
    # in four stories she is not yet known
    t = signed_table(signed[:4] + [("x", None, ["منى خليل", *SUBJECT_STORY])])
    assert learn_and_remove(t, "r1", CFG).boilerplate.num_rows == 0
    # a name the stories it was read from use is their subject (a caption read as a credit), not a reporter
    assert reporter_names("رئيس نادي خليل", "عنوان\n" + SUBJECT_STORY[0]) == []
    assert reporter_names("منى خليل، سامي رضوان", "عنوان\n" + story(0)[0]) == ["منى خليل", "سامي رضوان"]
    assert reporter_names("المحافظ الجديد", "عنوان") == []  # not a person's name
    subjects = [(f"s{i}", "رئيس نادي خليل", SUBJECT_STORY[:1] + story(i)) for i in range(6)]
    t = signed_table(subjects + [("x", None, ["رئيس نادي خليل", *story(7)])])
    assert learn_and_remove(t, "r1", CFG).boilerplate.num_rows == 0


def test_a_learned_reporter_under_an_image_caption_goes_with_the_caption():
    signed = [(f"a{i}", "منى خليل", story(i)) for i in range(5)]
    lead = "استقبل رئيس نادي خليل الرياضي اليوم وفدا من اللاعبين القدامى في مقر النادي."
    t = signed_table(signed + [("x", None, ["رئيس نادي خليل الرياضي", "منى خليل", lead])])
    result = learn_and_remove(t, "r1", CFG)
    assert bodies(result)["x"] == [lead]
    assert removed(result) == [
        ("x", "learned.byline", "منى خليل"),
        ("x", "learned.caption_above_byline", "رئيس نادي خليل الرياضي"),
    ]
    # a headline-shaped line that is no caption (says something the story does not) stays above the story
    t = signed_table(signed + [("x", None, ["وفد من القدامى يزور المقر", "منى خليل", *story(7)])])
    assert bodies(learn_and_remove(t, "r1", CFG))["x"] == ["وفد من القدامى يزور المقر", *story(7)]
    # her name lower down, in a list or above a subtitle, is left alone
    t = signed_table(signed + [("x", None, [*story(7)[:1], "منى خليل", *story(7)[1:]])])
    assert learn_and_remove(t, "r1", CFG).boilerplate.num_rows == 0


@pytest.mark.slow
def test_the_decision_over_a_big_run_stays_in_its_memory_bound(tmp_path, monkeypatch):
    """300,000 staged stories of four lines (a title, three body lines, the last a sign-off shared by
    many): the decision counts them within its DuckDB bound (128 MB; a window over every line, or a
    distinct count per kind, ran it out) and learns the sign-offs, and only them."""
    import akhbar.tasks.learned as learned_module
    import numpy as np
    import pyarrow.parquet as pq
    from akhbar.tasks.learned import decide

    from bench.decide_scale import lines_table

    monkeypatch.setattr(learned_module, "DECIDE_MEMORY", "128MB")  # the bound this design was made for
    stories = 300_000
    rng = np.random.default_rng(1)
    story = np.repeat(np.arange(stories), 4)
    line_no = np.tile(np.array([-1, 0, 1, 2], dtype=np.int32), stories)
    line_hash = rng.integers(0, 2**62, len(story))
    line_hash[line_no == 2] = np.arange(stories) % 50  # 50 sign-offs, each closing 6,000 stories
    staged = lines_table(story, line_no, line_hash, ["wakala"] * len(story), 3)
    (tmp_path / "lines").mkdir()
    pq.write_table(staged, tmp_path / "lines" / "p00000.parquet")
    learned = decide([tmp_path / "lines" / "p00000.parquet"], LearnedSettings())
    assert learned.repeated["wakala"] == set(range(50))
    assert not learned.leaked and not learned.reporters
