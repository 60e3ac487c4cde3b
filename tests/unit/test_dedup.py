"""Dedup: hash equality after normalization, near copies (body Jaccard, lead check), canonical
choice, and history across nights."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone

import numpy as np
import pyarrow as pa
import pytest
from akhbar.tasks.arabic import normalize_search
from akhbar.tasks.dedup import (
    DedupHistory,
    DedupSettings,
    dedup_articles,
    fingerprints,
    jaccard,
    lead_hashes,
    lead_overlap,
    signature_table,
    slot_conflicts,
    split_fingerprints,
    verified,
)
from akhbar.tasks.normalize import content_hash, normalize_batch


def exact_dedup(t, canonical_by_hash, run_id):
    """dedup_articles with a history of canonicals known only by content hash (no signatures)."""
    ids = [v[0] for v in canonical_by_hash.values()]
    history = DedupHistory(
        canonical_by_hash,
        ids,
        [v[1] for v in canonical_by_hash.values()],
        np.zeros((len(ids), DedupSettings().num_perm), dtype=np.uint32),
        np.zeros(len(ids), dtype=bool),
    )
    out, dups, _ = dedup_articles(t, history, run_id)
    return out, dups


def table(rows):
    return pa.Table.from_pylist(rows)


def art(aid, body, published=None):
    return {"article_id": aid, "body": body, "published_at": published}


BODY = "أعلنت الحكومة اليوم عن خطة جديدة لدعم المزارعين في المناطق الريفية."
VARIANT = "اعلنت الحكومـــة اليوم عن خطة جديدة لدعم المزارعين في المناطق الريفيه!!"


def test_hash_ignores_diacritics_letter_variants_punctuation_tatweel():
    assert content_hash(normalize_search(BODY)) == content_hash(normalize_search(VARIANT))
    assert content_hash(normalize_search(BODY)) != content_hash(normalize_search(BODY + " وأضافت"))


def test_canonical_is_earliest_then_longest_then_smallest_id():
    d1 = datetime(2024, 1, 2, tzinfo=timezone.utc)
    d0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
    t = normalize_batch(
        table([art("c", BODY, d1), art("b", VARIANT, d0), art("a", BODY, None), art("z", "خبر آخر مختلف تماما.", None)])
    )
    out, dups = exact_dedup(t, {}, "r1")
    rows = {r["article_id"]: r for r in out.to_pylist()}
    assert rows["b"]["is_canonical"] and not rows["a"]["is_canonical"] and not rows["c"]["is_canonical"]
    assert rows["a"]["cluster_id"] == rows["c"]["cluster_id"] == "b"
    assert rows["z"]["is_canonical"] and rows["z"]["cluster_id"] == "z"
    assert sorted((d["article_id"], d["canonical_id"], d["method"]) for d in dups.to_pylist()) == [
        ("a", "b", "exact"),
        ("c", "b", "exact"),
    ]

    # without dates: longest body wins, then the smallest id
    t = normalize_batch(table([art("y", BODY), art("x", BODY)]))
    out, _ = exact_dedup(t, {}, "r1")
    assert [r["article_id"] for r in out.to_pylist() if r["is_canonical"]] == ["x"]


def test_copy_of_a_story_already_in_the_warehouse_joins_its_cluster():
    t = normalize_batch(table([art("new", VARIANT)]))
    h = t["content_hash"][0].as_py()
    out, dups = exact_dedup(t, {h: ("old", "cluster-old")}, "r2")
    r = out.to_pylist()[0]
    assert (r["is_canonical"], r["cluster_id"]) == (False, "cluster-old")
    assert dups.to_pylist()[0]["canonical_id"] == "old"


SENTENCES = [
    "افتتح وزير النقل صباح اليوم المرحلة الأولى من مشروع القطار الخفيف الذي يربط وسط العاصمة بالضواحي الشرقية.",
    "ويبلغ طول المرحلة الأولى نحو ثمانية عشر كيلومترا وتضم اثنتي عشرة محطة مجهزة بمصاعد وممرات لذوي الإعاقة.",
    "وقال الوزير في كلمة خلال حفل الافتتاح إن المشروع سيخفف الازدحام المروري ويختصر زمن الرحلة إلى النصف.",
    "وأوضح أن القطارات ستعمل من الخامسة صباحا حتى منتصف الليل بمعدل رحلة كل سبع دقائق في ساعات الذروة.",
    "وأشار إلى أن تكلفة المرحلة الأولى بلغت نحو مليار دولار جرى تمويلها بقرض ميسر ومساهمة من الموازنة العامة.",
    "ومن المقرر أن تبدأ أعمال المرحلة الثانية مطلع العام المقبل لتمتد الخطوط إلى المطار والمنطقة الصناعية.",
    "ورحب سكان الضواحي بالمشروع مؤكدين أنهم كانوا يقضون ساعتين يوميا في الحافلات للوصول إلى أعمالهم.",
    "في المقابل طالب أصحاب المحال التجارية في وسط المدينة بتعويضات عن الخسائر التي تكبدوها خلال سنوات الإنشاء.",
    "وتعهدت البلدية بدراسة المطالبات وصرف التعويضات المستحقة قبل نهاية الربع الثاني من العام الجاري.",
    "ويعد المشروع الأول من نوعه في البلاد ضمن خطة وطنية لتطوير النقل العام تمتد حتى عام ألفين وثلاثين.",
]
OTHER = (
    "أعلنت وزارة الصحة إطلاق حملة وطنية للتطعيم ضد الإنفلونزا الموسمية تستهدف كبار السن والأطفال "
    "والعاملين في القطاع الصحي، وتستمر الحملة ستة أسابيع في جميع المراكز الصحية بالمحافظات."
)


def test_near_copy_with_a_dropped_sentence_joins_and_a_different_story_does_not():
    original = " ".join(SENTENCES)
    copy = " ".join(SENTENCES[:4] + SENTENCES[5:])  # one sentence dropped
    t = normalize_batch(
        table(
            [
                art("orig", original, datetime(2025, 3, 1, tzinfo=timezone.utc)),
                art("copy", copy, datetime(2025, 3, 2, tzinfo=timezone.utc)),
                art("other", OTHER + " " + SENTENCES[0]),
            ]
        )
    )
    out, dups, sig = dedup_articles(t, DedupHistory.empty(), "r1")
    cfg = DedupSettings()
    assert sig.shape == (3, 128 + cfg.head_len + cfg.slots)  # MinHash signature, lead hashes, discriminator slots
    assert [(d["article_id"], d["canonical_id"], d["method"]) for d in dups.to_pylist()] == [("copy", "orig", "near")]
    assert 0.3 <= dups["similarity"][0].as_py() < 1.0
    assert {r["article_id"]: r["is_canonical"] for r in out.to_pylist()} == {"orig": True, "copy": False, "other": True}


def test_near_copy_of_a_story_from_an_earlier_night_joins_its_cluster():
    cfg = DedupSettings()
    hist = fingerprints([normalize_search(" ".join(SENTENCES))], cfg)
    body, lead, slots = split_fingerprints(hist, cfg)
    history = DedupHistory({}, ["old"], ["cluster-old"], body, np.array([True]), leads=lead, slots=slots)
    t = normalize_batch(table([art("new", " ".join(SENTENCES[1:]))]))
    out, dups, _ = dedup_articles(t, history, "r2")
    assert out.to_pylist()[0]["cluster_id"] == "cluster-old" and not out.to_pylist()[0]["is_canonical"]
    assert dups.to_pylist()[0]["canonical_id"] == "old" and dups.to_pylist()[0]["method"] == "near"


# A wire story as one outlet ran it, and as another outlet ran it: lead reworded, a paragraph
# dropped, a closing paragraph of its own appended. And a different story on the same event
# (a follow-up): a new lead on top of the first article's text.
WIRE = [
    "قالت وزارة الخارجية الفرنسية اليوم الأحد إن باريس تدعو جميع الأطراف في ليبيا إلى وقف فوري لإطلاق النار "
    "واستئناف الحوار السياسي برعاية الأمم المتحدة، محذرة من أن استمرار القتال حول العاصمة يهدد المدنيين.",
    "وأضاف المتحدث باسم الوزارة في بيان أن فرنسا على اتصال دائم بالمبعوث الأممي وبالدول المجاورة لليبيا "
    "من أجل التوصل إلى تسوية تحفظ وحدة البلاد ومؤسساتها وتمهد لانتخابات عامة قبل نهاية العام.",
    "وأشار البيان إلى أن أكثر من ثلاثة آلاف عائلة نزحت من الأحياء الجنوبية للعاصمة خلال الأسبوع الماضي "
    "وأن المستشفيات الميدانية تعاني نقصا حادا في الأدوية والمستلزمات الطبية والوقود اللازم للمولدات.",
    "ودعت الوزارة المنظمات الدولية إلى تسهيل وصول المساعدات الإنسانية إلى المناطق المتضررة وفتح ممرات "
    "آمنة لخروج المدنيين الراغبين في المغادرة إلى مناطق أكثر أمنا داخل البلاد أو خارجها.",
    "وكانت الاشتباكات قد تجددت مساء الجمعة بعد هدنة قصيرة أعلنتها البعثة الأممية بمناسبة العيد ولم تصمد "
    "أكثر من يومين إذ تبادل الطرفان الاتهامات بخرقها وقصف مواقع مدنية في الضواحي.",
    "ويعقد مجلس الأمن الدولي جلسة مغلقة الثلاثاء المقبل لبحث الوضع في ليبيا بطلب من بريطانيا وألمانيا، "
    "ومن المنتظر أن يقدم المبعوث الأممي إحاطة عن جهوده للعودة إلى طاولة المفاوضات.",
]
WIRE_COPY = [
    "دعت فرنسا الأحد جميع الأطراف في ليبيا إلى وقف فوري لإطلاق النار واستئناف الحوار السياسي برعاية الأمم "
    "المتحدة، محذرة من أن استمرار القتال حول العاصمة يهدد المدنيين.",
    WIRE[1],
    WIRE[2],
    WIRE[4],
    WIRE[5],  # the fourth paragraph dropped
    "يذكر أن ليبيا تشهد فوضى أمنية وانقساما سياسيا منذ سقوط النظام السابق قبل سنوات وتتنافس على السلطة فيها "
    "حكومتان وبرلمانان وعدد كبير من الجماعات المسلحة التي تسيطر على المدن والموانئ وحقول النفط.",
]
FOLLOW_UP = [
    "أعلن المتحدث باسم الجيش في شرق ليبيا مساء الاثنين أن قواته سيطرت على مطار العاصمة القديم بعد معارك "
    "عنيفة استمرت يومين، فيما نفت حكومة الوفاق ذلك وقالت إن قواتها صدت الهجوم وأسرت عشرات المقاتلين. "
    "وأكد شهود عيان سماع دوي انفجارات قوية طوال الليل وتحليق طائرات مسيرة فوق الأحياء الجنوبية.",
    "وكانت الخارجية الفرنسية قد دعت أمس جميع الأطراف إلى وقف فوري لإطلاق النار.",
] + WIRE[1:]


def _norm_rows(*bodies):
    return normalize_batch(table([art(f"d{i}", "\n".join(b)) for i, b in enumerate(bodies)]))


def test_lead_check_joins_a_rewritten_copy_and_keeps_a_follow_up_apart():
    cfg = DedupSettings()
    t = _norm_rows(WIRE, WIRE_COPY, FOLLOW_UP)
    fp = fingerprints(t["body_norm"].to_pylist(), cfg)
    body, lead, _ = split_fingerprints(fp, cfg)
    # the copy's body alone is well under the threshold (lead reworded, paragraph dropped and added) ...
    ok, sims = verified(body[[0, 0]], body[[1, 2]], None, None, cfg)
    assert list(ok) == [False, False] and 0.4 < sims[0] < cfg.threshold and 0.4 < sims[1] < cfg.threshold
    # ... its lead is found in the original's opening, the follow-up's new lead is not
    overlaps = lead_overlap(lead[[0, 0]], lead[[1, 2]], cfg)
    assert overlaps[0] >= cfg.lead_threshold > overlaps[1]
    ok, _ = verified(body[[0, 0]], body[[1, 2]], lead[[0, 0]], lead[[1, 2]], cfg)
    assert list(ok) == [True, False]
    # end to end: the copy joins the original's story, the follow-up is a story of its own
    out, dups, _ = dedup_articles(t, DedupHistory.empty(), "r1")
    assert [(d["article_id"], d["canonical_id"], d["method"]) for d in dups.to_pylist()] == [("d1", "d0", "near")]
    assert {r["article_id"]: r["is_canonical"] for r in out.to_pylist()} == {"d0": True, "d1": False, "d2": True}


def test_lead_hashes_are_stable_and_padded():
    cfg = DedupSettings()
    words = "ا ب ج د ه و ز ح ط ي".split()
    h = lead_hashes([" ".join(words), " ".join(words[:4]), ""], cfg)
    assert h.shape == (3, cfg.head_words - 2) and h.dtype == np.uint32
    assert list(np.count_nonzero(h, axis=1)) == [8, 2, 0]  # one hash per 3-word shingle, 0 pads
    assert list(h[1, :2]) == list(h[0, :2])  # same shingle, same hash
    assert list(lead_hashes(["ا ب ج"], cfg)[0, :1]) == [985209397]  # crc32-based: the same in every process


def test_short_bodies_get_no_lead_check():
    """A templated blurb no longer than the lead: same opening, different story -> body alone decides."""
    cfg = DedupSettings()
    a = "حلقة جديدة من برنامج مرايا تناقش فيها الكاتبة قضايا المجتمع والثقافة والإعلام في العالم العربي ومعها ضيوف من أهل الاختصاص يتحدثون عن تجاربهم"
    b = "حلقة جديدة من برنامج مرايا تناقش فيها الكاتبة قضايا المجتمع والثقافة والإعلام في العالم العربي وتتناول هذه المرة أزمة الصحافة الورقية وتراجع القراءة"
    t = _norm_rows([a], [b])
    fp = fingerprints(t["body_norm"].to_pylist(), cfg)
    _, lead, _ = split_fingerprints(fp, cfg)
    assert lead_overlap(lead[0], lead[1], cfg)[0] == 0.0
    out, dups, _ = dedup_articles(t, DedupHistory.empty(), "r1")
    assert dups.num_rows == 0


def test_lead_check_across_nights_uses_the_persisted_lead():
    """The original published on an earlier night: its signature and lead come back from the
    SIGNATURES rows; rows written before the lead check (no lead) fall back to the body alone."""
    cfg = DedupSettings()
    old = _norm_rows(WIRE)
    fp = fingerprints(old["body_norm"].to_pylist(), cfg)
    rows = signature_table(old.select(["article_id"]), fp, "r0", cfg).to_pylist()
    assert rows[0]["lead_config"] == cfg.lead_fingerprint + "+" + cfg.slot_fingerprint
    assert 0 < len(rows[0]["lead"]) <= cfg.head_len
    lead = np.zeros((1, cfg.head_len), dtype=np.uint32)
    lead[0, : len(rows[0]["lead"])] = rows[0]["lead"]
    sig = np.array([rows[0]["signature"]], dtype=np.uint32)
    new = normalize_batch(table([art("copy", "\n".join(WIRE_COPY))]))
    with_lead = DedupHistory({}, ["d0"], ["cluster-old"], sig, np.array([True]), leads=lead)
    out, dups, _ = dedup_articles(new, with_lead, "r1")
    assert out.to_pylist()[0]["cluster_id"] == "cluster-old" and dups.to_pylist()[0]["method"] == "near"
    without_lead = DedupHistory({}, ["d0"], ["cluster-old"], sig, np.array([True]))  # a pre-lead-check row
    out, dups, _ = dedup_articles(new, without_lead, "r1")
    assert out.to_pylist()[0]["is_canonical"] and dups.num_rows == 0


# --- formulaic news: copies must agree on their discriminators; no chaining --------------------


def _dedup(*bodies, published=None):
    rows = [art(f"d{i}", b, published[i] if published else None) for i, b in enumerate(bodies)]
    out, dups, _ = dedup_articles(normalize_batch(table(rows)), DedupHistory.empty(), "r1")
    return {r["article_id"]: r["cluster_id"] for r in out.to_pylist()}


CABLE = (
    "بعث الرئيس محمد مرسي اليوم برقية تهنئة إلى رئيس جمهورية {country} بمناسبة العيد الوطني لبلاده، "
    "أعرب فيها عن أطيب تمنياته له بموفور الصحة والسعادة ولشعب {country} الصديق بدوام التقدم والازدهار، "
    "مؤكدا حرص مصر على تعزيز علاقات التعاون الثنائي بين البلدين في مختلف المجالات بما يحقق مصالح الشعبين "
    "الشقيقين ويدعم جهود التنمية والاستقرار في المنطقة والعالم خلال المرحلة المقبلة."
)


def test_a_template_cable_to_two_heads_of_state_is_two_stories():
    clusters = _dedup(CABLE.format(country="السنغال"), CABLE.format(country="الهند"))
    assert clusters["d0"] != clusters["d1"]
    # the same cable reprinted by another outlet is one text
    clusters = _dedup(CABLE.format(country="السنغال"), "القاهرة - أ ش أ: " + CABLE.format(country="السنغال"))
    assert clusters["d0"] == clusters["d1"]


FLIGHT = (
    "وصلت إلى مطار العريش الدولي ظهر اليوم الطائرة {nth} من طائرات المساعدات الإنسانية المقدمة إلى "
    "الشعب السوري، وتحمل الطائرة أطنانا من المواد الغذائية والأدوية والأغطية، وكان في استقبالها محافظ شمال "
    "سيناء وممثلو الهلال الأحمر المصري الذين أشرفوا على نقل الشحنة إلى مخازن الهلال تمهيدا لتوزيعها "
    "على مستحقيها خلال الأيام المقبلة بالتنسيق مع المنظمات الدولية العاملة في المنطقة."
)


def test_the_fourth_and_the_fifth_relief_flight_do_not_join():
    clusters = _dedup(FLIGHT.format(nth="الرابعة"), FLIGHT.format(nth="الخامسة"))
    assert clusters["d0"] != clusters["d1"]
    cfg = DedupSettings()
    fp = fingerprints([normalize_search(FLIGHT.format(nth=x)) for x in ("الرابعة", "الخامسة")], cfg)
    body, lead, slots = split_fingerprints(fp, cfg)
    assert jaccard(body[0], body[1]) >= 0.6  # the text alone would call them copies
    other, numbers, revisable = slot_conflicts(slots[0], slots[1])
    assert (other[0], numbers[0], revisable[0]) == (1, 0, 0)  # the ordinal fills one slot differently


def test_a_copy_with_a_changed_dateline_joins():
    text = "\n".join(WIRE)
    clusters = _dedup("باريس - (أ ف ب):\n" + text, "القاهرة - رويترز\n" + text.replace("اليوم الأحد", "الأحد"))
    assert clusters["d0"] == clusters["d1"]


def test_decimal_spellings_and_month_names_of_one_date_agree():
    from akhbar.tasks.gazetteer import discriminators

    def values(t):
        words = normalize_search(t).split()
        return [v for _, _, v in discriminators(words)]

    assert (
        values("بلغ 3.811 مليون طن في 12 يناير")
        == values("بلغ 811ر3 مليون طن في 12 جانفي")
        == values("بلغ 811ر3 مليون طن في 12 كانون الثاني")
    )
    assert values("يوم الخميس في السعودية وبالقاهرة") == ["day:3", "cc:SA", "geo:360630"]


def test_no_chaining_through_a_middle_version():
    """A~B and B~C but A and C share too little: C must not join A's story through B."""
    a = " ".join(SENTENCES[:6])
    b = " ".join(SENTENCES[2:8])
    c = " ".join(SENTENCES[4:10])
    cfg = DedupSettings()
    fp = fingerprints([normalize_search(x) for x in (a, b, c)], cfg)
    body, lead, slots = split_fingerprints(fp, cfg)
    ok, sims = verified(body[[0, 1, 0]], body[[1, 2, 2]], None, None, DedupSettings(threshold=0.25))
    assert list(ok) == [True, True, False]  # with a loose threshold: A~B, B~C, not A~C
    out, _, _ = dedup_articles(
        normalize_batch(table([art("a", a), art("b", b), art("c", c)])),
        DedupHistory.empty(),
        "r1",
        DedupSettings(threshold=0.25, member_min_jaccard=0.25),
    )
    clusters = {r["article_id"]: r["cluster_id"] for r in out.to_pylist()}
    assert clusters["a"] != clusters["c"]


def test_near_copies_days_apart_are_two_stories_but_exact_copies_join():
    text = " ".join(SENTENCES)
    edited = " ".join(SENTENCES[:9])
    d0, d5 = datetime(2025, 3, 1, tzinfo=timezone.utc), datetime(2025, 3, 6, tzinfo=timezone.utc)
    assert len(set(_dedup(text, edited, published=[d0, d5]).values())) == 2
    assert len(set(_dedup(text, text, published=[d0, d5]).values())) == 1
    assert len(set(_dedup(text, edited, published=[d0, d0]).values())) == 1


def test_group_stories_links_rewrites_of_one_event_and_keeps_a_series_apart():
    from akhbar.tasks.stories import group_stories, story_terms

    cfg = DedupSettings()
    d = datetime(2025, 3, 1, 10, tzinfo=timezone.utc)
    titles = [
        "وصول الطائرة الرابعة من المساعدات إلى مطار العريش",
        "الطائرة الرابعة من المساعدات تصل مطار العريش",
        "وصول الطائرة الخامسة من المساعدات إلى مطار العريش",
    ]
    bodies = [
        FLIGHT.format(nth="الرابعة"),
        "حطت في مطار العريش الدولي ظهر اليوم الطائرة الرابعة من طائرات المساعدات الإنسانية المقدمة إلى الشعب السوري "
        "محملة بالأغذية والأدوية، واستقبلها محافظ شمال سيناء وممثلو الهلال الأحمر المصري.",
        FLIGHT.format(nth="الخامسة"),
    ]
    norms = [normalize_search(b) for b in bodies]
    t = pa.Table.from_pylist([{"article_id": f"s{i}", "title": titles[i], "published_at": d} for i in range(3)])
    stories = group_stories(t.append_column("story_terms", story_terms(titles, norms)), fingerprints(norms, cfg), cfg)
    assert stories[0] == stories[1] != stories[2]


def test_discriminators_across_nights_come_back_from_the_signature_rows():
    """Night 1 published the 4th flight; night 2 brings the 5th (same text but the ordinal) and a
    reprint of the 4th. The slots persisted in SIGNATURES keep the 5th out of the 4th's story."""
    cfg = DedupSettings()
    old = normalize_batch(table([art("f4", FLIGHT.format(nth="الرابعة"))]))
    row = signature_table(
        old.select(["article_id"]), fingerprints(old["body_norm"].to_pylist(), cfg), "r0", cfg
    ).to_pylist()[0]
    assert (
        row["lead_config"].split("+") == [cfg.lead_fingerprint, cfg.slot_fingerprint]
        and 0 < len(row["slots"]) <= cfg.slots
    )

    def padded(values, width):
        out = np.zeros((1, width), dtype=np.uint32)
        out[0, : len(values)] = values
        return out

    history = DedupHistory(
        {},
        ["f4"],
        ["cluster-f4"],
        np.array([row["signature"]], dtype=np.uint32),
        np.array([True]),
        leads=padded(row["lead"], cfg.head_len),
        slots=padded(row["slots"], cfg.slots),
    )
    new = normalize_batch(
        table(
            [
                art("f5", FLIGHT.format(nth="الخامسة")),
                art("f4-reprint", "العريش - أ ش أ: " + FLIGHT.format(nth="الرابعة")),
            ]
        )
    )
    out, dups, _ = dedup_articles(new, history, "r1")
    clusters = {r["article_id"]: r["cluster_id"] for r in out.to_pylist()}
    assert clusters == {"f5": "f5", "f4-reprint": "cluster-f4"}


TOLL = (
    "قالت مصادر في الشرطة العراقية إن {killed} شخصا قتلوا وأصيب {hurt} آخرون في سلسلة هجمات بسيارات مفخخة "
    "وعبوات ناسفة استهدفت أسواقا شعبية ونقاط تفتيش في أحياء متفرقة من بغداد صباح يوم {day}، في أعنف موجة "
    "عنف تشهدها العاصمة منذ أسابيع. وأضافت المصادر أن أعنف الهجمات وقع قرب سوق مزدحم في حي الشعب شمال "
    "المدينة حيث انفجرت سيارتان مفخختان بفارق دقائق، فيما انفجرت عبوة ناسفة قرب دورية للجيش في منطقة "
    "الدورة جنوب العاصمة. ولم تعلن أي جهة مسؤوليتها عن الهجمات حتى الآن، لكن مثل هذه الهجمات المنسقة "
    "عادة ما تحمل بصمات تنظيم القاعدة الذي يسعى إلى إشعال العنف الطائفي في البلاد وإضعاف ثقة المواطنين "
    "بالحكومة وقواتها الأمنية قبل الانتخابات المحلية المقررة في الربيع المقبل."
)


def _hours(*offsets):
    """Publication times that many hours after 1 March 2013, 05:00 UTC."""
    from datetime import timedelta

    start = datetime(2013, 3, 1, 5, 0, tzinfo=timezone.utc)
    return [start + timedelta(hours=h) for h in offsets]


def test_a_toll_revised_within_the_hour_is_one_text_but_the_next_day_two():
    first = TOLL.format(killed=15, hurt=40, day="الجمعة")
    revised = TOLL.format(killed=23, hurt=61, day="الجمعة")
    cfg = DedupSettings()
    fp = fingerprints([normalize_search(x) for x in (first, revised)], cfg)
    _, _, slots = split_fingerprints(fp, cfg)
    assert [int(x[0]) for x in slot_conflicts(slots[0], slots[1])] == [0, 2, 2]  # two counts, both revisable
    assert len(set(_dedup(first, revised, published=_hours(0, 1.5)).values())) == 1
    # the same formula a day later (another day's attacks, other counts) is another story
    next_day = TOLL.format(killed=23, hurt=61, day="السبت")
    assert len(set(_dedup(first, next_day, published=_hours(0, 25)).values())) == 2
    # undated versions get no revision allowance: two counts differ, two stories
    assert len(set(_dedup(first, revised).values())) == 2


def test_a_meeting_day_corrected_within_hours_joins_but_an_ordinal_or_a_country_never():
    monday, tuesday = (TOLL.format(killed=15, hurt=40, day=d) for d in ("الاثنين", "الثلاثاء"))
    assert len(set(_dedup(monday, tuesday, published=_hours(0, 3)).values())) == 1
    assert len(set(_dedup(monday, tuesday, published=_hours(0, 30)).values())) == 2
    # published within minutes of each other, a cable to two heads of state or two numbered
    # flights stay two stories: countries and ordinals are not what a revision changes
    same_time = _hours(0, 0.1)
    assert (
        len(set(_dedup(CABLE.format(country="السنغال"), CABLE.format(country="الهند"), published=same_time).values()))
        == 2
    )
    assert (
        len(set(_dedup(FLIGHT.format(nth="الرابعة"), FLIGHT.format(nth="الخامسة"), published=same_time).values())) == 2
    )


def test_shingles_of_a_normalized_body_and_of_any_text():
    from akhbar.tasks.dedup import shingles

    assert shingles("a bb ccc d ee f", 5) == ["a bb ccc d ee", "bb ccc d ee f"]
    # not one space between words (no search-normalized body): the words are joined again, same shingles
    assert shingles(" a  bb\tccc d ee f ", 5) == ["a bb ccc d ee", "bb ccc d ee f"]
    assert shingles("a b", 5) == ["a b"]
    assert shingles("", 5) == [""]


def test_number_prefilter_matches_the_number_patterns():
    """discriminators tests a word's last character with str.isdecimal before its number regexes: the
    same characters as the regexes' \\d, on every code point."""
    import re

    digit = re.compile(r"\d")
    assert all(bool(digit.match(chr(cp))) == chr(cp).isdecimal() for cp in range(0x110000))
    from akhbar.tasks.gazetteer import discriminators

    assert discriminators(["قتل", "12", "شخصا", "و3ر5", "في", "القاهره", ""]) == [
        (1, 2, "n:12"),
        (3, 4, "n:3|5"),
        (5, 6, "geo:360630"),  # GeoNames id of Cairo
    ]


# One affair, two procedural steps, told in one formula: the complaint, then the prosecutor's order to
# investigate it (the order quotes the complaint nearly word for word).
AFFAIR = (
    "بسبب الاعتداء على مواطن وضربه أمام مقر مجلس المحافظة مساء أمس الجمعة، وطالب مقدم البلاغ بسرعة "
    "التحقيق مع المسؤولين عن الواقعة ومحاسبة كل من يثبت تورطه فيها، مؤكدا أن لديه شهودا ومقاطع مصورة "
    "تثبت ما جرى، وأن الواقعة أثارت غضب الأهالي والقوى السياسية في المحافظة خلال الساعات الماضية."
)
COMPLAINT = "تقدم المحامي سامي عبد الرحيم ببلاغ إلى النائب العام ضد مدير أمن المحافظة ومساعديه " + AFFAIR
ORDER = (
    "أمر النائب العام بفتح التحقيق في البلاغ المقدم من المحامي سامي عبد الرحيم ضد مدير أمن المحافظة ومساعديه " + AFFAIR
)


def test_a_complaint_and_the_order_to_investigate_it_are_two_stories():
    from akhbar.tasks.dedup import step_conflicts
    from akhbar.tasks.gazetteer import procedural_steps

    assert procedural_steps(normalize_search(COMPLAINT).split()) == ["filed"]
    assert procedural_steps(normalize_search(ORDER).split()) == ["decided"]
    cfg = DedupSettings()
    body, lead, slots = split_fingerprints(fingerprints([normalize_search(x) for x in (COMPLAINT, ORDER)], cfg), cfg)
    assert jaccard(body[0], body[1]) >= 0.6  # the text alone would call them copies
    assert step_conflicts(slots[[0]], slots[[1]]).tolist() == [True]
    clusters = _dedup(COMPLAINT, ORDER)
    assert clusters["d0"] != clusters["d1"]
    # a copy of the order with a headline on top that names the complaint first is the same step:
    # the order's step is named in both
    headlined = "بعد تقدم محام ببلاغ ضد مدير الأمن.. " + ORDER
    assert procedural_steps(normalize_search(headlined).split()) == ["filed", "decided"]
    clusters = _dedup(ORDER, headlined)
    assert clusters["d0"] == clusters["d1"]


HEARING = (
    "محكمة جنايات القاهرة المنعقدة بالتجمع الخامس برئاسة المستشار حسن عبد الله نظر التظلم المقدم من رجل "
    "الأعمال محمود سالم على قرار منعه وأسرته من التصرف في أموالهم، وكان سالم قد تظلم من القرار أمام المحكمة "
    "مطالبا برفع الحظر عن حساباته المصرفية وعقاراته، وقدم دفاعه مستندات تثبت مصادر ثروته خلال السنوات الماضية."
)


def test_an_adjournment_and_the_next_sessions_preview_are_two_stories():
    outcome = "قررت " + HEARING.replace("نظر التظلم", "تأجيل التظلم")
    preview = "تستكمل اليوم " + HEARING.replace("نظر التظلم", "إعادة نظر التظلم")
    d0, d2 = datetime(2025, 1, 28, 13, tzinfo=timezone.utc), datetime(2025, 1, 30, 12, tzinfo=timezone.utc)
    clusters = _dedup(outcome, preview, published=[d0, d2])
    assert clusters["d0"] != clusters["d1"]
    # outlets wording the one decision "قررت" or "أجلت" report one step
    reworded = "أجلت " + HEARING.replace("نظر التظلم", "التظلم")
    clusters = _dedup(outcome, reworded, published=[d0, d0])
    assert clusters["d0"] == clusters["d1"]


def test_band_buckets_give_every_pair_of_a_bucket_and_a_star_over_large_ones():
    from akhbar.tasks.dedup import candidate_pairs

    cfg = DedupSettings(bands=2, max_bucket=3)
    keys = np.array(
        [
            [7, 1],  # 0
            [7, 2],  # 1
            [9, 1],  # 2
            [7, 3],  # 3
            [5, 4],  # 4: shares nothing
            [8, 3],  # 5
            [6, 6],  # 6..9: a bucket of four in band 0, over max_bucket: its first row with each other
            [6, 6],
            [6, 6],
            [6, 6],
        ],
        dtype=np.uint64,
    )
    pairs = {tuple(p) for p in candidate_pairs(keys, cfg).tolist()}
    # band 0: {0,1,3} every pair, {6,7,8,9} star from 6; band 1: {0,2}, {3,5}, {6,7,8,9} star from 6
    assert pairs == {(0, 1), (0, 3), (1, 3), (0, 2), (3, 5), (6, 7), (6, 8), (6, 9)}


def test_band_pairs_published_further_apart_than_the_near_window_are_never_formed():
    from akhbar.tasks.dedup import pairs_by_band

    cfg = DedupSettings(bands=1, near_window_hours=48)
    keys = np.array([[7], [7], [7], [7]], dtype=np.uint64)  # one bucket: every pair shares a key
    day = 86400.0
    when = np.array([0.0, day, 10 * day, np.nan])  # 0-1 within 48 h; 2 far from both; 3 undated
    pairs = {tuple(p) for p in pairs_by_band(lambda b: keys[:, b], 4, cfg, when).tolist()}
    assert pairs == {(0, 1), (0, 3), (1, 3), (2, 3)}  # an undated row is held to no window
    assert len(pairs_by_band(lambda b: keys[:, b], 4, cfg)) == 6  # no times: every pair


def test_band_buckets_match_pairing_bucket_by_bucket():
    """Buckets of many sizes at once give what pairing each bucket on its own gives."""
    from itertools import combinations

    from akhbar.tasks.dedup import candidate_pairs

    rng = np.random.default_rng(5)
    cfg = DedupSettings(bands=8, max_bucket=6)
    keys = rng.integers(0, 40, size=(300, cfg.bands)).astype(np.uint64)
    expected = set()
    for b in range(cfg.bands):
        for key in np.unique(keys[:, b]):
            rows = np.flatnonzero(keys[:, b] == key).tolist()
            expected |= set(combinations(rows, 2)) if len(rows) <= cfg.max_bucket else {(rows[0], r) for r in rows[1:]}
    assert {tuple(p) for p in candidate_pairs(keys, cfg).tolist()} == expected


def test_a_whole_runs_fingerprints_keep_their_lead_hashes_on_disk_and_cluster_the_same(tmp_path):
    """read_fingerprints with a spill file: signatures and slots in memory, lead hashes mapped from
    the file (then unlinked); the same clusters and duplicates as from the one matrix."""
    import pyarrow.parquet as pq
    from akhbar.tasks.dedup import Fingerprints, RowsOnDisk, fingerprint_table, read_fingerprints

    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    bodies = [CABLE.format(country="السنغال"), "القاهرة - أ ش أ: " + CABLE.format(country="السنغال")]
    bodies += [CABLE.format(country="الهند"), BODY * 3, VARIANT * 3]
    rows = [{**art(f"d{i}", b, when), "outlet": "wire", "title": f"t{i}"} for i, b in enumerate(bodies)]
    batch = normalize_batch(table(rows))
    matrix = fingerprints(batch["body_norm"].to_pylist(), DedupSettings())
    files = []
    for k, rows in enumerate((slice(0, 2), slice(2, 5))):  # two staged partitions
        part = batch.slice(rows.start, rows.stop - rows.start)
        files.append(tmp_path / f"part-{k}.parquet")
        pq.write_table(
            fingerprint_table(part.append_column("story_hash", pa.nulls(part.num_rows, pa.int64())), matrix[rows]),
            files[-1],
        )
    spill = tmp_path / "lead.npy"
    fps, held = read_fingerprints(files, DedupSettings(), spill=spill)
    assert isinstance(held, Fingerprints) and not spill.exists()  # opened, then unlinked
    body, lead, slots = split_fingerprints(matrix, DedupSettings())
    assert (held.body == body).all() and (np.asarray(held.lead) == lead).all() and (held.slots == slots).all()
    assert isinstance(held.lead, RowsOnDisk)
    from_parts = dedup_articles(fps, DedupHistory.empty(), "r1", sig=held)
    from_matrix = dedup_articles(fps, DedupHistory.empty(), "r1", sig=read_fingerprints(files)[1])
    assert from_parts[0].equals(from_matrix[0]) and from_parts[1].equals(from_matrix[1])
    clusters = dict(zip(fps["article_id"].to_pylist(), from_parts[0]["cluster_id"].to_pylist()))
    assert clusters["d0"] == clusters["d1"] != clusters["d2"] and clusters["d3"] == clusters["d4"]


def test_rows_on_disk_read_what_numpy_indexing_reads(tmp_path):
    from akhbar.tasks.dedup import RowsOnDisk

    matrix = np.arange(7 * 3, dtype=np.uint32).reshape(7, 3)
    (tmp_path / "rows").write_bytes(matrix.tobytes())
    rows = RowsOnDisk(tmp_path / "rows", 7, 3)
    assert not (tmp_path / "rows").exists() and rows.shape == (7, 3) and len(rows) == 7
    for key in (slice(2, 5), slice(None), slice(1, 7, 2), [6, 0, 0, 3, 4], np.array([5]), 4):
        assert np.array_equal(rows[key], matrix[key]), key
    assert rows[[]].shape == (0, 3)
    assert np.array_equal(np.asarray(rows), matrix)


# ----------------------------------------------------------------------------- story level (tasks/stories.py)


def _stories(titles, bodies, hours, slots=True, clusters=None, scfg=None):
    """story_id per article (s0, s1, ...) of a run of written articles published `hours` after one
    morning; `clusters`: their copy clusters (default none: each its own unit); `slots=False`:
    fingerprints without discriminators; `scfg`: story settings (default: the committed ones)."""
    from akhbar.tasks.stories import group_stories, story_terms

    cfg = DedupSettings()
    d = datetime(2025, 3, 1, 8, tzinfo=timezone.utc)
    norms = [normalize_search(b) for b in bodies]
    t = pa.table(
        {
            "article_id": [f"s{i}" for i in range(len(titles))],
            "title": titles,
            "published_at": pa.array([d + timedelta(hours=h) for h in hours], pa.timestamp("us", tz="UTC")),
            "story_terms": story_terms(titles, norms),
        }
    )
    if clusters is not None:
        t = t.append_column("cluster_id", pa.array(clusters))
    sig = fingerprints(norms, cfg)
    return group_stories(t, sig if slots else split_fingerprints(sig, cfg)[0], cfg, scfg)


# Two outlets' own accounts of one event: no sentence in common; what they share is who, where and
# what (the factory, the town, the security chief's name, the boiler, the toll).
REWRITE_A = (
    "لقي ثلاثة عمال مصرعهم وأصيب سبعة آخرون في انفجار غلاية داخل مصنع الغزل والنسيج بمدينة كفر الدوار "
    "فجر اليوم، وانتقل اللواء سامح الدمرداش مدير أمن البحيرة إلى موقع الحادث، ونقل المصابون إلى مستشفى "
    "كفر الدوار العام، وأمرت النيابة بانتداب المعمل الجنائي لمعاينة الغلاية وبيان أسباب الانفجار."
)
REWRITE_B = (
    "شهد مصنع الغزل والنسيج في كفر الدوار حادثا مأساويا حين انفجرت إحدى الغلايات أثناء الوردية الليلية، "
    "مما أسفر عن وفاة ثلاثة من العاملين وإصابة سبعة بحروق متفرقة، وتوجه مدير أمن البحيرة سامح الدمرداش "
    "إلى المصنع، فيما طالب عمال الوردية بمحاسبة المسؤولين عن إهمال صيانة الغلايات منذ شهور."
)
REWRITE_TITLES = ["مصرع 3 عمال في انفجار غلاية بمصنع غزل كفر الدوار", "انفجار غلاية يقتل ثلاثة من عمال الغزل بالبحيرة"]
POLICE = (
    "تمكنت الأجهزة الأمنية بمديرية أمن {town} من ضبط تشكيل عصابي تخصص في سرقة المواشي من حظائر القرى، "
    "وتبين من التحريات أن المتهمين الأربعة اعتادوا السطو على الحظائر ليلا وبيع المسروقات في الأسواق "
    "الأسبوعية، وبمواجهتهم اعترفوا بارتكاب الوقائع وتحرر محضر بالواقعة وأخطرت النيابة لتتولى التحقيق."
)


def test_two_outlets_rewrites_of_one_event_are_one_story():
    bodies = [REWRITE_A, REWRITE_B, POLICE.format(town="المنيا")]
    titles = REWRITE_TITLES + ["ضبط عصابة لسرقة المواشي بالمنيا"]
    # not copies of one text: the copy level keeps them apart
    assert len(set(_dedup(REWRITE_A, REWRITE_B).values())) == 2
    assert _stories(titles, bodies, [0, 3, 1]) == ["s0", "s0", "s2"]
    # the same two reports 30 h apart: the first story closed 24 h after its last article
    assert _stories(titles, bodies, [0, 30, 1]) == ["s0", "s1", "s2"]


def test_a_text_still_being_copied_keeps_its_story_open():
    """With stories open 12 h after their last article: A's copies come until 10 h after the first;
    B, a rewrite, 18 h after A's first copy: its story was last active 8 h before B (open). Without
    the late copy it was last active 18 h before B, over the 12 h, and B opens its own. (At the
    committed 24 h, the rewrite's cosine with A, 0.44 in a run of two, is under the bar of a story
    that old: 0.3 x e^(30/48) = 0.56 at the 30 h the same case would need.)"""
    from akhbar.tasks.stories import StorySettings

    scfg = StorySettings(idle_hours=12.0)
    titles, bodies = [REWRITE_TITLES[0]] * 2 + [REWRITE_TITLES[1]], [REWRITE_A, REWRITE_A, REWRITE_B]
    assert _stories(titles, bodies, [0, 10, 18], clusters=["s0", "s0", "s2"], scfg=scfg) == ["s0", "s0", "s0"]
    assert _stories(titles[::2], bodies[::2], [0, 18], clusters=["s0", "s1"], scfg=scfg) == ["s0", "s1"]
    # at the committed idle time the story is still open 18 h on, and B joins it without the late copy
    assert _stories(titles[::2], bodies[::2], [0, 18], clusters=["s0", "s1"]) == ["s0", "s0"]


def test_a_backfill_grouped_a_slice_at_a_time_carries_open_stories_across_slices(monkeypatch):
    """Every unit in a slice of its own: the units within the story span before it are compared
    again with it, and the stories they opened stay open to it."""
    import akhbar.tasks.stories as stories

    bodies = [REWRITE_A, REWRITE_B, POLICE.format(town="المنيا")]
    titles = REWRITE_TITLES + ["ضبط عصابة لسرقة المواشي بالمنيا"]
    monkeypatch.setattr(stories, "SLICE_UNITS", 1)
    assert _stories(titles, bodies, [0, 3, 1]) == ["s0", "s0", "s2"]
    assert _stories(titles, bodies, [0, 30, 1]) == ["s0", "s1", "s2"]  # B's slice does not reach back 30 h


def test_two_same_formula_police_items_in_two_towns_are_two_stories():
    from akhbar.tasks.stories import term_hashes

    titles = ["ضبط عصابة لسرقة المواشي بالمنيا", "ضبط عصابة لسرقة المواشي بأسيوط"]
    bodies = [POLICE.format(town="المنيا"), POLICE.format(town="أسيوط")]
    # the towns are entities (one term per place whatever the spelling: "بالمنيا", "المنيا")
    assert set(term_hashes(normalize_search(titles[0]))) - set(term_hashes(normalize_search(titles[1]))) == set(
        term_hashes("المنيا")
    )
    # every other word is shared, so only the discriminators (the town where the texts align) tell them apart
    assert _stories(titles, bodies, [0, 2], slots=False) == ["s0", "s0"]
    assert _stories(titles, bodies, [0, 2]) == ["s0", "s1"]
    # the same item reprinted by a second outlet is one story
    assert _stories(titles[:1] * 2, bodies[:1] * 2, [0, 2]) == ["s0", "s0"]


def test_a_centroid_does_not_chain_a_series_through_its_middle_report():
    """A ~ B and B ~ C reach the threshold, A and C share nothing: single links would make one story
    of the three. B joins A's story; C is compared with the story's centroid (A + B), which it is
    not close enough to, and opens a story of its own."""
    from akhbar.tasks.stories import StorySettings, assign_stories, earlier_neighbours
    from scipy.sparse import csr_matrix

    units = np.array([[1.0, 0.0, 0.0], [0.5, 0.866, 0.0], [0.0, 0.693, 0.721]])  # A, B, C: unit rows
    cos = units @ units.T
    scfg = StorySettings(threshold=0.4)  # the rule at a fixed bar (the age decay is of its own test below)
    assert cos[0, 1] >= scfg.threshold and cos[1, 2] >= scfg.threshold and cos[0, 2] == 0
    when = np.array([0.0, 3600.0, 7200.0])
    order = np.arange(3)
    neighbours = earlier_neighbours(csr_matrix(units), when, order, scfg)
    assert neighbours.toarray().round(3).tolist() == [[0, 0, 0], [0.5, 0, 0], [0, 0.6, 0]]
    # C against A + B: (0 + 0.6) / |A + B| = 0.6 / sqrt(3) = 0.35 (x 0.96 for the story's 2 h) < 0.4
    assert assign_stories(neighbours, when, order, lambda u, v: False, scfg).tolist() == [0, 0, 1]
    # a C closer to B (cosine 0.87) is close enough to the centroid too (0.87 / sqrt(3) = 0.5): one story
    units[2] = [0.0, 1.0, 0.0]
    neighbours = earlier_neighbours(csr_matrix(units), when, order, scfg)
    assert assign_stories(neighbours, when, order, lambda u, v: False, scfg).tolist() == [0, 0, 0]
    # ... unless its discriminators contradict the story's first article's
    clash = lambda u, v: {u, v} == {0, 2}  # noqa: E731
    assert assign_stories(neighbours, when, order, clash, scfg).tolist() == [0, 0, 1]


def test_the_join_threshold_rises_with_the_storys_age():
    """A and B (one text's two copies' units, cosine 1) make a story; C's cosine with its centroid
    is 0.45. Two hours after A the story is young and C joins (0.45 x exp(-2/48) = 0.43 >= 0.3);
    22 h after A, though the story is still open (B came 12 h before C), the bar has risen and C
    opens a story (0.45 x exp(-22/48) = 0.28 < 0.3), where a fixed threshold of 0.4 joined it. A
    looser rewrite of a young story (cosine 0.35, an hour later) joins now, and did not at 0.4."""
    from akhbar.tasks.stories import StorySettings, assign_stories, earlier_neighbours, join_score
    from scipy.sparse import csr_matrix

    scfg, fixed = StorySettings(), StorySettings(threshold=0.4, age_decay_hours=float("inf"))
    assert join_score(0.45, 30 * 3600.0, scfg) == pytest.approx(0.45 * math.exp(-30 / 48))
    assert join_score(0.45, float("nan"), scfg) == 0.45  # an undated unit or story: no age

    def stories(units, hours, s):
        when = np.array(hours, dtype=float) * 3600
        order = np.arange(len(hours))
        neighbours = earlier_neighbours(csr_matrix(np.array(units)), when, order, s)
        return assign_stories(neighbours, when, order, lambda u, v: False, s).tolist()

    c = [0.45, math.sqrt(1 - 0.45**2)]
    series = [[1.0, 0.0], [1.0, 0.0], c]
    assert stories(series, [0, 1, 2], scfg) == [0, 0, 0]
    assert stories(series, [0, 10, 22], scfg) == [0, 0, 1]
    assert stories(series, [0, 10, 22], fixed) == [0, 0, 0]
    loose = [[1.0, 0.0], [0.35, math.sqrt(1 - 0.35**2)]]
    assert stories(loose, [0, 1], scfg) == [0, 0]
    assert stories(loose, [0, 1], fixed) == [0, 1]


def test_unrelated_reports_sharing_two_words_in_a_small_run_are_two_stories():
    """In a night of a few articles most words are in one article only. They weigh in each
    article's norm: two unrelated reports that share two common words ("اليوم", "الثالث") are far
    apart (grouped over the shared words alone, their cosine was 1)."""
    titles = ["نادي الساحل يحرز كأس الاتحاد بركلات الترجيح", "بعثة أثرية تكشف بقايا سوق تجارية قديمة"]
    bodies = [
        "أحرز نادي الساحل كأس الاتحاد اليوم بعد فوزه على نادي الشروق بركلات الترجيح في المباراة النهائية التي "
        "أقيمت على الملعب الأولمبي، وهو اللقب الثالث للفريق في تاريخه بعد موسمين من الغياب عن المنصات.",
        "كشفت بعثة أثرية مشتركة اليوم عن بقايا سوق تجارية تعود إلى القرن الثالث قبل الميلاد، تضم متاجر وأفرانا "
        "وأواني فخارية وعملات برونزية، وقال رئيس البعثة إن الموقع سيفتح للزوار بعد اكتمال أعمال الترميم.",
        REWRITE_A,
    ]
    assert _stories(titles + [REWRITE_TITLES[0]], bodies, [0, 2, 4]) == ["s0", "s1", "s2"]


def test_neighbours_found_block_by_block_are_those_of_one_product(monkeypatch):
    """A large day, or a night of undated articles, is multiplied a block of units at a time: the
    neighbours found are those of the whole product (dated units within the span, undated ones with
    every unit before them)."""
    import akhbar.tasks.stories as stories
    from scipy.sparse import random as sparse_random

    rng = np.random.default_rng(7)
    vectors = sparse_random(60, 12, density=0.3, format="csr", random_state=7)
    when = np.where(rng.random(60) < 0.2, np.nan, rng.uniform(0, 5 * 86400, 60))
    order = np.lexsort((np.arange(60), np.where(np.isnan(when), np.inf, when)))
    whole = stories.earlier_neighbours(vectors, when, order, stories.StorySettings(min_similarity=0.0))
    monkeypatch.setattr(stories, "_BLOCK_UNITS", 4)
    blocks = stories.earlier_neighbours(vectors, when, order, stories.StorySettings(min_similarity=0.0))
    assert whole.nnz > 100 and (whole != blocks).nnz == 0
    # and every pair is as defined: earlier in the order, within the span unless either is undated
    rank = np.argsort(order)
    for u, v in zip(*whole.nonzero()):
        assert rank[v] < rank[u] and not abs(when[u] - when[v]) > 72 * 3600


def test_two_rewrites_that_repeat_the_events_figures_are_one_story(monkeypatch):
    """Two outlets' accounts of one statistics release share few words (the second says oranges and
    tangerines, a yearly bulletin, growth) but repeat its figures (1843 thousand tonnes, 1490, 23.7%):
    figures are story terms (entities), and the rewrite joins (cosine 0.33 with them, 0.18 without);
    the unrelated football report stays apart."""
    import akhbar.tasks.stories as stories
    from akhbar.tasks.stories import term_hashes

    titles = [
        "التعبئة والإحصاء: صادرات الموالح ترتفع 23.7% خلال العام الماضي",
        "صادرات الموالح تسجل 1843 ألف طن بنمو 23.7%",
        "نادي الساحل يحرز كأس الاتحاد بركلات الترجيح",
    ]
    bodies = [
        "أعلن الجهاز المركزي للتعبئة العامة والإحصاء أن صادرات الموالح بلغت 1843 ألف طن خلال العام الماضي "
        "مقابل 1490 ألف طن في العام السابق عليه، بزيادة نسبتها 23.7%، وأرجع الجهاز الزيادة إلى فتح أسواق "
        "جديدة في آسيا وتحسن جودة الشحنات بعد تشديد الرقابة على محطات التعبئة.",
        "كشفت نشرة سنوية حكومية عن قفزة في شحنات البرتقال واليوسفي المصدرة لتسجل 1843 ألف طن بعد 1490 ألفا "
        "قبل عام، أي بنمو 23.7 بالمئة، مدفوعة بطلب متزايد من الصين والهند وروسيا على المنتج المصري.",
        "أحرز نادي الساحل كأس الاتحاد اليوم بعد فوزه على نادي الشروق بركلات الترجيح في المباراة النهائية التي "
        "أقيمت على الملعب الأولمبي، وهو اللقب الثالث للفريق في تاريخه بعد موسمين من الغياب عن المنصات.",
    ]
    # a figure is one term wherever it stands: "23.7%" gives 23 (a lone digit is too short to tell),
    # "6ر151" 151 (beside the word itself), "5اشخاص" no figure
    (figure_23,), (figure_151,) = term_hashes("23"), term_hashes("151")
    assert figure_23 in term_hashes(normalize_search("بنمو 23.7%"))
    assert figure_151 in term_hashes("6ر151") and len(term_hashes("6ر151")) == 2
    assert len(term_hashes(normalize_search("5أشخاص"))) == 1
    assert _stories(titles, bodies, [0, 3, 1]) == ["s0", "s0", "s2"]
    monkeypatch.setattr(stories, "_FIGURE", re.compile(r"(?!)"))  # no figures: the words alone
    assert _stories(titles, bodies, [0, 3, 1]) == ["s0", "s1", "s2"]
