"""Clean stage: strip boilerplate line by line with the reviewed rules in
`schemas/boilerplate_rules.yaml`, move metadata found in the text (date, tags, source credit,
byline, dateline, agency) into fields, and record every removed span with its rule and category."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import yaml

from schemas.tables import CLEANED
from tasks.arabic import normalize_display, normalize_search
from tasks.base import StageResult, boilerplate_rows, drop_positions, quarantine_rows
from tasks.dates import parse_date

RULES_PATH = Path(__file__).resolve().parent.parent / "schemas" / "boilerplate_rules.yaml"
ACTIONS = {"drop_line", "cut_rest", "drop_block", "extract", "strip_span"}
FIELDS = {"keywords", "source_credit", "agency", "published_at", "author", "dateline"}
BLOCK_MAX_LINES = 8     # most headline lines a read-also block swallows
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
    hints: tuple[str, ...] = ()   # a line must contain one of these to be worth a regex (cheap gate)

    def find(self, line: str) -> re.Match | None:
        if self.hints and not any(h in line for h in self.hints):
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


def marker_regex(rules: RuleSet | None = None) -> str:
    """A regex of unmistakable boilerplate markers, built from the rules file, that must never
    survive into a published body (used by the validation suite, so a new rule tightens it):
    any line a marker rule would match, and an ad marker anywhere."""
    rules = rules or default_rules()
    markers = [r for r in rules.rules if r.id in MARKER_RULES]
    lines = "|".join(f"(?:{'.*?' if r.search else ''}{r.regex.pattern})" for r in markers)
    return _NAMED_GROUP.sub("(?:", rf"(?m)^(?:{lines})|\[\s*ad_\d+\s*\]")


# Rules whose match inside a published body means cleaning failed (checked by validation).
MARKER_RULES = frozenset({"ad.marker", "tags.keywords", "read_also.trailing", "related.similar", "newsletter.signup", "comment.prompt"})


@dataclass(slots=True)
class Cleaned:
    body: str
    title: str | None = None
    published_at: datetime | None = None
    author: str | None = None
    keywords: list[str] = field(default_factory=list)
    space_tags: list[str] = field(default_factory=list)   # keywords read from a line of tags joined by spaces
    source_credit: str | None = None
    agency: str | None = None
    dateline: str | None = None
    removed: list[tuple[str, str, str]] = field(default_factory=list)  # (rule id, category, text)


def is_headline(line: str, max_words: int = 18) -> bool:
    """Short, and not ending like a sentence or a lead-in: the shape of a headline or a list item."""
    if len(line) > 160 or line.endswith((".", ":", "،", ",", "؛", ";", "…")):   # cheap tests first: most lines are paragraphs
        return False
    return 1 <= len(_WORD.findall(line)) <= max_words


def is_subheading(line: str, next_line: str | None) -> bool:
    """A short headline-shaped line directly above a paragraph: the paragraph's subheading, not the
    last of a run of links above it (links are full headlines, see SUBHEADING_MAX_WORDS)."""
    return (next_line is not None and not is_headline(next_line)
            and 1 <= len(_WORD.findall(line)) <= SUBHEADING_MAX_WORDS and is_headline(line))


_STOPWORDS = frozenset(normalize_search(
    "على إلى الى عن بعد قبل مع منذ خلال حول بين عند التي الذي الذين هذا هذه ذلك تلك كما وقد قد لم لن ثم او أو أن إن كان كانت"
).split())


_PREFIX = re.compile(r"^(?:[وف]?(?:بال|لل|كال|ال|ب|ل|ك))(?=\w{3})|^[وف](?=\w{3})")


def _content_words(text: str) -> set[str]:
    """Search-normalized words of three letters or more, stop words out, clitic prefixes (و ف ب ل ك ال) off."""
    words = (w for w in normalize_search(text).split() if w not in _STOPWORDS and not w.isdigit())
    return {_PREFIX.sub("", w) for w in words if len(w) >= 3}


def introduces(headline: str, paragraph: str) -> bool:
    """True when `paragraph` restates `headline` as a news lead does: it is a sentence, not another
    headline, and shares at least three content words and 40% of the headline's."""
    if is_headline(paragraph):
        return False
    head = _content_words(headline)
    shared = head & _content_words(paragraph)
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
_INLINE_HASHTAG = re.compile(r"(?:(?<=\s)|^)#([\u0621-\u064A][\u0621-\u064A\u0660-\u0669\d]*(?:_+[\u0621-\u064A\u0660-\u0669\d]+)*)")
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
                starts.setdefault(tuple(norms[i:i + n]), []).append(i)
        for gram, at in starts.items():
            free = []
            for i in at:   # occurrences that do not overlap each other
                if not free or i >= free[-1] + n:
                    free.append(i)
            if len(free) >= 2:
                for i in free:
                    claimed.update(range(i, i + n))
                    ends.add(i + n - 1)
    return ends


def _same_text(a: str, b: str) -> bool:
    return normalize_search(a) == normalize_search(b)


def clean_text(text: str, *, title: str | None = None, rules: RuleSet | None = None) -> Cleaned:
    """Clean one article's text. `title` is the title the record already carries, if any."""
    rules = rules or default_rules()
    out = Cleaned(body="", title=title or None)
    lines = [ln.strip() for ln in normalize_display(text).split("\n")]
    lines = [ln for ln in lines if ln]
    kept: list[str] = []
    end_seen = False
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        words = line.count(" ") + 1
        title_candidate = not kept and i < len(lines) and is_headline(line, max_words=25)
        for rule in rules.rules:
            if rule.max_words is not None and words > rule.max_words:
                continue
            if rule.where == "head" and not (not kept or (len(kept) == 1 and is_headline(kept[0]))):
                continue
            if rule.where == "head" and rule.action == "strip_span" and title_candidate:
                continue  # the headline itself ("مصدر بالكهرباء: لا تخفيف ...") carries no dateline
            if rule.where == "after_end" and not end_seen:
                continue
            m = rule.find(line)
            if m is None:
                continue
            end_seen = end_seen or rule.end_marker
            _take_fields(out, rule, m)
            if rule.action == "strip_span":
                rest = (line[: m.start()].rstrip(" -–—") + " " + line[m.end():]).strip()
                out.removed.append((rule.id, rule.category, m.group(0).strip()))
                if rest:
                    kept.append(rest)
            elif rule.action == "cut_rest":
                out.removed.append((rule.id, rule.category, "\n".join(lines[i - 1:])))
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
                    block.pop()   # the list ends above the next paragraph's subheading, which stays
                    i -= 1
                if len(block) == 2 and _READ_ALSO_LABEL.match(line) and i < len(lines) and introduces(block[1], lines[i]):
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
    if kept:
        if out.title and _same_text(kept[0], out.title):
            out.removed.append(("title.repeated", "title", kept.pop(0)))
        elif not out.title and len(kept) >= 2 and is_headline(kept[0], max_words=25):
            out.title = kept.pop(0)
            out.removed.append(("title.first_line", "title", out.title))
    out.body = "\n".join(kept)
    if out.space_tags:
        own_text = f"{out.title or ''}\n{out.body}"
        cut: list[str] = []
        for k in out.keywords:
            for tag in (segment_space_tags(k, own_text) if k in out.space_tags else [k]):
                if tag not in cut:
                    cut.append(tag)
        out.keywords = cut
    return out


def _take_fields(out: Cleaned, rule: Rule, m: re.Match) -> None:
    for group, target in rule.fields:
        value = m.groupdict().get(group)
        if not value or not value.strip():
            continue
        value = value.strip(" \t:：-–—()")
        if target == "keywords":
            tags = split_keywords(value)
            if len(tags) == 1 and len(tags[0].split()) >= 4:   # no separator at all: cut later, by the text
                out.space_tags.append(tags[0])
            out.keywords.extend(k for k in tags if k not in out.keywords)
        elif target == "published_at":
            if out.published_at is None:
                out.published_at = parse_date(value)
        elif getattr(out, target) is None:
            setattr(out, target, re.sub(r"\s+", " ", value))


# ----------------------------------------------------------------------------- credit lines

# A record's "author" is often the site's credit line, not a person: "برشلونة - رويترز" (city, wire
# agency), "أبوظبي - سكاي نيوز عربية" (desk, the outlet itself), "العربية.نت - إسلام سيف" (outlet,
# reporter), "العربية.نت، رويترز", or an id the CMS leaked ("30174026-20d9-40a2-..."). In the shared
# corpus 18,160 of 31,525 records carry a "place - name" credit and 4,153 more the outlet's bare name.
_AGENCY_NAME = re.compile(
    r"^(?:رويترز|أ\s*ف\s*ب|ا\s*ف\s*ب|فرانس\s*برس|أسوشيتد\s*برس|اسوشيتد\s*برس|أ\s*ب|د\s*ب\s*أ|د\.ب\.أ|أ\s*ش\s*أ|واس|وام|قنا|كونا|بترا"
    r"|سانا|بنا|الأناضول|سبوتنيك|شينخوا|إفي|يو\s*بي\s*آي|وكالات|AFP|Reuters|AP|dpa)$", re.IGNORECASE)
_OUTLET_NAME = re.compile(
    r"^(?:العربية\s*\.?\s*نت|قناة\s+(?:العربية|الحدث)|العربية|سكاي\s+نيوز(?:\s+عربية)?|فرانس\s*24|france\s*24|بي\s*بي\s*سي(?:\s+عربي)?|BBC|CNN|سي\s*إن\s*إن"
    r"|البوابة\s+العربية\s+للأخبار\s+التقنية)$", re.IGNORECASE)
_CMS_ID = re.compile(r"^[0-9a-f]{4,}(?:-[0-9a-f]{4,})*$", re.IGNORECASE)
_CREDIT_DASH = re.compile(r"\s+[-–—ـ_]\s*|\s*[-–—ـ_]\s+|(?<=\.نت)[-–—_]|[-–—_](?=العربية\.نت)")   # "العربية.نت-إسلام سيف"
_CREDIT_JOIN = re.compile(r"\s*[،,/]\s*|\s+و(?=وكالات|رويترز|فرانس)")
_PHOTO_CREDIT = re.compile(r"\s*\((?:تصوير|صور|الصور)[^)]*\)")


@dataclass(frozen=True, slots=True)
class Credit:
    author: str | None = None
    dateline: str | None = None
    agency: str | None = None


def parse_credit(value: str | None) -> Credit:
    """Read a credit line: who wrote it (a person), where it was filed, which wire agency it came from.
    The outlet's own name and CMS ids are neither; a value that is none of these stays the author."""
    value = _PHOTO_CREDIT.sub("", re.sub(r"\s+", " ", value or "")).strip(" -–—ـ،,")
    if not value or _CMS_ID.match(value):
        return Credit()
    parts = [part.strip() for part in _CREDIT_DASH.split(value)]
    place = None
    first = parts[0]
    if len(parts) > 1 and len(first.split()) <= 3 and not (_CMS_ID.match(first) or _OUTLET_NAME.match(first)
                                                           or _AGENCY_NAME.match(first)):
        place, parts = first, parts[1:]
    author = agency = None
    for piece in (x.strip() for part in parts for x in _CREDIT_JOIN.split(part)):
        if not piece or _CMS_ID.match(piece) or _OUTLET_NAME.match(piece):
            continue
        if _AGENCY_NAME.match(piece):
            agency = agency or piece
        else:
            author = author or piece
    return Credit(author=author, dateline=place, agency=agency)


def article_fields(c: Cleaned, published_hint: str | None = None, credit_line: str | None = None,
                   keywords: list[str] | None = None) -> dict:
    """An article's metadata from its cleaned text and its record's (or page's) own values: the
    record's date and keywords come first, its credit line is read into author, dateline and agency
    (the text's own dateline and agency win)."""
    published = parse_date(published_hint) if published_hint else None
    credit = parse_credit(credit_line)
    tags = list(keywords or [])
    tags += [k for k in c.keywords if k not in tags]
    return {
        "title": normalize_display(c.title) if c.title else None,
        "published_at": published or c.published_at,
        "author": credit.author or c.author,
        "keywords": [normalize_display(k) for k in tags],
        "source_credit": c.source_credit,
        "agency": c.agency or credit.agency,
        "dateline": c.dateline or credit.dateline,
    }


# ----------------------------------------------------------------------------- stage

# Columns the clean stage writes (the record's metadata is merged with what the text held).
_FIELD_COLUMNS = ("title", "author", "keywords", "published_at", "source_credit", "agency", "dateline")


def clean_stage(batch: pa.Table, run_id: str, rules: RuleSet | None = None) -> StageResult:
    """PAGE -> CLEANED: every record's text cleaned by the rules, its metadata merged. A record
    whose body is empty after cleaning, or whose cleaning raised, goes to quarantine with the reason."""
    rules = rules or default_rules()
    texts, titles = batch["text"].to_pylist(), batch["title"].to_pylist()
    hints, credits, keywords = (batch[c].to_pylist() for c in ("published_raw", "author", "keywords"))
    ids = batch["article_id"].to_pylist()
    bodies: list[str] = []
    fields: dict[str, list] = {c: [] for c in _FIELD_COLUMNS}
    removed: dict[str, list] = {"id": [], "rule": [], "category": [], "text": []}
    failed, reasons = [], []
    for i, text in enumerate(texts):
        try:
            c = clean_text(text or "", title=titles[i], rules=rules)
            meta = article_fields(c, hints[i], credits[i], keywords[i])
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
    for name in ("title", "author", "keywords"):   # the record's own values, merged with the text's
        kept = kept.set_column(kept.schema.get_field_index(name), name, pa.array(fields[name], kept.schema.field(name).type))
    kept = kept.append_column("body", pa.array(bodies, pa.string()))
    for name in ("published_at", "source_credit", "agency", "dateline"):
        kept = kept.append_column(name, pa.array(fields[name], CLEANED.field(name).type))
    gone = set(ids[i] for i in failed)   # spans of a quarantined record are not published
    keep_span = [a not in gone for a in removed["id"]]
    spans = boilerplate_rows(*([v for v, k in zip(col, keep_span) if k] for col in removed.values()), run_id=run_id)
    result = StageResult(kept.select(CLEANED.names), spans, quarantine_rows(batch, failed, reasons, run_id, "clean"))
    result.counts.update(cleaned=kept.num_rows)
    return result
