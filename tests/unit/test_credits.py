"""Credit lines, head bylines and the false removals a credit reader must not make (issue 11, items 4-5).
Inputs are written for this repo; the reading of the shared corpora is checked in test_credit_review."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from akhbar.tasks.clean import Credit, article_fields, clean_text, head_credit, parse_credit
from akhbar.tasks.gazetteer import is_place
from akhbar.tasks.newsrooms import is_agency, is_outlet


@pytest.mark.parametrize(
    "credit, author, dateline, agency",
    [
        ("القاهرة: سامي رضوان", "سامي رضوان", "القاهرة", None),  # place: name
        ("سامي رضوان - بيروت", "سامي رضوان", "بيروت", None),  # name - place (gazetteer)
        ("هالة منصور - الفيوم", "هالة منصور", "الفيوم", None),
        ("رويترز - دمشق", None, "دمشق", "رويترز"),  # agency - place
        ("دمشق - رويترز", None, "دمشق", "رويترز"),
        ("مصراوي - أ ش أ:", None, None, "أ ش أ"),  # outlet - agency, colon stripped
        ("سامي رضوان (الإسكندرية)", "سامي رضوان", "الإسكندرية", None),  # name (place)
        ("عمان (ا ف ب)", None, "عمان", "ا ف ب"),
        ("كتب - نادر فهمي:", "نادر فهمي", None, None),  # byline verbs
        ("كتبت - ليلى حسان", "ليلى حسان", None, None),
        ("إعداد رنا الشامي", "رنا الشامي", None, None),
        ("ترجمة - رنا الشامي", "رنا الشامي", None, None),
        ("بقلم: رنا الشامي", "رنا الشامي", None, None),
        ("سامي&nbsp;رضوان", "سامي رضوان", None, None),  # entities decoded
        ("سامي&amp;nbsp;رضوان - بيروت", "سامي رضوان", "بيروت", None),
        ("القاهرة _أ ش أ", None, "القاهرة", "أ ش أ"),  # underscore for a dash
        ("باريس/لندن (رويترز)", None, "باريس/لندن", "رويترز"),
        ("الشرقية - ناهد عزت", "ناهد عزت", "الشرقية", None),  # shape: one word, then a full name
        ("ناهد عزت - الوادي", "ناهد عزت", "الوادي", None),  # shape: a full name, then one word
        ("قنا - عبد الرحيم سالم", "عبد الرحيم سالم", "قنا", None),  # Qena beside a name, not the Qatar agency
        ("بورسعيد - من وليد فتحي ومكتب الجريدة", "وليد فتحي", "بورسعيد", None),
        ("أنقرة (تركيا)", None, "أنقرة (تركيا)", None),  # a city with its country
        ("وائل سعد (تركيا)", "وائل سعد", "تركيا", None),
        ("علي آغا (تركيا) - رويترز", None, "علي آغا (تركيا)", "رويترز"),  # beside a wire, a town
    ],
)
def test_every_common_credit_shape(credit, author, dateline, agency):
    got = parse_credit(credit)
    assert (got.author, got.dateline, got.agency) == (author, dateline, agency)


def test_the_outlets_own_name_is_neither_author_nor_dateline():
    assert parse_credit("نشرة الصباح", outlet="نشرة الصباح") == Credit()
    assert parse_credit("نشرة الصباح - وائل سعد", outlet="نشرة الصباح") == Credit(author="وائل سعد")
    assert parse_credit("طنطا - مصراوي:") == Credit(dateline="طنطا")  # a known newsroom's name
    assert is_outlet("اليوم السابع") and not is_outlet("وائل سعد")


def test_a_date_in_a_byline_goes_to_published_at():
    got = parse_credit("وائل سعد - 14 مارس 2021")
    assert got.author == "وائل سعد"
    assert got.published_at == datetime(2021, 3, 14, tzinfo=timezone.utc)
    c = clean_text("قال المتحدث إن الاجتماع انتهى دون اتفاق بين الوفدين بعد ساعات من النقاش.")
    fields = article_fields(c, None, "وائل سعد - 14 مارس 2021")
    assert fields["author"] == "وائل سعد" and fields["published_at"] == datetime(2021, 3, 14, tzinfo=timezone.utc)


def test_the_gazetteer_comes_from_the_packages():
    assert is_place("القاهرة") and is_place("الاسكندريه") and is_place("صفاقس") and is_place("مصر")
    assert is_place("شمال سيناء") and is_place("باريس/لندن")
    assert not is_place("سامي رضوان") and not is_place("كما يقول المثل") and not is_place("محمد")
    assert not is_place("أشرف") and not is_place("سحر")  # given names GeoNames lists as towns
    from akhbar.tasks.gazetteer import place_names

    assert len(place_names()) > 5000  # built from the packages, not a hand list
    assert is_agency("أ ش أ") and is_agency("(رويترز)") and is_agency("أ.ش.أ") and not is_agency("رضوان")


@pytest.mark.parametrize(
    "line, expected",
    [
        ("كتبت - ليلى حسان:", Credit(author="ليلى حسان")),
        ("القاهرة _أ ش أ", Credit(dateline="القاهرة", agency="أ ش أ")),
        ("أ ش أ", Credit(agency="أ ش أ")),
        ("الزقازيق - نادر فهمي", Credit(author="نادر فهمي", dateline="الزقازيق")),
        ("البحر الأحمر - نادر فهمي:", Credit(author="نادر فهمي", dateline="البحر الأحمر")),  # shape and colon
        ("كما يقول المثل", None),
        ("كتبت الصحيفة أن الوزير سيستقيل", None),  # a sentence after the verb, not a name
        ("مصر - إسرائيل", None),  # two places: a subtitle, not a credit
        ("نادر فهمي", None),  # a bare name is not surely a credit
        ("أزمة الخبز في القرى", None),
    ],
)
def test_a_head_line_is_a_credit_only_when_surely_one(line, expected):
    assert head_credit(line) == expected


BODY = (
    "أعلنت وزارة الزراعة اليوم عن خطة جديدة لدعم صغار المزارعين في المحافظات الجنوبية.\n"
    "وقال المتحدث باسم الوزارة إن الخطة تشمل توزيع البذور مجانا قبل موسم الزراعة المقبل."
)


def test_a_credit_line_under_the_title_moves_into_fields():
    c = clean_text("خطة لدعم المزارعين\nكتبت - ليلى حسان:\n" + BODY, title="خطة لدعم المزارعين")
    assert (c.author, c.body) == ("ليلى حسان", BODY)
    assert [(cat, text) for _, cat, text in c.removed if cat == "byline"] == [("byline", "كتبت - ليلى حسان:")]
    c = clean_text("خطة لدعم المزارعين\nأسيوط _أ ش أ\n" + BODY, title="خطة لدعم المزارعين")
    assert (c.dateline, c.agency, c.body) == ("أسيوط", "أ ش أ", BODY)
    c = clean_text("خطة لدعم المزارعين\nأ ش أ\n" + BODY, title="خطة لدعم المزارعين")
    assert (c.agency, c.body) == ("أ ش أ", BODY)  # not an editor's initials
    c = clean_text("المنيا ـ نادر فهمي:\n" + BODY)  # a tatweel standing for a dash
    assert (c.author, c.dateline, c.body) == ("نادر فهمي", "المنيا", BODY)


def test_a_credit_glued_before_the_first_paragraph_is_cut_off():
    c = clean_text("الأقصر - نادر فهمي وليلى حسان: " + BODY)
    assert (c.author, c.dateline) == ("نادر فهمي وليلى حسان", "الأقصر")
    assert c.body == BODY


def test_a_lead_in_before_a_colon_is_no_dateline():
    text = (
        "كما يقول المثل: من جد وجد ومن زرع حصد، وهذا ما فعله المزارعون في قريتنا هذا العام.\n"
        "فقد تضاعف محصول القمح بعد أن اتبعوا نصائح المهندسين الزراعيين طوال الموسم."
    )
    c = clean_text(text)
    assert c.dateline is None
    assert c.body == text
    c = clean_text("موسكو: أشاد وزير الخارجية الثلاثاء بالعلاقات الودية بين البلدين في مؤتمر صحفي.")
    assert c.dateline == "موسكو"  # a place before the colon is one


POEM = "يا ليل الصب متى غده\nأقيام الساعة موعده\nرقد السمار فأرقه\nأسف للبين يردده\nفبكاه النجم ورق له"


def test_a_poem_whose_title_is_its_first_verse_keeps_the_verse():
    c = clean_text(POEM, title="يا ليل الصب متى غده")
    assert c.body.split("\n")[0] == "يا ليل الصب متى غده"
    assert not [r for r in c.removed if r[0] == "title.repeated"]


def test_a_quote_the_story_opens_with_stays():
    text = "العلم نور والجهل ظلام\nبهذه الكلمات افتتح مدير المدرسة حفل توزيع الجوائز على الطلاب المتفوقين صباح الخميس."
    c = clean_text(text, title="العلم نور والجهل ظلام")
    assert c.body == text


def test_a_title_echo_still_goes():
    c = clean_text("خطة لدعم المزارعين\n" + BODY, title="خطة لدعم المزارعين")
    assert c.body == BODY
    assert ("title.repeated", "title", "خطة لدعم المزارعين") in c.removed
    # the headline, then a poem: the echo goes and the first verse, equal to it, stays
    c = clean_text("يا ليل الصب متى غده\n" + POEM, title="يا ليل الصب متى غده")
    assert c.body == POEM


def test_a_reporters_bare_name_above_the_story_is_the_author():
    c = clean_text("خطة لدعم المزارعين\nنادر فهمي\n" + BODY, title="خطة لدعم المزارعين")
    assert (c.author, c.body) == ("نادر فهمي", BODY)
    assert ("credit.bare_name", "byline", "نادر فهمي") in c.removed


def test_a_line_naming_the_storys_subject_is_no_byline():
    body = (
        "قال رئيس البلدية سامي رضوان إن الحديقة الجديدة ستفتح أبوابها للجمهور مطلع الشهر المقبل.\n"
        "وأضاف رضوان أن الأعمال تأخرت بسبب الأمطار الغزيرة التي شهدتها المدينة."
    )
    c = clean_text("حديقة جديدة\nسامي رضوان\n" + body, title="حديقة جديدة")
    assert c.author is None and c.body == "سامي رضوان\n" + body
    c = clean_text("حديقة جديدة\nصورة أرشيفية\n" + BODY, title="حديقة جديدة")
    assert c.author is None  # a caption, not a name
    c = clean_text("حديقة جديدة\nالمحافظ الجديد\n" + BODY, title="حديقة جديدة")
    assert c.author is None  # an article on the first word


@pytest.mark.parametrize(
    "written, name",
    [
        ("أ.ش.أ", "أ ش أ"),
        ("أ. ش. أ", "أ ش أ"),
        ("أش أ", "أ ش أ"),
        ("أ ش أ:", "أ ش أ"),
        ("رويترز", "رويترز"),
        ("واس", "واس"),
    ],
)
def test_an_agency_written_as_initials_has_one_spelling(written, name):
    from akhbar.tasks.clean import agency_name

    assert agency_name(written) == name
    assert parse_credit(f"الزقازيق - {written}").agency == name


def test_a_headline_printed_again_without_its_media_kicker_goes():
    from akhbar.tasks.clean import echoes_title

    assert echoes_title("الأمن يطلق الخرطوش على المتظاهرين", "بالفيديو.. الأمن يطلق الخرطوش على المتظاهرين")
    assert echoes_title("6 إبريل تدفع كفالة لطالبين", "بالفيديو و الصور |  6 إبريل تدفع كفالة لطالبين")
    assert echoes_title("غلق أبواب ماسبيرو.", "عاجل... غلق أبواب ماسبيرو")
    # a speaker before a colon is no kicker: the quote after it may open the story
    assert not echoes_title("اتفاقية الهدنة لاغية", "كوريا الشمالية: اتفاقية الهدنة لاغية")
    # five words before the separator are a headline of their own, not a kicker
    assert not echoes_title("خطة جديدة", "وزير الزراعة يعلن اليوم عن.. خطة جديدة")
    raw = "بالفيديو.. خطة لدعم المزارعين\nخطة لدعم المزارعين\n" + BODY
    c = clean_text(raw, title="بالفيديو.. خطة لدعم المزارعين")
    assert c.body == BODY  # the headline, then once more without the kicker
    assert [r for r in c.removed if r[0] == "title.repeated"] == [
        ("title.repeated", "title", "بالفيديو.. خطة لدعم المزارعين"),
        ("title.repeated", "title", "خطة لدعم المزارعين"),
    ]
    c = clean_text("خطة لدعم المزارعين\nخطة لدعم المزارعين\n" + BODY, title="خطة لدعم المزارعين")
    assert c.body == BODY  # the headline printed twice above the story


def test_reporters_sharing_a_bare_byline_are_all_authors():
    for line in ("إيمان عبد النبى - رانا وجدى", "نجوي مصطفي _ريهام يوسف", "ريهام يوسف و أية حمروشي"):
        c = clean_text("خطة لدعم المزارعين\n" + line + "\n" + BODY, title="خطة لدعم المزارعين")
        assert c.body == BODY and c.dateline is None, line
        names = [n.strip() for n in line.replace("_", "-").replace(" و ", "-").split("-")]
        assert c.author == "، ".join(names), line
    # names the story is about stay
    c = clean_text(
        "حديقة جديدة\nسامي رضوان و منى خليل\nقال سامي رضوان إن الحديقة ستفتح أبوابها للجمهور مطلع الشهر المقبل.",
        title="حديقة جديدة",
    )
    assert c.author is None and c.body.startswith("سامي رضوان و منى خليل")


def test_an_image_caption_above_the_reporters_name_goes_with_it():
    lead = "جدد فضيلة الإمام الأكبر الدكتور أحمد الطيب شيخ الأزهر تأكيده أن البحرين ستتجاوز المحنة بسلام."
    raw = f"شيخ الأزهر يستقبل وزير خارجية البحرين\nفضيلة الإمام الأكبر د. أحمد الطيب\nضياء أبو الصفا\n{lead}"
    c = clean_text(raw, title="شيخ الأزهر يستقبل وزير خارجية البحرين")
    assert (c.body, c.author) == (lead, "ضياء أبو الصفا")
    assert ("caption.above_byline", "caption", "فضيلة الإمام الأكبر د. أحمد الطيب") in c.removed
    # a subtitle above the name says something the story does not: it stays, the name still goes
    raw = f"شيخ الأزهر يستقبل وزير خارجية البحرين\nدعوة لزيارة المنامة قريبا\nضياء أبو الصفا\n{lead}"
    c = clean_text(raw, title="شيخ الأزهر يستقبل وزير خارجية البحرين")
    assert (c.body, c.author) == (f"دعوة لزيارة المنامة قريبا\n{lead}", "ضياء أبو الصفا")
    # a name in Latin letters above the story is a caption, not a reporter
    raw = f"أكبر سفينة حاويات تعبر القناة\nEmma Maersk\n{BODY}"
    assert clean_text(raw, title="أكبر سفينة حاويات تعبر القناة").author is None


def test_the_outlets_own_name_alone_above_the_story_is_a_credit_line():
    for line in ("بوابة أخبار اليوم", "مصراوي:", "بي بي سي:"):
        c = clean_text(f"خطة لدعم المزارعين\n{line}\n{BODY}", title="خطة لدعم المزارعين")
        assert c.body == BODY and c.author is None and c.dateline is None, line
        assert ("credit.outlet_line", "byline", line) in c.removed
    # the record's own outlet, whatever its name
    c = clean_text(f"خطة لدعم المزارعين\nالنيل\n{BODY}", title="خطة لدعم المزارعين", outlet="النيل")
    assert c.body == BODY
    # above another headline-shaped line it is no credit line (a list of outlets, a heading)
    c = clean_text(f"خطة لدعم المزارعين\nمصراوي\nعنوان آخر هنا\n{BODY}", title="خطة لدعم المزارعين")
    assert c.body.startswith("مصراوي\n")


def test_a_title_naming_its_writer_settles_the_bare_line_below_it():
    from akhbar.tasks.clean import same_person, title_writer

    assert title_writer("مصطفى بكرى يكتب: تطورات الأحداث") == "مصطفى بكرى"
    assert title_writer("نوارة نجم تكتب: عاجزة عن الفهم") == "نوارة نجم"
    assert title_writer("خطة لدعم المزارعين") is None
    assert title_writer("الأهرام يكتب: كلمة") is None  # one word: an outlet or a nickname, not a writer's name
    assert same_person("د.محمد نبيل جامع", "محمد نبيل جامع")
    assert same_person("الدكتور خالد عزب", "خالد عزب") and not same_person("خالد", "خالد عزب")
    # the writer's own name under the title is the byline, although the title holds its words
    c = clean_text(
        "إكرام يوسف يكتب: خطة لدعم المزارعين\nإكرام يوسف\n" + BODY, title="إكرام يوسف يكتب: خطة لدعم المزارعين"
    )
    assert (c.body, c.author) == (BODY, "إكرام يوسف")
    c = clean_text("د. خالد عزب يكتب: خطة\nالدكتور خالد عزب\n" + BODY, title="د. خالد عزب يكتب: خطة")
    assert (c.body, c.author) == (BODY, "الدكتور خالد عزب")
    # another name there is the column's ("شوية عقل" under "محمد جمال عرفة يكتب: ..."): it stays, and the title
    # names the author
    c = clean_text("محمد جمال عرفة يكتب: نيران صديقة\nشوية عقل\n" + BODY, title="محمد جمال عرفة يكتب: نيران صديقة")
    assert (c.body, c.author) == ("شوية عقل\n" + BODY, "محمد جمال عرفة")
    # and a subheading of the piece below the byline stays in the body
    c = clean_text("محمد فوزي يكتب: حوار\nمحمد فوزى\nحوار الطرشان:\n" + BODY, title="محمد فوزي يكتب: حوار")
    assert (c.body, c.author) == ("حوار الطرشان:\n" + BODY, "محمد فوزى")


# ------------------------------------------------------------- issue 11, fourth pass: the author from the tells

OPINION = "هذه فقرة من المقال عن الحوار الوطني وما ينتظره الناس منه في الأسابيع المقبلة، وفيها كلام كثير."


@pytest.mark.parametrize(
    "link, writer",
    [
        ("المزيد من مقالات د.حلمى محمد القاعود", "حلمى محمد القاعود"),  # the degree glued to the name
        ("المزيد من مقالات د. سامي فؤاد", "سامي فؤاد"),
        ("كل مقالات الكاتبة منى حسن", "منى حسن"),
        ("جميع كتابات الدكتور أحمد زويل", "أحمد زويل"),
        ("مقالات أخرى للكاتبة منى حسن", "منى حسن"),
        ("اقرأ المزيد للكاتب سامي فؤاد", "سامي فؤاد"),
        ("More articles by Sami Fouad", "Sami Fouad"),
        ("مزيد من أخبار الرياضة", None),  # a section's link: it goes, naming no writer
        ("المزيد من مقالات الرأي", None),
    ],
)
def test_a_closing_more_by_line_goes_and_names_the_author(link, writer):
    c = clean_text(f"حوار بلا نهاية\n{OPINION}\n{link}", title="حوار بلا نهاية")
    assert c.body == OPINION and c.author == writer
    assert ("related.more_by", "related", link) in c.removed


def test_a_byline_beats_the_closing_more_by_line():
    c = clean_text(f"حوار بلا نهاية\nكتب - أحمد علي:\n{OPINION}\nالمزيد من مقالات سامي فؤاد", title="حوار بلا نهاية")
    assert c.body == OPINION and c.author == "أحمد علي"


@pytest.mark.parametrize(
    "line",
    [
        "وطالب المتظاهرون بالمزيد من الحريات",  # a body line that merely holds "المزيد"
        "المزيد من مقالات الدستور تحتاج إلى مراجعة.",  # a sentence about a constitution's articles
        "كل مقالات الدستور الجديد",  # no writer's name after it
    ],
)
def test_a_body_line_about_more_or_articles_stays(line):
    c = clean_text(f"حوار بلا نهاية\n{OPINION}\n{line}", title="حوار بلا نهاية")
    assert c.body == f"{OPINION}\n{line}" and c.author is None


def test_an_op_eds_title_names_its_author_when_no_byline_does():
    from akhbar.tasks.clean import title_writer

    c = clean_text(f"د. على العمرى يكتب: جرس إنذار\n{OPINION}", title="د. على العمرى يكتب: جرس إنذار")
    assert (c.body, c.author) == (OPINION, "على العمرى")  # the degree is no part of the name
    c = clean_text(f"نوارة نجم تكتب: عاجزة\n{OPINION}", title="نوارة نجم تكتب: عاجزة")
    assert c.author == "نوارة نجم"
    assert title_writer("بقلم: سامي فؤاد: لماذا نكتب") == "سامي فؤاد"
    assert title_writer("لماذا نكتب - بقلم سامي فؤاد") == "سامي فؤاد"
    # a headline quoting someone is no op-ed: no author
    assert clean_text(f"وزير المالية: لا ضرائب جديدة\n{OPINION}", title="وزير المالية: لا ضرائب جديدة").author is None
    # a byline under the title wins over the title's tell
    c = clean_text(f"سامي فؤاد يكتب: خطة\nكتب - أحمد علي:\n{OPINION}", title="سامي فؤاد يكتب: خطة")
    assert c.author == "أحمد علي"


@pytest.mark.parametrize(
    "line, author, dateline",
    [
        ("اية حمروشي - ريهام يوسف", "اية حمروشي، ريهام يوسف", None),  # two reporters: no side is a place
        ("إبراهيم مدكور – محمد طه", "إبراهيم مدكور، محمد طه", None),
        ("القاهرة - أحمد علي", "أحمد علي", "القاهرة"),  # a real dateline stays a dateline
        ("الشرقية - سناء عنان", "سناء عنان", "الشرقية"),
        ("رأس شقير - خالد النجار", "خالد النجار", "رأس شقير"),  # a toponym's head word says place
        ("ميت غمر - محمد علي", "محمد علي", "ميت غمر"),
        ("أحمد مكى - وزير العدل", None, None),  # a caption: a person and his post credit no one
    ],
)
def test_a_dateline_is_a_place_never_a_persons_name(line, author, dateline):
    c = clean_text(f"خطة لدعم المزارعين\n{line}\n{BODY}", title="خطة لدعم المزارعين")
    assert c.body == BODY
    assert (c.author, c.dateline) == (author, dateline)
    got = parse_credit(line)
    assert (got.author, got.dateline) == (author, dateline)
