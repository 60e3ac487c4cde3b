"""Dedup stage: one canonical article per story, and a record of every copy.

* exact: equal content hash of the search-normalized body (copies differing only in boilerplate,
  diacritics, letter variants, punctuation or whitespace);
* near: MinHash (rensa) over word n-gram shingles, LSH banding for candidates, every candidate
  pair verified before it joins: its estimated body Jaccard reaches `threshold`, or it reaches
  the lower `lead_min_jaccard` and the two leads (first words) are found in each other's opening
  (`lead_threshold`); its discriminators (numbers, dates, places, ordinals, court decisions, keyed
  by context) do not contradict; the two are published within `near_window_hours`. Stories are
  stars, never chains: a copy is verified against its story's centre and overlaps every member.

Beside copies, `tasks.stories.group_stories` groups reports of one event across outlets (the story level).

Both run within the batch and against the warehouse's history (signatures persist in the lake).
Canonical: earliest published, then longest body, then smallest article_id; a story's canonical
already in the warehouse stays canonical.
"""

from __future__ import annotations

import os
import weakref
import zlib
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from akhbar.schemas.tables import DUPLICATES
from akhbar.tasks.base import StageResult
from rensa import RMinHash

# Candidate pairs verified at a time: each pair copies two signature, lead and slot rows (~2.4 KB).
VERIFY_CHUNK = 20_000

_MIX = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class DedupSettings:
    """Every near-dedup knob in one place (see BENCHMARKS.md for how the defaults were chosen)."""

    # Defaults chosen on the tuning half of the evaluation set and checked on the held-out half
    # (`bench/dedup_eval.py --grid`, BENCHMARKS.md "Dedup quality"): on the tuning half, near
    # precision 0.996 / recall 0.934 against 0.984 / 0.828 for the body threshold 0.8 alone.
    shingle_size: int = 5  # words per shingle
    num_perm: int = 128  # MinHash permutations
    bands: int = 64  # LSH bands of 2 rows: P(candidate | J=0.3) = 0.998, so every pair the
    rows: int = 2  # lead check could accept is looked at (42 x 3: 0.68; recall 0.930 vs 0.934)
    # A copy joins when its estimated body Jaccard (5-word shingles) reaches `threshold` ...
    threshold: float = 0.9  # 0.85: near precision 0.985 (4 hard negatives joined); 0.8: 0.978 (6)
    # ... or reaches `lead_min_jaccard` while each lead (the first `lead_words` words, as
    # `lead_shingle`-word shingles) has at least `lead_threshold` of its shingles among the other
    # body's first `head_words` words. A copy rewritten, trimmed or extended by another outlet keeps
    # its lead; a follow-up that reuses an earlier article puts a new lead on top (labelled copies:
    # median 0.76, hard negatives: median 0.04 on the tuning half). Bodies no longer than the lead
    # get no lead check (the lead is then the body: templated blurbs).
    lead_min_jaccard: float = 0.3  # 0.2 measured the same on the tuning half; 0.4: recall 0.908
    lead_threshold: float = 0.4  # 0.3: precision 0.981 (5 hard negatives); 0.5: recall 0.915
    lead_words: int = 50
    head_words: int = 150
    lead_shingle: int = 3
    seed: int = 1
    max_bucket: int = 200  # buckets larger than this (templated stubs) are paired star-wise
    # Discriminating tokens (tasks/gazetteer.py: numbers, dates, weekdays, months, countries,
    # cities, ordinals) of the first `slot_words` words, each keyed by its context (the two words
    # before it that are not themselves discriminators): up to `slots` (context, value) hashes per
    # body. Two bodies that fill one context with different values ("رئيس جمهوريه" + السنغال /
    # الهند; "وصول الطائره" + الرابعه / الخامسه) are two stories of one formula, however much
    # text they share: more than `max_conflicts` such contexts (`max_number_conflicts` for counts)
    # and the pair is not a copy.
    slot_words: int = 60
    slots: int = 24
    max_conflicts: int = 0
    max_number_conflicts: int = 1
    # Versions of one text published within `revision_hours` of each other may differ in up to
    # `max_revised_conflicts` counts, weekdays or towns (a toll revised within the hour, a meeting
    # day corrected, a venue renamed: 7 of the 8 labelled egynews2013 copies missed before were
    # 1-7 h apart); the next piece of a daily series comes 20 h or more later. Court decisions,
    # ordinals, countries and months are never revised this way.
    revision_hours: float = 12.0
    max_revised_conflicts: int = 2
    # A copy is verified against its story's centre, and shares at least this estimated body
    # Jaccard with every other member: copies of one text overlap each other, not only the centre.
    member_min_jaccard: float = 0.3
    # Slots are compared only where the two texts are aligned: leads overlapping at least this much
    slot_min_lead_overlap: float = 0.2
    # Near copies of one text are published within this many hours of each other (egynews2013
    # labelled copies: at most 17 h apart; sessions of one court case, daily tallies: 20 h to
    # weeks). Exact copies and articles with no date are not held to it.
    near_window_hours: float = 48.0

    @property
    def fingerprint(self) -> str:
        """Signatures made with another shingle size, permutation count or seed do not compare."""
        return f"rensa-w{self.shingle_size}-p{self.num_perm}-s{self.seed}"

    @property
    def lead_fingerprint(self) -> str:
        """Lead hashes made with another shingle size or window do not compare."""
        return f"crc32-w{self.lead_shingle}-h{self.head_words}"

    @property
    def slot_fingerprint(self) -> str:
        """Discriminator slots made from another window or table version do not compare."""
        return f"slots-v6-w{self.slot_words}-n{self.slots}"

    @property
    def head_len(self) -> int:
        """Columns of a lead-hash row: one per shingle of the first `head_words` words."""
        return max(self.head_words - self.lead_shingle + 1, 1)

    @property
    def lead_len(self) -> int:
        return max(self.lead_words - self.lead_shingle + 1, 1)

    def __post_init__(self) -> None:
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands x rows ({self.bands}x{self.rows}) exceeds num_perm ({self.num_perm})")
        if self.head_words <= self.lead_words:
            raise ValueError(f"head_words ({self.head_words}) must exceed lead_words ({self.lead_words})")


def shingles(body_norm: str, k: int) -> list[str]:
    words = body_norm.split()
    if len(words) <= k:
        return [" ".join(words)] if words else [""]
    if body_norm.count(" ") == len(words) - 1 and len(body_norm) == sum(map(len, words)) + len(words) - 1:
        # one space between words (a search-normalized body): each shingle is a slice of the text,
        # cheaper than joining its words again
        starts = list(accumulate((len(w) + 1 for w in words), initial=0))
        return [body_norm[starts[i] : starts[i + k] - 1] for i in range(len(words) - k + 1)]
    return [" ".join(words[i : i + k]) for i in range(len(words) - k + 1)]


def signatures(norms: list[str], cfg: DedupSettings) -> np.ndarray:
    """(n, num_perm) uint32 MinHash signatures; shingles are dropped as soon as each is signed."""
    if not norms:
        return np.zeros((0, cfg.num_perm), dtype=np.uint32)
    matrix = RMinHash.digest_matrix_from_token_sets(
        (shingles(n, cfg.shingle_size) for n in norms), cfg.num_perm, cfg.seed
    )
    return np.asarray(matrix.to_rows(), dtype=np.uint32).reshape(len(norms), cfg.num_perm)


_M1, _M2, _M3 = _MIX, np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9)


def lead_hashes(norms: list[str], cfg: DedupSettings) -> np.ndarray:
    """(n, head_len) uint32: hashes of the `lead_shingle`-word shingles of each body's first
    `head_words` words, in order; 0 pads a shorter body. The first `lead_len` columns are the lead.
    Words are hashed with crc32 (stable across processes, unlike hash()), shingles mixed in numpy."""
    k, hw = cfg.lead_shingle, cfg.head_words
    out = np.zeros((len(norms), cfg.head_len), dtype=np.uint32)
    if not norms:
        return out
    cache: dict[str, int] = {}
    words = np.zeros((len(norms), hw), dtype=np.uint64)
    lengths = np.zeros(len(norms), dtype=np.int64)
    for i, n in enumerate(norms):
        ws = n.split(maxsplit=hw)[:hw]
        lengths[i] = len(ws)
        if ws:
            words[i, : len(ws)] = [cache.get(w) or cache.setdefault(w, zlib.crc32(w.encode()) + 1) for w in ws]
    with np.errstate(over="ignore"):
        h = words[:, 0 : hw - k + 1] * _M1
        for r, m in zip(range(1, k), (_M2, _M3, _M1, _M2)):
            h = (h ^ (words[:, r : hw - k + 1 + r] * m)) * _M3
        h ^= h >> np.uint64(29)
    h = (h >> np.uint64(32)).astype(np.uint32)
    h[h == 0] = 1
    valid = np.arange(hw - k + 1)[None, :] < (lengths - k + 1)[:, None]
    out[:, : hw - k + 1] = np.where(valid, h, 0)
    return out


# A slot: 20 bits of context hash, 1 bit "the value may be revised", 1 bit "the value is a number",
# 10 bits of value hash (a value collision only hides a conflict; 20 bits keep unrelated contexts
# from meeting by chance).
_VALUE_BITS = 10
_NUMBER_BIT = np.uint32(1 << _VALUE_BITS)
_REVISABLE_BIT = np.uint32(1 << (_VALUE_BITS + 1))
_CONTEXT_SHIFT = _VALUE_BITS + 2
_CONTEXT_MASK = (1 << (32 - _CONTEXT_SHIFT)) - 1
# What a later version of one text corrects: a count (a toll revised), a weekday, a town. A court's
# decision, an ordinal, a country or a month are what tells one story of a formula from the next
# (the preview and the verdict, the 4th and 5th flight, a cable to Senegal and one to India).
_REVISABLE_KINDS = frozenset({"number", "day", "city"})


def _slot(context: str, value: str, kind: str) -> int:
    ctx = zlib.crc32(f"{kind}|{context}".encode()) & _CONTEXT_MASK
    slot = (
        (ctx << _CONTEXT_SHIFT)
        | (int(kind in _REVISABLE_KINDS) << (_VALUE_BITS + 1))
        | (int(kind == "number") << _VALUE_BITS)
        | (zlib.crc32(value.encode()) & ((1 << _VALUE_BITS) - 1))
    )
    return slot or 1


# The procedural step slot (tasks.gazetteer.procedural_steps): one per body, in a context of its own;
# its value bits hold the opening's first step (its number in STEPS, from 1) and the set of steps
# the opening names (one bit each). Two openings are two steps of one affair when each one's first
# step is missing from the other's: the complaint and the prosecutor's order to investigate it, a
# hearing's adjournment and the next session's preview. An opening that names the other's step
# further down (a copy with a headline or a paragraph put on top) is no conflict.
_STEP_CONTEXT = np.uint32(zlib.crc32(b"step|") & _CONTEXT_MASK)
_STEP_SET_BITS = 5


def step_slot(steps: list[str]) -> int:
    """The step slot of an opening naming `steps` (first one first), 0 when it names none."""
    from akhbar.tasks.gazetteer import STEPS

    if not steps:
        return 0
    named = sum(1 << STEPS.index(s) for s in steps)
    return (int(_STEP_CONTEXT) << _CONTEXT_SHIFT) | ((STEPS.index(steps[0]) + 1) << _STEP_SET_BITS) | named


def _step_parts(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows without their step slot, first step number (0: none), set of steps) of slot rows."""
    is_step = (rows >> _CONTEXT_SHIFT) == _STEP_CONTEXT
    step = np.where(is_step, rows, 0).max(axis=-1).astype(np.int64)
    return np.where(is_step, 0, rows).astype(rows.dtype), (step >> _STEP_SET_BITS) & 7, step & 31


def step_conflicts(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For slot rows a[i], b[i]: whether each opening's first procedural step is missing from the
    steps the other names."""
    _, first_a, set_a = _step_parts(a)
    _, first_b, set_b = _step_parts(b)
    a_missing = (set_b >> np.maximum(first_a - 1, 0)) & 1 == 0
    b_missing = (set_a >> np.maximum(first_b - 1, 0)) & 1 == 0
    return (first_a > 0) & (first_b > 0) & a_missing & b_missing


def without_steps(slots: np.ndarray) -> np.ndarray:
    """Slot rows with the court-decision and procedural-step slots zeroed: for the story level, where
    what a court did and the procedural step differ between the preview and the outcome of one
    hearing, a complaint and the order to investigate it: steps of one story, no veto there."""
    steps = [np.uint32(_slot("", "", "court") >> _CONTEXT_SHIFT), _STEP_CONTEXT]
    return np.where(np.isin(slots >> _CONTEXT_SHIFT, steps), 0, slots).astype(np.uint32)


def discriminator_slots(norms: list[str], cfg: DedupSettings) -> np.ndarray:
    """(n, slots) uint32: for each body, the discriminating tokens of its first `slot_words` words
    (tasks.gazetteer), each hashed with its context: its kind (number, country, city, month,
    weekday), the two nearest words before it and the nearest word after it that are not
    discriminators. A token with fewer than two words before it (a dateline such as "القاهره - ا
    ش ا" opening the body) has no context and is left out: outlets change the datelines of a copy.
    The first `slots` distinct slots in text order, sorted; 0 pads."""
    from akhbar.tasks.gazetteer import discriminators, kind, procedural_steps

    out = np.zeros((len(norms), cfg.slots), dtype=np.uint32)
    for r, norm in enumerate(norms):
        words = norm.split(maxsplit=cfg.slot_words + 1)[: cfg.slot_words + 1]
        found = discriminators(words)
        taken = np.zeros(len(words), dtype=bool)
        for start, end, _ in found:
            taken[start:end] = True
        step = step_slot(procedural_steps(words[: cfg.slot_words]))
        row: list[int] = [step] if step else []
        for start, end, value in found:
            if start >= cfg.slot_words:
                break
            if kind(value) == "court":  # one context for the whole opening: what the court did
                slot = _slot("", value, "court")
                if slot not in row:
                    row.append(slot)
                continue
            before = [words[j] for j in range(start - 1, -1, -1) if not taken[j]][:2]
            after = next((words[j] for j in range(end, len(words)) if not taken[j]), "")
            if len(before) < 2 or start < 2:
                continue
            slot = _slot(f"{before[1]} {before[0]} _ {after}", value, kind(value))
            if slot not in row:
                row.append(slot)
            if len(row) == cfg.slots:
                break
        out[r, : len(row)] = sorted(row)
    return out


def slot_conflicts(a: np.ndarray, b: np.ndarray, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For slot rows a[i], b[i] (broadcastable): (conflicts in names, dates and procedural steps,
    conflicts in numbers, conflicts of either in what a later version may revise: counts, weekdays,
    towns). A conflict: a slot of a fills a context that b also fills, with a value b lacks,
    while b fills that context with a value a lacks (a template sentence with another country,
    day or count). A context one text lacks is no conflict: a trimmed or extended copy, a
    dateline dropped, a date added."""
    a, b = np.broadcast_arrays(np.atleast_2d(a), np.atleast_2d(b))
    steps = step_conflicts(a, b)  # the step slot has its own rule; the rest are compared by value
    a, b = _step_parts(a)[0], _step_parts(b)[0]
    other = np.zeros(len(a), dtype=np.int64)
    numbers = np.zeros(len(a), dtype=np.int64)
    revisable = np.zeros(len(a), dtype=np.int64)
    for s in range(0, len(a), chunk):
        x, y = a[s : s + chunk], b[s : s + chunk]
        cx, cy = x >> _CONTEXT_SHIFT, y >> _CONTEXT_SHIFT
        same_ctx = (cx[:, :, None] == cy[:, None, :]) & (x[:, :, None] != 0) & (y[:, None, :] != 0)
        same = (x[:, :, None] == y[:, None, :]) & (x[:, :, None] != 0)
        x_alone = same_ctx.any(axis=2) & ~same.any(axis=2)  # x's value in a shared context, not in y
        y_alone = same_ctx.any(axis=1) & ~same.any(axis=1)
        conflict = x_alone & (same_ctx & y_alone[:, None, :]).any(axis=2)
        is_number = (x & _NUMBER_BIT) != 0
        other[s : s + chunk] = (conflict & ~is_number).sum(axis=1)
        numbers[s : s + chunk] = (conflict & is_number).sum(axis=1)
        revisable[s : s + chunk] = (conflict & ((x & _REVISABLE_BIT) != 0)).sum(axis=1)
    return other + steps, numbers, revisable


def slots_agree(a: np.ndarray, b: np.ndarray, cfg: DedupSettings, revision: np.ndarray | None = None) -> np.ndarray:
    """Whether slot rows a[i], b[i] can be copies of one text: no more than `max_conflicts`
    conflicting names or dates and no more than `max_number_conflicts` conflicting numbers (one
    revised count, a death toll updated between two versions, is tolerated). Where `revision[i]`
    (the two were published within `revision_hours`), up to `max_revised_conflicts` conflicts in
    counts, weekdays and towns are tolerated besides: a version corrected within hours, where a
    daily series' next piece comes a day later."""
    other, numbers, revisable = slot_conflicts(a, b)
    agree = (other <= cfg.max_conflicts) & (numbers <= cfg.max_number_conflicts)
    if revision is not None:
        fixed = other + numbers - revisable  # court decisions, ordinals, countries, months
        agree |= revision & (fixed <= cfg.max_conflicts) & (revisable <= cfg.max_revised_conflicts)
    return agree


def fingerprints(norms: list[str], cfg: DedupSettings) -> np.ndarray:
    """What dedup keeps of each body: (n, num_perm + head_len + slots) uint32, the MinHash
    signature, the lead hashes, then the discriminator slots (one array, so a caller can filter
    rows of all three at once, and dedup never needs the text)."""
    return np.hstack([signatures(norms, cfg), lead_hashes(norms, cfg), discriminator_slots(norms, cfg)])


@dataclass
class Fingerprints:
    """A fingerprint matrix held in its three parts: the MinHash signatures and discriminator slots in
    memory, the lead hashes (half the matrix, read only for candidate pairs) memory-mapped from a
    file when a whole run's are held (`read_fingerprints`)."""

    body: np.ndarray
    lead: np.ndarray | None
    slots: np.ndarray | None

    def __len__(self) -> int:
        return len(self.body)

    def without_signatures(self) -> Fingerprints:
        """The same rows with the MinHash signatures let go (the story level reads slots and leads)."""
        return Fingerprints(np.empty((len(self.body), 0), dtype=np.uint32), self.lead, self.slots)


def split_fingerprints(
    sig: np.ndarray | Fingerprints, cfg: DedupSettings
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(MinHash signatures, lead hashes or None, discriminator slots or None) of a fingerprint
    matrix: bare signatures, signatures + leads (older callers), or all three."""
    if isinstance(sig, Fingerprints):
        return sig.body, sig.lead, sig.slots
    p, hl = cfg.num_perm, cfg.head_len
    body = sig[:, :p]
    lead = sig[:, p : p + hl] if sig.shape[1] >= p + hl else None
    slots = sig[:, p + hl : p + hl + cfg.slots] if sig.shape[1] == p + hl + cfg.slots else None
    return body, lead, slots


def lead_overlap(a: np.ndarray, b: np.ndarray, cfg: DedupSettings, chunk: int = 2048, short: float = 0.0) -> np.ndarray:
    """For lead-hash rows a[i], b[i] (broadcastable): the smaller of the two shares of a lead's
    shingles found among the other body's first `head_words` words. `short` (0) when either body
    is no longer than its lead (then the lead is the body and says nothing more than the body
    Jaccard)."""
    a, b = np.broadcast_arrays(np.atleast_2d(a), np.atleast_2d(b))
    n, ln = len(a), cfg.lead_len
    out = np.zeros(n)
    for s in range(0, n, chunk):
        x, y = a[s : s + chunk], b[s : s + chunk]
        shares = []
        for lead, head in ((x[:, :ln], y), (y[:, :ln], x)):
            valid = lead != 0
            found = ((lead[:, :, None] == head[:, None, :]).any(axis=2) & valid).sum(axis=1)
            shares.append(found / np.maximum(valid.sum(axis=1), 1))
        long_enough = (x[:, ln] != 0) & (y[:, ln] != 0)
        out[s : s + chunk] = np.where(long_enough, np.minimum(*shares), short)
    return out


def verified(
    sa: np.ndarray,
    sb: np.ndarray,
    la: np.ndarray | None,
    lb: np.ndarray | None,
    cfg: DedupSettings,
    da: np.ndarray | None = None,
    db: np.ndarray | None = None,
    hours_apart: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(joins, estimated body Jaccard) for signature rows sa[i], sb[i], lead rows la[i], lb[i]
    (None: no lead known, the body alone decides) and discriminator slots da[i], db[i] (None: not
    known; a pair whose slots conflict never joins, whatever the body and lead say; `hours_apart`:
    how far apart the two were published, NaN or None when unknown, for revisions)."""
    sims = np.atleast_1d(jaccard(sa, sb))
    ok = sims >= cfg.threshold
    if la is not None and lb is not None:
        maybe = ~ok & (sims >= cfg.lead_min_jaccard)
        if maybe.any():
            rows = (len(sims), np.shape(la)[-1])  # a single lead row stands for every pair
            idx = np.flatnonzero(maybe)
            ok[idx] = (
                lead_overlap(np.broadcast_to(la, rows)[idx], np.broadcast_to(lb, rows)[idx], cfg) >= cfg.lead_threshold
            )
    if da is not None and db is not None and ok.any():
        idx = np.flatnonzero(ok)
        pick = lambda m: None if m is None else np.broadcast_to(m, (len(sims), np.shape(m)[-1]))[idx]  # noqa: E731
        apart = None if hours_apart is None else np.broadcast_to(hours_apart, len(sims))[idx]
        ok[idx] = ~contradicting(pick(da), pick(db), pick(la), pick(lb), cfg, apart)
    return ok, sims


def contradicting(
    da: np.ndarray,
    db: np.ndarray,
    la: np.ndarray | None,
    lb: np.ndarray | None,
    cfg: DedupSettings,
    hours_apart: np.ndarray | None = None,
) -> np.ndarray:
    """Whether the discriminator slots da[i], db[i] contradict each other where the two texts
    are aligned: their leads overlap (`slot_min_lead_overlap`), or one is no longer than its lead.
    A copy with its paragraphs reordered brings other paragraphs into the window, whose dates
    and counts say nothing against it; a template sentence keeps its place at the top.
    `hours_apart` (NaN: unknown): versions within `revision_hours` may revise counts, days, towns."""
    revision = None if hours_apart is None else np.asarray(hours_apart) <= cfg.revision_hours  # NaN: False
    bad = ~slots_agree(da, db, cfg, revision)
    if la is not None and lb is not None and bad.any():
        idx = np.flatnonzero(bad)
        a, b = np.broadcast_arrays(np.atleast_2d(la), np.atleast_2d(lb))
        bad[idx] = lead_overlap(a[idx], b[idx], cfg, short=1.0) >= cfg.slot_min_lead_overlap
    return bad


def band_key(columns, band: int, cfg: DedupSettings) -> np.ndarray:
    """(n,) uint64: band `band`'s rows mixed into one number per signature. `columns(c)` gives
    signature column c for every row (a view of a matrix, or gathered from several)."""
    key = None
    with np.errstate(over="ignore"):
        for r in range(cfg.rows):
            column = columns(band * cfg.rows + r).astype(np.uint64)
            key = column if key is None else key ^ column
            key *= _MIX
            key += np.uint64(r + 1)
    return key


def band_keys(sig: np.ndarray, cfg: DedupSettings) -> np.ndarray:
    """(n, bands) uint64 keys: each band's rows mixed into one number."""
    keys = np.empty((len(sig), cfg.bands), dtype=np.uint64)
    for b in range(cfg.bands):
        keys[:, b] = band_key(lambda c: sig[:, c], b, cfg)
    return keys


def jaccard(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard of signature rows a[i] and b[i]."""
    return (a == b).mean(axis=-1)


def candidate_pairs(keys: np.ndarray, cfg: DedupSettings) -> np.ndarray:
    """Pairs (i, j), i < j, that share a band key in any band of `keys` (n, bands)."""
    return pairs_by_band(lambda b: keys[:, b], len(keys), cfg)


def pairs_by_band(key_of_band, n: int, cfg: DedupSettings, when: np.ndarray | None = None) -> np.ndarray:
    """Pairs (i, j), i < j, of n rows that share a band key in any band (`key_of_band(b)`: the
    (n,) keys of band b, made when asked, so no (n, bands) matrix is held). Pairs are kept as one
    int64 code (i * n + j), made unique band by band: a pair found in many bands costs memory once.

    `when` (epoch seconds, NaN unknown): pairs published further apart than the near window are
    dropped band by band, before they are kept. Dedup would drop them anyway; kept, their number
    grows with the square of a backfill's size (a year of one outlet's phrasing shares band keys),
    the window's with its size."""
    found = np.zeros(0, dtype=np.int64)
    for b in range(cfg.bands):
        col = key_of_band(b)
        order = np.argsort(col, kind="stable")
        sorted_keys = col[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        sizes = np.diff(np.r_[starts, n])
        band = _bucket_pairs(order, starts, sizes, n, cfg.max_bucket)
        if band:
            codes = np.concatenate(band)
            if when is not None:
                codes = codes[~(np.abs(when[codes // n] - when[codes % n]) > cfg.near_window_hours * 3600)]
            found = np.union1d(found, codes)
    return np.stack([found // n, found % n], axis=1) if len(found) else np.zeros((0, 2), dtype=np.int64)


def _bucket_pairs(order: np.ndarray, starts: np.ndarray, sizes: np.ndarray, n: int, max_bucket: int) -> list:
    """The pair codes of one band's buckets (rows order[start:start + size] share a key): every pair of a
    bucket up to max_bucket rows, its first row with each other one above that. Buckets of one size are
    done together, as one (buckets, size) matrix: a night against a large warehouse meets tens of
    thousands of two-row buckets (a night's article and a stored one), and a numpy call per bucket cost
    seconds of Python."""
    out = []
    for size in np.unique(sizes[sizes > 1]):
        first = starts[sizes == size]
        members = np.sort(order[first[:, None] + np.arange(size)], axis=1).astype(np.int64)  # (buckets, size)
        if size <= max_bucket:
            ii, jj = np.triu_indices(size, k=1)
            out.append((members[:, ii] * n + members[:, jj]).ravel())
        else:
            out.append((members[:, :1] * n + members[:, 1:]).ravel())
    return out


class UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass
class DedupHistory:
    """Canonical articles already in the warehouse."""

    canonical_by_hash: dict[str, tuple[str, str]]  # content_hash -> (article_id, cluster_id)
    ids: list[str]  # canonical article ids ...
    clusters: list[str]  # ... their cluster ids ...
    signatures: np.ndarray  # ... their signatures (len(ids), num_perm) ...
    has_signature: np.ndarray  # ... whether one was stored (same config) ...
    published: list = field(default_factory=list)  # ... when they were published (None: unknown) ...
    leads: np.ndarray | None = None  # ... their lead hashes (len(ids), head_len); a row
    # of zeros (or None for all): none stored, the body decides
    slots: np.ndarray | None = None  # ... and their discriminator slots (len(ids), slots); a
    # row of zeros (or None for all): none stored, no conflict check

    @classmethod
    def empty(cls, cfg: DedupSettings | None = None) -> DedupHistory:
        cfg = cfg or DedupSettings()
        return cls(
            {},
            [],
            [],
            np.zeros((0, cfg.num_perm), dtype=np.uint32),
            np.zeros(0, dtype=bool),
            leads=np.zeros((0, cfg.head_len), dtype=np.uint32),
            slots=np.zeros((0, cfg.slots), dtype=np.uint32),
        )


def canonical_order(articles: pa.Table) -> np.ndarray:
    """Row positions in canonical order: earliest first (undated last), then longest, then by id."""
    published = articles["published_at"]
    keys = pa.table(  # no nulls left: where nulls sort is set per key only in newer pyarrow
        {
            "undated": pc.is_null(published),
            "published": pc.fill_null(pc.cast(published, pa.int64()), 0),
            "shorter": pc.negate(pc.fill_null(pc.cast(articles["word_count"], pa.int64()), 0)),
            "id": articles["article_id"],
        }
    )
    by = [(name, "ascending") for name in keys.column_names]
    return pc.sort_indices(keys, sort_keys=by).to_numpy().astype(np.int64)


def _hash_codes(hashes: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A number per row, 0..k-1, equal for equal content hashes: by a sort (a hash table of a year's
    hashes, as `unique` builds, held ~3x their size at its peak)."""
    n = len(hashes)
    if not n:
        return np.zeros(0, dtype=np.int64)
    by_hash = pc.sort_indices(hashes).to_numpy()
    ordered = hashes.take(pa.array(by_hash))
    ordered = ordered.combine_chunks() if isinstance(ordered, pa.ChunkedArray) else ordered
    new = np.ones(n, dtype=bool)
    new[1:] = ~pc.equal(ordered.slice(1), ordered.slice(0, n - 1)).fill_null(False).to_numpy(zero_copy_only=False)
    codes = np.empty(n, dtype=np.int64)
    codes[by_hash] = np.cumsum(new) - 1
    return codes


def _exact_copies(hashes: pa.ChunkedArray | pa.Array, order: np.ndarray, history: DedupHistory, n: int) -> np.ndarray:
    """Per batch row, the node whose body it equals (-1: none): a canonical from the history with its
    content hash, else the first row of its hash in canonical order (that row itself: -1)."""
    codes = _hash_codes(hashes)
    _, first_at = np.unique(codes[order], return_index=True)  # codes are 0..k-1: first_at[c] for code c
    rep = order[first_at][codes]
    exact_of = np.where(rep != np.arange(n), rep, -1)
    if history.canonical_by_hash:
        hist_index = {aid: n + k for k, aid in enumerate(history.ids)}
        known = [hh for hh, (aid, _) in history.canonical_by_hash.items() if aid in hist_index]
        in_history = pc.is_in(hashes, value_set=pa.array(known, pa.string())).to_numpy(zero_copy_only=False)
        for i in np.flatnonzero(in_history):
            exact_of[i] = hist_index[history.canonical_by_hash[hashes[int(i)].as_py()][0]]
    return exact_of


def dedup_articles(
    articles: pa.Table,
    history: DedupHistory,
    run_id: str,
    cfg: DedupSettings | None = None,
    sig: np.ndarray | None = None,
    changes: list[dict] | None = None,
) -> tuple[pa.Table, pa.Table, np.ndarray]:
    """Set cluster_id and is_canonical; return (articles, duplicates, fingerprints of the batch).

    `articles` needs article_id, content_hash, published_at and word_count (body_norm only when
    `sig` is not given). `sig`: the batch's `fingerprints` (bare MinHash signatures: no lead check,
    no discriminator check; signatures + leads: no discriminator check).

    No chaining: bodies are taken in canonical order (earliest, then longest); each joins the
    story of a canonical it is verified against (the best one, when several), provided its
    discriminators conflict with no member already in that story; otherwise it starts a story of
    its own. A copy of a copy that is not itself close to the canonical is not pulled in.

    A story's canonical from an earlier night stays canonical unless a copy published earlier
    arrives; then that copy takes over, the old canonical becomes its duplicate, and the change is
    appended to `changes` (rows of CANONICAL_CHANGES).

    The batch is held by column, and Python objects are made only for the articles that have a
    copy: a backfill's whole run is one batch, and almost all of its articles stand alone."""
    cfg = cfg or DedupSettings()
    n, h = articles.num_rows, len(history.ids)
    if sig is None:
        sig = fingerprints(articles["body_norm"].to_pylist(), cfg)
    body, lead, slots = split_fingerprints(sig, cfg)
    nodes = _Nodes(n, body, lead, slots, history, cfg)
    order = canonical_order(articles)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    # exact: same content hash within the batch, or as a canonical already published
    exact_of = _exact_copies(articles["content_hash"], order, history, n)
    # publication times by node (NaN: unknown), for the near-copy time window
    hist_published = history.published if len(history.published) == h else [None] * h
    when = np.concatenate(
        [
            epoch_seconds(articles["published_at"]) if n else np.zeros(0),
            np.array([d.timestamp() if d is not None else np.nan for d in hist_published], dtype=np.float64),
        ]
    )
    neighbours = _verified_neighbours(nodes, exact_of, history, when, cfg)
    centre_of, members = _place(neighbours, nodes, exact_of, rank, when, n, h, cfg)
    return _assign(articles, history, run_id, centre_of, exact_of, rank, body, changes, sig)


def _verified_neighbours(
    nodes: _Nodes, exact_of: np.ndarray, history: DedupHistory, when: np.ndarray, cfg: DedupSettings
) -> dict[int, list[tuple[int, float]]]:
    """node -> [(node, estimated body Jaccard)] of every verified near-copy pair among the batch's
    distinct bodies and the history's signed canonicals (history-history pairs were settled on
    earlier nights): LSH candidates within the near window, then `verified`."""
    n = nodes.n
    reps = np.flatnonzero(exact_of < 0)
    signed = np.flatnonzero(history.has_signature) if len(history.ids) else np.zeros(0, dtype=np.int64)
    node_of = np.concatenate([reps, n + signed]).astype(np.int64)
    body = nodes.batch_body

    # the pool (this batch's distinct bodies, then the history's signed canonicals) is never copied
    # into one matrix: each band's keys are made from its two columns, gathered from both
    def pool_column(c: int) -> np.ndarray:
        return np.concatenate([body[reps, c], history.signatures[signed, c]]) if len(signed) else body[reps, c]

    pairs = (  # pairs published further apart than the window (NaN: a date unknown, kept) never formed
        pairs_by_band(lambda b: band_key(pool_column, b, cfg), len(node_of), cfg, when[node_of])
        if len(node_of) > 1
        else np.zeros((0, 2), dtype=np.int64)
    )
    pairs = pairs[pairs[:, 0] < len(reps)]
    neighbours: dict[int, list[tuple[int, float]]] = {}
    if not len(pairs):
        return neighbours
    x, y = node_of[pairs[:, 0]], node_of[pairs[:, 1]]
    del pairs
    ok, sims = np.zeros(len(x), dtype=bool), np.zeros(len(x))
    for c in range(0, len(x), VERIFY_CHUNK):  # in chunks: the pairs' rows are copied to compare them
        part = slice(c, c + VERIFY_CHUNK)
        ok[part], sims[part] = verified(
            nodes.body(x[part]),
            nodes.body(y[part]),
            nodes.lead(x[part]),
            nodes.lead(y[part]),
            cfg,
            nodes.slots(x[part]),
            nodes.slots(y[part]),
            np.abs(when[x[part]] - when[y[part]]) / 3600,
        )
    for a, b, sim in zip(x[ok].tolist(), y[ok].tolist(), sims[ok].tolist()):
        neighbours.setdefault(a, []).append((b, sim))
        neighbours.setdefault(b, []).append((a, sim))
    return neighbours


def _place(
    neighbours: dict[int, list[tuple[int, float]]],
    nodes: _Nodes,
    exact_of: np.ndarray,
    rank: np.ndarray,
    when: np.ndarray,
    n: int,
    h: int,
    cfg: DedupSettings,
) -> tuple[np.ndarray, dict[int, list[int]]]:
    """Each batch row's story centre (a node), without chaining: every member is verified against
    its story's centre and contradicts no member already there. A body verified against a canonical
    from an earlier night joins the best such story. The rest are grouped star-wise: the body with
    the most verified copies still unplaced is a centre (ties: canonical order) and takes its
    unplaced copies. Degree, not date, picks the centre, so the version every other one was copied
    from (or trimmed to) sits in the middle, and a copy of a copy is never pulled in through it.
    A body with no verified copy is its own centre; an exact copy follows the body it equals."""
    slots = nodes.batch_slots

    def contradicts(i: int, centre: int) -> bool:
        """A member of the story the body shares too little text with, or whose names, dates or
        counts it contradicts."""
        group = members[centre]
        if len(group) > 1 and float(jaccard(nodes.body([i])[0], nodes.body(group[1:])).min()) < cfg.member_min_jaccard:
            return True
        if (np.abs(when[i] - when[group]) > cfg.near_window_hours * 3600).any():
            return True
        return slots is not None and bool(
            contradicting(
                nodes.slots([i])[0],
                nodes.slots(group),
                _first(nodes.lead([i])),
                nodes.lead(group),
                cfg,
                np.abs(when[i] - when[group]) / 3600,
            ).any()
        )

    placed: dict[int, int] = {n + k: n + k for k in range(h)}  # node -> its story's centre node
    members: dict[int, list[int]] = {n + k: [n + k] for k in range(h)}
    linked = sorted((i for i in neighbours if i < n), key=rank.__getitem__)  # distinct bodies with a copy
    for i in linked:
        for j, _ in sorted((e for e in neighbours[i] if e[0] >= n), key=lambda e: -e[1]):
            if not contradicts(i, j):
                placed[i] = j
                members[j].append(i)
                break
    # a body none of whose copies is unplaced takes no one: it stays alone (below)
    degree = {i: sum(j < n and j not in placed for j, _ in neighbours[i]) for i in linked if i not in placed}
    for c in sorted((i for i in degree if degree[i]), key=lambda i: (-degree[i], rank[i])):
        if c in placed:
            continue
        placed[c], members[c] = c, [c]
        for j, _ in sorted(neighbours[c], key=lambda e: -e[1]):
            if j < n and j not in placed and not contradicts(j, c):
                placed[j] = c
                members[c].append(j)
    centre_of = np.arange(n, dtype=np.int64)
    for i, c in placed.items():
        if i < n:
            centre_of[i] = c
    copies = np.flatnonzero(exact_of >= 0)
    target = exact_of[copies]
    centre_of[copies] = np.where(target < n, centre_of[np.minimum(target, n - 1)], target)
    return centre_of, members


def _assign(
    articles: pa.Table,
    history: DedupHistory,
    run_id: str,
    centre_of: np.ndarray,
    exact_of: np.ndarray,
    rank: np.ndarray,
    body: np.ndarray,
    changes: list[dict] | None,
    sig: np.ndarray,
) -> tuple[pa.Table, pa.Table, np.ndarray]:
    """cluster_id, is_canonical and the duplicates' rows from each row's story centre: one canonical
    per story; a history canonical keeps its place unless an earlier copy arrives. A body alone in
    its story is its own canonical, with no Python object made for it."""
    n = articles.num_rows
    size = np.bincount(centre_of, minlength=n + len(history.ids)) if n else np.zeros(0, dtype=np.int64)
    alone = (centre_of == np.arange(n)) & (size[centre_of] == 1) if n else np.zeros(0, dtype=bool)
    cluster_src = np.arange(n, dtype=np.int64)  # cluster id: a batch row's id, or n + k: history cluster k
    is_canonical = alone.copy()
    in_stories = np.flatnonzero(~alone)
    ids = dict(zip(in_stories.tolist(), articles["article_id"].take(in_stories).to_pylist()))
    hashes = dict(zip(in_stories.tolist(), articles["content_hash"].take(in_stories).to_pylist()))
    published = dict(zip(in_stories.tolist(), articles["published_at"].take(in_stories).to_pylist()))
    stories: dict[int, list[int]] = {}
    for i in in_stories.tolist():
        stories.setdefault(int(centre_of[i]), []).append(i)
    dups = []

    def duplicate(i: int, canon_id: str, canon_hashes: set, canon_sig: np.ndarray) -> dict:
        exact = hashes[i] in canon_hashes
        return {
            "article_id": ids[i],
            "canonical_id": canon_id,
            "similarity": 1.0 if exact else round(float(jaccard(body[i], canon_sig)), 4),
            "method": "exact" if exact else "near",
            "run_id": run_id,
        }

    for centre, batch_members in stories.items():
        if centre >= n:
            k = centre - n
            canon_id, canon_node = history.ids[k], None
            canon_hashes = {hh for hh, (aid, _) in history.canonical_by_hash.items() if aid == canon_id}
            canon_sig = history.signatures[k]
            old_published = history.published[k] if history.published else None
            earlier = [
                i
                for i in batch_members
                if published[i] is not None and (old_published is None or published[i] < old_published)
            ]
            if earlier:
                new_i = min(earlier, key=rank.__getitem__)
                new_exact = hashes[new_i] in canon_hashes
                old_id, canon_node, canon_id = canon_id, new_i, ids[new_i]
                dups.append(
                    {
                        "article_id": old_id,
                        "canonical_id": canon_id,
                        "similarity": 1.0 if new_exact else round(float(jaccard(body[new_i], canon_sig)), 4),
                        "method": "exact" if new_exact else "near",
                        "run_id": run_id,
                    }
                )
                if changes is not None:
                    changes.append(
                        {
                            "cluster_id": history.clusters[k],
                            "old_canonical_id": old_id,
                            "new_canonical_id": canon_id,
                            "reason": "an earlier-published copy arrived",
                            "run_id": run_id,
                        }
                    )
                canon_hashes, canon_sig = {hashes[new_i]}, body[new_i]
            source = centre
        else:
            canon_node = min(batch_members, key=rank.__getitem__)  # earliest, then longest
            canon_id = ids[canon_node]
            canon_hashes, canon_sig = {hashes[canon_node]}, body[canon_node]
            source = canon_node
        for i in batch_members:
            cluster_src[i] = source
            is_canonical[i] = i == canon_node
            if i != canon_node:
                dups.append(duplicate(i, canon_id, canon_hashes, canon_sig))

    pool = pa.concat_arrays(
        [articles["article_id"].combine_chunks().cast(pa.string()), pa.array(history.clusters, pa.string())]
    )
    out = articles.drop_columns([c for c in ("cluster_id", "is_canonical") if c in articles.column_names])
    out = out.append_column("cluster_id", pool.take(pa.array(cluster_src)))
    out = out.append_column("is_canonical", pa.array(is_canonical, pa.bool_()))
    return out, pa.Table.from_pylist(dups, schema=DUPLICATES), sig


def _first(rows: np.ndarray | None) -> np.ndarray | None:
    return None if rows is None else rows[0]


@dataclass
class _Nodes:
    """Rows of the clustering's nodes, 0..n-1 this batch and n..n+h-1 the history's canonicals,
    read from the two arrays they live in (never concatenated: that copy would be the largest
    array of the run). Leads and slots are None when the fingerprints carry none."""

    n: int
    batch_body: np.ndarray
    batch_lead: np.ndarray | None
    batch_slots: np.ndarray | None
    history: DedupHistory
    cfg: DedupSettings

    def __post_init__(self) -> None:
        self.history_lead = self._stored(self.history.leads, self.cfg.head_len)
        self.history_slots = self._stored(self.history.slots, self.cfg.slots)

    def body(self, nodes) -> np.ndarray:
        return self._rows(nodes, self.batch_body, self.history.signatures)

    def lead(self, nodes) -> np.ndarray | None:
        return None if self.batch_lead is None else self._rows(nodes, self.batch_lead, self.history_lead)

    def slots(self, nodes) -> np.ndarray | None:
        return None if self.batch_slots is None else self._rows(nodes, self.batch_slots, self.history_slots)

    def _stored(self, stored: np.ndarray | None, width: int) -> np.ndarray:
        """The history's lead or slot rows, zeros where none was stored."""
        h = len(self.history.ids)
        if stored is not None and stored.shape == (h, width):
            return stored
        return np.zeros((h, width), dtype=np.uint32)

    def _rows(self, nodes, batch: np.ndarray, history: np.ndarray) -> np.ndarray:
        nodes = np.asarray(nodes, dtype=np.int64)
        mine = nodes < self.n
        if mine.all():
            return batch[nodes]
        out = np.empty((len(nodes), batch.shape[1]), dtype=batch.dtype)
        out[mine] = batch[nodes[mine]]
        out[~mine] = history[nodes[~mine] - self.n]
        return out


def signature_table(articles: pa.Table, sig: np.ndarray, run_id: str, cfg: DedupSettings | None = None) -> pa.Table:
    """The SIGNATURES rows of a batch (same row order as `articles`). `lead_config` names the
    lead-hash config, then, after "+", the discriminator-slot config when the row has slots
    ("crc32-w3-h150+slots-v1-w120-n24"); rows written before the slots hold the first part only."""
    from akhbar.schemas.tables import SIGNATURES

    cfg = cfg or DedupSettings()
    body, lead, slots = split_fingerprints(sig, cfg)
    keys = band_keys(body, cfg)
    none = pa.nulls(len(sig), pa.list_(pa.uint32()))
    config = None if lead is None else cfg.lead_fingerprint + ("" if slots is None else "+" + cfg.slot_fingerprint)
    return pa.Table.from_pydict(
        {
            "article_id": articles["article_id"],
            "minhash_config": pa.array([cfg.fingerprint] * len(sig), pa.string()),
            "signature": _list_column(body),
            "band_keys": _list_column(keys),
            "lead_config": pa.array([config] * len(sig), pa.string()),
            "lead": none if lead is None else _unpadded(lead),  # lead hashes without their zero padding
            "slots": none if slots is None else _unpadded(slots),  # discriminator slots, sorted, no padding
            "run_id": pa.array([run_id] * len(sig), pa.string()),
        },
        schema=SIGNATURES,
    )


def _list_column(matrix: np.ndarray) -> pa.Array:
    """A (n, k) matrix as an Arrow list column, without a Python object per row."""
    n, k = matrix.shape
    return pa.ListArray.from_arrays(
        pa.array(np.arange(n + 1, dtype=np.int32) * k), pa.array(np.ascontiguousarray(matrix).ravel())
    )


def _unpadded(matrix: np.ndarray) -> pa.Array:
    """Rows of hashes padded with trailing zeros, as a list column of their hashes only."""
    filled = matrix != 0
    offsets = np.concatenate([[0], np.cumsum(filled.sum(axis=1))]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(matrix[filled]))


# ----------------------------------------------------------------------------- stages


def fingerprint_stage(batch: pa.Table, cfg: DedupSettings) -> StageResult:
    """ARTICLE -> ARTICLE, and its side table "fingerprints": what the run's one clustering reads
    (ids, hashes, dates, MinHash signature, lead hashes and slots, the story terms; no text)."""
    from akhbar.tasks.stories import story_terms

    norms = batch["body_norm"].to_pylist()
    sig = fingerprints(norms, cfg)
    terms = story_terms(batch["title"].to_pylist(), norms)
    result = StageResult(batch)
    result.tables["fingerprints"] = fingerprint_table(batch.append_column("story_terms", terms), sig)
    return result


def fingerprint_table(articles: pa.Table, sig: np.ndarray) -> pa.Table:
    """The FINGERPRINTS rows of a batch (`articles` has every FINGERPRINTS column but the
    fingerprint; `story_terms` may be left out: empty lists, the title alone then speaks for it)."""
    from akhbar.schemas.tables import FINGERPRINTS

    if "story_terms" not in articles.column_names:
        articles = articles.append_column("story_terms", pa.array([[]] * articles.num_rows, pa.list_(pa.uint32())))
    width = sig.shape[1] if sig.ndim == 2 else 0
    offsets = pa.array(
        np.arange(0, (len(sig) + 1) * width, width, dtype=np.int32) if width else np.zeros(len(sig) + 1, np.int32)
    )
    column = pa.ListArray.from_arrays(offsets, pa.array(sig.ravel(), pa.uint32()))
    return articles.select([n for n in FINGERPRINTS.names if n != "fingerprint"]).append_column("fingerprint", column)


def fingerprint_matrix(table: pa.Table) -> np.ndarray:
    """The (n, width) uint32 matrix of a FINGERPRINTS table's `fingerprint` column."""
    column = table["fingerprint"].combine_chunks()
    if not len(column):
        return np.zeros((0, 0), dtype=np.uint32)
    values = column.flatten().to_numpy(zero_copy_only=False)
    return values.astype(np.uint32, copy=False).reshape(len(column), -1)


def read_fingerprints(
    files: list, cfg: DedupSettings | None = None, spill: Path | None = None
) -> tuple[pa.Table, np.ndarray | Fingerprints]:
    """The staged FINGERPRINTS files as (their other columns, their fingerprints), file by file into
    preallocated arrays: the fingerprints are the clustering's largest arrays, held once.

    With `spill` (a local file path), the lead hashes are written there as they are read and read
    back a row at a time when asked (`Fingerprints`, `RowsOnDisk`): banding reads every row's
    signature, but a row's lead hashes only when it is in a candidate pair, so a year's backfill
    keeps ~0.6 KB an article on disk instead of in memory."""
    from akhbar.schemas.tables import FINGERPRINTS
    from akhbar.tasks.storage import parquet_rows, read_parquet

    cfg = cfg or DedupSettings()
    sizes = [parquet_rows(f) for f in files]
    total = sum(sizes)
    parts: list[np.ndarray] | None = None
    rest, at = [], 0
    lead_file = None
    try:
        for f, size in zip(files, sizes):
            table = read_parquet(f)
            part = fingerprint_matrix(table)
            body, lead, slots = split_fingerprints(part, cfg)
            if parts is None:
                split = spill is not None and lead is not None and slots is not None
                widths = [body.shape[1], slots.shape[1]] if split else [part.shape[1]]
                parts = [np.empty((total, w), dtype=np.uint32) for w in widths]
                if split:
                    lead_file, lead_width = spill.open("wb"), lead.shape[1]  # rows follow, in order
            if lead_file is not None:
                parts[0][at : at + size], parts[1][at : at + size] = body, slots
                lead_file.write(np.ascontiguousarray(lead, dtype=np.uint32).tobytes())
            else:
                parts[0][at : at + size] = part
            at += size
            rest.append(table.drop_columns(["fingerprint"]))
    finally:
        if lead_file is not None:
            lead_file.close()
    if parts is None:
        return FINGERPRINTS.empty_table().drop_columns(["fingerprint"]), np.zeros((0, 0), dtype=np.uint32)
    table = pa.concat_tables(rest)  # chunked: combining would copy a backfill's whole table once more
    if lead_file is None:
        return table, parts[0]
    return table, Fingerprints(parts[0], RowsOnDisk(spill, total, lead_width), parts[1])


class RowsOnDisk:
    """A (rows, width) uint32 matrix in a file, each row read when asked (os.pread). A memory map
    would not do: reading a row maps the 64 KB around it (the kernel's fault-around, whatever
    madvise says), so a few thousand scattered rows make the whole file resident. The file is
    unlinked at once: the open descriptor keeps it until this object goes."""

    dtype = np.dtype(np.uint32)
    ndim = 2

    def __init__(self, path: Path, rows: int, width: int) -> None:
        self.shape = (rows, width)
        self._row_bytes = width * self.dtype.itemsize
        self._fd = os.open(path, os.O_RDONLY)
        path.unlink()  # nothing left behind, and a retry writes a new file
        weakref.finalize(self, os.close, self._fd)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key) -> np.ndarray:
        if isinstance(key, slice) and key.step in (None, 1):
            start, stop, _ = key.indices(self.shape[0])
            return self._run(start, max(stop - start, 0))
        rows = np.arange(self.shape[0])[key] if isinstance(key, slice) else np.asarray(key, dtype=np.int64)
        if rows.ndim == 0:
            return self._run(int(rows), 1)[0]
        wanted, back = np.unique(rows, return_inverse=True)
        out = np.empty((len(wanted), self.shape[1]), dtype=self.dtype)
        # consecutive rows are read together: one call a run
        for run in np.split(np.arange(len(wanted)), np.flatnonzero(np.diff(wanted) != 1) + 1):
            if len(run):
                out[run[0] : run[-1] + 1] = self._run(int(wanted[run[0]]), len(run))
        return out[back.ravel()]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        whole = self._run(0, self.shape[0])
        return whole if dtype is None else whole.astype(dtype)

    def _run(self, start: int, count: int) -> np.ndarray:
        size = count * self._row_bytes
        data = os.pread(self._fd, size, start * self._row_bytes) if size else b""
        if len(data) != size:
            raise OSError(f"spilled fingerprint rows {start}..{start + count}: read {len(data)} of {size} bytes")
        return np.frombuffer(data, dtype=self.dtype).reshape(count, self.shape[1])


def epoch_seconds(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A timestamp column as float seconds since the epoch, NaN where null."""
    micros = pc.cast(pc.cast(column, pa.timestamp("us", tz="UTC")), pa.int64())
    out = micros.to_numpy(zero_copy_only=False).astype(np.float64) / 1e6
    out[column.is_null().to_numpy(zero_copy_only=False)] = np.nan
    return out


def cluster_run(
    articles: pa.Table, sig: np.ndarray, history: DedupHistory, run_id: str, cfg: DedupSettings
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """The run's one clustering, over its fingerprint rows (`articles`: FINGERPRINTS without the
    fingerprint; `sig`: the fingerprints) plus the warehouse's canonicals. Returns (the rows with
    cluster_id and is_canonical, duplicates, canonical changes)."""
    from akhbar.schemas.tables import CANONICAL_CHANGES

    changes: list[dict] = []
    out, dups, _ = dedup_articles(articles, history, run_id, cfg, sig=sig, changes=changes)
    return out, dups, pa.Table.from_pylist(changes, schema=CANONICAL_CHANGES)
