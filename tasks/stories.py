"""The story level: reports of one event across outlets, copies and rewrites in their own words.

Built the way news-stream clustering systems build it (Miranda et al. 2018, "Multilingual
clustering of streaming news"; Google News): each article is a TF-IDF vector of its title (weighed
up) and its opening, with the event's named places and people weighed up again; articles are taken
in time order and each one joins the story whose centroid it is closest to, among the stories still
open (a story stays open while it gets articles), when that similarity reaches a threshold that rises
with the story's age and its discriminators (place, day, count, ordinal, country) do not contradict
the story's first article; otherwise it opens a new story. Centroids, not single links: a run of
related reports does not chain a week of coverage into one story. Copy clusters are units: all copies
of one text are in one story.

What the grouping reads is the fingerprint table: the title, the date, the copy cluster, the
discriminator slots, and `story_terms` (the title's and the opening's terms, hashed; no text).
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from akhbar.tasks.dedup import (
    _CONTEXT_SHIFT,
    DedupSettings,
    contradicting,
    epoch_seconds,
    split_fingerprints,
    without_steps,
)

# A story term is a crc32 of a word stem or an entity value in the low 30 bits; the top bit marks
# an entity (a named place or person), weighed up, the next one a term of the title.
_TERM_MASK = np.uint32(0x3FFFFFFF)
_ENTITY_BIT = np.uint32(0x80000000)
_TITLE_BIT = np.uint32(0x40000000)
# Terms in more than `max_term_share` of a run's units are left out for cost, in runs where that
# share is at least this many units (in a night of 200 articles, a word in 20 of them still tells)
_MIN_COMMON = 50
# Units whose neighbours are found in one sparse product (a day of a large night, a night of undated
# articles): the product's memory is bounded by this many rows against the window before them
_BLOCK_UNITS = 4000


@dataclass(frozen=True)
class StorySettings:
    """Every story-level knob in one place (BENCHMARKS.md, issue 12, fourth pass, for how they were chosen)."""

    # Chosen on the two tuning samples (dedup_story_labels.json, _tuning2.json: 118 pairs); the
    # pair cosine separates same-story from different pairs best (AUC 0.93-0.94) with 40 opening
    # words rather than 80, and with no cap on common terms rather than 1% (the cap is for cost).
    lead_terms: int = 40  # words of the body's opening kept as terms (hashed, in the fingerprint table)
    title_weight: float = 3.0  # a title word counts as this many opening words (2: recall 0.845 vs 0.879)
    entity_weight: float = 1.5  # a named place or person counts this many times its idf (1: recall 0.810)
    max_term_share: float = 0.1  # terms in more than this share of the run's texts are left out (cost)
    # The join threshold rises with the story's age (sixth pass, BENCHMARKS.md): a unit joins a story
    # first published `age` hours before it at cosine >= threshold * exp(age / age_decay_hours), so a
    # young story takes a looser rewrite and a day-old one only close reports, and a day's topic does
    # not keep absorbing the reactions to it. Chosen leave-one-sample-out over the six labelled samples
    # (pooled held-out P / R 0.852 / 0.818; a fixed 0.4: 0.814 / 0.797).
    threshold: float = 0.3  # cosine to a new story's centroid that joins it (0.4 before the age decay)
    age_decay_hours: float = 48.0  # the threshold grows e-fold in this many hours of the story's age
    # A story stays open while its last article is this recent (24 h, was 12 h: with figures as terms
    # the setting chosen leave-one-sample-out over the eight labelled samples in seven folds of eight;
    # the rising bar, not the idle time, now keeps an old story from absorbing a day's reactions) ...
    idle_hours: float = 24.0
    max_span_hours: float = 72.0  # ... and no longer than this after its first one
    min_similarity: float = 0.1  # unit pairs less alike than this count as 0 in a centroid's dot product


def story_word(word: str) -> str:
    """A search-normalized word as a story term: a clitic و/ف, then ب/ل/ك, then the article off, so
    "والقاهره", "بالقاهره", "للقاهره" and "القاهره" are one term."""
    if len(word) > 4 and word[0] in "وف":
        word = word[1:]
    if len(word) > 4 and word[0] in "بلك":
        word = word[2:] if word.startswith("لل") else word[1:]
    if len(word) > 4 and word.startswith("ال"):
        word = word[2:]
    return word


# Titles that stand before a person's name in news Arabic: the two words after one are the name
# ("اللواء سامح الدمرداش", "المستشار احمد الزند"), whatever the outlet calls the event.
_HONORIFICS = (
    "اللواء العميد العقيد المقدم الرائد النقيب الفريق المشير الدكتور المستشار المهندس الشيخ السفير "
    "النائب الاستاذ الحاج السيد السيده الرئيس الامير الملك الداعيه الفنان الفنانه الكاتب المخرج "
    "الناشط الناشطه البابا الانبا الامام المطران القاضي المحامي الوزير المتحدث اللاعب المدرب"
)


@lru_cache(maxsize=1)
def honorifics() -> frozenset[str]:
    from akhbar.tasks.arabic import normalize_search

    return frozenset(normalize_search(_HONORIFICS).split())


# A figure of two digits or more in a word ("36", "151" and "6" of "6ر151", "5" of "5اشخاص" is too
# short): the event's toll, count, amount or percentage, which rewrites in other words still repeat and
# the same formula's next item changes. Seventh pass (BENCHMARKS.md): leave-one-sample-out over the
# seven labelled samples, the sixth pass's grid, 0.816 / 0.787 -> 0.851 / 0.811 (years excluded or not:
# the same).
_FIGURE = re.compile(r"\d{2,}")


def _hash(term: str) -> int:
    return zlib.crc32(term.encode()) & int(_TERM_MASK)


def term_hashes(norm: str, limit: int | None = None) -> list[int]:
    """Distinct story terms of a search-normalized text's first `limit` words (all: None), hashed,
    in text order: places (countries, cities: tasks.gazetteer) as one term per place whatever the
    spelling, with the entity bit; the two words after an honorific (a person's name), with the
    entity bit; figures (`_FIGURE`), with the entity bit; the other words of three letters or more
    as their stems."""
    from akhbar.tasks.gazetteer import discriminators, kind

    words = norm.split(maxsplit=limit)[:limit] if limit else norm.split()
    place_at: dict[int, tuple[int, str]] = {}  # a place's first word -> (its end, its value)
    for start, end, value in discriminators(words):
        if kind(value) in ("city", "country"):
            place_at[start] = (end, value)
    named = np.zeros(len(words) + 2, dtype=bool)  # a person's name: the two words after a title
    titles = honorifics()
    for i, w in enumerate(words):
        if w in titles or story_word(w) in titles:
            named[i + 1 : i + 3] = True
    seen: dict[int, None] = {}
    i = 0
    while i < len(words):
        if i in place_at:
            end, value = place_at[i]
            seen.setdefault(_hash(value) | int(_ENTITY_BIT), None)
            i = end
            continue
        for figure in _FIGURE.findall(words[i]):
            seen.setdefault(_hash("#" + figure) | int(_ENTITY_BIT), None)
        stem = story_word(words[i])
        if len(stem) >= 3 and not stem.isdecimal():
            seen.setdefault(_hash(stem) | (int(_ENTITY_BIT) if named[i] else 0), None)
        i += 1
    return list(seen)


def story_terms(titles: list[str | None], norms: list[str], scfg: StorySettings | None = None) -> pa.Array:
    """The `story_terms` column of the fingerprint table: each article's title terms (with the
    title bit) and its body's opening terms, hashed (no text; ~50 uint32 per article). Made in the
    per-partition stage, so the run's one grouping only counts and weighs them."""
    from akhbar.tasks.arabic import normalize_search_many

    scfg = scfg or StorySettings()
    title_norms = normalize_search_many([t or "" for t in titles])
    return pa.array(
        [
            [h | int(_TITLE_BIT) for h in term_hashes(title)] + term_hashes(norm, scfg.lead_terms)
            for title, norm in zip(title_norms, norms)
        ],
        pa.list_(pa.uint32()),
    )


def _units(articles: pa.Table) -> tuple[np.ndarray, int]:
    """Each article's unit (its copy cluster; the article itself without a cluster_id column) and
    the number of units, units numbered in order of first appearance (Arrow's unique keeps it)."""
    keys = articles["cluster_id"] if "cluster_id" in articles.column_names else articles["article_id"]
    distinct = pc.unique(keys)
    unit = pc.index_in(keys, value_set=distinct).to_numpy(zero_copy_only=False).astype(np.int64)
    return unit, len(distinct)


def _article_terms(articles: pa.Table, scfg: StorySettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(article row, term hash with its entity bit, weight) of every story term: a title term
    weighs `title_weight`, an opening term 1 (a table without `story_terms`: the title's terms)."""
    if "story_terms" in articles.column_names:
        column = articles["story_terms"].combine_chunks()
    else:
        column = story_terms(articles["title"].to_pylist(), [""] * articles.num_rows, scfg)
    counts = np.diff(column.offsets.to_numpy(zero_copy_only=False))
    terms = column.flatten().to_numpy(zero_copy_only=False).astype(np.uint32)
    weights = np.where((terms & _TITLE_BIT) != 0, scfg.title_weight, 1.0)
    return np.repeat(np.arange(len(column), dtype=np.int64), counts), terms & ~_TITLE_BIT, weights


def unit_vectors(articles: pa.Table, unit: np.ndarray, n_units: int, scfg: StorySettings):
    """(n_units, terms) sparse rows, L2-normalized: each copy cluster's TF-IDF vector (the sum of
    its articles' vectors). tf is sublinear (1 + log), idf smooth and counted over units (ten copies
    of one text make a term no commoner), entities (a term any article of the run marks so) weighed
    `entity_weight` times; terms of more than `max_term_share` of the units (where that is at least
    `_MIN_COMMON` units) are left out, terms of one unit weigh in its norm only."""
    from scipy.sparse import csr_matrix, diags

    n = articles.num_rows
    rows, hashes, weights = _article_terms(articles, scfg)
    vocabulary, col = np.unique(hashes & _TERM_MASK, return_inverse=True)
    entity = np.zeros(len(vocabulary), dtype=bool)
    np.logical_or.at(entity, col, (hashes & _ENTITY_BIT) != 0)
    tf = csr_matrix((weights, (rows, col)), shape=(n, len(vocabulary)))  # duplicates summed
    member = csr_matrix((np.ones(n), (unit, np.arange(n))), shape=(n_units, n))
    df = np.asarray(((member @ tf) > 0).sum(axis=0)).ravel()
    idf = np.log((1 + n_units) / (1 + df)) + 1
    idf = idf * np.where(entity, scfg.entity_weight, 1.0)
    idf[df > max(scfg.max_term_share * n_units, _MIN_COMMON)] = 0
    tf.data = 1 + np.log(tf.data)
    units = _normalized(member @ _normalized(tf @ diags(idf)))
    # a term of one unit only weighs in its norm (an article is more than the words it shares) but
    # in no dot product with another unit: its column is dropped after normalizing, at no change
    units = (units @ diags((df >= 2).astype(np.float64))).tocsr()
    units.eliminate_zeros()
    return units


def _normalized(x):
    from scipy.sparse import diags

    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    return (diags(1 / np.where(norms > 0, norms, 1)) @ x).tocsr()


def earlier_neighbours(vectors, when: np.ndarray, order: np.ndarray, scfg: StorySettings):
    """For each unit, the units before it in `order` (time order, undated last) within
    `max_span_hours` whose cosine reaches `min_similarity`, as a CSR matrix (row: the unit, columns:
    its earlier neighbours, values: cosines). Units are taken a day at a time (at most
    `_BLOCK_UNITS`) against the `max_span_hours` before them, undated units `_BLOCK_UNITS` at a time
    against every unit before them, so no all-pairs matrix is made: a product holds one block's rows."""
    from scipy.sparse import coo_matrix

    n = vectors.shape[0]
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    ts = when[order]
    dated = int(np.isfinite(ts).sum())
    span, day = scfg.max_span_hours * 3600, 86400.0
    rows, cols, sims = [], [], []
    start = 0
    while start < n:
        if start < dated:
            end = max(int(np.searchsorted(ts[:dated], ts[start] + day, side="left")), start + 1)
            end = min(end, start + _BLOCK_UNITS)
            first = int(np.searchsorted(ts[:dated], ts[start] - span, side="left"))
        else:  # undated units: compared with every unit before them
            end, first = min(n, start + _BLOCK_UNITS), 0
        block, window = order[start:end], order[first:end]
        prod = vectors[block] @ vectors[window].T
        prod.data[prod.data < scfg.min_similarity] = 0  # most products are small: drop them first, in place
        prod.eliminate_zeros()
        prod = prod.tocoo()
        a, b, c = block[prod.row], window[prod.col], prod.data
        ok = (rank[b] < rank[a]) & ~(np.abs(when[a] - when[b]) > span)
        rows.append(a[ok]), cols.append(b[ok]), sims.append(c[ok])
        start = end
    if not rows:
        return coo_matrix((n, n)).tocsr()
    return coo_matrix((np.concatenate(sims), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)).tocsr()


class _Clash:
    """Whether two units' aligned discriminators contradict (a place, day, count, country or
    ordinal: two pieces of one formula, the same police item in two towns), by their first
    articles' slots and leads. Rows are read when a pair is asked (most units are never asked):
    a backfill's leads are on disk (`RowsOnDisk`), and a copy per unit would double them."""

    def __init__(self, sig: np.ndarray, first_row: np.ndarray, cfg: DedupSettings) -> None:
        _, self.lead, self.slots = split_fingerprints(sig, cfg)
        self.first_row = first_row
        self.cfg = cfg

    def __call__(self, u: int, v: int) -> bool:
        if self.slots is None:
            return False
        ru, rv = int(self.first_row[u]), int(self.first_row[v])
        su, sv = without_steps(self.slots[ru : ru + 1]), without_steps(self.slots[rv : rv + 1])
        # two units filling no context in common cannot contradict (most pairs): a set test first
        cu, cv = su >> _CONTEXT_SHIFT, sv >> _CONTEXT_SHIFT
        if set(cu[cu != 0].tolist()).isdisjoint(cv[cv != 0].tolist()):
            return False
        lead = (None, None) if self.lead is None else (self.lead[ru : ru + 1], self.lead[rv : rv + 1])
        return bool(contradicting(su, sv, *lead, self.cfg)[0])


@dataclass
class _OpenStories:
    """The stories made so far, carried from one slice of units to the next: each story's first unit
    (a unit number of the whole run), first and last publication time, and |S|^2 of its centroid."""

    first_unit: list[int] = field(default_factory=list)
    first_at: list[float] = field(default_factory=list)
    last_at: list[float] = field(default_factory=list)
    norm2: list[float] = field(default_factory=list)


def join_score(cosine: float, age: float, scfg: StorySettings) -> float:
    """A unit's cosine with a story's centroid, decayed by the story's age when the unit comes
    (seconds since its first article; unknown for an undated unit or story: no decay): it joins at
    `threshold`, so the bar rises e-fold every `age_decay_hours`."""
    if not age > 0:  # a unit as old as the story, or either undated (nan)
        return cosine
    return cosine * math.exp(-age / (scfg.age_decay_hours * 3600))


def assign_stories(
    neighbours,
    when: np.ndarray,
    order: np.ndarray,
    clash,
    scfg: StorySettings,
    story: list[int] | None = None,
    units: np.ndarray | None = None,
    stories: _OpenStories | None = None,
    until: np.ndarray | None = None,
) -> np.ndarray:
    """Story number per unit, units taken in `order`. A unit's similarity to a story is its cosine
    with the story's centroid (the sum S of the members' unit vectors): its dot products with the
    members (`neighbours`) summed, over |S|, kept as |S|^2 and updated as each member joins. The
    unit joins the open story (last article within `idle_hours`, first within `max_span_hours`; an
    undated unit or story is open to all) of the highest age-decayed similarity (`join_score`) whose
    first unit it does not `clash` with, when that score reaches `threshold`; else it opens a story.

    A slice of a run's units: `story` holds the stories of the units already placed (-1: to place),
    `units` the run's number of each unit here (what `clash` and the stories' first units use), and
    `stories` the run's stories so far, which this extends. `until`: each unit's last copy's time
    (default `when`): a story's last article is the last copy of any of its units, so a text still
    being copied keeps its story open for a rewrite."""
    story = (
        [-1] * len(when) if story is None else story
    )  # a list: read once per neighbour, where a numpy scalar costs 5x
    units = np.arange(len(when)) if units is None else units
    until = when if until is None else until
    s = stories if stories is not None else _OpenStories()
    indptr, indices, data = neighbours.indptr.tolist(), neighbours.indices.tolist(), neighbours.data.tolist()
    idle, span = scfg.idle_hours * 3600, scfg.max_span_hours * 3600
    for u in order.tolist():
        t, last = when[u], until[u]
        dots: dict[int, float] = {}
        for j in range(indptr[u], indptr[u + 1]):
            k = story[indices[j]]
            dots[k] = dots.get(k, 0.0) + data[j]
        chosen = -1
        scores = ((join_score(d / math.sqrt(s.norm2[k]), t - s.first_at[k], scfg), k) for k, d in dots.items())
        close = [(score, k) for score, k in scores if score >= scfg.threshold]
        for _, k in sorted(close, reverse=True):
            if t - s.last_at[k] > idle or t - s.first_at[k] > span:
                continue
            if not clash(int(units[u]), s.first_unit[k]):
                chosen = k
                break
        if chosen < 0:
            chosen = len(s.first_unit)
            s.first_unit.append(int(units[u])), s.first_at.append(t), s.last_at.append(last), s.norm2.append(0.0)
        else:
            s.last_at[chosen] = max(s.last_at[chosen], last) if last == last else s.last_at[chosen]
        s.norm2[chosen] += 2 * dots.get(chosen, 0.0) + 1.0  # |S + x|^2 = |S|^2 + 2 x.S + |x|^2
        story[u] = chosen
    return np.array(story, dtype=np.int64)


# Units whose vectors are held at once: a backfill's year is grouped a slice at a time (with the
# `max_span_hours` before each slice, whose units are already placed), idf counted over the slice.
# A run of this many units or fewer is one slice: the grouping of the whole run at once.
SLICE_UNITS = 50_000


def _slices(ts: np.ndarray, n: int, scfg: StorySettings):
    """(first, start, end) positions in time order: units start..end are placed, first..start are
    the units before them they can meet (within `max_span_hours` of the slice's first, dated; for
    undated units, the slice before)."""
    dated = int(np.isfinite(ts).sum())
    start = 0
    while start < n:
        end = min(start + SLICE_UNITS, n)
        if start < dated:
            first = int(np.searchsorted(ts[:dated], ts[start] - scfg.max_span_hours * 3600, side="left"))
        else:
            first = max(start - SLICE_UNITS, 0)
        yield first, start, end
        start = end


def _rows_of(units: np.ndarray, by_unit: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The article rows of `units` (unit by unit) and each row's position in `units`."""
    lengths = starts[units + 1] - starts[units]
    within = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return by_unit[np.repeat(starts[units], lengths) + within], np.repeat(np.arange(len(units)), lengths)


def group_stories(
    articles: pa.Table, sig: np.ndarray, cfg: DedupSettings | None = None, scfg: StorySettings | None = None
) -> list[str]:
    """story_id per article: the article_id of its story's earliest article. `articles`: the
    fingerprint table's columns (article_id, title, published_at, story_terms; cluster_id when
    copies were found: copies are one story); `sig`: its fingerprint matrix (the slots)."""
    cfg, scfg = cfg or DedupSettings(), scfg or StorySettings()
    n = articles.num_rows
    if not n:
        return []
    unit, n_units = _units(articles)
    seconds = epoch_seconds(articles["published_at"])
    when = np.full(n_units, np.inf)
    np.minimum.at(when, unit, np.where(np.isnan(seconds), np.inf, seconds))
    when[np.isinf(when)] = np.nan  # a unit none of whose articles has a date
    until = np.full(n_units, -np.inf)  # each unit's last copy
    np.maximum.at(until, unit, np.where(np.isnan(seconds), -np.inf, seconds))
    until[np.isinf(until)] = np.nan
    order = np.lexsort((np.arange(n_units), np.where(np.isnan(when), np.inf, when)))
    first_row = np.zeros(n_units, dtype=np.int64)
    first_row[unit[::-1]] = np.arange(n)[::-1]  # each unit's first article ...
    if "is_canonical" in articles.column_names:  # ... or its canonical, where dedup named one
        canonical = np.flatnonzero(articles["is_canonical"].fill_null(False).to_numpy(zero_copy_only=False))
        first_row[unit[canonical]] = canonical
    clash = _Clash(sig, first_row, cfg)
    by_unit = np.argsort(unit, kind="stable")
    starts = np.searchsorted(unit[by_unit], np.arange(n_units + 1))
    terms = articles.select([c for c in ("story_terms", "title") if c in articles.column_names])
    placed = [-1] * n_units
    stories = _OpenStories()
    for first, start, end in _slices(when[order], n_units, scfg):
        units = order[first:end]  # in time order
        rows, local = _rows_of(units, by_unit, starts)
        vectors = unit_vectors(terms.take(pa.array(rows)), local, len(units), scfg)
        neighbours = earlier_neighbours(vectors, when[units], np.arange(len(units)), scfg)
        del vectors
        here = [placed[u] for u in units.tolist()]
        here = assign_stories(
            neighbours,
            when[units],
            np.arange(start - first, end - first),
            clash,
            scfg,
            here,
            units,
            stories,
            until[units],
        )
        for u, k in zip(units[start - first :].tolist(), here[start - first :].tolist()):
            placed[u] = k
    story = np.array(placed, dtype=np.int64)[unit]
    # the story's earliest article names it (undated articles last, then by id): rows in that order,
    # then each story's first row
    by = pa.table({"undated": pc.is_null(articles["published_at"]), "t": np.nan_to_num(seconds, nan=0.0)})
    by = by.append_column("id", articles["article_id"])
    rows = pc.sort_indices(by, sort_keys=[(c, "ascending") for c in by.column_names]).to_numpy()
    stories, first_at = np.unique(story[rows], return_index=True)
    first_row = np.empty(int(stories.max()) + 1, dtype=np.int64)
    first_row[stories] = rows[first_at]
    return articles["article_id"].take(pa.array(first_row[story])).to_pylist()
