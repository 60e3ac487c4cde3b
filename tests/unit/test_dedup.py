"""Exact dedup: hash equality after normalization, canonical choice, and history across nights."""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pyarrow as pa

from tasks.dedup import DedupHistory, DedupSettings, dedup_articles, signatures
from tasks.normalize import content_hash, normalize_batch
from tasks.arabic import normalize_search


def exact_dedup(t, canonical_by_hash, run_id):
    """dedup_articles with a history of canonicals known only by content hash (no signatures)."""
    ids = [v[0] for v in canonical_by_hash.values()]
    history = DedupHistory(canonical_by_hash, ids, [v[1] for v in canonical_by_hash.values()],
                           np.zeros((len(ids), DedupSettings().num_perm), dtype=np.uint32), np.zeros(len(ids), dtype=bool))
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
    t = normalize_batch(table([art("c", BODY, d1), art("b", VARIANT, d0), art("a", BODY, None), art("z", "خبر آخر مختلف تماما.", None)]))
    out, dups = exact_dedup(t, {}, "r1")
    rows = {r["article_id"]: r for r in out.to_pylist()}
    assert rows["b"]["is_canonical"] and not rows["a"]["is_canonical"] and not rows["c"]["is_canonical"]
    assert rows["a"]["cluster_id"] == rows["c"]["cluster_id"] == "b"
    assert rows["z"]["is_canonical"] and rows["z"]["cluster_id"] == "z"
    assert sorted((d["article_id"], d["canonical_id"], d["method"]) for d in dups.to_pylist()) == [("a", "b", "exact"), ("c", "b", "exact")]

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
OTHER = ("أعلنت وزارة الصحة إطلاق حملة وطنية للتطعيم ضد الإنفلونزا الموسمية تستهدف كبار السن والأطفال "
         "والعاملين في القطاع الصحي، وتستمر الحملة ستة أسابيع في جميع المراكز الصحية بالمحافظات.")


def test_near_copy_with_a_dropped_sentence_joins_and_a_different_story_does_not():
    original = " ".join(SENTENCES)
    copy = " ".join(SENTENCES[:4] + SENTENCES[5:])              # one sentence dropped
    t = normalize_batch(table([art("orig", original, datetime(2025, 3, 1, tzinfo=timezone.utc)),
                               art("copy", copy, datetime(2025, 3, 2, tzinfo=timezone.utc)),
                               art("other", OTHER + " " + SENTENCES[0])]))
    out, dups, sig = dedup_articles(t, DedupHistory.empty(), "r1")
    assert sig.shape == (3, 128)
    assert [(d["article_id"], d["canonical_id"], d["method"]) for d in dups.to_pylist()] == [("copy", "orig", "near")]
    assert 0.8 <= dups["similarity"][0].as_py() < 1.0
    assert {r["article_id"]: r["is_canonical"] for r in out.to_pylist()} == {"orig": True, "copy": False, "other": True}


def test_near_copy_of_a_story_from_an_earlier_night_joins_its_cluster():
    hist_sig = signatures([normalize_search(" ".join(SENTENCES))], DedupSettings())
    history = DedupHistory({}, ["old"], ["cluster-old"], hist_sig, np.array([True]))
    t = normalize_batch(table([art("new", " ".join(SENTENCES[1:]))]))
    out, dups, _ = dedup_articles(t, history, "r2")
    assert out.to_pylist()[0]["cluster_id"] == "cluster-old" and not out.to_pylist()[0]["is_canonical"]
    assert dups.to_pylist()[0]["canonical_id"] == "old" and dups.to_pylist()[0]["method"] == "near"
