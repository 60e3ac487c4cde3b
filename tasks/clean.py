"""Clean stage: strip boilerplate line by line with the reviewed rules in
`schemas/boilerplate_rules.yaml`, move metadata found in the text (date, tags, source credit,
byline, dateline, agency) into fields, and record every removed span with its rule and category."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import yaml
from akhbar.schemas.tables import CLEANED
from akhbar.tasks import gazetteer, newsrooms
from akhbar.tasks.arabic import normalize_display, normalize_search
from akhbar.tasks.base import StageResult, boilerplate_rows, drop_positions, quarantine_rows
from akhbar.tasks.dates import parse_date

RULES_PATH = Path(__file__).resolve().parent.parent / "schemas" / "boilerplate_rules.yaml"
ACTIONS = {"drop_line", "cut_rest", "drop_block", "extract", "strip_span"}
# Fields a rule can fill; "credit" reads the match as a credit line (parse_credit: author, dateline, agency);
# "writer" is a name a link back to the writer's columns holds, the author when no byline gives one.
FIELDS = {"keywords", "source_credit", "agency", "published_at", "author", "dateline", "credit", "writer"}
BLOCK_MAX_LINES = 8  # most headline lines a read-also block swallows
# A link to a story is its full headline: of 732 lines in the shared corpus's BBC bodies matched as
# another BBC story's title (4 words or more), 5 have 4 words; of 1,492 unmatched headline-shaped
# lines standing alone between BBC paragraphs (mostly subheadings), 543 have 4 words or fewer. A line
# that short, closing a run of links right above a paragraph, is that paragraph's subheading
# ("صفقة ملكية شركة ديزني").
SUBHEADING_MAX_WORDS = 4
_READ_ALSO_LABEL = re.compile(r"[إاأ]قر[أا]\s+(?:أيضا|ايضا|أيضاً|ايضاً|أيضًا|ايضًا)\s*[:：]?$")
_WORD = re.compile(r"\S+")
_KEYWORD_SPLIT = re.compile(r"\s*(?:[،,;؛|#/]|\s{2,})\s*")
_NAMED_GROUP = re.compile(r"\(\?P<[A-Za-z_][A-Za-z0-9_]*>")


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    category: str
    action: str
    regex: re.Pattern
    search: bool = False
    max_words: int | None = None
    where: str = "any"
    end_marker: bool = False
    fields: tuple[tuple[str, str], ...] = ()
    examples: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()  # a line must contain one of these to be worth a regex (cheap gate)

    def find(self, line: str) -> re.Match | None:
        if self.hints:
            for h in self.hints:  # a loop, not any(<generator>): this runs for every rule and line
                if h in line:
                    break
            else:
                return None
        return self.regex.search(line) if self.search else self.regex.match(line)


@dataclass(frozen=True, slots=True)
class RuleSet:
    rules: tuple[Rule, ...]

    def __len__(self) -> int:
        return len(self.rules)


def load_rules(path: str | Path = RULES_PATH) -> RuleSet:
    """Parse and check the rules file; a bad rule fails loudly with its id."""
    spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    rules, seen = [], set()
    for entry in spec["rules"]:
        rid = entry.get("id")
        if not rid or rid in seen:
            raise ValueError(f"rules file {path}: missing or repeated id {rid!r}")
        seen.add(rid)
        if entry.get("action") not in ACTIONS:
            raise ValueError(f"rule {rid}: unknown action {entry.get('action')!r}")
        fields = tuple((entry.get("fields") or {}).items())
        bad = [f for _, f in fields if f not in FIELDS]
        if bad:
            raise ValueError(f"rule {rid}: unknown field(s) {bad}")
        try:
            regex = re.compile(entry["pattern"])
        except re.error as exc:
            raise ValueError(f"rule {rid}: bad pattern: {exc}") from exc
        rules.append(
            Rule(
                id=rid,
                category=entry["category"],
                action=entry["action"],
                regex=regex,
                search=bool(entry.get("search", False)),
                max_words=entry.get("max_words"),
                where=entry.get("where", "any"),
                end_marker=bool(entry.get("end_marker", False)),
                fields=fields,
                examples=tuple(entry.get("examples", ())),
                hints=tuple(entry.get("hints", ())),
            )
        )
    return RuleSet(tuple(rules))


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    return load_rules()


_BY_WORDS: dict[int, tuple[RuleSet, list[tuple[Rule, ...]]]] = {}


def rules_by_words(rules: RuleSet) -> list[tuple[Rule, ...]]:
    """For a line of n words (n capped at the largest max_words + 1), the rules whose max_words lets them
    try it, in file order: most lines are paragraphs that only a few rules may take."""
    cached = _BY_WORDS.get(id(rules))
    if cached is None or cached[0] is not rules:
        most = max((r.max_words for r in rules.rules if r.max_words is not None), default=0)
        table = [tuple(r for r in rules.rules if r.max_words is None or n <= r.max_words) for n in range(most + 2)]
        cached = _BY_WORDS[id(rules)] = (rules, table)
    return cached[1]


def marker_regex(rules: RuleSet | None = None) -> str:
    """A regex of unmistakable boilerplate markers, built from the rules file, that must never
    survive into a published body (used by the validation suite, so a new rule tightens it):
    any line a marker rule would match, and an ad marker anywhere."""
    rules = rules or default_rules()
    markers = [r for r in rules.rules if r.id in MARKER_RULES]
    lines = "|".join(f"(?:{'.*?' if r.search else ''}{r.regex.pattern})" for r in markers)
    return _NAMED_GROUP.sub("(?:", rf"(?m)^(?:{lines})|\[\s*ad_\d+\s*\]")


# Rules whose match inside a published body means cleaning failed (checked by validation).
MARKER_RULES = frozenset(
    {"ad.marker", "tags.keywords", "read_also.trailing", "related.similar", "newsletter.signup", "comment.prompt"}
)


@dataclass(slots=True)
class Cleaned:
    body: str
    title: str | None = None
    published_at: datetime | None = None
    author: str | None = None
    keywords: list[str] = field(default_factory=list)
    space_tags: list[str] = field(default_factory=list)  # keywords read from a line of tags joined by spaces
    source_credit: str | None = None
    agency: str | None = None
    dateline: str | None = None
    link_writer: str | None = None  # the writer a closing "more articles by X" line names (see author_by_tells)
    removed: list[tuple[str, str, str]] = field(default_factory=list)  # (rule id, category, text)


def is_headline(line: str, max_words: int = 18) -> bool:
    """Short, and not ending like a sentence or a lead-in: the shape of a headline or a list item."""
    if len(line) > 160 or line.endswith(
        (".", ":", "،", ",", "؛", ";", "…")
    ):  # cheap tests first: most lines are paragraphs
        return False
    return 1 <= len(_WORD.findall(line)) <= max_words


def is_subheading(line: str, next_line: str | None) -> bool:
    """A short headline-shaped line directly above a paragraph: the paragraph's subheading, not the
    last of a run of links above it (links are full headlines, see SUBHEADING_MAX_WORDS)."""
    return (
        next_line is not None
        and not is_headline(next_line)
        and 1 <= len(_WORD.findall(line)) <= SUBHEADING_MAX_WORDS
        and is_headline(line)
    )


_STOPWORDS = frozenset(
    normalize_search(
        "على إلى الى عن بعد قبل مع منذ خلال حول بين عند التي الذي الذين هذا هذه ذلك تلك كما وقد قد لم لن ثم او أو أن إن كان كانت"
    ).split()
)


_PREFIX = re.compile(r"^(?:[وف]?(?:بال|لل|كال|ال|ب|ل|ك))(?=\w{3})|^[وف](?=\w{3})")


def content_words(text: str) -> set[str]:
    """Search-normalized words of three letters or more, stop words out, clitic prefixes (و ف ب ل ك ال) off."""
    words = (w for w in normalize_search(text).split() if w not in _STOPWORDS and not w.isdigit())
    return {_PREFIX.sub("", w) for w in words if len(w) >= 3}


def introduces(headline: str, paragraph: str) -> bool:
    """True when `paragraph` restates `headline` as a news lead does: it is a sentence, not another
    headline, and shares at least three content words and 40% of the headline's."""
    if is_headline(paragraph):
        return False
    head = content_words(headline)
    shared = head & content_words(paragraph)
    return len(shared) >= 3 and len(shared) >= 0.4 * len(head)


def split_keywords(value: str) -> list[str]:
    """Tags as the site lists them: split on commas, separators, hashtags or wide gaps."""
    out: list[str] = []
    for item in _KEYWORD_SPLIT.split(value):
        item = item.strip(" .-_:").replace("_", " ")
        if item and item not in out:
            out.append(item)
    return out


# A site's tag links inside prose ("أكد #الرئيس_الفلبيني، رودريغو ..."): "#" before an Arabic word
# that follows a space. A hashtag the text talks about stays: after "وسم"/"هاشتاغ", in quotes or
# brackets (those are not after a bare space), e.g. 'أطلقوا وسم #مي_تو'.
_INLINE_HASHTAG = re.compile(
    r"(?:(?<=\s)|^)#([\u0621-\u064A][\u0621-\u064A\u0660-\u0669\d]*(?:_+[\u0621-\u064A\u0660-\u0669\d]+)*)"
)
# Arabic words joined by underscores with no "#": a tag link whose "#" was lost (Arabic never joins
# words so); the same exceptions as above keep a hashtag the text quotes or names.
_JOINED_WORDS = re.compile(r"(?:(?<=\s)|^)([\u0621-\u064A]+(?:_+[\u0621-\u064A]+)+)(?=[\s.,،:؛!؟)]|$)")
_HASHTAG_CUES = frozenset("وسم وسما الوسم بوسم لوسم وسمي هاشتاغ هاشتاق الهاشتاغ الهاشتاق بهاشتاغ حملة حركة".split())
_QUOTES = (('"', '"'), ("«", "»"), ("“", "”"))


def untag_inline_hashtags(line: str, removed: list | None = None) -> str:
    """Turn tag links in prose back into words ("#الرئيس_الفلبيني" -> "الرئيس الفلبيني", and the same
    link whose "#" the site dropped: "أعلن صندوق_الاستثمارات_العامة"); each one undone is recorded in
    `removed` as rule markup.inline_hashtag."""
    if "#" not in line and "_" not in line:
        return line

    def inside_quotes(pos: int) -> bool:
        before = line[:pos]
        return any((before.count(o) % 2 == 1) if o == c else before.count(o) > before.count(c) for o, c in _QUOTES)

    def repl(m: re.Match) -> str:
        words = line[: m.start()].split()
        if (words and words[-1].strip(":،,") in _HASHTAG_CUES) or inside_quotes(m.start()):
            return m.group(0)
        if removed is not None:
            removed.append(("markup.inline_hashtag", "markup", m.group(0)))
        return re.sub(r"_+", " ", m.group(1))

    line = _INLINE_HASHTAG.sub(repl, line) if "#" in line else line
    return _JOINED_WORDS.sub(repl, line) if "_" in line else line


_CLITIC = re.compile(r"^(?:[وف]?[بلك]?(?=ال)|[وف](?=\w{3}))")


def _bigrams(text: str) -> set[tuple[str, str]]:
    """Adjacent word pairs of `text`, search-normalized, with a clitic و ف ب ل ك before a word
    that carries the article taken off ("بالرئيس الروسي" counts as "الرئيس الروسي")."""
    pairs: set[tuple[str, str]] = set()
    for line in text.split("\n"):
        words = [_CLITIC.sub("", w) for w in normalize_search(line).split()]
        pairs.update(zip(words, words[1:]))
    return pairs


def segment_space_tags(line: str, text: str) -> list[str]:
    """Cut a line of tags joined by single spaces where the article's own text never puts its two
    neighbouring words side by side: tags name what the article is about, so a tag of several
    words appears in it as a phrase, and two tags rarely run together. "بوتين كيم كوريا الشمالية
    روسيا" over a story that says "كوريا الشمالية" but never "بوتين كيم" or "كيم كوريا" gives
    ["بوتين", "كيم", "كوريا الشمالية", "روسيا"]. Where the text does not decide, the shape of Arabic
    noun phrases does (`_same_phrase`); a tag neither explains is cut into its words."""
    pairs = _bigrams(text)
    words = line.split()
    norms = [_CLITIC.sub("", normalize_search(w)) for w in words]
    ends = _repeated_phrase_ends(norms)
    tags: list[list[str]] = []
    for i, word in enumerate(words):
        if tags and (i - 1) not in ends and _same_phrase(norms[i - 1], norms[i], pairs):
            tags[-1].append(word)
        else:
            tags.append([word])
    return [" ".join(t) for t in tags]


def _same_phrase(a: str, b: str, pairs: set[tuple[str, str]]) -> bool:
    """Whether tag words `a` `b` (search-normalized) belong to one phrase: the text joins them
    (also as "موسم حصاد" for "موسم الحصاد"); or `b` is a relational adjective agreeing with a noun
    that carries the article or ends like a place or a feminine noun (القطن المصري، كوريا الشمالية,
    but not "… أون الروسي"); or `a` is a feminine noun heading a construct (وزارة النقل)."""
    if (a, b) in pairs or (b.startswith("ال") and (a, b[2:]) in pairs):
        return True
    b_definite = b.startswith("ال") and len(b) > 3
    if b_definite and b.endswith(("ي", "يه")) and (a.startswith("ال") or a.endswith(("ه", "ا"))):
        return True
    return b_definite and not a.startswith("ال") and a.endswith("ه")


def _repeated_phrase_ends(norms: list[str]) -> set[int]:
    """Positions where a phrase the line lists twice ends (a site listing one tag in two spellings:
    "كوريا الشمالية … کوریا الشمالیة"): a tag ends there. Longer phrases claim their words first."""
    claimed: set[int] = set()
    ends: set[int] = set()
    for n in range(len(norms) // 2, 1, -1):
        starts: dict[tuple[str, ...], list[int]] = {}
        for i in range(len(norms) - n + 1):
            if not claimed.intersection(range(i, i + n)):
                starts.setdefault(tuple(norms[i : i + n]), []).append(i)
        for at in starts.values():
            free = []
            for i in at:  # occurrences that do not overlap each other
                if not free or i >= free[-1] + n:
                    free.append(i)
            if len(free) >= 2:
                for i in free:
                    claimed.update(range(i, i + n))
                    ends.add(i + n - 1)
    return ends


def _same_text(a: str, b: str) -> bool:
    if len(a) < len(b):
        a, b = b, a
    opening = 2 * len(b) + 16
    if len(a) > opening:
        # each character is search-normalized alone, so the normalized opening of `a` is a prefix of
        # normalized `a`: a long line (a whole article on one line) that opens otherwise is no echo
        short = normalize_search(b)
        return short.startswith(normalize_search(a[:opening])) and normalize_search(a) == short
    return normalize_search(a) == normalize_search(b)


# A media kicker opening a headline: one to three words ("بالفيديو", "بالصور", "عاجل", "بالفيديو و الصور")
# then ".." or "|" (the separator may stand as a word of its own: at most KICKER_MAX_WORDS + 1 tokens). A colon is left out: "كوريا الشمالية: ..." names a speaker, and the quote after it can
# open the story.
_KICKER = re.compile(r"^\s*\S+(?:\s+\S+){0,3}?\s*(?:\.{2,}|…|\|)\s*(?=\S)")
KICKER_MAX_WORDS = 3


def echoes_title(line: str, title: str) -> bool:
    """The line is the headline: the same text, or the headline less a media kicker ("بالفيديو..
    <headline>" above a first line "<headline>"), which sites print once with the kicker and once
    without it."""
    if _same_text(line, title):
        return True
    m = _KICKER.match(title)
    return bool(m and len(m.group(0).split()) <= KICKER_MAX_WORDS + 1 and _same_text(line, title[m.end() :]))


def clean_text(
    text: str, *, title: str | None = None, rules: RuleSet | None = None, outlet: str | None = None
) -> Cleaned:
    """Clean one article's text. `title` is the title the record already carries, if any; `outlet` the
    record's outlet (its name in a credit line is neither author nor dateline)."""
    rules = rules or default_rules()
    out = Cleaned(body="", title=title or None)
    # a tatweel standing for a dash ("المنيا ـ حجاج") becomes "-" there, so credits split on it
    lines = [ln.strip() for ln in normalize_display(text).split("\n")]
    lines = [ln for ln in lines if ln]
    kept: list[str] = []
    end_seen = False
    by_words = rules_by_words(rules)
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        words = line.count(" ") + 1
        title_candidate = not kept and i < len(lines) and is_headline(line, max_words=25)
        at_head = not kept or (len(kept) == 1 and is_headline(kept[0]))
        if at_head and (credit := head_credit(line, outlet)) and credit.agency and not credit.author:
            # a wire credit at the head ("أ ش أ", "القاهرة _أ ش أ") is read as one before any rule takes
            # it for something else (an editor's initials closing a story)
            out.removed.append(("credit.head_line", "byline", line))
            _fill_credit(out, credit)
            continue
        for rule in by_words[min(words, len(by_words) - 1)]:
            if rule.where == "head" and not at_head:
                continue
            if rule.where == "head" and rule.action == "strip_span" and title_candidate:
                continue  # the headline itself ("مصدر بالكهرباء: لا تخفيف ...") carries no dateline
            if rule.where == "after_end" and not end_seen:
                continue
            m = rule.find(line)
            if m is None:
                continue
            if rule.action == "strip_span" and rule.where == "head" and not _dateline_is_a_place(m):
                continue  # "كما يقول المثل: ..." is the story's own lead-in, not where it was filed
            end_seen = end_seen or rule.end_marker
            _take_fields(out, rule, m, outlet)
            if rule.action == "strip_span":
                rest = (line[: m.start()].rstrip(" -–—") + " " + line[m.end() :]).strip()
                out.removed.append((rule.id, rule.category, m.group(0).strip()))
                if rest:
                    kept.append(rest)
            elif rule.action == "cut_rest":
                out.removed.append((rule.id, rule.category, "\n".join(lines[i - 1 :])))
                i = len(lines)
            elif rule.action == "drop_block":
                block = [line]
                # a bare label ("اقرأ أيضاً:") heads a list of headlines; a longer label ending in ":"
                # ("لقراءة التصريحات كاملة اضغط على العنوان التالي:") points at the one headline below it
                most = BLOCK_MAX_LINES if words <= 3 else 1 if line.endswith((":", "：")) else 0
                while len(block) <= most and i < len(lines) and is_headline(lines[i]):
                    block.append(lines[i])
                    i += 1
                if len(block) >= 3 and is_subheading(block[-1], lines[i] if i < len(lines) else None):
                    block.pop()  # the list ends above the next paragraph's subheading, which stays
                    i -= 1
                if (
                    len(block) == 2
                    and _READ_ALSO_LABEL.match(line)
                    and i < len(lines)
                    and introduces(block[1], lines[i])
                ):
                    # "إقرأ أيضاً:", one headline, then that story's own lead restating it: a whole other
                    # article appended to this one (no source or tag line before it to mark the end)
                    block += lines[i:]
                    i = len(lines)
                out.removed.append((rule.id, rule.category, "\n".join(block)))
            else:  # drop_line, extract
                out.removed.append((rule.id, rule.category, line))
            break
        else:
            kept.append(line)

    kept = [untag_inline_hashtags(line, out.removed) for line in kept]
    had_title = bool(out.title)
    # at most twice: the headline itself, then the headline again without its media kicker
    for _ in range(2):
        if kept and had_title and echoes_title(kept[0], out.title) and is_title_echo(kept):
            out.removed.append(("title.repeated", "title", kept.pop(0)))
    _take_head_credit(out, kept, outlet, out.title)  # before a first line is taken for the headline: a credit is none
    if kept and not had_title and len(kept) >= 2 and is_headline(kept[0], max_words=25):
        out.title = kept.pop(0)
        out.removed.append(("title.first_line", "title", out.title))
    out.author = out.author or author_by_tells(out.title, out.link_writer)
    out.body = "\n".join(kept)
    if out.space_tags:
        own_text = f"{out.title or ''}\n{out.body}"
        cut: list[str] = []
        for k in out.keywords:
            for tag in segment_space_tags(k, own_text) if k in out.space_tags else [k]:
                if tag not in cut:
                    cut.append(tag)
        out.keywords = cut
    return out


def _dateline_is_a_place(m: re.Match) -> bool:
    """A dateline span stands for where a story was filed: a place the gazetteer knows, or any words
    beside a wire agency. A short phrase before a colon that is neither is the story's own text."""
    groups = m.groupdict()
    dateline = groups.get("dateline") or groups.get("dateline2")
    if not dateline or groups.get("agency"):
        return True
    return gazetteer.is_place(dateline.strip(" \t:：-–—،,"))


# A verse: a short line that does not end like a prose sentence.
_VERSE_MAX_WORDS = 14
# Words that point back at the line above ("بهذه الكلمات افتتح ...", "هكذا علّق ..."): that line is a
# quotation the story opens with, not a repeated headline.
_POINTS_BACK = re.compile(
    r"^[وف]?(?:(?:ب|كانت\s+)?(?:هذه|تلك)\s+(?:ال)?(?:كلمات|عبارة|عبارات|جملة|كلمة|أبيات|الأبيات|المقولة)|بهذا\s+(?:التصريح|القول|البيت)"
    r"|هكذا|قالها|قالتها|كتبها|رددها|هذا\s+ما\s+(?:قاله|قالته|كتبه))"
)


def _is_verse(line: str) -> bool:
    n = len(_WORD.findall(line))
    return 3 <= n <= _VERSE_MAX_WORDS and not line.endswith((".", "؟", "?", "!", ":"))


def is_title_echo(kept: list[str]) -> bool:
    """Whether the first body line, equal to the title, repeats the headline rather than opening the
    story with it: a poem whose title is its first verse (the lines below are verses of the same
    length) and a quotation the next line points back at stay in the body."""
    first, rest = kept[0], kept[1:4]
    if rest and abs(len(rest[0]) - len(first)) <= 10 and _same_text(rest[0], first):
        return True  # the headline, then the story's own first line that happens to repeat it
    if rest and _POINTS_BACK.match(rest[0]):
        return False
    if len(rest) >= 3 and _is_verse(first) and all(_is_verse(x) for x in rest) and _rhymes([first, *rest]):
        lengths = sorted(len(_WORD.findall(x)) for x in rest)
        median = lengths[len(lengths) // 2]
        if 0.5 * median <= len(_WORD.findall(first)) <= 2 * median:
            return False  # a verse among verses
    return True


def _rhymes(lines: list[str], share: float = 0.75) -> bool:
    """Whether most lines end on one letter, as the verses of a poem share their rhyme (a list of
    headlines, the same shape, does not)."""
    ends = [normalize_search(line)[-1:] for line in lines]
    ends = [e for e in ends if e]
    return bool(ends) and max(ends.count(e) for e in set(ends)) >= share * len(lines)


# A credit glued before the first paragraph: "العريش - أحمد سليم وحسناء الشريف: في إطار ..."
_GLUED_CREDIT = re.compile(r"^(?P<credit>[^:：.،]{3,70}?)\s*[:：]\s+(?=\S+(?:\s+\S+){5,})")
HEAD_CREDIT_LINES = 2  # a credit line sits among the first lines: under a kept subtitle at most


def _take_head_credit(out: Cleaned, kept: list[str], outlet: str | None, title: str | None = None) -> None:
    """Move a credit line at the head of the body ("كتبت - ندا عمر:", "القاهرة _أ ش أ", "أ ش أ"), a
    credit glued before the first paragraph ("الأقصر - نادر فهمي: ...") and a reporter's bare name
    above the story (`is_bare_byline`) into author, dateline and agency; each is recorded as
    `credit.head_line`, `credit.glued` or `credit.bare_name` (category byline). Only the first
    HEAD_CREDIT_LINES lines are looked at, and under a lead paragraph only a byline with its verb."""
    i = 0
    below_paragraph = False
    while i < min(HEAD_CREDIT_LINES, len(kept)):
        line = kept[i]
        credit = head_credit(line, outlet)
        if below_paragraph and not _BYLINE_VERB.match(line):
            credit = None  # under a lead paragraph only a byline with its verb is a credit
        if credit is not None and len(kept) > 1:
            out.removed.append(("credit.head_line", "byline", kept.pop(i)))
            _fill_credit(out, credit)
            continue
        m = _GLUED_CREDIT.match(line)
        glued = head_credit(m.group("credit"), outlet) if m and not below_paragraph else None
        if glued is not None:
            out.removed.append(("credit.glued", "byline", m.group(0).strip()))
            kept[i] = line[m.end() :]
            _fill_credit(out, glued)
            return
        if len(kept) > i + 1 and not below_paragraph and own_name_line(kept, i, outlet):
            # the outlet's own name alone above the story ("بوابة أخبار اليوم"): a credit naming no one
            out.removed.append(("credit.outlet_line", "byline", kept.pop(i)))
            return
        if i == 0 and is_bare_byline(kept, title):
            _take_bare_byline(out, kept, 0, outlet)
            return
        if i == 1 and not below_paragraph and is_bare_byline(kept[1:], title):
            # an image caption, then the reporter's name, then the story: the name goes, and the line above
            # it too when it only names what the story is about (the photo's subject)
            _take_bare_byline(out, kept, 1, outlet)
            if is_caption(kept[0], f"{title or ''}\n{kept[1] if len(kept) > 1 else ''}"):
                out.removed.append(("caption.above_byline", "caption", kept.pop(0)))
            return
        if not is_headline(line):
            if i > 0 or below_paragraph:
                return
            below_paragraph = True
        i += 1


_NOT_A_NAME = re.compile(r"[\d.,:،؛!?؟\"«»()\[\]]|صور|أرشيف|ارشيف|ارشف|فيديو|بالفيديو")


def own_name_line(kept: list[str], i: int, outlet: str | None) -> bool:
    """kept[i] is only the outlet's name (the record's, or a newsroom's the credit reader knows), above a
    paragraph."""
    return newsrooms.is_outlet(kept[i], outlet) and not is_headline(kept[i + 1])


def _take_bare_byline(out: Cleaned, kept: list[str], i: int, outlet: str | None) -> None:
    line = kept.pop(i)
    out.removed.append(("credit.bare_name", "byline", line))
    names = _byline_names(line)
    # reporters sharing the byline are all authors; "name - name" is not "place - name" here
    _fill_credit(out, parse_credit(line, outlet) if len(names) == 1 else Credit(author="، ".join(names)))


CAPTION_MAX_WORDS = 7


def is_caption(line: str, story: str) -> bool:
    """An image caption: a short headline-shaped line, no label before a colon, naming only what the story
    (its title and lead) names ("وزير خارجية فرنسا لوران فابيوس" above "أعرب وزير الخارجية الفرنسي لوران
    فابيوس ..."). A subtitle says something of its own and keeps a word the story does not use."""
    if not is_headline(line) or len(line.split()) > CAPTION_MAX_WORDS or ":" in line:
        return False
    own = content_words(line)
    return bool(own) and own <= content_words(story)


def is_bare_byline(kept: list[str], title: str | None) -> bool:
    """A reporter's bare name above the story ("نهلة جمال", "مروة على"): two or three words, no
    article on the first, no punctuation or digits, then a paragraph, and none of its words found in
    the title or the story. A line naming the story's subject ("ياسر برهامي" above a story about him)
    shares its words with the story. On 12,000 articles drawn from the shared egynews2013 package this
    takes 751 lines: 742 reporters' names and one outlet credit (Akhbar El-Yom, El-Fagr), 5 El-Dostor
    lines (3 of them a subject: "انخفاض البورصة") and 3 FJP column names ("شوية عقل"). Two or three
    reporters may share the line, joined by "-", "_", "،" or "و", each name held to the same tests (on all
    of egynews2013: 41 more Akhbar El-Yom lines, 12 El-Fagr, 1 El-Shorouk, all reporters).

    A title that names its writer ("إكرام يوسف يكتب: ...") settles it: the line is a byline when it names
    the same person ("د.إكرام يوسف", whose words the title holds), and otherwise a column's name ("شوية عقل"
    under "محمد جمال عرفة يكتب: ..."), which stays."""
    if len(kept) < 2 or is_headline(kept[1]):
        return False
    writer = title_writer(title)
    if writer is not None:
        return same_person(kept[0], writer)
    if _NOT_A_NAME.search(kept[0]):
        return False
    names = reporters_named(kept[0])
    if not names:
        return False
    story = content_words(f"{title or ''}\n" + "\n".join(kept[1:]))
    return not any(content_words(n) & story for n in names)


# An opinion piece's title names its writer: "مصطفى بكرى يكتب: ...", "نوارة نجم تكتب: ..." (in egynews2013:
# 122 FJP titles, 43 El-Dostor, 28 Tahrir, 8 El-Watan).
_TITLE_WRITER = re.compile(
    r"^(?P<name>[^:：،!؟?]{3,40}?)\s+(?:يكتب|تكتب)\s*[:：]|^بقلم\s*[:：]?\s*(?P<pen>[^:：،!؟?]{3,40}?)\s*[:：]"
)
# "<headline> - بقلم X" / "<headline> | بقلم: X": the writer after the headline
_TITLE_PEN = re.compile(r"\s[-–—|]\s*بقلم\s*[:：]?\s*(?P<name>[^:：،!؟?\-|]{3,40}?)\s*$")
# a title or degree before a name: "د.", "الدكتور", "المستشار"
_HONORIFIC = frozenset(normalize_search("د دكتور الدكتور م المهندس ا أ الأستاذ الاستاذ المستشار الشيخ").split())


def title_writer(title: str | None) -> str | None:
    """The writer an opinion piece's title names ("إكرام يوسف يكتب: <headline>" -> "إكرام يوسف", "بقلم X:
    <headline>", "<headline> - بقلم X"), if it names one in two to five words."""
    m = _TITLE_WRITER.match(title or "") or _TITLE_PEN.search(title or "")
    name = (m["name"] or m.groupdict().get("pen") or "").strip() if m else ""
    return name if 2 <= len(name.split()) <= 5 else None


# A degree or title written before a name, dotted or not: "د.", "د. ", "م.", "الدكتور", "المستشار".
_HONORIFIC_HEAD = re.compile(
    r"^(?:(?:د|م|أ|ا)\s*\.\s*|(?:الدكتور|الدكتورة|دكتور|المهندس|المهندسة|الأستاذ|الاستاذ|الأستاذة|المستشار|الشيخ"
    r"|الكاتب|الكاتبة|الكاتب الصحفي|الكاتبة الصحفية)\s+)+"
)


def writer_name(text: str | None) -> str | None:
    """A writer's name as a tell names it, the degree before it off ("د.حلمى محمد القاعود" -> "حلمى محمد
    القاعود"): two to four words, letters only, no article on the first, not a place; else None (a section,
    "الرياضة"; a phrase)."""
    name = _HONORIFIC_HEAD.sub("", re.sub(r"\s+", " ", (text or "").strip(_EDGE_PUNCT)))
    words = name.split()
    if not 2 <= len(words) <= 4 or words[0].startswith("ال") or gazetteer.is_place(name):
        return None
    if any(not re.fullmatch(r"[^\W\d_]+", w) for w in words) or newsrooms.is_outlet(name, None):
        return None
    return name


def author_by_tells(title: str | None, link_writer: str | None) -> str | None:
    """The author when no byline line named one: the writer an op-ed's title names ("د. على العمرى يكتب: ..."),
    else the writer a closing "more articles by X" link names."""
    return writer_name(title_writer(title)) or link_writer


def _name_letters(text: str) -> list[str]:
    words = re.findall(r"[^\W\d_]+", normalize_search(text))
    while words and words[0] in _HONORIFIC:
        words.pop(0)
    return words


def same_person(line: str, name: str) -> bool:
    """The line is that name, a title or degree aside ("د.محمد نبيل جامع" is "محمد نبيل جامع")."""
    mine = _name_letters(line)
    return len(mine) >= 2 and mine == _name_letters(name)


# Reporters sharing a byline: "إيمان عبد النبى - رانا وجدى", "نجوي مصطفي _ ريهام يوسف".
_NAME_JOIN = re.compile(r"\s*[-–—_،]\s*|\s+و\s+")


def _byline_names(line: str) -> list[str]:
    return [n.strip() for n in _NAME_JOIN.split(line) if n.strip()]


def reporters_named(line: str) -> list[str]:
    """The one to three people's names a line holds and nothing else ("نهلة جمال", "إيمان عبد النبى - رانا
    وجدى"), each name-shaped (`_name_shaped`); [] when the line is anything else."""
    names = _byline_names(line)
    return names if 1 <= len(names) <= 3 and all(_name_shaped(n) for n in names) else []


_LATIN = re.compile(r"[A-Za-z]")


def _name_shaped(name: str) -> bool:
    """Two or three words, no article on the first, in Arabic letters (a Latin name above an Arabic story is
    a caption: a ship's, a product's), and not a place."""
    words = name.split()
    return (
        2 <= len(words) <= 3
        and not words[0].startswith("ال")
        and not _LATIN.search(name)
        and not gazetteer.is_place(name)
    )


def _fill_credit(out: Cleaned, credit: Credit) -> None:
    out.author = out.author or credit.author
    out.dateline = out.dateline or credit.dateline
    out.agency = out.agency or credit.agency
    out.published_at = out.published_at or credit.published_at


def _take_fields(out: Cleaned, rule: Rule, m: re.Match, outlet: str | None = None) -> None:
    for group, target in rule.fields:
        value = m.groupdict().get(group)
        if not value or not value.strip():
            continue
        value = value.strip(" \t:：-–—()")
        if target == "credit":  # which side is the place, the person, the agency: the credit parser decides
            credit = parse_credit(value, outlet)
            for name in ("author", "dateline", "agency"):
                if getattr(out, name) is None and getattr(credit, name):
                    setattr(out, name, getattr(credit, name))
        elif target == "keywords":
            tags = split_keywords(value)
            if len(tags) == 1 and len(tags[0].split()) >= 4:  # no separator at all: cut later, by the text
                out.space_tags.append(tags[0])
            out.keywords.extend(k for k in tags if k not in out.keywords)
        elif target == "published_at":
            if out.published_at is None:
                out.published_at = parse_date(value)
        elif target == "writer":
            out.link_writer = out.link_writer or writer_name(value)
        elif getattr(out, target) is None:
            setattr(out, target, re.sub(r"\s+", " ", value))


# ----------------------------------------------------------------------------- credit lines

# A credit line says who wrote a story, where it was filed and which wire agency it came from, in many
# shapes: "برشلونة - رويترز" (place, agency), "القاهرة: محمد علي" (place: name), "أحمد سليم - العريش"
# (name - place), "رويترز - القاهرة" (agency - place), "مصراوي - أ ش أ:" (outlet - agency), "محمد علي
# (القاهرة)" (name (place)), "كتبت - ندا عمر:" / "إعداد سلمى يوسف" (a byline verb, then the name),
# "العربية.نت - إسلام سيف" (outlet, reporter), or an id the CMS leaked ("30174026-20d9-40a2-...").
# Which side is a place: the gazetteer (tasks/gazetteer.py) and the agency list decide; when neither side
# is known, the shape does: a person's name has 2-4 words, a place 1-2, and "place - name" is the
# common order. In the shared corpus 18,160 of 31,525 records carry a "place - name" credit and 4,153
# more the outlet's bare name.
_CMS_ID = re.compile(r"^[0-9a-f]{4,}(?:-[0-9a-f]{4,})*$", re.IGNORECASE)
# a dash between spaces (or glued to ".نت"), a tatweel or underscore standing for a dash
_CREDIT_DASH = re.compile(
    r"\s*[:：]\s+|\s+[-–—ـ_]+\s*|\s*[-–—ـ_]+\s+|(?<=\.نت)[-–—_]|[-–—_](?=العربية\.نت)|(?<=[\u0621-\u064A])_(?=[\u0621-\u064A])"
)
_CREDIT_JOIN = re.compile(r"\s*[،,/]\s*|\s+و(?=وكالات|رويترز|فرانس)")
_PHOTO_CREDIT = re.compile(r"\s*\((?:تصوير|صور|الصور)[^)]*\)")
_PAREN = re.compile(r"\s*\(([^()]{1,40})\)\s*")
_QUALIFIED_PLACE = re.compile(r"^(?P<city>[^()]{2,40}?)\s*\((?P<country>[^()]{2,40})\)$")
# "كتب - ندا عمر:", "كتبت آية دعبس", "إعداد وجدي الألفي", "ترجمة - دينا قدري", "بقلم: سلمى يوسف", "من محمد ..."
_BYLINE_VERB = re.compile(
    r"^(?:كتب|كتبت|كتبه|كتبها|بقلم|إعداد|اعداد|تحرير|ترجمة|ترجمه|متابعة|متابعه|تقرير|تغطية|إشراف|اشراف"
    r"|أجرى\s+الحوار|أجرت\s+الحوار|اجرى\s+الحوار|حاوره|حاورها|حوار)"
    r"(?:\s*[-–—ـ_:：]+\s*|\s+)(?:من\s+)?(?=\S)"
)
_PHOTO_VERB = re.compile(r"^(?:تصوير|صور|الصور|عدسة)\b")
# a newsroom's bureau named after the reporter: "من محمد أبوالشهود ومكتب الأهرام"
_BUREAU_TAIL = re.compile(r"\s+و\s*(?:مكتب|مراسل|مراسلو|مندوب)\b.*$")
_ENTITY_SPACE = re.compile(r"[\u00a0\u2000-\u200f\u202a-\u202e\u2066-\u2069\ufeff]+")
_EDGE_PUNCT = " \t-–—ـ_،,:：;؛.()[]«»\"'"
_LINE_EDGE = " \t-–—ـ_،,:：;؛.«»\"'"  # a whole line keeps its brackets: "محمد علي (القاهرة)"
_NAME_FROM = re.compile(r"^من\s+(?=\S+\s+\S+)")  # "من محمد أبوالشهود": "from" before a reporter's name


@dataclass(frozen=True, slots=True)
class Credit:
    author: str | None = None
    dateline: str | None = None
    agency: str | None = None
    published_at: datetime | None = None  # a date written in the credit line


def _credit_text(value: str) -> str:
    """Entities decoded ("&nbsp;", "&amp;nbsp;"), bidi marks and odd spaces out, spaces collapsed."""
    for _ in range(2):
        value = html.unescape(value)
    value = _ENTITY_SPACE.sub(" ", value)
    value = _PHOTO_CREDIT.sub("", value)
    return re.sub(r"\s+", " ", value).strip(_LINE_EDGE)


def _piece(value: str) -> str:
    return normalize_display(value.strip(_EDGE_PUNCT)).strip(_EDGE_PUNCT)


def _credit_parts(value: str) -> list[str]:
    """The pieces of a credit line: split on dashes, commas and slashes, a bracketed piece on its own,
    except a place with its country in brackets ("أنقرة (تركيا)"), kept whole (see _qualified)."""
    parts = []
    for chunk in _CREDIT_DASH.split(value):
        if _qualified(chunk):
            parts.append(chunk)
            continue
        for part in _CREDIT_DASH.split(_PAREN.sub(lambda m: f" - {m.group(1)} - ", chunk)):
            if gazetteer.is_place(part):  # "باريس/لندن" is one dateline
                parts.append(part)
            else:
                parts += _CREDIT_JOIN.split(part)
    return [p for p in (_piece(x) if not _qualified(x) else normalize_display(x.strip()) for x in parts) if p]


def _qualified(piece: str) -> re.Match | None:
    """ "X (a place)": a town with its country, or a reporter with where they filed from."""
    m = _QUALIFIED_PLACE.match(piece.strip())
    if m and gazetteer.is_place(m["country"]) and not newsrooms.is_agency(m["country"]):
        return m
    return None


def _date_in(piece: str) -> datetime | None:
    return parse_date(piece) if re.search(r"\d", piece) else None


@lru_cache(maxsize=65536)  # a feed repeats its credit lines ("أبوظبي - سكاي نيوز عربية" on 13,708 corpus records)
def parse_credit(value: str | None, outlet: str | None = None) -> Credit:
    """Read a credit line: who wrote it (a person), where it was filed, which wire agency it came from,
    and a date if the line carries one. The outlet's own name (`outlet`, or a known newsroom's) and CMS
    ids are neither author nor dateline; a value that is none of these stays the author."""
    value = _credit_text(value or "")
    if not value or _CMS_ID.match(value) or _PHOTO_VERB.match(value):
        return Credit()
    verb = _BYLINE_VERB.match(value)
    if verb:  # a byline verb: the rest is the writer(s), perhaps with a place or date after a dash
        value = value[verb.end() :]
    author = dateline = agency = None
    published = None
    unknown: list[str] = []
    pieces = _credit_parts(value)
    wire = any(newsrooms.is_agency(p) for p in pieces)
    for piece in pieces:
        if _CMS_ID.match(piece) or newsrooms.is_outlet(piece, outlet):
            continue
        if (q := _qualified(piece)) is not None:
            # "أنقرة (تركيا)", "علي آغا (تركيا) - رويترز": a wire filed from a town of that country; a
            # name of two words or more with a place after it and no wire is a reporter and his place
            city = q["city"].strip()
            if wire or gazetteer.is_place(city) or len(city.split()) == 1 or verb:
                if verb and author is None:
                    author, dateline = _piece(city), dateline or _piece(q["country"])
                else:
                    dateline = dateline or piece
            else:
                author, dateline = author or _piece(city), dateline or _piece(q["country"])
            continue
        if newsrooms.is_agency(piece) and not (gazetteer.is_place(piece) and _names_beside(value, piece)):
            agency = agency or piece
        elif (when := _date_in(piece)) is not None:
            published = published or when
        elif verb and author is None:
            author = piece  # after a byline verb the first name is the writer's, whatever it is
        elif gazetteer.is_place(piece) and dateline is None:
            dateline = piece
        else:
            unknown.append(piece)
    if verb:
        if dateline is None and unknown and len(unknown[0].split()) <= 2:
            dateline = unknown[0]  # "كتب - محمد علي - الشرقية"
    elif unknown:
        author, dateline = _by_shape(unknown, dateline, agency)
        unknown = []
    if author:
        author = _NAME_FROM.sub("", _BUREAU_TAIL.sub("", author)).strip(_EDGE_PUNCT) or None
    return Credit(author=author, dateline=dateline, agency=agency_name(agency), published_at=published)


_INITIALS = re.compile(r"^(?:[\u0621-\u064A]\s*\.?\s*){2,4}$")


def agency_name(value: str | None) -> str | None:
    """An agency written as initials, one spelling: "أ.ش.أ", "أ. ش. أ", "أش أ" -> "أ ش أ"; other names
    as written, edge punctuation off."""
    if not value:
        return None
    value = value.strip(_EDGE_PUNCT)
    tokens = [t for t in re.split(r"[\s.]+", value) if t]
    # initials carry a separator somewhere ("أ.ش.أ", "أش أ"); "واس", "وام", "قنا" are names of their own
    if len(tokens) >= 2 and _INITIALS.match(value) and all(len(t) <= 2 for t in tokens):
        return " ".join(ch for ch in value if "\u0621" <= ch <= "\u064a")
    return value or None


def _names_beside(value: str, piece: str) -> bool:
    """Whether a word that is both an agency and a place ("قنا": Qena, and the Qatar News Agency)
    stands beside a person's name: then it is where the reporter filed from."""
    others = [p for p in _credit_parts(value) if p != piece and not newsrooms.is_agency(p)]
    return any(2 <= len(p.split()) <= 4 and not gazetteer.is_place(p) for p in others)


def _by_shape(unknown: list[str], dateline: str | None, agency: str | None) -> tuple[str | None, str | None]:
    """Author and dateline from pieces neither the gazetteer nor the agency list knows."""
    words = [len(p.split()) for p in unknown]
    if dateline is not None:  # the place is known: the piece left is the writer
        return unknown[0], dateline
    if len(unknown) == 2 and agency is None and any(_holds_post(p) for p in unknown):
        return None, None  # "أحمد مكى - وزير العدل": an image caption, a person and his post; it credits no one
    if len(unknown) == 2 and agency is None and all(_persons_name(p) for p in unknown):
        # a dateline is a place or a wire agency, never a person's name: two names that are neither are two
        # reporters sharing the line ("اية حمروشي - ريهام يوسف"), as `_take_bare_byline` reads them
        return "، ".join(unknown), None
    if len(unknown) == 1:
        # beside a wire agency a short piece is where the wire was filed ("الشرقية - أ ش أ")
        if agency is not None and words[0] <= 2:
            return None, unknown[0]
        return unknown[0], None
    first, second = unknown[0], unknown[1]
    if words[0] >= 2 and words[1] == 1:
        return first, second  # "أحمد سليم - الفيوم": a one-word place after a full name
    if words[0] <= 3:
        return second, first  # "شمال سيناء - أشرف سويلم": the common order
    return first, None


# The head word of a post or a calling: "أحمد مكى - وزير العدل" names a person and his post (an image caption),
# "معتز التلا - ممثل سوري" an actor; neither side is a writer or a place.
_POST_HEADS = frozenset(
    normalize_search(
        "وزير وزيرة رئيس رئيسة نائب مساعد مستشار مدير مديرة محافظ سفير أمين عضو شيخ مفتي قائد مرشد عميد نقيب"
        " المتحدث الناطق ممثل ممثلة كاتب كاتبة مخرج مطرب مطربة فنان فنانة لاعب لاعبة مدرب"
    ).split()
)


def _persons_name(piece: str) -> bool:
    """A piece that reads as a person's name and nothing else: name-shaped, no photo word ("صورة ارشيفية"), no
    photo or byline verb ("تصوير هبه خميس")."""
    return _name_shaped(piece) and not _NOT_A_NAME.search(piece) and not _PHOTO_VERB.match(piece)


def _holds_post(piece: str) -> bool:
    words = normalize_search(piece).split()
    return bool(words) and words[0] in _POST_HEADS


# words a sentence has and a list of people's names does not ("كتبت الصحيفة أن الوزير سيستقيل")
_NOT_IN_NAMES = frozenset(
    "أن إن ان في من عن إلى الى التي الذي الذين هذا هذه قد لم لن ثم كان كانت عبر حول بعد قبل مع اليوم".split()
)


def _names_only(value: str) -> bool:
    """One to three people's names ("ندا عمر", "فيصل يوسف و اسلام الجوهري"), no sentence."""
    words = value.split()
    return 1 <= len(words) <= 10 and not _NOT_IN_NAMES.intersection(words)


def head_credit(line: str, outlet: str | None = None, max_words: int = 9) -> Credit | None:
    """The credit read from a line standing alone at the head of a story ("كتبت - ندا عمر:",
    "القاهرة _أ ش أ", "أ ش أ", "الشرقية - سناء عنان", "القاهرة - مصراوي:"), or None when the line
    is not surely a credit: it must carry a byline verb, a wire agency, or a known place beside a
    name of at most four words, and read as no sentence."""
    if len(line) > 20 * max_words or line.count(" ") > 2 * max_words:
        return None  # a paragraph: most lines end here, before any decoding
    bare = line.strip(_LINE_EDGE)
    if not (
        _BYLINE_VERB.match(bare) or _CREDIT_DASH.search(bare) or "(" in bare or "&" in bare or newsrooms.is_agency(bare)
    ):
        return None  # no verb, no separator, no agency: a headline or a sentence
    value = _credit_text(line)
    if not value or len(value.split()) > max_words or re.search(r"[.!؟?]\s*$|[،,]\s*\S+\s+\S+\s+\S+\s+\S+", value):
        return None
    if _BYLINE_VERB.match(value):
        if re.search(r"\d", value):
            return None  # "كتب فريق التحرير 3 دقائق للقراءة": a reading time, the rules' business
        credit = parse_credit(value, outlet)
        return credit if credit.author and _names_only(credit.author) else None
    parts = _credit_parts(value)
    if not parts or any(len(p.split()) > 4 for p in parts):
        return None
    kinds = [
        "agency"
        if newsrooms.is_agency(p)
        else "outlet"
        if newsrooms.is_outlet(p, outlet)
        else "place"
        if gazetteer.is_place(p)
        else "other"
        for p in parts
    ]
    if "agency" in kinds and kinds.count("other") <= 1:
        return parse_credit(value, outlet)
    if len(parts) == 2 and sorted(kinds) in (["other", "place"], ["outlet", "place"], ["other", "outlet"]):
        other = [p for p, k in zip(parts, kinds) if k == "other"]
        if not other or 2 <= len(other[0].split()) <= 4:  # beside a place, a person's full name
            return parse_credit(value, outlet)  # "الزقازيق - أحمد علي", "القاهرة - مصراوي"
    if (
        len(parts) == 2
        and kinds == ["other", "other"]
        and _CREDIT_DASH.search(value)
        and line.rstrip().endswith((":", "："))
        and len(parts[0].split()) <= 3
    ):
        # "البحر الأحمر - عرفات علي:" standing alone: a colon that introduces the story, after two short
        # pieces joined by a dash, is a credit whatever the gazetteer knows
        return parse_credit(value, outlet)
    return None


def article_fields(
    c: Cleaned,
    published_hint: str | None = None,
    credit_line: str | None = None,
    keywords: list[str] | None = None,
    outlet: str | None = None,
) -> dict:
    """An article's metadata from its cleaned text and its record's (or page's) own values: the
    record's date and keywords come first, its credit line is read into author, dateline and agency
    (the text's own dateline and agency win). `outlet` is the record's outlet: its name is never an
    author or a dateline. A date written in the credit line fills `published_at` when nothing else did."""
    published = parse_date(published_hint) if published_hint else None
    credit = parse_credit(credit_line, outlet)
    own = parse_credit(c.author, outlet) if c.author else Credit()  # the text's byline, read the same way
    tags = list(keywords or [])
    tags += [k for k in c.keywords if k not in tags]
    dateline = c.dateline if c.dateline and not newsrooms.is_outlet(c.dateline, outlet) else None
    agency = agency_name(c.agency)
    return {
        "title": normalize_display(c.title) if c.title else None,
        "published_at": published or c.published_at or credit.published_at or own.published_at,
        "author": credit.author or own.author,
        "keywords": [normalize_display(k) for k in tags],
        "source_credit": c.source_credit,
        "agency": agency or credit.agency or own.agency,
        "dateline": dateline or credit.dateline or own.dateline,
    }


# ----------------------------------------------------------------------------- stage

# Columns the clean stage writes (the record's metadata is merged with what the text held).
_FIELD_COLUMNS = ("title", "author", "keywords", "published_at", "source_credit", "agency", "dateline")


def clean_stage(batch: pa.Table, run_id: str, rules: RuleSet | None = None) -> StageResult:
    """PAGE -> CLEANED: every record's text cleaned by the rules, its metadata merged. A record
    whose body is empty after cleaning, or whose cleaning raised, goes to quarantine with the reason."""
    rules = rules or default_rules()
    texts, titles = batch["text"].to_pylist(), batch["title"].to_pylist()
    hints, credits, keywords, outlets = (
        batch[c].to_pylist() for c in ("published_raw", "author", "keywords", "outlet")
    )
    ids = batch["article_id"].to_pylist()
    bodies: list[str] = []
    fields: dict[str, list] = {c: [] for c in _FIELD_COLUMNS}
    removed: dict[str, list] = {"id": [], "rule": [], "category": [], "text": []}
    failed, reasons = [], []
    for i, text in enumerate(texts):
        try:
            c = clean_text(text or "", title=titles[i], rules=rules, outlet=outlets[i])
            meta = article_fields(c, hints[i], credits[i], keywords[i], outlet=outlets[i])
        except Exception as exc:  # a bug on one record must not sink the run
            failed.append(i)
            reasons.append(f"cleaning failed: {type(exc).__name__}: {exc}")
            continue
        if not c.body.strip():
            failed.append(i)
            reasons.append("no body text left after boilerplate removal" if (text or "").strip() else "empty text")
            continue
        bodies.append(c.body)
        for name in _FIELD_COLUMNS:
            fields[name].append(meta[name])
        for rule, category, span in c.removed:
            removed["id"].append(ids[i])
            removed["rule"].append(rule)
            removed["category"].append(category)
            removed["text"].append(span)
    kept = drop_positions(batch, failed)
    for name in ("title", "author", "keywords"):  # the record's own values, merged with the text's
        kept = kept.set_column(
            kept.schema.get_field_index(name), name, pa.array(fields[name], kept.schema.field(name).type)
        )
    kept = kept.append_column("body", pa.array(bodies, pa.string()))
    for name in ("published_at", "source_credit", "agency", "dateline"):
        kept = kept.append_column(name, pa.array(fields[name], CLEANED.field(name).type))
    gone = set(ids[i] for i in failed)  # spans of a quarantined record are not published
    keep_span = [a not in gone for a in removed["id"]]
    spans = boilerplate_rows(*([v for v, k in zip(col, keep_span) if k] for col in removed.values()), run_id=run_id)
    result = StageResult(kept.select(CLEANED.names), spans, quarantine_rows(batch, failed, reasons, run_id, "clean"))
    result.counts.update(cleaned=kept.num_rows)
    return result
