"""Boilerplate removal and metadata extraction for scraped (Arabic) news HTML.

Pure function, no Prefect: :func:`extract_html` takes one page (``str`` or raw
``bytes``) and returns an :class:`HtmlExtract` with the main article text (one
paragraph per line), the page metadata found in ``<meta>``/``<link>``/JSON-LD/
microdata, and an audit trail of every block of visible text that was thrown
away as boilerplate.

Parsing uses BeautifulSoup with the ``lxml`` parser.  The document tree is never
mutated: one iterative walk over the tree both builds the text lines and
records the removed blocks, so deep or broken markup cannot hit the recursion
limit.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from akhbar.tasks.arabic import normalize_search
from akhbar.tasks.dates import find_date_line
from bs4 import BeautifulSoup
from bs4.element import (
    NavigableString,
    PreformattedString,
    Script,
    Stylesheet,
    Tag,
    TemplateString,
)

__all__ = ["HtmlExtract", "extract_html", "BOILERPLATE_CLASS_RULES"]


@dataclass(slots=True)
class HtmlExtract:
    text: str  # main article text, one paragraph per line, no empty lines
    title: str | None = None
    published: str | None = None  # raw date string as found in the page
    author: str | None = None
    canonical_url: str | None = None
    keywords: list[str] = field(default_factory=list)
    # (category, text) of every non-empty block of visible text removed as boilerplate
    removed: list[tuple[str, str]] = field(default_factory=list)
    site_name: str | None = None  # og:site_name / application-name: the outlet's own name


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------

# Never visible text: dropped without a trace in ``removed``.
_SILENT_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "iframe",
        "head",
        "title",
        "meta",
        "link",
        "base",
        "object",
        "embed",
        "canvas",
        "video",
        "audio",
        "source",
        "track",
        "img",
        "picture",
        "input",
        "map",
    }
)

# Structural boilerplate tags -> category recorded in ``removed``.
_BOILERPLATE_TAGS: dict[str, str] = {
    "nav": "nav",
    "menu": "nav",
    "header": "header",
    "footer": "footer",
    "aside": "aside",
    "form": "form",
    "select": "form",
    "textarea": "form",
    "button": "button",
    "dialog": "popup",
}

# ARIA landmark roles that mark boilerplate.
_BOILERPLATE_ROLES: dict[str, str] = {
    "navigation": "nav",
    "banner": "header",
    "contentinfo": "footer",
    "complementary": "aside",
    "search": "form",
    "dialog": "popup",
    "alertdialog": "popup",
}

# Whole ``id`` values of pre-HTML5 layouts (``<div id="header">``).
_BOILERPLATE_IDS: dict[str, str] = {
    "header": "header",
    "footer": "footer",
    "nav": "nav",
    "navigation": "nav",
    "menu": "nav",
    "sidebar": "aside",
}

# Block-level elements: start a new line before and after their content.
_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "section",
        "article",
        "main",
        "td",
        "th",
        "tr",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "caption",
        "figure",
        "figcaption",
        "pre",
        "hr",
        "address",
        "center",
        "details",
        "summary",
        "fieldset",
        "legend",
        "body",
        "html",
    }
)

# Inline elements: never chrome on their own (a link or a bold word inside a paragraph).
_INLINE_TAGS = frozenset(
    {"a", "b", "strong", "i", "em", "u", "sup", "sub", "small", "mark", "abbr", "cite", "q", "font", "br"}
)

# Class values that mean "not rendered".
_HIDDEN_CLASSES = frozenset(
    {"hidden", "d-none", "sr-only", "visually-hidden", "screen-reader-text", "hide", "invisible"}
)

# Class/id tokens are compared on a normalised string: camelCase split, lower-
# cased, ``_`` turned into ``-``, values separated by spaces.  Each pattern must
# match whole hyphen-separated tokens (``ad`` matches ``ad``, ``ad-slot``,
# ``top-ad``, ``ad2`` but never ``header``, ``read``, ``lead``, ``shadow``).
# ``has-ads``/``no-comments``/``with-sidebar`` style state classes are ignored.
_TOKEN_START = r"(?<![a-z0-9])(?<!has-)(?<!no-)(?<!with-)(?<!show-)"
_TOKEN_END = r"(?![a-z])"

_RULE_SOURCES: list[tuple[str, str]] = [
    ("breadcrumbs", r"bread-?crumbs?|crumbs?"),
    ("comments", r"comments?|comment-?(?:list|area|form|section|box)|disqus\w*|fb-comments|respond|replies"),
    ("newsletter", r"newsletters?|subscribe|subscriptions?|sign-?up|mailing-list|mailchimp"),
    ("share", r"share|shares|sharing|sharethis|addthis|addtoany|a2a"),
    ("social", r"social|socials|follow-us|followus"),
    (
        "related",
        r"related|similar|read-?more|more-?news|more-?stories|more-?articles|read-?also|also-?read"
        r"|see-?also|recommended|recommendations?|you-may-like|taboola|outbrain|popular|most-?read"
        r"|most-?viewed|most-?popular|most-?commented|trending|latest-?news|other-?news|suggested",
    ),
    ("tags", r"tags|tags?-?list|tag-?cloud|hashtags"),
    ("author", r"author-?box|author-?bio|about-(?:the-)?author|author-?info|author-?card|byline|author"),
    (
        "ad",
        r"ads?\d*|advert\w*|adsense|adsbygoogle|adslot|adunit|dfp|doubleclick|banners?|sponsor\w*"
        r"|promoted|promo",
    ),
    ("nav", r"nav|navbar|navigation|menus?|main-?menu|mega-?menu|pagination|pager|skip-link"),
    ("header", r"(?:site|page|main|top|global)-?header|masthead|top-?bar"),
    ("footer", r"footer|copyrights?|copy-?rights?"),
    ("aside", r"sidebar|side-bar|widget-area"),
    ("popup", r"modal|popup|pop-up|cookies?|cookie-?\w+|consent|gdpr"),
]

#: Module-level table of (category, compiled regex) applied to class/id tokens.
#: Order is priority: the first matching rule names the category.
BOILERPLATE_CLASS_RULES: list[tuple[str, re.Pattern[str]]] = [
    (cat, re.compile(f"{_TOKEN_START}(?:{src}){_TOKEN_END}")) for cat, src in _RULE_SOURCES
]
# Cheap pre-filter: one search decides whether the ordered table must be consulted.
_ANY_RULE = re.compile(f"{_TOKEN_START}(?:{'|'.join(src for _, src in _RULE_SOURCES)}){_TOKEN_END}")

_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_WS = re.compile(r"\s+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_KEYWORD_SPLIT = re.compile(r"[,،;؛]")
_TITLE_SEP = re.compile(r"\s*\|\s*|\s+[-–—:»«•·ـ|/]+\s+|\s*::\s*")
_NON_WORD = re.compile(r"[\W_]+")
_URL_LIKE = re.compile(r"^(?:https?:)?//|^www\.", re.I)
_AUTHOR_PREFIX = re.compile(r"^(?:بقلم|كتب|كتبت|كتبه|إعداد|اعداد|تحرير|حرر|تقرير|by)\s*[:：\-–—]?\s*", re.I)
_ARTICLE_TYPE = re.compile(r"Article|BlogPosting|Report", re.I)
_LD_DATE_FALLBACK = re.compile(r'"datePublished"\s*:\s*"([^"\\]+)"')
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)

_AUTHOR_CLASSES = frozenset(
    {
        "author",
        "author-name",
        "authorname",
        "author_name",
        "post-author",
        "article-author",
        "entry-author",
        "writer",
        "writer-name",
        "byline-author",
        "byline__author",
        "author__name",
        "byline-name",
    }
)
_BYLINE_CLASSES = frozenset({"byline", "by-line", "article-byline", "post-byline", "entry-byline"})

# <meta> keys (lower-cased name/property) for the publication date, by priority.
_DATE_META_PRIMARY = ("article:published_time", "pubdate", "publishdate", "date", "datepublished")
_DATE_META_EXTRA = (
    "og:article:published_time",
    "og:published_time",
    "publish-date",
    "publish_date",
    "article.published",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dc.date",
    "dcterms.date",
    "dcterms.created",
    "dcterms.issued",
)

# Ancestor categories that do not disqualify an element as metadata source.
_META_ALLOWED_REGIONS = frozenset({"article-header", "author"})

# Page chrome inside the content region, found by what it is rather than by class names (the way
# trafilatura's link-density and boilerplate tests work): block labels, copyright and comment-policy
# lines, reading times, picture captions, link lists, language switches.
_CHROME_LABELS = frozenset(
    normalize_search(x)
    for x in (
        "الأكثر قراءة",
        "الأكثر مشاهدة",
        "الأكثر تداولا",
        "الأكثر تعليقا",
        "الأكثر شعبية",
        "الأكثر قراءة اليوم",
        "آخر الأخبار",
        "أحدث الأخبار",
        "أخبار عاجلة",
        "اقرأ أيضا",
        "اقرأ أيضاً",
        "اقرأ أيضًا",
        "إقرأ أيضا",
        "اقرأ المزيد",
        "مقالات ذات صلة",
        "أخبار ذات صلة",
        "موضوعات ذات صلة",
        "مواضيع ذات صلة",
        "الموضوعات المتعلقة",
        "أخبار متعلقة",
        "مواضيع متعلقة",
        "موضوعات متعلقة",
        "اخترنا لك",
        "اخترنا لكم",
        "زوارنا يقرأون الآن",
        "قد يعجبك أيضا",
        "قد يهمك",
        "المزيد من الأخبار",
        "المزيد",
        "التالي",
        "السابق",
        "المقال التالي",
        "المقال السابق",
        "الخبر التالي",
        "الخبر السابق",
        "شارك",
        "مشاركة",
        "شارك الخبر",
        "تابعونا",
        "تابعنا",
        "most read",
        "most viewed",
        "most popular",
        "related",
        "related articles",
        "read more",
        "read also",
        "latest",
        "latest news",
        "next",
        "previous",
        "share",
    )
)
_COPYRIGHT = re.compile(
    r"جميع\s+الحقوق\s+محفوظة|حقوق\s+(?:النشر|الطبع)\s+محفوظة|©|copyright|all\s+rights\s+reserved", re.I
)
_COMMENT_POLICY = re.compile(
    r"(?:أضف|اضف|أضيفي)\s+تعليق|تعليقات\s+القراء|شروط\s+(?:التعليق|النشر)|سياسة\s+(?:التعليق|التعليقات)"
    r"|التعليقات\s+(?:المنشورة|الواردة)|لا\s+تعبر\s+(?:بالضرورة\s+)?عن\s+(?:رأي|وجهة\s+نظر)\s+(?:الموقع|الجريدة|الصحيفة)"
    r"|comment\s+policy|leave\s+a\s+comment",
    re.I,
)
_READING_TIME = re.compile(r"^\d+\s*(?:min|mins|minutes?|دقيقة|دقائق|د)\.?(?:\s*(?:read|للقراءة|قراءة))?$", re.I)
_BYLINE_TEXT = re.compile(r"^(?:كتب|كتبت|بقلم|إعداد|اعداد|تحرير|تقرير)\s*[:：\-–—]?\s*(?=\S)")
# words a sentence has and a person's name does not ("كتبت الصحيفة أن ..." is no byline)
_NOT_IN_NAMES = frozenset(
    "أن إن ان في من عن إلى الى التي الذي الذين هذا هذه قد لم لن ثم كان كانت عبر حول بعد قبل مع اليوم".split()
)
_LANGUAGES = frozenset(
    x.casefold()
    for x in (
        "English",
        "Français",
        "Francais",
        "Español",
        "Deutsch",
        "Русский",
        "Türkçe",
        "فارسی",
        "اردو",
        "עברית",
        "عربي",
        "العربية",
        "Arabic",
        "中文",
        "Italiano",
        "Português",
        "EN",
        "FR",
        "AR",
        "ES",
        "DE",
    )
)
# words that date or count the items of a link list ("الإثنين، 13 مايو 2024 02:28 م"): not prose around the links
_LIST_FURNITURE = re.compile(
    r"^(?:\W*\d[\d:/.\-]*\W*|[وال]*(?:أحد|احد|اثنين|إثنين|ثلاثاء|أربعاء|اربعاء|خميس|جمعة|سبت)[،,]?|ص|م|منذ|ساعة|ساعات|دقيقة|دقائق|يوم|أيام"
    r"|(?:يناير|فبراير|مارس|أبريل|ابريل|مايو|يونيو|يوليو|أغسطس|اغسطس|سبتمبر|أكتوبر|اكتوبر|نوفمبر|ديسمبر)[،,]?)$"
)
_CONTAINERS = frozenset({"div", "ul", "ol", "section", "table", "dl", "tbody", "center"})
LINK_LIST_MAX_WORDS = 200  # a link list longer than this is no box beside a story
BOX_MAX_WORDS = 40  # a labelled box (label + a few headlines) holds at most this many words
BOX_MAX_LINKS = 8  # link blocks a bare label heads (as the rules' read-also blocks)

_END = object()  # closes a block element during the walk
_ROOT_END = object()  # leaves the main-content root during the walk


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _collapse(s: str | None) -> str:
    return _WS.sub(" ", s).strip() if s else ""


def _norm_name(s: str) -> str:
    return _NON_WORD.sub("", s.casefold())


def _codec_for(label: str) -> str | None:
    label = label.strip().strip("\"'").lower()
    if label in {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii", "iso_8859-1"}:
        return "cp1252"  # WHATWG: these labels mean windows-1252
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name.startswith(("utf-16", "utf-32")):
        return "utf-8"  # an ASCII-compatible <meta> cannot be UTF-16 (WHATWG)
    return name


_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""", re.I)


def _decode(data: bytes) -> str:
    """BOM, then ``<meta charset>``/XML declaration, then UTF-8 with replacement."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace")
    if data.startswith(codecs.BOM_UTF16_LE):
        return data[2:].decode("utf-16-le", "replace")
    if data.startswith(codecs.BOM_UTF16_BE):
        return data[2:].decode("utf-16-be", "replace")
    declared: str | None = None
    head = data[:16384]
    m = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    if m:
        declared = _codec_for(m.group(1).decode("ascii", "ignore"))
    if declared and declared != "utf-8":
        # A page that is valid, non-ASCII UTF-8 is UTF-8 whatever the template
        # claims (server-side re-encoding is common; real windows-1256 Arabic
        # text is practically never valid UTF-8).
        if not data.isascii():
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                pass
        return data.decode(declared, "replace")
    return data.decode("utf-8", "replace")


def _class_string(tag: Tag) -> str:
    attrs = tag.attrs
    cls = attrs.get("class")
    idv = attrs.get("id")
    parts: list[str] = []
    if cls:
        parts.extend(cls if isinstance(cls, list) else str(cls).split())
    if idv:
        parts.append(str(idv))
    if not parts:
        return ""
    return _CAMEL.sub(r"\1-\2", " ".join(parts)).lower().replace("_", "-")


def _is_hidden(tag: Tag) -> bool:
    attrs = tag.attrs
    if "hidden" in attrs:
        return True
    style = attrs.get("style")
    if style and _HIDDEN_STYLE.search(style):
        return True
    cls = attrs.get("class")
    if cls:
        values = cls if isinstance(cls, list) else str(cls).split()
        for v in values:
            if v.lower() in _HIDDEN_CLASSES:
                return True
    return False


def _classes(tag: Tag) -> list[str]:
    cls = tag.attrs.get("class")
    if not cls:
        return []
    return [c.lower() for c in (cls if isinstance(cls, list) else str(cls).split())]


def _text_size(tag: Tag) -> int:
    return sum(len(s) for s in tag.get_text(" ").split())


def _split_keywords(values: Iterable[Any]) -> Iterator[str]:
    for v in values:
        if isinstance(v, str):
            for part in _KEYWORD_SPLIT.split(v):
                part = _collapse(part)
                if part:
                    yield part


def _clean_author(s: str | None) -> str | None:
    s = _collapse(s)
    if not s:
        return None
    s = _AUTHOR_PREFIX.sub("", s).strip(" :-–—|،,")
    if not s or len(s) > 120:
        return None
    return s


def _strip_site_name(title: str, site: str | None) -> str:
    if not site:
        return title
    key = _norm_name(site)
    if not key:
        return title
    parts = _TITLE_SEP.split(title)
    if len(parts) < 2:
        return title
    if _norm_name(parts[-1]) == key:
        m = list(_TITLE_SEP.finditer(title))[-1]
        rest = title[: m.start()].strip()
        return rest or title
    if _norm_name(parts[0]) == key:
        m = _TITLE_SEP.search(title)
        assert m is not None
        rest = title[m.end() :].strip()
        return rest or title
    return title


# ---------------------------------------------------------------------------
# JSON-LD
# ---------------------------------------------------------------------------


def _loads_lenient(raw: str) -> list[Any]:
    raw = raw.strip()
    if not raw:
        return []
    try:
        return [json.loads(raw, strict=False)]
    except ValueError:
        pass
    cleaned = raw.replace("<!--", "").replace("-->", "")
    cleaned = cleaned.replace("//<![CDATA[", "").replace("//]]>", "")
    cleaned = cleaned.replace("<![CDATA[", "").replace("]]>", "")
    cleaned = _TRAILING_COMMA.sub(r"\1", cleaned).strip().rstrip(";")
    decoder = json.JSONDecoder(strict=False)
    out: list[Any] = []
    pos = 0
    n = len(cleaned)
    while pos < n:
        while pos < n and cleaned[pos] in " \t\r\n,;":
            pos += 1
        if pos >= n:
            break
        try:
            obj, pos = decoder.raw_decode(cleaned, pos)
        except ValueError:
            break
        out.append(obj)
    return out


def _ld_nodes(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 6:
        return
    if isinstance(data, list):
        for item in data:
            yield from _ld_nodes(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if graph is not None:
            yield from _ld_nodes(graph, depth + 1)


def _ld_is_article(node: dict[str, Any]) -> bool:
    t = node.get("@type")
    types = t if isinstance(t, list) else [t]
    return any(isinstance(x, str) and _ARTICLE_TYPE.search(x) for x in types)


def _ld_author(value: Any) -> str | None:
    names: list[str] = []

    def add(v: Any) -> None:
        if isinstance(v, str):
            if not _URL_LIKE.match(v.strip()):
                c = _clean_author(v)
                if c:
                    names.append(c)
        elif isinstance(v, dict):
            add(v.get("name"))
        elif isinstance(v, list):
            for x in v:
                add(x)

    add(value)
    seen: list[str] = []
    for n in names:
        if n not in seen:
            seen.append(n)
    return ", ".join(seen) or None


# ---------------------------------------------------------------------------
# Extraction
# ---------------------------------------------------------------------------


def _has_blocks(tag: Tag) -> bool:
    return any(d.__class__ is Tag and d.name in _BLOCK_TAGS for d in tag.descendants)


def _holds_prose(tag: Tag) -> bool:
    """Whether a block holds a sentence of the story, not a headline: a text run outside links of 20
    words or more, or of 12 or more that ends as a sentence does (headlines end with no full stop)."""
    for t in tag.find_all(string=True):
        n = len(str(t).split())
        if n >= 12 and t.find_parent("a") is None and (n >= 20 or str(t).rstrip().endswith((".", "!", "؟", "?"))):
            return True
    return False


def _all_link_text(tag: Tag) -> bool:
    """A block whose visible words are all inside links."""
    if _holds_prose(tag):
        return False
    text = _collapse(tag.get_text(" "))
    links = " ".join(_collapse(a.get_text(" ")) for a in tag.find_all("a"))
    return bool(text) and len(text.split()) == len(links.split())


class _Extractor:
    def __init__(self, soup: BeautifulSoup) -> None:
        self.soup = soup
        self.protected: set[int] = set()
        self.headline: Tag | None = None
        self.root: Tag = soup
        self.removed: list[tuple[str, str]] = []
        self.class_removed_in_root = 0
        self.body_size: int | None = None
        self.body_started = False  # a prose line of the story has been output
        self.visible_date: str | None = None
        self.visible_author: str | None = None
        self.boxes: dict[int, str] = {}  # id of a labelled box -> category (mark_labelled_boxes)

    # -- classification ----------------------------------------------------

    def class_category(self, tag: Tag) -> str | None:
        """Category from the class/id table (and pre-HTML5 layout ids)."""
        attrs = tag.attrs
        if not attrs:
            return None
        s = _class_string(tag)
        if s and _ANY_RULE.search(s):
            for cat, rx in BOILERPLATE_CLASS_RULES:
                if rx.search(s):
                    return cat
        idv = attrs.get("id")
        if idv and isinstance(idv, str):
            return _BOILERPLATE_IDS.get(idv.strip().lower())
        return None

    def tag_category(self, tag: Tag) -> str | None:
        """Category from the element name or its ARIA landmark role."""
        name = tag.name
        cat = _BOILERPLATE_TAGS.get(name)
        if cat:
            if name == "header" and tag.find_parent("article") is not None:
                return "article-header"  # kept only for its <h1>; recorded as "header"
            if name == "form" and self.is_page_wrapper(tag):
                return None  # ASP.NET-style <form> around the whole page
            return cat
        role = tag.attrs.get("role")
        if role and isinstance(role, str):
            return _BOILERPLATE_ROLES.get(role.strip().lower())
        return None

    def is_page_wrapper(self, tag: Tag) -> bool:
        """True for a <form> holding at least half of the page's text."""
        if self.body_size is None:
            self.body_size = _text_size(self.soup.body or self.soup)
        return self.body_size > 0 and _text_size(tag) * 2 >= self.body_size

    def category(self, tag: Tag) -> str | None:
        """Boilerplate category of ``tag`` itself (not its ancestors), or None."""
        if id(tag) in self.protected:
            return None
        return self.class_category(tag) or self.tag_category(tag)

    def region(self, tag: Tag, stop: Tag | None = None) -> str | None:
        """First boilerplate category among the ancestors of ``tag`` (up to ``stop``)."""
        for p in tag.parents:
            if p is stop or p.name in ("[document]", "html", "body"):
                return None
            cat = self.category(p)
            if cat:
                return cat
        return None

    def in_bad_region(self, tag: Tag, stop: Tag | None = None) -> bool:
        cat = self.region(tag, stop)
        return cat is not None and cat not in _META_ALLOWED_REGIONS

    # -- chrome inside the content region --------------------------------------

    def content_chrome(self, tag: Tag) -> str | None:
        """Category of page chrome that sits inside the content region, judged by its text and links:
        a block label ("الأكثر قراءة", "التالي") with what it heads, a copyright or comment-policy
        line, a reading time, a picture caption, a byline or date line above the story (kept as the
        page's author/date when its metadata has none), a list of links, a language switch."""
        name = tag.name
        text = _collapse(tag.get_text(" "))
        if not text:
            return None
        words = text.split()
        n = len(words)
        marked = self.boxes.get(id(tag))
        if marked:
            return marked
        leaf = n <= 60 and not _has_blocks(tag)  # a line of its own, not a block holding the story
        if leaf and _COPYRIGHT.search(text):
            return "footer"
        if leaf and _COMMENT_POLICY.search(text):
            return "comments"
        if n <= 4 and _READING_TIME.match(text):
            return "byline"
        if n <= 6 and normalize_search(text) in _CHROME_LABELS:
            return "related"
        if not self.body_started and n <= 30 and self.is_lead_caption(tag, text):
            return "caption"
        if not self.body_started and n <= 12 and not _has_blocks(tag):
            if find_date_line(text) is not None:
                self.visible_date = self.visible_date or text
                return "date"
            if n <= 8 and (m := _BYLINE_TEXT.match(text)) and not _NOT_IN_NAMES.intersection(text[m.end() :].split()):
                self.visible_author = self.visible_author or _clean_author(text)
                return "author"
        if name in _CONTAINERS and n <= LINK_LIST_MAX_WORDS:
            return self.link_block(tag, words)
        return None

    def mark_labelled_boxes(self, root: Tag) -> None:
        """A block label inside the content region ("التالي", "الأكثر قراءة") heads a box of links: the
        box is the largest block around the label, below the content root, still short (BOX_MAX_WORDS)."""
        for string in root.find_all(string=True):
            text = _collapse(str(string))
            if not text or len(text.split()) > 6 or normalize_search(text) not in _CHROME_LABELS:
                continue
            box = None
            node = string.parent
            while node is not None and node is not root and id(node) not in self.protected:
                if len(_collapse(node.get_text(" ")).split()) > BOX_MAX_WORDS or _holds_prose(node):
                    break  # a short story is no box: its sentences stay
                box = node
                node = node.parent
            if box is None:
                continue
            self.boxes[id(box)] = "related"
            if _collapse(box.get_text(" ")) != text:
                continue
            # a label standing alone among the story's paragraphs heads the link-only blocks after it
            # ("مواضيع ذات صلة:" then one <p><a>headline</a></p> per link)
            for sib in box.find_next_siblings(True, limit=BOX_MAX_LINKS):
                if id(sib) in self.protected or not _all_link_text(sib):
                    break
                self.boxes[id(sib)] = "related"

    def is_lead_caption(self, tag: Tag, text: str) -> bool:
        """The caption of the picture above the story: text sharing its parent only with an image."""
        parent = tag.parent
        if parent is None or id(parent) in self.protected:
            return False
        if not any(isinstance(c, Tag) and c.name in ("img", "picture") for c in parent.children):
            return False
        return _collapse(parent.get_text(" ")) == text

    def link_block(self, tag: Tag, words: list[str]) -> str | None:
        """A block that is links and little else: a link box (related, most read, next/previous), a
        breadcrumb trail above the story, a language switch."""
        links = tag.find_all("a")
        if not links:
            return None
        link_words = sum(len(_collapse(a.get_text(" ")).split()) for a in links)
        prose = [w for w in words if not _LIST_FURNITURE.match(w)]
        if link_words < 2 or len(prose) - link_words > max(3, 0.15 * link_words):
            return None
        if sum(1 for a in links if a.get("hreflang") or _collapse(a.get_text(" ")).casefold() in _LANGUAGES) >= 2:
            return "nav"  # a language or edition switch
        if self.headline is not None and any(p is tag for p in self.headline.parents):
            return None
        return "related" if self.body_started else "nav"

    # -- text walk ------------------------------------------------------------

    def lines(self, top: Tag, classify: bool, class_in_root: bool = True) -> list[str]:
        """Walk ``top``'s children and return text lines.

        With ``classify`` the walk also drops boilerplate (recording it in
        ``self.removed``) and records text outside the main-content root as
        ``("outside", line)``; without it every visible string is kept (used to
        get the text of a removed block).
        """
        out: list[str] = []
        removed = self.removed
        root = self.root
        headline = self.headline
        buf: list[str] = []
        in_root = not classify or root is top
        stack: list[Any] = list(reversed(top.contents))

        def flush() -> None:
            if buf:
                line = _WS.sub(" ", "".join(buf)).strip()
                buf.clear()
                if line:
                    if in_root:
                        out.append(line)
                        if classify and line.count(" ") >= 11:
                            self.body_started = True
                    else:
                        removed.append(("outside", line))

        while stack:
            node = stack.pop()
            if node is _END:
                flush()
                continue
            if node is _ROOT_END:
                flush()
                in_root = False
                continue
            if node.__class__ is str:  # soft separator (collect mode)
                buf.append(node)
                continue
            if isinstance(node, NavigableString):
                if not isinstance(node, (PreformattedString, Script, Stylesheet, TemplateString)):
                    buf.append(node)
                continue
            if not isinstance(node, Tag):
                continue
            name = node.name
            if name in _SILENT_TAGS:
                continue
            if node is headline:
                flush()
                continue
            if classify:
                if node is root:
                    flush()
                    in_root = True
                    stack.append(_ROOT_END)
                    stack.extend(reversed(node.contents))
                    continue
                if id(node) not in self.protected:
                    by_class = False
                    if _is_hidden(node):
                        cat: str | None = "hidden"
                    else:
                        cat = None
                        if class_in_root or not in_root:
                            cat = self.class_category(node)
                            by_class = cat is not None
                        if cat is None:
                            cat = self.tag_category(node)
                        if cat is None and in_root and name not in _INLINE_TAGS:
                            cat = self.content_chrome(node)
                    if cat:
                        flush()
                        text = " ".join(self.lines(node, classify=False))
                        if text:
                            if cat == "article-header":
                                cat = "header"
                            removed.append((cat, text))
                            if in_root and by_class:
                                self.class_removed_in_root += len(text)
                        continue
            elif _is_hidden(node):
                continue
            if name == "br":
                flush()
                continue
            if name in _BLOCK_TAGS:
                flush()
                stack.append(_END)
            elif not classify:
                # Removed blocks are audit text: keep adjacent links/buttons apart.
                buf.append(" ")
                stack.append(" ")
            stack.extend(reversed(node.contents))
        flush()
        return out

    # -- root / headline -----------------------------------------------------

    def outside_cluster_beats(self, best: Tag, best_size: int, paragraphs: list[Tag]) -> bool:
        """True when a non-boilerplate parent of <p>s outside ``best`` holds more text.

        Guards against picking a teaser-card ``<article>`` when the story itself
        sits in a plain ``<div>``.
        """
        clusters: dict[int, list[Any]] = {}
        for p in paragraphs:
            if any(a is best for a in p.parents):
                continue
            parent = p.parent
            if parent is None:
                continue
            entry = clusters.setdefault(id(parent), [parent, 0])
            entry[1] += _text_size(p)
        for parent, size in sorted(clusters.values(), key=lambda e: -e[1]):
            if size <= best_size:
                return False
            if self.category(parent) is None and self.region(parent) is None:
                return True
        return False

    def choose_root(self, articles: list[Tag], bodies: list[Tag], mains: list[Tag], paragraphs: list[Tag]) -> Tag:
        soup = self.soup
        body = soup.body or soup
        best: Tag | None = None
        best_size = -1
        for art in articles:
            if self.region(art) is not None:
                continue  # an <article> card inside a sidebar, related box, ...
            size = _text_size(art)
            if size > best_size:
                best, best_size = art, size
        article_body: Tag | None = None
        ab_size = -1
        for el in bodies:
            if self.region(el) is not None:
                continue
            size = _text_size(el)
            if size > ab_size:
                article_body, ab_size = el, size
        if best is not None:
            inside = article_body is not None and any(p is best for p in article_body.parents)
            if article_body is not None and not inside and ab_size > best_size:
                return article_body
            # The page marks its body explicitly inside the <article>: bylines, score boxes and
            # date lines around it are page furniture, not body.
            if inside and ab_size >= 0.5 * best_size:
                return article_body
            if not self.outside_cluster_beats(best, best_size, paragraphs):
                return best
        if article_body is not None:
            return article_body
        for m in mains:
            if self.region(m) is None:
                return m
        return body


DATE_NEAR_TITLE_STRINGS = 25  # text strings after the headline searched for a shown date


def _date_near(headline: Tag | None) -> str | None:
    """The first short text after the page's headline that is a whole date ("الأحد، 12 مايو 2024"):
    the date the page shows under its title, wherever the template puts it."""
    if headline is None:
        return None
    for string in headline.find_all_next(string=True, limit=DATE_NEAR_TITLE_STRINGS):
        if isinstance(string, (Script, Stylesheet, TemplateString)) or string.find_parent(["script", "style"]):
            continue
        text = _collapse(str(string))
        if text and len(text.split()) <= 12 and find_date_line(text) is not None:
            return text
    return None


def _first_nonempty(values: Iterable[str | None]) -> str | None:
    for v in values:
        v = _collapse(v)
        if v:
            return v
    return None


def extract_html(html: str | bytes) -> HtmlExtract:
    """Extract main text, metadata and removed boilerplate from one HTML page."""
    if html is None:
        return HtmlExtract(text="")
    if isinstance(html, (bytes, bytearray, memoryview)):
        html = _decode(bytes(html))
    if not isinstance(html, str):
        html = str(html)
    if html.startswith("\ufeff"):
        html = html[1:]
    html = _XML_DECL.sub("", html, count=1)
    if "\x00" in html:
        html = html.replace("\x00", "")
    if not html.strip():
        return HtmlExtract(text="")
    if "<" not in html:
        html = "<body>" + html  # plain text; also avoids bs4's "looks like a URL" warning

    soup = BeautifulSoup(html, "lxml")
    ex = _Extractor(soup)

    # -- one pass over all tags -------------------------------------------------
    meta: dict[str, list[str]] = {}
    canonical: list[str] = []
    ld_raw: list[str] = []
    titles: list[Tag] = []
    h1s: list[Tag] = []
    times: list[Tag] = []
    articles: list[Tag] = []
    bodies: list[Tag] = []
    mains: list[Tag] = []
    paragraphs: list[Tag] = []
    date_props: list[Tag] = []
    author_props: list[Tag] = []
    rel_authors: list[Tag] = []
    author_cls: list[Tag] = []
    byline_cls: list[Tag] = []

    for tag in soup.find_all(True):
        name = tag.name
        attrs = tag.attrs
        if name == "meta":
            content = attrs.get("content")
            if content is None:
                continue
            for key in ("name", "property"):
                k = attrs.get(key)
                if k and isinstance(k, str):
                    meta.setdefault(k.strip().lower(), []).append(content)
            ip = attrs.get("itemprop")
            if ip and isinstance(ip, str):
                meta.setdefault("itemprop:" + ip.strip().lower(), []).append(content)
            continue
        if name == "link":
            rel = attrs.get("rel")
            rels = rel if isinstance(rel, list) else str(rel or "").split()
            if any(r.lower() == "canonical" for r in rels) and attrs.get("href"):
                canonical.append(attrs["href"])
            continue
        if name == "script":
            typ = str(attrs.get("type", "")).strip().lower()
            if typ.startswith("application/ld+json"):
                ld_raw.append(tag.get_text() if tag.string is None else str(tag.string))
            continue
        if name == "p":
            paragraphs.append(tag)
        elif name == "title":
            titles.append(tag)
        elif name == "h1":
            h1s.append(tag)
        elif name == "time":
            if attrs.get("datetime"):
                times.append(tag)
        elif name == "article":
            articles.append(tag)
        elif name == "main":
            mains.append(tag)
        elif name == "a" and attrs.get("rel"):
            rel = attrs["rel"]
            rels = rel if isinstance(rel, list) else str(rel).split()
            if any(r.lower() == "author" for r in rels):
                rel_authors.append(tag)
        if not attrs:
            continue
        ip = attrs.get("itemprop")
        if ip and isinstance(ip, str):
            ipl = ip.lower().split()
            if "articlebody" in ipl:
                bodies.append(tag)
            if "datepublished" in ipl:
                date_props.append(tag)
            if "author" in ipl:
                author_props.append(tag)
        if "class" in attrs:
            cls = _classes(tag)
            if any(c in _AUTHOR_CLASSES for c in cls):
                author_cls.append(tag)
            elif any(c in _BYLINE_CLASSES for c in cls):
                byline_cls.append(tag)

    # -- JSON-LD --------------------------------------------------------------
    ld_nodes: list[dict[str, Any]] = []
    ld_date_fallback: str | None = None
    for raw in ld_raw:
        parsed = _loads_lenient(raw)
        if not parsed:
            m = _LD_DATE_FALLBACK.search(raw)
            if m and ld_date_fallback is None:
                ld_date_fallback = m.group(1)
        for data in parsed:
            ld_nodes.extend(_ld_nodes(data))
    ld_nodes.sort(key=lambda n: not _ld_is_article(n))  # stable: articles first

    def ld_first(key: str) -> Any:
        for node in ld_nodes:
            v = node.get(key)
            if v not in (None, "", [], {}):
                return v
        return None

    def meta_first(*keys: str) -> str | None:
        for k in keys:
            v = _first_nonempty(meta.get(k, ()))
            if v:
                return v
        return None

    # -- main-content root and headline ------------------------------------------
    root = ex.choose_root(articles, bodies, mains, paragraphs)
    ex.root = root
    protected = ex.protected
    if isinstance(root, Tag):
        protected.add(id(root))
        for p in root.parents:
            protected.add(id(p))
    for el in bodies:
        protected.add(id(el))
        for p in el.parents:
            protected.add(id(p))

    art: Tag = root
    if root.name != "article":
        parent_article = root.find_parent("article")
        if parent_article is not None:
            art = parent_article

    def descends(tag: Tag, anc: Tag) -> bool:
        return anc is soup or any(p is anc for p in tag.parents)

    headline: Tag | None = None
    for scope in (art, None):
        for h in h1s:
            if scope is not None and not descends(h, scope):
                continue
            if ex.in_bad_region(h) or _is_hidden(h):
                continue
            if _collapse(h.get_text(" ")):
                headline = h
                break
        if headline is not None or art is soup or art is soup.body:
            break
    ex.headline = headline

    # -- title -------------------------------------------------------------------
    site_name = meta_first("og:site_name", "application-name")
    title = meta_first("og:title")
    if title:
        title = _strip_site_name(title, site_name)
    elif headline is not None:
        title = _collapse(headline.get_text(" ")) or None
    if not title:
        for t in titles:
            if t.find_parent("svg") is not None:
                continue
            tt = _collapse(t.get_text(" "))
            if tt:
                title = _strip_site_name(tt, site_name)
                break
    if not title:
        hl = ld_first("headline")
        if isinstance(hl, str) and _collapse(hl):
            title = _collapse(hl)
    if title and headline is not None:
        # no og:site_name to strip by, but the page's own h1 is the title and what follows it after
        # a separator is a short site name ("… - BBC News عربي")
        h1 = _collapse(headline.get_text(" "))
        if h1 and title != h1 and title.startswith(h1):
            tail = title[len(h1) :]
            m = _TITLE_SEP.match(tail)
            if m and m.end() < len(tail) and len(tail[m.end() :].split()) <= 4:
                title = h1
    title = title or None

    # -- published -------------------------------------------------------------------
    published = meta_first(*_DATE_META_PRIMARY) or meta_first("itemprop:datepublished")
    if not published:
        for el in date_props:
            if el.name == "meta":
                continue
            v = _collapse(el.get("content") or el.get("datetime") or el.get_text(" "))
            if v and not ex.in_bad_region(el):
                published = v
                break
    if not published:
        in_art = [t for t in times if descends(t, art) and not ex.in_bad_region(t, None)]
        preferred = [t for t in in_art if "pubdate" in t.attrs]
        for t in preferred + in_art:
            v = _collapse(t.get("datetime"))
            if v:
                published = v
                break
    if not published:
        v = ld_first("datePublished")
        if isinstance(v, str) and _collapse(v):
            published = _collapse(v)
        elif ld_date_fallback:
            published = ld_date_fallback.strip()
    if not published:
        published = meta_first(*_DATE_META_EXTRA)
    if not published:
        v = ld_first("dateCreated")
        if isinstance(v, str) and _collapse(v):
            published = _collapse(v)

    # -- author ------------------------------------------------------------------
    author = _clean_author(meta_first("author"))
    if not author:
        for v in meta.get("article:author", ()):
            v = _collapse(v)
            if v and not _URL_LIKE.match(v):
                author = _clean_author(v)
                if author:
                    break
    if not author:
        author = _ld_author(ld_first("author"))
    if not author:

        def candidates(tags: list[Tag]) -> Iterator[Tag]:
            scoped = [t for t in tags if descends(t, art)]
            rest = [t for t in tags if not descends(t, art)]
            for t in scoped + rest:
                if not ex.in_bad_region(t):
                    yield t

        author_prop_ids = {id(t) for t in author_props}
        for group in (rel_authors, author_props, author_cls, byline_cls):
            for t in candidates(group):
                if t.name == "meta":
                    v = t.get("content")
                elif id(t) in author_prop_ids:
                    name_el = t.find(attrs={"itemprop": "name"})
                    v = (
                        (name_el.get("content") or name_el.get_text(" "))
                        if name_el
                        else (t.get("content") or t.get_text(" "))
                    )
                else:
                    v = t.get_text(" ")
                author = _clean_author(v)
                if author:
                    break
            if author:
                break

    # -- canonical -------------------------------------------------------------------
    canonical_url = _first_nonempty(canonical) or meta_first("og:url")

    # -- keywords -----------------------------------------------------------------------
    kw_values: list[Any] = []
    kw_values += meta.get("keywords", [])
    kw_values += meta.get("news_keywords", [])
    kw_values += meta.get("article:tag", [])
    ld_kw = ld_first("keywords")
    if isinstance(ld_kw, list):
        kw_values += ld_kw
    elif isinstance(ld_kw, str):
        kw_values.append(ld_kw)
    keywords: list[str] = []
    seen: set[str] = set()
    for kw in _split_keywords(kw_values):
        key = kw.casefold()
        if key not in seen:
            seen.add(key)
            keywords.append(kw)

    # -- text -------------------------------------------------------------------------
    ex.class_removed_in_root = 0
    if isinstance(root, Tag) and root is not soup:
        ex.mark_labelled_boxes(root)
    lines = ex.lines(soup, classify=True)
    if not lines and ex.class_removed_in_root >= 200:
        # Safety net: a class/id rule matched a container holding the whole
        # article (e.g. ``class="story ad-free"``); retry without class/id
        # rules inside the root (tag rules still apply).
        ex.removed = []
        ex.class_removed_in_root = 0
        ex.body_started = False
        lines = ex.lines(soup, classify=True, class_in_root=False)
    if lines and title and lines[0] == title:
        lines = lines[1:]

    # a date or byline shown above the story stands in for metadata the page lacks
    published = published or ex.visible_date or _date_near(headline)
    author = author or ex.visible_author
    return HtmlExtract(
        text="\n".join(lines),
        title=title,
        published=published,
        author=author,
        canonical_url=canonical_url,
        keywords=keywords,
        removed=ex.removed,
        site_name=site_name,
    )
