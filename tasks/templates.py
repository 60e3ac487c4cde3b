"""Learned line templates: per outlet, a fixed piece at the edge of its bodies followed by text that varies.

Whole repeated lines are `tasks/learned.py`'s job. Some outlets glue their boilerplate to a line that is
different in every story: a credit before the first paragraph ("<outlet> - <city>: <paragraph>"), a share
prompt before it, a link back at the end ("<label> <outlet>: <headline>"), a tag list after the last
paragraph ("... <label>: tag1 tag2 tag3"). The fixed part is found from recurrence alone, per outlet:

* **observe** (`edge_rows`, per batch): for each distinct story, the hashes of the first line's and the last
  line's prefixes that end at a separator (":", "-", "|"; at most ``template_max_words`` words), and of
  the last line's labels (one to three words ending in ":" with text before them). One small row each, no text.
* **decide** (`decide_templates`, over all observed rows + history): a prefix or label is a template where it
  is in at least ``template_min_stories`` stories from at least ``min_sources`` input files (or nights), and
  the lines it sits in vary (distinct lines at least ``template_min_variety`` of its stories): a line that is
  the same everywhere is a whole template line, left to `learned.repeated`.
* **apply** (`remove_templates`, per batch): the longest template prefix of the first line is cut and the
  paragraph kept; the last line goes when it opens with a template prefix (two words at least) and what follows
  is a headline (a link back); a template label in the last line is cut with everything after it (the tags).
  Recorded as rule ``learned.template``; category by what the removed text is (tags, share, agency) if that
  shows, else ``repeated``. A prefix that is speech ("وقال:"), verse or a quote is never cut.

The same three steps learn a **first-line slot** (rule ``learned.first_line_slot``): some outlets put a label
of their own above the first paragraph, different in each story (a reporter's name, an image caption: "مروة
على", "البلاك بلوك"), too rare one by one to recur. Each story adds one row saying whether its first line has
that shape (SLOT_MAX_WORDS words at most, headline-shaped, above a paragraph); where at least
``slot_min_share`` of an outlet's stories (``slot_min_stories`` or more) have it, such first lines go.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
from akhbar.schemas.tables import BOILERPLATE, EDGES, QUARANTINE
from akhbar.tasks.arabic import normalize_search, normalize_search_many
from akhbar.tasks.base import quarantine_row
from akhbar.tasks.clean import is_caption, is_headline
from akhbar.tasks.learned import _hash64, is_verse_or_quote
from akhbar.tasks.publish import create_table_views, parquet_source
from akhbar.tasks.storage import attach

from akhbar.settings import LearnedSettings

RULE = "learned.template"
SLOT_RULE = "learned.first_line_slot"
SLOT_MAX_WORDS = 4
_SEPARATOR_END = re.compile(r"[:：|\-–—_]$")
_SEPARATOR = frozenset({"-", "–", "—", ":", "|", "_", "--"})
# Speech, lead-ins and phrases that open many paragraphs without being boilerplate, matched on the
# search-normalized text (hamza and diacritics folded): "وقال:", "وزاد البيان:", "واوضح:", "مضيفا:", and a
# prefix opening with a preposition ("في الصحف اليوم:" heads a press review): a credit names an outlet or a place.
_SPEECH = re.compile(
    r"^[وف]?(?:قال|قالت|اضاف|اضافت|تابع|تابعت|اكد|اكدت|اوضح|اوضحت|يقول|تقول|اشار|اشارت|سال|يسال|اجاب|اجابت|رد|ردت|زاد|زادت"
    r"|واصل|واصلت|اختتم|ختم|اردف|استطرد|استدرك|تسال|تساءل|لفت|نقل|ذكر|ذكرت|كتب|كتبت|علق|علقت|بين|بينت"
    r"|مضيفا|مشيرا|قائلا|متابعا|موكدا|مؤكدا|موضحا|لافتا|مشددا|معتبرا|ردا|في|من|على|عن|الى|مع|بعد|قبل|منذ|خلال)(?!\w)"
)
_CATEGORY = (
    (re.compile(r"كلمات|الكلمات|وسوم|الوسوم|تاجز|tags|Tags|هاشتاج|هاشتاغ"), "tags"),
    (re.compile(r"شارك|تابع|اضغط|إضغط|انقر|حمّل|حمل\s+تطبيق|اشترك"), "share"),
    (re.compile(r"[أا]\s*ش\s*[أا]|رويترز|[أا]\s*ف\s*ب|وكالة|وكالات|الأناضول"), "agency"),
)


def _norm_key(words: list[str]) -> int | None:
    norm = normalize_search(" ".join(words))
    return _hash64(norm) if norm else None


def _prefix_ends(words: list[str], most: int) -> list[int]:
    """Word counts k (1..most, leaving at least one word after) where words[:k] ends at a separator."""
    ends = []
    for k in range(1, min(most, len(words) - 1) + 1):
        if _SEPARATOR_END.search(words[k - 1]) or words[k - 1] in _SEPARATOR:
            ends.append(k)
    return ends


_SENTENCE_END = re.compile(r"[.!؟?]$")
TAGS_MAX_WORDS = 15
_LETTERS = re.compile(r"[^\W\d_]{2,}")


def _labels(words: list[str]) -> list[tuple[int, int]]:
    """(end, n): a label of n words (1-3, with letters) ending at words[end] with ":", glued after the last
    paragraph's final sentence (the word before it ends in ". ! ؟"): "... الجلسة. الوسوم: ...", and followed by
    what tags look like: a few words (at most TAGS_MAX_WORDS) with no sentence in them. A colon after a comma
    ("..., مضيفا: ...") or inside a schedule line, or one opening a quoted sentence ("... الفوز. وواصل: ... ."),
    is not a tag list."""
    out = []
    # the tags after a label are at most TAGS_MAX_WORDS words: only the line's last words can end one (a
    # walk over every word, copying the rest of the line at each, cost the square of a long last paragraph)
    for j in range(max(1, len(words) - 1 - TAGS_MAX_WORDS), len(words) - 1):
        if words[j].endswith((":", "：")) and not any(_SENTENCE_END.search(w) for w in words[j + 1 :]):
            for n in range(1, 4):
                start = j - n + 1
                if (
                    start >= 1
                    and _SENTENCE_END.search(words[start - 1])
                    and _LETTERS.search(" ".join(words[start : j + 1]))
                ):
                    out.append((j, n))
    return out


def edge_rows(cleaned: pa.Table, cfg: LearnedSettings, run_id: str = "", stories: list[int] | None = None) -> pa.Table:
    """Observe: the hashed prefixes and labels of each distinct story's first and last lines (EDGES rows).
    `stories`: the articles' story hashes if already known (`learned.line_rows(...).stories`), else computed."""
    sources = cleaned["source_uri"].to_pylist() if "source_uri" in cleaned.column_names else [None] * cleaned.num_rows
    known = stories if stories is not None else [None] * cleaned.num_rows
    pending: list[tuple] = []  # (outlet, story, source, edge, k, key text at, line text at)
    texts: list[str] = []  # every prefix, label and line to hash, normalized together below

    def text_at(words: list[str]) -> int:
        texts.append(" ".join(words))
        return len(texts) - 1

    seen: set[tuple[str, int]] = set()
    for body, outlet, source, story in zip(cleaned["body"].to_pylist(), cleaned["outlet"].to_pylist(), sources, known):
        lines = (body or "").split("\n")
        if story is None:
            story = _hash64(" ".join(normalize_search(ln) for ln in lines))
        if (outlet, story) in seen:
            continue
        seen.add((outlet, story))
        first, last = lines[0].split(), lines[-1].split() if len(lines) > 1 else []
        first_at, last_at = text_at(first), text_at(last) if last else None  # each line normalized once
        for edge, words, line_at in (("first_prefix", first, first_at), ("last_prefix", last, last_at)):
            if words:
                pending += [
                    (outlet, story, source, edge, k, text_at(words[:k]), line_at)
                    for k in _prefix_ends(words, cfg.template_max_words)
                ]
        if last:
            pending += [
                (outlet, story, source, "last_label", n, text_at(last[j - n + 1 : j + 1]), last_at)
                for j, n in _labels(last)
            ]
            pending.append((outlet, story, source, "first_slot", int(slot_shaped(lines)), first_at, first_at))
    keys = _norm_keys(texts)
    out: dict[str, list] = {name: [] for name in EDGES.names}
    for outlet, story, source, edge, k, key_at, line_at in pending:
        if keys[key_at] is None:
            continue
        out["outlet"].append(outlet)
        out["story_hash"].append(story)
        out["source"].append(source)
        out["edge"].append(edge)
        out["k"].append(k)
        out["key_hash"].append(keys[key_at])
        out["line_hash"].append(keys[line_at])
        out["run_id"].append(run_id)
    return pa.table(out, schema=EDGES)


def _norm_keys(texts: list[str]) -> list[int | None]:
    """[_norm_key(t.split()) for t in texts], the texts normalized in one batch and each distinct
    normalized text hashed once (a batch's first and last lines repeat their prefixes' words)."""
    hashed: dict[str, int] = {}
    return [
        (hashed.get(norm) or hashed.setdefault(norm, _hash64(norm))) if norm else None
        for norm in normalize_search_many(texts)
    ]


def slot_shaped(lines: list[str]) -> bool:
    """The first line is a short label above a paragraph: a name or a caption, not a sentence or a lead-in."""
    first = lines[0]
    return (
        len(lines) >= 2
        and len(first.split()) <= SLOT_MAX_WORDS
        and is_headline(first)
        and not is_headline(lines[1])
        and _LETTERS.search(first) is not None  # not a lone "و" left from a broken sentence
        and not is_verse_or_quote(first)
    )


def caption_shaped(lines: list[str], title: str | None) -> bool:
    """In an outlet with a slot, a longer first line goes too when it is an image caption naming the story's
    subject (`tasks.clean.is_caption`: every content word of it in the title or the lead), also above the
    story's subtitle (caption, subtitle, paragraph)."""
    if len(lines) < 2:
        return False
    below = 1 if not is_headline(lines[1]) else 2 if len(lines) >= 3 and not is_headline(lines[2]) else 0
    if not below or _LETTERS.search(lines[0]) is None or is_verse_or_quote(lines[0]):
        return False
    return is_caption(lines[0], f"{title or ''}\n" + "\n".join(lines[1 : below + 1]))


@dataclass
class Templates:
    """Per outlet: (edge, k) -> template key hashes; and the outlets with a first-line slot -> (stories, share)."""

    keys: dict[str, dict[tuple[str, int], set[int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    slots: dict[str, tuple[int, float]] = field(default_factory=dict)


# A template needs template_min_stories (>= 2) stories: keys of one story are dropped first by a spillable
# min/max aggregate, before the distinct counts that hold a set a key in memory (as in learned._STATS_SQL).
_DECIDE_SQL = """
WITH keys AS (SELECT DISTINCT outlet, edge, k, key_hash FROM run_edges),
shared AS (
    SELECT outlet, edge, k, key_hash FROM (
        SELECT outlet, edge, k, key_hash, story_hash FROM run_edges
        UNION ALL
        SELECT outlet, edge, k, key_hash, story_hash FROM history_edges SEMI JOIN keys USING (outlet, edge, k, key_hash))
    GROUP BY ALL
    HAVING min(story_hash) <> max(story_hash)
),
everything AS (
    SELECT outlet, story_hash, coalesce(source, run_id) AS src, edge, k, key_hash, line_hash
    FROM run_edges SEMI JOIN shared USING (outlet, edge, k, key_hash)
    UNION ALL
    SELECT outlet, story_hash, coalesce(source, run_id), edge, k, key_hash, line_hash
    FROM history_edges SEMI JOIN shared USING (outlet, edge, k, key_hash)
)
SELECT outlet, edge, k, key_hash, count(DISTINCT story_hash) AS stories, count(DISTINCT src) AS sources,
       count(DISTINCT line_hash) AS variants
FROM everything
GROUP BY ALL
HAVING count(DISTINCT story_hash) >= $min_stories AND edge <> 'first_slot'
"""
_SLOT_SQL = """
WITH outlets AS (SELECT DISTINCT outlet FROM run_edges),
everything AS (
    SELECT outlet, story_hash, k FROM run_edges WHERE edge = 'first_slot'
    UNION ALL
    SELECT outlet, story_hash, k FROM history_edges SEMI JOIN outlets USING (outlet) WHERE edge = 'first_slot'
)
SELECT outlet, count(DISTINCT story_hash) AS stories, count(DISTINCT story_hash) FILTER (WHERE k = 1) AS labelled
FROM everything
GROUP BY ALL
"""


def decide_templates(
    run_edges: pa.Table | list[Path],
    cfg: LearnedSettings,
    history: pa.Table | None = None,
    data_dir: str | Path | None = None,
) -> Templates:
    """Decide: which prefixes and labels are templates, per outlet, from this run's rows (a table, or
    the partitions' staged files) plus the history's (the lake's `edges` under `data_dir`, or a table)."""
    from akhbar.tasks.learned import _lake, decide_config

    found = Templates()
    if not cfg.enabled or (run_edges.num_rows == 0 if isinstance(run_edges, pa.Table) else not run_edges):
        return found
    con = attach(duckdb.connect(config=decide_config(run_edges if isinstance(run_edges, list) else None)))
    try:
        if isinstance(run_edges, pa.Table):
            con.register("run_edges", run_edges)
        else:
            con.execute(f"CREATE VIEW run_edges AS SELECT * FROM {parquet_source(list(run_edges))}")
        lake = _lake(data_dir) if data_dir is not None else None
        if lake is not None:  # only published runs' rows count
            create_table_views(con, lake)
            con.execute("CREATE VIEW history_edges AS SELECT * FROM edges")
        else:
            con.register("history_edges", history if history is not None else EDGES.empty_table())
        rows = con.execute(_DECIDE_SQL, {"min_stories": cfg.template_min_stories}).fetchall()
        slots = con.execute(_SLOT_SQL).fetchall()
    finally:
        con.close()
    for outlet, stories, labelled in slots:
        if stories >= cfg.slot_min_stories and labelled >= cfg.slot_min_share * stories:
            found.slots[outlet] = (stories, labelled / stories)
    for outlet, edge, k, key, stories, sources, variants in rows:
        if sources >= cfg.min_sources and variants >= cfg.template_min_variety * stories:
            found.keys[outlet][(edge, k)].add(key)
    return found


def _category(text: str) -> str:
    return next((cat for regex, cat in _CATEGORY if regex.search(text)), "repeated")


_DIACRITICS = re.compile(r"[\u064B-\u0652\u0670]")


def _cuttable(fixed: str) -> bool:
    return not (_SPEECH.match(normalize_search(_DIACRITICS.sub("", fixed))) or is_verse_or_quote(fixed))


def strip_templates(body: str, keys: dict[tuple[str, int], set[int]], cfg: LearnedSettings) -> tuple[str, list[str]]:
    """Apply to one body: returns the new body and the removed pieces."""
    lines = body.split("\n")
    removed: list[str] = []

    def longest_prefix(words: list[str], edge: str) -> int:
        for k in reversed(_prefix_ends(words, cfg.template_max_words)):
            # a prefix is normalized and hashed only where the outlet has templates of its length
            if (edge, k) in keys and _norm_key(words[:k]) in keys[(edge, k)] and _cuttable(" ".join(words[:k])):
                return k
        return 0

    words = lines[0].split()
    k = longest_prefix(words, "first_prefix")
    if k:
        removed.append(" ".join(words[:k]))
        lines[0] = " ".join(words[k:])
    if len(lines) > 1:
        words = lines[-1].split()
        k = longest_prefix(words, "last_prefix")
        # a link back names a label and the outlet (two words at least) before the headline; one word before a
        # colon in a last line is a list's lead-in ("البرنامج: ...") as often
        if k >= 2 and is_headline(" ".join(words[k:])):  # a link back: the label and the headline it points to
            removed.append(lines[-1])
            lines[-1] = ""
        words = lines[-1].split()
        labelled = any(("last_label", n) in keys for n in (1, 2, 3))  # the outlet has tag labels to look for
        for j, n in sorted(_labels(words) if labelled else (), key=lambda t: (-t[0], -t[1])):
            start = j - n + 1
            if _norm_key(words[start : j + 1]) in keys.get(("last_label", n), ()) and _cuttable(
                " ".join(words[start : j + 1])
            ):
                removed.append(" ".join(words[start:]))
                lines[-1] = " ".join(words[:start])
                break
    return "\n".join(line for line in lines if line.strip()), removed


def remove_templates(
    cleaned: pa.Table, templates: Templates, run_id: str, cfg: LearnedSettings
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Apply to a batch. Returns (articles, boilerplate rows, quarantine rows for bodies left empty)."""
    import pyarrow.compute as pc

    if not templates.keys and not templates.slots:
        return cleaned, BOILERPLATE.empty_table(), QUARANTINE.empty_table()
    ids, outlets, bodies = (cleaned[c].to_pylist() for c in ("article_id", "outlet", "body"))
    titles = cleaned["title"].to_pylist() if "title" in cleaned.column_names else [None] * len(ids)
    new_bodies, removed, empty = [], [], []
    for article_id, outlet, body, title in zip(ids, outlets, bodies, titles):
        keys = templates.keys.get(outlet)
        if not body or not (keys or outlet in templates.slots):
            new_bodies.append(body)
            continue
        slot = []
        if outlet in templates.slots and (slot_shaped(body.split("\n")) or caption_shaped(body.split("\n"), title)):
            first, body = body.split("\n", 1)
            slot = [
                {"article_id": article_id, "rule": SLOT_RULE, "category": "repeated", "text": first, "run_id": run_id}
            ]
        new, gone = strip_templates(body, keys, cfg) if keys else (body, [])
        removed += slot + [
            {"article_id": article_id, "rule": RULE, "category": _category(text), "text": text, "run_id": run_id}
            for text in gone
        ]
        gone = gone or [r["text"] for r in slot]
        if gone and not new.strip():
            empty.append(article_id)
        new_bodies.append(new if gone else body)
    articles = cleaned.set_column(cleaned.schema.get_field_index("body"), "body", pa.array(new_bodies, pa.string()))
    bad = []
    if empty:
        gone_mask = pc.is_in(articles["article_id"], value_set=pa.array(empty, pa.string()))
        bad = [
            quarantine_row(r, run_id, "clean", "no body text left after boilerplate removal (learned templates)")
            for r in cleaned.filter(gone_mask).to_pylist()
        ]
        articles = articles.filter(pc.invert(gone_mask))
    return articles, pa.Table.from_pylist(removed, schema=BOILERPLATE), pa.Table.from_pylist(bad, schema=QUARANTINE)
