"""The real corpus (ANT 2018, 31,525 articles from five outlets) through the nightly flow:
every record accounted for, and the corpus's known boilerplate gone from every body."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CORPUS, need
from test_flow import query

# a group of its own: the corpus run (minutes) goes beside the flow tests, not after them on one worker
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("corpus")]

CORPUS_RECORDS = 31_525


@pytest.fixture(scope="module")
def corpus_run(prefect_harness, tmp_path_factory):
    from akhbar.flows.nightly import nightly
    from akhbar.flows.params import RunParameters

    data = tmp_path_factory.mktemp("ant-warehouse")
    summary = nightly(RunParameters(inputs=[str(need(CORPUS))], data_dir=str(data), batch_size=4000))
    return data, summary


def test_every_corpus_record_is_accounted_for(corpus_run):
    data, summary = corpus_run
    assert summary["records_read"] == CORPUS_RECORDS
    articles = query(data, "SELECT count(*) FROM articles")[0][0]
    canonical = query(data, "SELECT count(*) FROM articles WHERE is_canonical")[0][0]
    dups = query(data, "SELECT count(*) FROM duplicates")[0][0]
    quarantined = query(data, "SELECT count(*) FROM quarantine")[0][0]
    assert canonical + dups + quarantined == CORPUS_RECORDS
    assert articles == canonical + dups
    # ids are unique, every duplicate points at a canonical article that exists
    assert query(data, "SELECT count(DISTINCT article_id) FROM articles")[0][0] == articles
    assert (
        query(
            data,
            "SELECT count(*) FROM duplicates d LEFT JOIN articles a ON a.article_id = d.canonical_id "
            "WHERE a.article_id IS NULL OR NOT a.is_canonical",
        )[0][0]
        == 0
    )
    # the two records without text are quarantined with that reason, and every quarantine row has a payload
    assert query(data, "SELECT count(*) FROM quarantine WHERE reason LIKE 'record has no text%'")[0][0] == 2
    assert query(data, "SELECT count(*) FROM quarantine WHERE raw_payload IS NULL OR reason IS NULL")[0][0] == 0


def test_corpus_copies_filed_under_several_categories_are_exact_duplicates(corpus_run):
    data, _ = corpus_run
    exact = query(data, "SELECT count(*) FROM duplicates WHERE method = 'exact'")[0][0]
    assert exact > 1000
    # the same URL filed under two categories: one canonical, the other an exact duplicate
    same_url = query(
        data,
        """
        SELECT count(*) FROM (SELECT url FROM articles GROUP BY url HAVING count(*) > 1 AND count(*) FILTER (WHERE is_canonical) = 1)""",
    )[0][0]
    assert same_url > 1000


def test_corpus_known_boilerplate_is_gone(corpus_run):
    data, _ = corpus_run
    leftovers = {
        "Al Arabiya opinion disclaimer": "%جميع المقالات المنشورة تمثل رأي كتابها%",
        "BBC app notice": "%بعد تحميل أحدث نسخة من تطبيق بي بي سي%",
        "separator rules": "%----------%",
    }
    for name, pattern in leftovers.items():
        n = query(data, f"SELECT count(*) FROM articles WHERE body LIKE '{pattern}'")[0][0]
        assert n == 0, f"{name} left in {n} bodies"
    cats = dict(query(data, "SELECT category, count(*) FROM boilerplate GROUP BY 1"))
    assert cats["disclaimer"] >= 440 and cats["share"] >= 850 and cats["source"] >= 400
    # France 24 agency credit lines become the agency field
    assert query(data, "SELECT count(*) FROM articles WHERE outlet = 'france24' AND agency LIKE '%أ ف ب%'")[0][0] >= 100


def test_bad_rows_are_quarantined_with_reasons_and_the_good_ones_published(corpus_run):
    data, summary = corpus_run
    rows = query(data, "SELECT reason, count(*) FROM quarantine WHERE stage = 'validate' GROUP BY 1")
    assert rows and all(reason.startswith("validation: ") for reason, _ in rows)
    assert sum(n for _, n in rows) == summary["quarantined_validate"] > 100
    assert any("word_count" in reason for reason, _ in rows)
    # a quarantined record is nowhere else
    assert query(data, "SELECT count(*) FROM quarantine q JOIN articles a USING (article_id)")[0][0] == 0
    assert query(data, "SELECT min(word_count) FROM articles")[0][0] >= 20


def test_near_pairs_read_by_a_person_are_still_found(corpus_run):
    """tests/data/near_pairs_review.json: 30 sampled near pairs read by a person (29 copies, 1
    unclear update). The pairs judged copies must stay in one story."""
    import json
    from pathlib import Path

    data, _ = corpus_run
    review = json.loads(
        (Path(__file__).resolve().parents[1] / "data" / "near_pairs_review.json").read_text(encoding="utf-8")
    )
    verdicts = [p["verdict"] for p in review["pairs"]]
    assert len(verdicts) == 30 and verdicts.count("distinct") == 0
    cluster = dict(query(data, "SELECT article_id, cluster_id FROM articles"))
    split = [
        p["article_id"]
        for p in review["pairs"]
        if p["verdict"] == "copy" and cluster[p["article_id"]] != cluster[p["canonical_id"]]
    ]
    # Since copies are verified against their story's centre and every member, with discriminators
    # that must agree (issue 12), one of the 29 is split: Sky News' rewrite of Al Arabiya's Kremlin
    # warning ("lead reworded", estimated Jaccard 0.30, the lowest of the 29), at the edge of what a
    # copy of one text is. Every other reviewed copy stays in its story.
    assert split in ([], ["57898d734964cf537c3d"]), split


def test_learned_boilerplate_on_the_corpus(corpus_run):
    """CNN pages end with a box of other stories' leads, and a partner's "about us" heading recurs in
    CNN bodies: the learned step removes them (no rule names them). Its recall on the disclaimers
    and credits the rules do name is in test_learned_quality.py."""
    data, summary = corpus_run
    by_rule = dict(query(data, "SELECT rule, count(*) FROM boilerplate WHERE rule LIKE 'learned.%' GROUP BY 1"))
    assert by_rule["learned.leaked_lead"] > 3500 and by_rule["learned.repeated"] >= 5
    # BBC pages link other BBC stories by their headlines between paragraphs
    assert by_rule["learned.linked_title"] > 1000
    assert query(
        data,
        "SELECT DISTINCT a.outlet FROM boilerplate b JOIN articles a USING (article_id) "
        "WHERE b.rule = 'learned.linked_title' ORDER BY 1",
    ) == [("BBC",), ("CNN",), ("france24",)]
    assert query(
        data,
        "SELECT DISTINCT a.outlet FROM boilerplate b JOIN articles a USING (article_id) "
        "WHERE b.rule = 'learned.leaked_lead'",
    ) == [("CNN",)]
    # BBC's runs of headlines hold its own titles (30%): its runs of unknown headlines are links too,
    # and lone full headlines that interrupt a story; no other outlet's runs are (line-ups, lists stay)
    assert 600 < by_rule["learned.link_run"] < 800 and 150 < by_rule["learned.lone_link"] < 220
    assert query(
        data,
        "SELECT DISTINCT a.outlet FROM boilerplate b JOIN articles a USING (article_id) "
        "WHERE b.rule = 'learned.lone_link'",
    ) == [("BBC",)]
    assert query(
        data,
        "SELECT DISTINCT a.outlet FROM boilerplate b JOIN articles a USING (article_id) "
        "WHERE b.rule = 'learned.link_run'",
    ) == [("BBC",)]
    assert query(data, "SELECT count(*) FROM lines WHERE in_link_run")[0][0] > 1000
    # CNN's Khashoggi chronology keeps its date headings (a timeline, not links)
    assert query(
        data, "SELECT count(*) FROM articles WHERE article_id = '6f06c672cfe45266801d' AND body LIKE '%\n10 أكتوبر\n%'"
    ) == [(1,)]
    for line in ("%منشور بالتعاون مع موقع التوظيف%", "%محرر الشؤون الرياضية بموقع CNN بالعربية ولا يعكس بالضرورة%"):
        assert query(data, f"SELECT count(*) FROM articles WHERE body LIKE '{line}'") == [(0,)], line
    # a psychiatrist's interview keeps its own three paragraphs and loses the five leads under them
    body = query(data, "SELECT body FROM articles WHERE article_id = 'e329a0af6c40e1a55543'")[0][0].split("\n")
    assert len(body) == 3 and body[0].startswith("قال طارق الحبيب") and "وليد المعلم" not in "\n".join(body)
    # one of those leads is the first line of its own story, where it stays
    lead = query(data, "SELECT body FROM articles WHERE article_id = '9019c18a75d8ea9311a8'")[0][0]
    assert lead.startswith("تداول نشطاء على مواقع التواصل الاجتماعي")
    # a columnist's recurring lead-in stays with the question it introduces
    assert (
        query(data, "SELECT count(*) FROM articles WHERE outlet = 'alarabia' AND body LIKE '%صافرة أخيرة..%'")[0][0]
        >= 9
    )
    top = query(data, "SELECT outlet, text, articles FROM learned_lines WHERE rank = 1 ORDER BY outlet")
    assert [o for o, _, _ in top] == ["BBC", "CNN", "france24"] and all(n >= 4 for _, _, n in top)
    assert query(
        data, "SELECT articles FROM learned_lines WHERE rule = 'learned.repeated' AND text = 'حول بيت.كوم'"
    ) == [(6,)]


def test_articles_read_by_a_person_still_come_out_as_read(corpus_run):
    """tests/data/cleaning_review.json: four readings of 50 random cleaned articles each, read line by
    line against their raw text; the fourth was clean at first reading, and after the fixes the first
    three asked for, all 200 are. A change that
    alters one of them must be read again (bench/cleaning_review.py prints it) and the file updated."""
    import hashlib

    data, _ = corpus_run
    review = json.loads(
        (Path(__file__).resolve().parents[1] / "data" / "cleaning_review.json").read_text(encoding="utf-8")
    )
    articles = [a for reading in review["readings"] for a in reading["articles"]]
    assert [len(r["articles"]) for r in review["readings"]] == [50, 50, 50, 50] and len(
        {a["article_id"] for a in articles}
    ) == 200
    assert [a["article_id"] for a in articles if a["boilerplate_left"] or a["body_lost"]] == []
    ids = ", ".join(f"'{a['article_id']}'" for a in articles)
    bodies = dict(query(data, f"SELECT article_id, body FROM articles WHERE article_id IN ({ids})"))
    quarantined = {
        r[0]
        for r in query(data, f"SELECT article_id FROM quarantine WHERE article_id IN ({ids}) AND stage = 'validate'")
    }
    published = [a for a in articles if a["published"]]
    assert {a["article_id"] for a in articles if not a["published"]} == quarantined
    changed = [
        a["article_id"]
        for a in published
        if hashlib.sha256(bodies.get(a["article_id"], "").encode()).hexdigest()[:16] != a["body_sha256_16"]
    ]
    assert changed == [], f"cleaned differently from what was read: {changed}"


def test_credit_lines_are_read_into_author_dateline_and_agency(corpus_run):
    """The corpus's "author" is mostly the site's credit line ("برشلونة - رويترز", "أبوظبي - سكاي نيوز
    عربية", "العربية.نت - إسلام سيف"): the author is the person, the city the dateline, the wire the agency."""
    data, _ = corpus_run
    outlets_or_ids = r"سكاي نيوز|العربية\.نت|فرانس 24|FRANCE24|^[0-9a-f]{8}-[0-9a-f]{4}-"
    assert query(data, f"SELECT count(*) FROM articles WHERE regexp_matches(author, '{outlets_or_ids}')") == [(0,)]
    assert query(data, "SELECT count(author) FROM articles WHERE outlet = 'skynews'") == [(0,)]

    def top(col: str, outlet: str, n: int) -> list:
        sql = f"SELECT {col}, count(*) FROM articles WHERE outlet = '{outlet}' AND {col} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT {n}"
        return [v for v, _ in query(data, sql)]

    assert top("dateline", "skynews", 1) == ["أبوظبي"]
    assert set(top("agency", "alarabia", 3)) == {"رويترز", "د ب أ", "فرانس برس"}
    assert set(top("author", "alarabia", 2)) == {"إسلام سيف", "أحمد الريدي"}
    assert set(top("dateline", "alarabia", 2)) == {"دبي", "القاهرة"}
