"""Learned boilerplate: lines an outlet repeats across many of its stories, found from their
frequency in this run plus the warehouse's history, per outlet.

The rules file covers boilerplate someone has seen; a new outlet brings its own sign-offs,
disclaimers, partner notes and credits. After the rules have run, every body line is keyed by its
search-normalized text and counted per outlet over distinct *stories*: bodies are collapsed by the
hash of their normalized text first, so a story the site files under three sections (the shared
corpus does this) counts once. These lines are removed:

* ``learned.repeated`` (category ``repeated``): a template line. It recurs in at least
  ``min_stories`` stories published on at least ``min_days`` different days (records without a date:
  ``min_stories`` undated stories from at least ``min_sources`` input files or nights), sits near the top or
  the bottom of the body (median distance from the nearer edge at most ``max_edge`` lines), and is
  at most ``max_words`` words long. A background paragraph or a quote that several follow-up stories
  share fails the day spread (they run within a few days), and a columnist's recurring lead-in
  ("... يسأل:") stays with the line it introduces. Quoted scripture, verse, a fully quoted line and a
  letter's salutation are never template lines, however often a writer closes with them (`is_verse_or_quote`).
* ``learned.leaked_lead`` (category ``related``): the first line of one of the outlet's stories
  that also turns up, not first, in at least ``min_leaks`` other stories: a site's "latest news"
  box scraped along with the article (the corpus's CNN pages end with the leads of four or five
  unrelated stories). It is kept where it is the lead and removed where it leaked.
* ``learned.linked_title`` (category ``related``): a body line, not the first, that is the title of
  another of the outlet's stories: a link to it among the paragraphs (the corpus's BBC pages carry
  several). Titles are stored in ``lines`` too, as line -1.
* ``learned.link_run`` (category ``related``): a run of two or more headline-shaped lines between
  paragraphs, in an outlet whose runs hold its own stories' titles at least ``link_min_share`` of the
  time. Most links point at stories this warehouse never saw, so the title match alone misses them;
  but where runs of headlines are the outlet's link boxes (BBC: 30% of run lines are known titles),
  the unknown ones are links too, while in outlets whose runs are line-ups, fact lists or verse
  (0% known titles) they stay. A short last line (4 words or fewer) right above a paragraph is that
  paragraph's subheading and stays.
* ``learned.lone_link`` (category ``related``): in such an outlet, one full headline (``lone_link_min_words``
  words or more, no comma, not a question) standing alone between two paragraphs where the second
  goes on from the first ("و...", "لكن ...", "من جانبه ..."): a link that interrupts the story. A
  lone headline is as often a subheading, which opens a new section instead.
* ``learned.byline`` (category ``byline``): a reporter's bare name above the story that the rules left
  because a word of it is in the story ("طارق حافظ" above a story naming "قناة الحافظ"). The outlet's
  reporters are learned from the bylines the rules did take: a name the rules read as the author of at
  least ``reporter_min_stories`` of the outlet's stories, none of whose words those stories use
  (`reporter_names`), signs its stories. Such a name alone as the first line above a paragraph, or as the
  second under an image caption (which goes too when `tasks.clean.is_caption` says it is one), is a byline:
  it goes and fills the article's author when the rules found none.

Every line of every published story (up to ``max_words`` words) is stored in the lake table
``lines`` (outlet, line hash, story hash, publication day, position), so a later night counts
against the whole history with ``count(DISTINCT story_hash)``: a story seen again adds nothing.
The lines stored are those after the rules and before this step, so a learned line keeps its count.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import duckdb
import pyarrow as pa
from akhbar.schemas.tables import BOILERPLATE, LINES, OBSERVED
from akhbar.tasks.arabic import normalize_search, normalize_search_lines, normalize_search_many
from akhbar.tasks.base import StageResult, drop_positions, quarantine_rows
from akhbar.tasks.clean import content_words, is_caption, is_headline, is_subheading, reporters_named
from akhbar.tasks.publish import create_table_views, ensure_lake, lake_dir, parquet_source
from akhbar.tasks.storage import attach, location, spill_dir

from akhbar.settings import LearnedSettings

REPEATED = ("learned.repeated", "repeated")
# DuckDB's working memory for the run-wide decision: its aggregates spill beyond it, but not all of their
# state: 128 MB held 1.2M lines (tests/unit/test_learned.py) and ran out on a 1M-article backfill's ~10M
# (bench/scale.py; 10M synthetic lines: 512 MB, 18 s). A cap, not a reservation: a night uses what it needs.
DECIDE_MEMORY = "512MB"


def decide_config(staged: list[Path] | None) -> dict:
    """DuckDB settings for a run-wide decision: bounded memory, spilling beside the staged files."""
    config = {"memory_limit": DECIDE_MEMORY}
    if staged:
        first = Path(staged[0]) if isinstance(staged[0], str) else staged[0]
        config["temp_directory"] = str(spill_dir(first.parent.parent))
    return config


LINKED_TITLE = ("learned.linked_title", "related")
LEAD_IN_ENDINGS = (":", "：", "..", "…")
LEAKED_LEAD = ("learned.leaked_lead", "related")
LINK_RUN = ("learned.link_run", "related")
LONE_LINK = ("learned.lone_link", "related")
BYLINE = ("learned.byline", "byline")
CAPTION = ("learned.caption_above_byline", "caption")
REPORTER_LINE = -2  # line_no of a `lines` row holding a reporter's name the rules read as the story's author
# A paragraph that goes on from the one before a line ("وقال ...", "لكن ...", "من جانبه ..."): the line
# between them interrupts the story (a link); a subheading opens a new section. Of 192 lone known
# titles between BBC paragraphs, 166 are followed by such a paragraph.
_CONTINUES = re.compile(
    r"^(?:و\S|ف(?:قد|إن|ان|لم|لا|ما|هل)\b|(?:لكن|لكنّ|كما|إلا|ثم|بينما|في المقابل|إلى ذلك|غير أن|يذكر|أما)\b"
    r"|من (?:جهته|جهتها|جانبه|جانبها)\b)"
)
_LIST_ITEM = re.compile(r"^\s*(?:[-–•*·▪●]|\d+\s*[-.)])")  # "- حزب ...", "5- علامة ..."
_QUOTED_SENTENCE = re.compile(r"[.!?؟]\s*[\"”»)]$")  # وقالت الشرطة: "نعم، إنه جيد."
# A sentence goes on from the one before ("وقبل ساعات من ذلك، سألت ...", "ولكن لماذا ...", "فهل تعاني
# ...", "ثالثا، أي دليل ..."), or a box of the page's own signs an analysis ("تحليل بول أدامز ...",
# "محررة الصحة لدى بي بي سي: ..."). Of the 1,314 known titles linked in the corpus's bodies 52 open with
# و (وفاة, واشنطن, وزير): such a link in a run of unknown titles stays, rather than every paragraph
# that opens with و.
_SENTENCE_OPENER = re.compile(
    r"^(?:و|ف(?:قد|إن|ان|هل|ما|لا|لم|لماذا|كيف|من)\b|(?:لكن|لكنّ|ربما|كما|ثم|حيث|إذ|إذن|إذا|إذاً|لذلك|لذا|أما|بل|لأن|لقد|قد|إن|أن|هنا"
    r"|أولا|ثانيا|ثالثا|رابعا|خامسا|سادسا|أخيرا|تحليل|محرر|محررة|مراسل|مراسلة|بقلم|كتب|كتبت|هو|هي|هم|هناك)\b)"
)


# Text a writer may close every piece with that is still the piece's own: scripture (ornate brackets, "قال
# تعالى", "صدق الله العظيم"), verse (hemistichs split by asterisks or a wide gap), a line that is all quotation,
# and a letter's salutation or closing formula.
_SCRIPTURE = re.compile(
    r"[﴿﴾]|(?:^|\s)(?:قال|يقول)\s+(?:الله\s+)?(?:تعالى|سبحانه)|صدق\s+الله\s+العظيم|(?:^|\s)بسم\s+الله\s+الرحمن\s+الرحيم"
)
_VERSE = re.compile(r"[^\W\d_]\s+\*+\s+[^\W\d_]|[^\W\d_]\s*(?:…{2,}|\.{4,})\s*[^\W\d_]|\S\s{3,}\S")  # not "** جميع ..."
_ALL_QUOTED = re.compile(r'^\s*(?:«[^«»]+»|"[^"]+"|“[^“”]+”)\s*[.!؟?]?\s*$')
_SALUTATION = re.compile(
    r"^(?:و?السلام\s+عليكم|وعليكم\s+السلام|و?تفضلوا\s+(?:بقبول|مني)|مع\s+(?:خالص|فائق|أطيب)\s+(?:التحية|التحيات|الاحترام|التقدير)"
    r"|و?الله\s+(?:من\s+وراء\s+القصد|الموفق|ولي\s+التوفيق|المستعان)|(?:حفظ|رحم)\s+الله|اللهم\s)"
)


def is_verse_or_quote(line: str) -> bool:
    """Scripture, verse, a fully quoted line or a salutation: content however often it recurs."""
    return bool(
        _SCRIPTURE.search(line) or _VERSE.search(line) or _ALL_QUOTED.match(line) or _SALUTATION.match(line.strip())
    )


# A site that breaks a sentence around a link leaves the pieces on lines of their own ("وقال، في" /
# "حسابه على «تويتر»" / "، الثلاثاء: ..."): such a piece recurs in hundreds of stories and is still the
# sentence's middle. It ends or follows a line ending in a particle, the next line opens with punctuation,
# or it is a bare number.
_PARTICLE_END = re.compile(
    r"(?:^|\s)(?:[وف]?(?:في|على|من|إلى|الى|عن|عبر|خلال|أن|إن|ان|مع|بين|حول|منذ|ب|ل|لـ|بـ)|المادة|رقم)$"
)
_OPENS_WITH_PUNCT = re.compile(r"^[،,.:؛;)»”]")


def inside_sentence(previous: str | None, line: str, following: str | None) -> bool:
    """The line is a piece of a sentence the site broke across lines (around a link), not a line of its own."""
    # (the first line may end in a name that is also a particle: "مروة على")
    return bool(
        (previous and following and _PARTICLE_END.search(line))
        or (previous and _PARTICLE_END.search(previous))
        or (following and _OPENS_WITH_PUNCT.match(following))
        or line.strip().isdigit()
    )


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little", signed=True)


@dataclass
class Learned:
    """What this run decided, per outlet: line hash -> (rule id, category)."""

    repeated: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    leaked: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    titles: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))  # title key -> stories
    reporters: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))  # keys of reporters' names
    # outlets whose runs of headlines are link boxes -> (run lines, of them known titles)
    link_outlets: dict[str, tuple[int, int]] = field(default_factory=dict)
    # template lines learned from undated stories (spread over input files, not days) -> their stories: a long
    # one (a series' shared lead, a police story's closing formula) needs UNDATED_LONG_FACTOR times the stories
    undated: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    templates: object = None  # tasks.templates.Templates: learned line templates (prefixes, labels, first-line slots)


# Without dates, a sentence several stories of one series share (a police desk's lead, "وتم اتخاذ كافة
# الإجراءات ...") spreads over input files as easily as a sign-off does; days would have told them apart.
# A learned line longer than UNDATED_LONG_WORDS words needs UNDATED_LONG_FACTOR x min_stories undated stories.
UNDATED_LONG_WORDS = 12
UNDATED_LONG_FACTOR = 3


_LETTER_WORD = re.compile(r"[^\W\d_]{2,}")
_LABELLED = re.compile(r"^\S+(?:\s+\S+)?\s*[:：]\s*\S")  # "عدد السكان: 30 مليون", "المساحة: 881 كيلومتر"


def _link_shaped(line: str, cfg: LearnedSettings) -> bool:
    """A line that could be a link to a story: headline-shaped and at most title_max_words long, two
    words of letters at least (not a date heading, "8 أكتوبر"), not a list item, a quoted sentence or
    a sentence going on from the one before."""
    return (
        is_headline(line, cfg.title_max_words)
        and len(_LETTER_WORD.findall(line)) >= 2
        and not _LIST_ITEM.match(line)
        and not _QUOTED_SENTENCE.search(line)
        and not _SENTENCE_OPENER.match(line)
    )


def _after_paragraph(previous: str) -> bool:
    """The line before is a paragraph, and not one that introduces a list ("... منها:")."""
    return not is_headline(previous) and not previous.endswith((":", "："))


def link_runs(lines: list[str], cfg: LearnedSettings) -> list[tuple[int, int]]:
    """The runs (start, end) of link-shaped lines that follow a paragraph, up to the next paragraph or
    the end of the body, less a closing subheading, with two lines of title_min_words words at least.
    A run that runs on into other headline-shaped lines, that a paragraph introduces ("... منها:"),
    whose lines all open with the same word (and the paragraph before too, for two), or that is mostly
    "label: value" lines (a fact box: "عدد السكان: ...", "المساحة: ...") is a list, not links."""
    runs: list[tuple[int, int]] = []
    i = 1
    while i < len(lines):
        if not (_link_shaped(lines[i], cfg) and _after_paragraph(lines[i - 1])):
            i += 1
            continue
        j = i
        while j < len(lines) and _link_shaped(lines[j], cfg):
            j += 1
        end = j
        if j < len(lines) and is_headline(lines[j]):
            i = j + 1
            continue
        if is_subheading(lines[end - 1], lines[j] if j < len(lines) else None):
            end -= 1
        labelled = sum(bool(_LABELLED.match(line)) for line in lines[i:j])
        firsts = {line.split()[0] for line in lines[i:j]}
        listed = len(firsts) == 1 and (
            j - i >= 3 or firsts == set(lines[i - 1].split()[:1])
        )  # "المجموعة B - ...", "المجموعة C - ..."
        if (
            sum(len(line.split()) >= cfg.title_min_words for line in lines[i:end]) >= 2
            and not listed
            and not (labelled >= 3 and 2 * labelled >= j - i)
        ):
            runs.append((i, end))
        i = j
    return runs


def reporter_names(author: str | None, story: str) -> list[str]:
    """The names in an author the rules read (or the record carried) that show who signs the outlet's
    stories: each a person's name (`tasks.clean.reporters_named`) none of whose words the story (title and
    body) uses. A caption the rules took for a credit names the story's subject, whose words the story holds
    ("هشام قنديل - رئيس مجلس الوزراء" read as author "رئيس مجلس الوزراء"); so does a subject's name."""
    if not author:
        return []
    names = [n for part in author.split("،") for n in reporters_named(part.strip())]
    if not names:
        return []
    words = content_words(story)
    return [n for n in names if not content_words(n) & words]


def byline_names(line: str, reporters: set[int]) -> list[str]:
    """The names of a line that holds only names of the outlet's learned reporters, else []."""
    names = reporters_named(line)
    return names if names and all(_hash64(normalize_search(n)) in reporters for n in names) else []


class RunLines(NamedTuple):
    table: pa.Table  # this run's `lines` rows
    keys: list[list[int | None]]  # per article, the key of each body line (None: over max_words)
    stories: list[int]  # per article, its story hash
    title_keys: list[int | None]  # per article, its title's key
    link_runs: list[list[tuple[int, int]]]  # per article, its runs of headline-shaped lines (link_runs)


def line_rows(cleaned: pa.Table, cfg: LearnedSettings, run_id: str = "") -> RunLines:
    """One row per distinct line of each story (`lines` table schema), and per article what the
    removal needs (RunLines)."""
    out: dict[str, list] = {name: [] for name in LINES.names}
    keys_per_article: list[list[int | None]] = []
    runs_per_article: list[list[tuple[int, int]]] = []
    story_per_article: list[int] = []
    seen_story: set[tuple[str, int]] = set()
    bodies = cleaned["body"].to_pylist()
    sources = cleaned["source_uri"].to_pylist() if "source_uri" in cleaned.column_names else [None] * cleaned.num_rows
    outlets = cleaned["outlet"].to_pylist()
    published = cleaned["published_at"].to_pylist()
    titles = cleaned["title"].to_pylist() if "title" in cleaned.column_names else [None] * cleaned.num_rows
    authors = cleaned["author"].to_pylist() if "author" in cleaned.column_names else [None] * cleaned.num_rows
    title_keys: list[int | None] = []
    # every line and title of the batch normalized at once (tasks/arabic.py)
    body_norms = normalize_search_lines([body or "" for body in bodies])
    title_norms = normalize_search_many([title or "" for title in titles])
    for body, outlet, when, title, source, author, norms, title_norm in zip(
        bodies, outlets, published, titles, sources, authors, body_norms, title_norms
    ):
        lines = (body or "").split("\n")
        keys: list[int | None] = []
        for ln, norm in zip(lines, norms):
            keys.append(_hash64(norm) if norm and ln.count(" ") < cfg.max_words else None)
        keys_per_article.append(keys)
        runs = link_runs(lines, cfg)
        runs_per_article.append(runs)
        in_run = {k for a, b in runs for k in range(a, b)}
        title_norm = title_norm if title else ""
        title_key = _hash64(title_norm) if title_norm else None
        title_keys.append(title_key)
        story = _hash64(" ".join(norms))
        story_per_article.append(story)
        if (outlet, story) in seen_story:  # an exact copy: its lines are already counted
            continue
        seen_story.add((outlet, story))
        day = when.date() if when is not None else None
        rows = [(-1, title_key)] if title_key is not None else []  # line -1: the story's title
        # line -2: the reporters who sign it (what the rules read as its author)
        signers = {_hash64(normalize_search(n)) for n in reporter_names(author, f"{title or ''}\n{body}")}
        rows += [(REPORTER_LINE, key) for key in sorted(signers)]
        done: set[int] = set()
        for i, key in enumerate(keys):
            if key is None or key in done:
                continue
            done.add(key)
            rows.append((i, key))
        for i, key in rows:
            out["outlet"].append(outlet)
            out["line_hash"].append(key)
            out["story_hash"].append(story)
            out["published_day"].append(day)
            out["line_no"].append(i)
            out["line_count"].append(len(lines))
            out["run_id"].append(run_id)
            out["in_link_run"].append(i in in_run)
            out["source"].append(source)
    return RunLines(pa.table(out, schema=LINES), keys_per_article, story_per_article, title_keys, runs_per_article)


# Per (outlet, line) met in two stories at least: in how many stories (as body, lead, other line,
# title, reporter's name, undated body), on how many days, from how many sources (files or runs), and
# how near the edge of its stories it sits. Each story counts once per line by a first aggregate per
# story, so the counts are plain hash aggregates (they spill), not a distinct count each, which DuckDB
# holds outside its memory limit (nine of them ran a 4x corpus out of memory; over every distinct line
# of 100k generated articles too). A prefilter of lines met in one story (min/max of the story hash)
# ran the 4x corpus out of 128 MB: its result, read twice, is held.
_STATS_SQL = """
WITH keys AS (SELECT DISTINCT outlet, line_hash FROM run_lines),
everything AS (
    SELECT outlet, line_hash, story_hash, published_day, line_no, line_count, coalesce(source, run_id) AS src FROM run_lines
    UNION ALL
    SELECT outlet, line_hash, story_hash, published_day, line_no, line_count, coalesce(source, run_id)
    FROM history_lines SEMI JOIN keys USING (outlet, line_hash)
),
per_story AS (
    SELECT outlet, line_hash, story_hash,
           bool_or(line_no >= 0) AS body, bool_or(line_no = 0) AS lead, bool_or(line_no > 0) AS other,
           bool_or(line_no = -1) AS titled, bool_or(line_no = -2) AS signed,
           bool_or(line_no >= 0 AND published_day IS NULL) AS undated
    FROM everything WHERE story_hash IS NOT NULL GROUP BY ALL
),
per_key AS (
    SELECT outlet, line_hash,
           count(*) FILTER (WHERE body) AS stories, count(*) FILTER (WHERE lead) AS lead_stories,
           count(*) FILTER (WHERE other) AS other_stories, count(*) FILTER (WHERE titled) AS title_stories,
           count(*) FILTER (WHERE undated) AS undated, count(*) FILTER (WHERE signed) AS signed
    FROM per_story GROUP BY ALL
    HAVING count(*) >= 2   -- every kind needs two stories (a linked title: its own + one more)
),
body AS (SELECT outlet, line_hash, published_day, src, line_no, line_count FROM everything SEMI JOIN per_key USING (outlet, line_hash) WHERE line_no >= 0),
days AS (SELECT outlet, line_hash, count(published_day) AS days FROM (SELECT DISTINCT outlet, line_hash, published_day FROM body) GROUP BY ALL),
sources AS (SELECT outlet, line_hash, count(src) AS sources FROM (SELECT DISTINCT outlet, line_hash, src FROM body) GROUP BY ALL),
edges AS (SELECT outlet, line_hash, median(least(line_no, line_count - 1 - line_no)) AS edge FROM body GROUP BY ALL)
SELECT outlet, line_hash, stories, coalesce(days, 0) AS days, lead_stories, other_stories, edge, title_stories,
       undated, coalesce(sources, 0) AS sources, signed
FROM per_key LEFT JOIN days USING (outlet, line_hash) LEFT JOIN sources USING (outlet, line_hash)
     LEFT JOIN edges USING (outlet, line_hash)
"""

# Per outlet of this run: the lines in runs of headlines (this run + history; rows from before the
# in_link_run column count as not in a run), and how many of them are another of its stories' title.
_LINK_SQL = """
WITH outlets AS (SELECT DISTINCT outlet FROM run_lines),
everything AS (
    SELECT outlet, line_hash, story_hash, line_no, in_link_run FROM run_lines
    UNION ALL
    SELECT outlet, line_hash, story_hash, line_no, in_link_run FROM history_lines SEMI JOIN outlets USING (outlet)
),
run_lines_ AS (SELECT DISTINCT outlet, line_hash, story_hash, line_no FROM everything WHERE in_link_run),
titles AS (SELECT DISTINCT outlet, line_hash, story_hash FROM everything WHERE line_no = -1)
SELECT r.outlet, count(*) AS lines,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM titles t
                                      WHERE t.outlet = r.outlet AND t.line_hash = r.line_hash AND t.story_hash <> r.story_hash)) AS known
FROM run_lines_ r
GROUP BY ALL
"""


def _register_run_lines(con: duckdb.DuckDBPyConnection, run_lines: pa.Table | list[Path]) -> None:
    """This run's `lines` rows as the view `run_lines`: a table, or the partitions' staged files. A
    story met in several partitions (an exact copy) counts once: the rows of its first article."""
    if isinstance(run_lines, pa.Table):
        con.register("run_lines", run_lines)
        return
    if not run_lines:
        con.register("run_lines", LINES.empty_table())
        return
    con.execute(f"CREATE VIEW staged_lines AS SELECT * FROM {parquet_source(list(run_lines))}")
    # the first article of each story by a (spillable) aggregate joined back, not a window over every
    # line: the decision reads run_lines twice, and a window's partitions are held in memory (a run of
    # 300,000 stories ran the decision's 128 MB out). Lines without an outlet are not counted: their
    # articles fail the row suite
    con.execute(f"""CREATE VIEW run_lines AS SELECT {', '.join(f"s.{c}" for c in LINES.names)} FROM staged_lines s
                    SEMI JOIN (SELECT outlet, story_hash, min(seq) AS seq FROM staged_lines GROUP BY ALL) f
                    USING (outlet, story_hash, seq)""")


def decide(
    run_lines: pa.Table | list[Path],
    cfg: LearnedSettings,
    data_dir: str | Path | None = None,
    history: pa.Table | None = None,
) -> Learned:
    """Which line keys are learned boilerplate, per outlet, from this run's lines plus the history's:
    the published `lines` of the warehouse under `data_dir`, or a `history` table (tests)."""
    learned = Learned()
    if not cfg.enabled or (run_lines.num_rows == 0 if isinstance(run_lines, pa.Table) else not run_lines):
        return learned
    # the counts are hash aggregates over every line of the run and its history: bounded, they spill
    # to disk instead of growing with the history
    con = attach(duckdb.connect(config=decide_config(run_lines if isinstance(run_lines, list) else None)))
    try:
        lake = _lake(data_dir) if data_dir is not None else None
        if lake is not None:  # the lake's views: only published runs' rows count
            create_table_views(con, lake)
            con.execute("CREATE VIEW history_lines AS SELECT * FROM lines")
        else:
            con.register("history_lines", history if history is not None else LINES.empty_table())
        # a history written before the `source` column has none: its rows count by their run (night)
        if "source" not in {row[0] for row in con.execute("DESCRIBE history_lines").fetchall()}:
            con.execute("CREATE TEMP VIEW history_lines_all AS SELECT *, NULL::VARCHAR AS source FROM history_lines")
            stats_sql, link_sql = (q.replace("history_lines", "history_lines_all") for q in (_STATS_SQL, _LINK_SQL))
        else:
            stats_sql, link_sql = _STATS_SQL, _LINK_SQL
        _register_run_lines(con, run_lines)
        # only keys that may be learned below come back to Python: the rest (most lines, growing with
        # the history) are settled in DuckDB
        links = con.execute(link_sql).fetchall()
        stats = con.execute(
            f"SELECT * FROM ({stats_sql}) WHERE stories >= $stories OR (lead_stories >= 1 AND other_stories >= $leaks) "
            "OR (title_stories > 0 AND other_stories > 0) OR signed >= $signed",
            {"stories": cfg.min_stories, "leaks": cfg.min_leaks, "signed": cfg.reporter_min_stories},
        )
        while rows := stats.fetchmany(STATS_CHUNK):  # a chunk of rows at a time: a big run learns many keys
            _learn(learned, rows, cfg)
    finally:
        con.close()
    for outlet, n, known in links:
        if n >= cfg.link_min_lines and known >= cfg.link_min_share * n:
            learned.link_outlets[outlet] = (n, known)
    return learned


STATS_CHUNK = 10_000


def _learn(learned: Learned, stats: list[tuple], cfg: LearnedSettings) -> None:
    """What each counted line is: a reporter's name, a template line, a leaked lead, another story's title."""
    for outlet, key, stories, days, leads, others, edge, titled, undated, sources, signed in stats:
        if signed >= cfg.reporter_min_stories:
            learned.reporters[outlet].add(key)
        # where dates exist the day spread decides; undated stories need the spread over input files instead
        spread = days >= cfg.min_days or (undated >= cfg.min_stories and sources >= cfg.min_sources)
        if stories >= cfg.min_stories and spread and edge is not None and edge <= cfg.max_edge:
            learned.repeated[outlet].add(key)
            if days < cfg.min_days:
                learned.undated[outlet][key] = undated
        elif leads >= 1 and others >= cfg.min_leaks:
            learned.leaked[outlet].add(key)
        if titled and others:
            learned.titles[outlet][key] = titled


def _lake(data_dir: str | Path) -> Path | None:
    """The lake under `data_dir` if it already holds published lines."""
    data_dir = location(data_dir)
    lake = lake_dir(data_dir)
    if not (lake / "runs").exists():
        return None
    ensure_lake(data_dir)  # a warehouse from before the `lines` table gets its empty folder
    return lake


def remove_learned(
    cleaned: pa.Table, run: RunLines, learned: Learned, run_id: str, cfg: LearnedSettings
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Drop learned lines from the bodies. Returns (articles, boilerplate rows, quarantine rows):
    an article with no body left goes to quarantine, as after the rules.

    A template line goes wherever it is, unless it is a lead-in (ends in ":" or "..") to a line
    that stays: a columnist's recurring "صافرة أخيرة.." introduces that column's own last word.
    A leaked lead goes when a kept line precedes it (where it is the story's own lead it stays).
    When it opens the last `box_max_lines` lines of the body,
    those lines are the scraped news box and go with it, including the leads of stories this
    warehouse never saw; higher up, only the leaked lines themselves go."""
    ids, outlets, bodies = (cleaned[c].to_pylist() for c in ("article_id", "outlet", "body"))
    titles_ = cleaned["title"].to_pylist() if "title" in cleaned.column_names else [None] * len(ids)
    authors = cleaned["author"].to_pylist() if "author" in cleaned.column_names else None
    new_bodies: list[str | None] = []
    removed, empty = [], []
    for n, (article_id, outlet, body, keys, own_title, runs) in enumerate(
        zip(ids, outlets, bodies, run.keys, run.title_keys, run.link_runs)
    ):
        repeated, leaked, titles = learned.repeated.get(outlet), learned.leaked.get(outlet), learned.titles.get(outlet)
        link_outlet, reporters = outlet in learned.link_outlets, learned.reporters.get(outlet)
        if not repeated and not leaked and not titles and not link_outlet and not reporters:
            new_bodies.append(body)
            continue
        repeated, leaked, titles = repeated or set(), leaked or set(), titles or {}
        undated = learned.undated.get(outlet, {})
        lines = body.split("\n")

        def template_line(i: int, k: int | None, line: str) -> bool:
            if k is None or k not in repeated or is_verse_or_quote(line):
                return False
            if inside_sentence(lines[i - 1] if i else None, line, lines[i + 1] if i + 1 < len(lines) else None):
                return False
            return not (
                k in undated
                and line.count(" ") >= UNDATED_LONG_WORDS
                and undated[k] < UNDATED_LONG_FACTOR * cfg.min_stories
            )

        hits: list[tuple[str, str] | None] = [
            REPEATED if template_line(i, k, line) else None for i, (k, line) in enumerate(zip(keys, lines))
        ]
        signed = _learned_byline(lines, hits, reporters, titles_[n]) if reporters else []
        if signed and authors is not None and not authors[n]:
            authors[n] = "، ".join(signed)
        # another story's headline among the paragraphs: a link to it ("related" box of the page)
        for i in range(1, len(lines)):
            k = keys[i]
            if (
                hits[i] is None
                and k in titles
                and (k != own_title or titles[k] > 1)
                and any(h is None for h in hits[:i])
                and cfg.title_min_words <= len(lines[i].split()) <= cfg.title_max_words
            ):
                hits[i] = LINKED_TITLE
        # the links come in runs: headline-shaped lines next to a recognised one are links too, short
        # of a subheading above the next paragraph
        for i in [i for i, h in enumerate(hits) if h is LINKED_TITLE]:
            for step in (-1, 1):
                j = i + step
                while (
                    0 < j < len(lines)
                    and hits[j] is None
                    and _link_shaped(lines[j], cfg)
                    and not (step == 1 and is_subheading(lines[j], lines[j + 1] if j + 1 < len(lines) else None))
                ):
                    hits[j] = LINKED_TITLE
                    j += step
        # in an outlet whose runs of headlines are link boxes, the runs of unknown titles go too, and so
        # does a lone full headline that interrupts a story: between two paragraphs, the second going on
        # from the first, title-long, not a question (explainers' subheadings are), no comma, no note in brackets
        if link_outlet:
            for a, b in runs:
                for i in range(a, b):
                    if hits[i] is None:
                        hits[i] = LINK_RUN
            for i in range(1, len(lines) - 1):
                line = lines[i]
                if (
                    hits[i] is None
                    and len(line.split()) >= cfg.lone_link_min_words
                    and _link_shaped(line, cfg)
                    and "،" not in line
                    and not line.endswith(("؟", "?"))
                    and not (line.startswith("(") and line.endswith(")"))
                    and _after_paragraph(lines[i - 1])
                    and not is_headline(lines[i + 1])
                    and _CONTINUES.match(lines[i + 1])
                ):
                    hits[i] = LONE_LINK

        def leaked_lead(i: int) -> bool:
            return hits[i] is None and keys[i] in leaked and len(lines[i].split()) >= cfg.lead_min_words

        # the first leaked lead below a kept line opens the news box
        first_kept = next((i for i, h in enumerate(hits) if h is None), len(lines))
        start = next((i for i in range(first_kept + 1, len(lines)) if leaked_lead(i)), None)
        if start is not None:
            box = len(lines) - start <= cfg.box_max_lines
            for i in range(start, len(lines)):
                if box and hits[i] is None or leaked_lead(i):
                    hits[i] = LEAKED_LEAD
        # a lead-in ("... يسأل:", "صافرة أخيرة..") stays with the kept line it introduces
        for i in range(len(lines) - 2, -1, -1):
            if hits[i] is REPEATED and hits[i + 1] is None and lines[i].endswith(LEAD_IN_ENDINGS):
                hits[i] = None
        kept = [line for line, hit in zip(lines, hits) if hit is None]
        removed += [
            {"article_id": article_id, "rule": hit[0], "category": hit[1], "text": line, "run_id": run_id}
            for line, hit in zip(lines, hits)
            if hit is not None
        ]
        if not kept:
            empty.append(article_id)
        new_bodies.append("\n".join(kept) if len(kept) != len(lines) else body)
    articles = cleaned.set_column(cleaned.schema.get_field_index("body"), "body", pa.array(new_bodies, pa.string()))
    if authors is not None:
        field_ = cleaned.schema.field("author")
        articles = articles.set_column(cleaned.schema.get_field_index("author"), field_, pa.array(authors, field_.type))
    empty_ids = set(empty)
    positions = [i for i, a in enumerate(ids) if a in empty_ids]
    bad = quarantine_rows(
        cleaned,
        positions,
        ["no body text left after boilerplate removal (learned lines)"] * len(positions),
        run_id,
        "clean",
    )
    articles = drop_positions(articles, positions)
    return articles, pa.Table.from_pylist(removed, schema=BOILERPLATE), bad


def _learned_byline(lines: list[str], hits: list, reporters: set[int], title: str | None) -> list[str]:
    """Mark a learned reporter's bare name at the head of the body (`byline_names`): the first line above a
    paragraph, or the second under an image caption, which goes too. Returns the names, or []."""
    for i in (0, 1):
        if len(lines) < i + 2 or is_headline(lines[i + 1]) or (i == 1 and not is_headline(lines[0])):
            continue
        names = byline_names(lines[i], reporters)
        if names:
            hits[i] = BYLINE
            if i == 1 and is_caption(lines[0], f"{title or ''}\n{lines[2]}"):
                hits[0] = CAPTION
            return names
    return []


@dataclass
class LearnedResult:
    articles: pa.Table  # cleaned articles, learned lines removed
    boilerplate: pa.Table  # the removed lines
    quarantine: pa.Table  # articles left without a body
    lines: pa.Table  # this run's `lines` rows (all stories; `lines_for` keeps the published ones)
    stories: dict[str, int]  # article_id -> story hash
    learned: Learned
    edges: pa.Table | None = None  # this run's template observations (tasks/templates.EDGES rows)

    def lines_for(self, article_ids: list[str]) -> pa.Table:
        """The `lines` rows of the stories these (published) articles tell."""
        import pyarrow.compute as pc

        keep = pa.array(sorted({self.stories[a] for a in article_ids if a in self.stories}), pa.int64())
        return self.lines.filter(pc.is_in(self.lines["story_hash"], value_set=keep))


def learn_and_remove(
    cleaned: pa.Table,
    run_id: str,
    cfg: LearnedSettings,
    data_dir: str | Path | None = None,
    history: pa.Table | None = None,
    edge_history: pa.Table | None = None,
) -> LearnedResult:
    """The whole step on one run's cleaned articles: template lines, leaked leads and links
    (`remove_learned`), then line templates on what is left (`tasks.templates`; `edge_history`: the
    template observations of earlier runs)."""
    run = line_rows(cleaned, cfg, run_id)
    edges = edge_rows(cleaned, cfg, run_id, run.stories)
    learned = decide(run.table, cfg, data_dir, history)
    articles, removed, bad = remove_learned(cleaned, run, learned, run_id, cfg)
    articles, by_template, bad_t = remove_templates(
        articles, decide_templates(edges, cfg, edge_history, data_dir), run_id, cfg
    )
    return LearnedResult(
        articles,
        pa.concat_tables([removed, by_template]),
        pa.concat_tables([bad, bad_t]),
        run.table,
        dict(zip(cleaned["article_id"].to_pylist(), run.stories)),
        learned,
        edges,
    )


# ----------------------------------------------------------------------------- stages


def observe_stage(batch: pa.Table, cfg: LearnedSettings, run_id: str, seq_base: int = 0) -> StageResult:
    """CLEANED -> OBSERVED, and this partition's `lines` rows (side table "lines", with a working
    column `seq`: the article's place in the run, so the decision counts a story's first article).
    Nothing is removed yet: that waits for the run-wide decision."""
    run = line_rows(batch, cfg, run_id)
    firsts = {}
    for i, story in enumerate(run.stories):
        firsts.setdefault(story, i)
    seq = [seq_base + firsts[s] for s in run.table["story_hash"].to_pylist()]
    lines = run.table.append_column("seq", pa.array(seq, pa.int64()))
    flat_runs = [[x for pair in runs for x in pair] for runs in run.link_runs]
    kept = (
        batch.append_column("line_keys", pa.array(run.keys, pa.list_(pa.int64())))
        .append_column("title_key", pa.array(run.title_keys, pa.int64()))
        .append_column("story_hash", pa.array(run.stories, pa.int64()))
        .append_column("link_runs", pa.array(flat_runs, pa.list_(pa.int32())))
    )
    result = StageResult(kept.select(OBSERVED.names))
    result.tables["lines"] = lines
    result.tables["edges"] = edge_rows(batch, cfg, run_id, run.stories)
    result.counts.update(lines_observed=lines.num_rows)
    return result


def apply_stage(batch: pa.Table, learned: Learned, cfg: LearnedSettings, run_id: str) -> StageResult:
    """OBSERVED -> OBSERVED with learned boilerplate out of the bodies (after the run-wide decision)."""
    runs = [list(zip(flat[0::2], flat[1::2])) for flat in batch["link_runs"].to_pylist()]
    run = RunLines(
        LINES.empty_table(),
        batch["line_keys"].to_pylist(),
        batch["story_hash"].to_pylist(),
        batch["title_key"].to_pylist(),
        runs,
    )
    articles, removed, bad = remove_learned(batch, run, learned, run_id, cfg)
    if learned.templates is not None:
        articles, by_template, bad_t = remove_templates(articles, learned.templates, run_id, cfg)
        removed, bad = pa.concat_tables([removed, by_template]), pa.concat_tables([bad, bad_t])
    result = StageResult(articles, removed, bad)
    result.counts.update(learned_lines_removed=removed.num_rows)
    return result


def decide_run(
    lines: pa.Table | list[Path], edges: pa.Table | list[Path], cfg: LearnedSettings, data_dir: str | Path | None = None
) -> Learned:
    """The run-wide decision: template lines, leaked leads and link boxes from the line hashes, line
    templates from the edge hashes, each over this run plus the lake's history under `data_dir`."""
    learned = decide(lines, cfg, data_dir)
    learned.templates = decide_templates(edges, cfg, data_dir=data_dir)
    return learned


from akhbar.tasks.templates import decide_templates, edge_rows, remove_templates  # noqa: E402  (templates reads this module's helpers)
