"""Dedup stage: one canonical article per story, and a record of every copy.

* exact: equal content hash of the search-normalized body (copies differing only in boilerplate,
  diacritics, letter variants, punctuation or whitespace);
* near: MinHash (rensa) over word n-gram shingles, LSH banding for candidates, every candidate
  pair verified before it joins: its estimated body Jaccard reaches `threshold`, or it reaches
  the lower `lead_min_jaccard` and the two leads (first words) are found in each other's opening
  (`lead_threshold`); clusters by union-find.

Both run within the batch and against the warehouse's history (signatures persist in the lake).
Canonical: earliest published, then longest body, then smallest article_id; a story's canonical
already in the warehouse stays canonical.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import zlib

import numpy as np
import pyarrow as pa
from rensa import RMinHash

from schemas.tables import DUPLICATES
from tasks.base import StageResult

_FAR_FUTURE = datetime.max.replace(tzinfo=timezone.utc)

_MIX = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class DedupSettings:
    """Every near-dedup knob in one place (see BENCHMARKS.md for how the defaults were chosen)."""

    # Defaults chosen on the tuning half of the evaluation set and checked on the held-out half
    # (`bench/dedup_eval.py --grid`, BENCHMARKS.md "Dedup quality"): on the tuning half, near
    # precision 0.996 / recall 0.934 against 0.984 / 0.828 for the body threshold 0.8 alone.
    shingle_size: int = 5        # words per shingle
    num_perm: int = 128          # MinHash permutations
    bands: int = 64              # LSH bands of 2 rows: P(candidate | J=0.3) = 0.998, so every pair the
    rows: int = 2                # lead check could accept is looked at (42 x 3: 0.68; recall 0.930 vs 0.934)
    # A copy joins when its estimated body Jaccard (5-word shingles) reaches `threshold` ...
    threshold: float = 0.9       # 0.85: near precision 0.985 (4 hard negatives joined); 0.8: 0.978 (6)
    # ... or reaches `lead_min_jaccard` while each lead (the first `lead_words` words, as
    # `lead_shingle`-word shingles) has at least `lead_threshold` of its shingles among the other
    # body's first `head_words` words. A copy rewritten, trimmed or extended by another outlet keeps
    # its lead; a follow-up that reuses an earlier article puts a new lead on top (labelled copies:
    # median 0.76, hard negatives: median 0.04 on the tuning half). Bodies no longer than the lead
    # get no lead check (the lead is then the body: templated blurbs).
    lead_min_jaccard: float = 0.3   # 0.2 measured the same on the tuning half; 0.4: recall 0.908
    lead_threshold: float = 0.4     # 0.3: precision 0.981 (5 hard negatives); 0.5: recall 0.915
    lead_words: int = 50
    head_words: int = 150
    lead_shingle: int = 3
    seed: int = 1
    max_bucket: int = 200        # buckets larger than this (templated stubs) are paired star-wise
    # "any": union-find, a copy verified against any member of the story joins; "canonical": only
    # one verified against the canonical. See BENCHMARKS.md.
    link: str = "any"

    @property
    def fingerprint(self) -> str:
        """Signatures made with another shingle size, permutation count or seed do not compare."""
        return f"rensa-w{self.shingle_size}-p{self.num_perm}-s{self.seed}"

    @property
    def lead_fingerprint(self) -> str:
        """Lead hashes made with another shingle size or window do not compare."""
        return f"crc32-w{self.lead_shingle}-h{self.head_words}"

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
    return [" ".join(words[i:i + k]) for i in range(len(words) - k + 1)]


def signatures(norms: list[str], cfg: DedupSettings) -> np.ndarray:
    """(n, num_perm) uint32 MinHash signatures; shingles are dropped as soon as each is signed."""
    if not norms:
        return np.zeros((0, cfg.num_perm), dtype=np.uint32)
    matrix = RMinHash.digest_matrix_from_token_sets((shingles(n, cfg.shingle_size) for n in norms), cfg.num_perm, cfg.seed)
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
            words[i, :len(ws)] = [cache.get(w) or cache.setdefault(w, zlib.crc32(w.encode()) + 1) for w in ws]
    with np.errstate(over="ignore"):
        h = words[:, 0:hw - k + 1] * _M1
        for r, m in zip(range(1, k), (_M2, _M3, _M1, _M2)):
            h = (h ^ (words[:, r:hw - k + 1 + r] * m)) * _M3
        h ^= h >> np.uint64(29)
    h = (h >> np.uint64(32)).astype(np.uint32)
    h[h == 0] = 1
    valid = np.arange(hw - k + 1)[None, :] < (lengths - k + 1)[:, None]
    out[:, : hw - k + 1] = np.where(valid, h, 0)
    return out


def fingerprints(norms: list[str], cfg: DedupSettings) -> np.ndarray:
    """What dedup keeps of each body: (n, num_perm + head_len) uint32, the MinHash signature then
    the lead hashes (one array, so a caller can filter rows of both at once)."""
    return np.hstack([signatures(norms, cfg), lead_hashes(norms, cfg)])


def lead_overlap(a: np.ndarray, b: np.ndarray, cfg: DedupSettings, chunk: int = 2048) -> np.ndarray:
    """For lead-hash rows a[i], b[i] (broadcastable): the smaller of the two shares of a lead's
    shingles found among the other body's first `head_words` words. 0 when either body is no
    longer than its lead (then the lead is the body and says nothing more than the body Jaccard)."""
    a, b = np.broadcast_arrays(np.atleast_2d(a), np.atleast_2d(b))
    n, ln = len(a), cfg.lead_len
    out = np.zeros(n)
    for s in range(0, n, chunk):
        x, y = a[s:s + chunk], b[s:s + chunk]
        shares = []
        for lead, head in ((x[:, :ln], y), (y[:, :ln], x)):
            valid = lead != 0
            found = ((lead[:, :, None] == head[:, None, :]).any(axis=2) & valid).sum(axis=1)
            shares.append(found / np.maximum(valid.sum(axis=1), 1))
        long_enough = (x[:, ln] != 0) & (y[:, ln] != 0)
        out[s:s + chunk] = np.where(long_enough, np.minimum(*shares), 0.0)
    return out


def verified(sa: np.ndarray, sb: np.ndarray, la: np.ndarray | None, lb: np.ndarray | None,
             cfg: DedupSettings) -> tuple[np.ndarray, np.ndarray]:
    """(joins, estimated body Jaccard) for signature rows sa[i], sb[i] and lead rows la[i], lb[i]
    (None: no lead known, the body alone decides)."""
    sims = np.atleast_1d(jaccard(sa, sb))
    ok = sims >= cfg.threshold
    if la is not None and lb is not None:
        maybe = ~ok & (sims >= cfg.lead_min_jaccard)
        if maybe.any():
            rows = (len(sims), np.shape(la)[-1])   # a single lead row stands for every pair
            idx = np.flatnonzero(maybe)
            ok[idx] = lead_overlap(np.broadcast_to(la, rows)[idx], np.broadcast_to(lb, rows)[idx], cfg) >= cfg.lead_threshold
    return ok, sims


def band_keys(sig: np.ndarray, cfg: DedupSettings) -> np.ndarray:
    """(n, bands) uint64 keys: each band's rows mixed into one number."""
    s = sig[:, : cfg.bands * cfg.rows].astype(np.uint64).reshape(len(sig), cfg.bands, cfg.rows)
    key = np.zeros((len(sig), cfg.bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(cfg.rows):
            key = (key ^ s[:, :, r]) * _MIX + np.uint64(r + 1)
    return key


def jaccard(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard of signature rows a[i] and b[i]."""
    return (a == b).mean(axis=-1)


def candidate_pairs(keys: np.ndarray, cfg: DedupSettings) -> np.ndarray:
    """Pairs (i, j), i < j, that share a band key in any band."""
    out = []
    n = len(keys)
    for b in range(keys.shape[1]):
        col = keys[:, b]
        order = np.argsort(col, kind="stable")
        sorted_keys = col[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        sizes = np.diff(np.r_[starts, n])
        for start, size in zip(starts[sizes > 1], sizes[sizes > 1]):
            members = np.sort(order[start:start + size])
            if size <= cfg.max_bucket:
                ii, jj = np.triu_indices(size, k=1)
                out.append(np.stack([members[ii], members[jj]], axis=1))
            else:
                out.append(np.stack([np.full(size - 1, members[0]), members[1:]], axis=1))
    if not out:
        return np.zeros((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(out), axis=0)


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

    canonical_by_hash: dict[str, tuple[str, str]]          # content_hash -> (article_id, cluster_id)
    ids: list[str]                                          # canonical article ids ...
    clusters: list[str]                                     # ... their cluster ids ...
    signatures: np.ndarray                                  # ... their signatures (len(ids), num_perm) ...
    has_signature: np.ndarray                               # ... whether one was stored (same config) ...
    published: list = field(default_factory=list)          # ... when they were published (None: unknown) ...
    leads: np.ndarray | None = None                         # ... and their lead hashes (len(ids), head_len); a row
                                                            # of zeros (or None for all): none stored, the body decides

    @classmethod
    def empty(cls, cfg: DedupSettings | None = None) -> "DedupHistory":
        cfg = cfg or DedupSettings()
        return cls({}, [], [], np.zeros((0, cfg.num_perm), dtype=np.uint32), np.zeros(0, dtype=bool),
                   leads=np.zeros((0, cfg.head_len), dtype=np.uint32))


def canonical_order(row: dict) -> tuple:
    return (row["published_at"] or _FAR_FUTURE, -(row["word_count"] or 0), row["article_id"])


def dedup_articles(articles: pa.Table, history: DedupHistory, run_id: str, cfg: DedupSettings | None = None,
                   sig: np.ndarray | None = None, changes: list[dict] | None = None) -> tuple[pa.Table, pa.Table, np.ndarray]:
    """Set cluster_id and is_canonical; return (articles, duplicates, fingerprints of the batch).

    `sig`: the batch's `fingerprints` (or bare MinHash signatures: then no lead check).

    A story's canonical from an earlier night stays canonical unless a copy published earlier
    arrives; then that copy takes over, the old canonical becomes its duplicate, and the change is
    appended to `changes` (rows of CANONICAL_CHANGES)."""
    cfg = cfg or DedupSettings()
    rows = articles.to_pylist()
    n, h = len(rows), len(history.ids)
    if sig is None:
        sig = fingerprints([r["body_norm"] for r in rows], cfg)
    body = sig[:, : cfg.num_perm]
    lead = sig[:, cfg.num_perm:] if sig.shape[1] == cfg.num_perm + cfg.head_len else None
    hist_lead = None   # the history canonicals' lead hashes (zeros where none is stored), when the batch has leads
    if lead is not None:
        stored = history.leads is not None and history.leads.shape == (h, cfg.head_len)
        hist_lead = history.leads if stored else np.zeros((h, cfg.head_len), dtype=np.uint32)
    uf = UnionFind(n + h)                     # nodes 0..n-1: this batch; n..n+h-1: history canonicals
    hist_index = {aid: n + k for k, aid in enumerate(history.ids)}

    # exact: same content hash within the batch, or as a canonical already published
    first_by_hash: dict[str, int] = {}
    for i, r in enumerate(rows):
        hsh = r["content_hash"]
        if hsh in history.canonical_by_hash and history.canonical_by_hash[hsh][0] in hist_index:
            uf.union(i, hist_index[history.canonical_by_hash[hsh][0]])
        elif hsh in first_by_hash:
            uf.union(i, first_by_hash[hsh])
        else:
            first_by_hash[hsh] = i

    # near: LSH candidates among this batch's distinct bodies and the history canonicals, verified
    reps = sorted(first_by_hash.values())
    signed = np.flatnonzero(history.has_signature) if h else np.zeros(0, dtype=np.int64)
    pool = np.concatenate([body[reps], history.signatures[signed]]) if len(signed) else body[reps]
    pool_lead = None
    if lead is not None:
        pool_lead = np.concatenate([lead[reps], hist_lead[signed]]) if len(signed) else lead[reps]
    node_of = reps + [n + int(k) for k in signed]
    pairs = candidate_pairs(band_keys(pool, cfg), cfg) if len(pool) > 1 else np.zeros((0, 2), dtype=np.int64)
    if len(pairs):
        pairs = pairs[pairs[:, 0] < len(reps)]            # history-history pairs were settled on earlier nights
        a, b = pairs[:, 0], pairs[:, 1]
        ok, _ = verified(pool[a], pool[b], None if pool_lead is None else pool_lead[a],
                         None if pool_lead is None else pool_lead[b], cfg)
        for x, y in pairs[ok]:
            uf.union(node_of[x], node_of[y])

    # One canonical per component; a history canonical in the component keeps its place. With
    # link="canonical" a copy joins only if it is itself within the threshold of the canonical, and
    # the rest are clustered again among themselves.
    components: dict[int, list[int]] = {}
    for node in range(n + h):
        components.setdefault(uf.find(node), []).append(node)
    dups = []
    for members in components.values():
        remaining = [m for m in members if m < n]
        old = [m - n for m in members if m >= n]
        while remaining:
            if old:
                k = max(old, key=lambda k: float(jaccard(body[remaining], history.signatures[k]).max()))
                old = []
                canon_id, cluster_id, canon_sig, canon_hash, canon_node = history.ids[k], history.clusters[k], history.signatures[k], None, None
                canon_lead = hist_lead[k] if lead is not None else None
                old_hash = {hh for hh, (aid, _) in history.canonical_by_hash.items() if aid == canon_id}
            else:
                canon_node = min(remaining, key=lambda i: canonical_order(rows[i]))
                canon_id = cluster_id = rows[canon_node]["article_id"]
                canon_sig, canon_hash, old_hash = body[canon_node], rows[canon_node]["content_hash"], set()
                canon_lead = lead[canon_node] if lead is not None else None
            oks, sims = verified(body[remaining], canon_sig, None if lead is None else lead[remaining], canon_lead, cfg)
            joined, rest = [], []
            for i, ok, sim in zip(remaining, oks, sims):
                exact = rows[i]["content_hash"] == canon_hash or rows[i]["content_hash"] in old_hash
                if i == canon_node or exact or ok or cfg.link == "any":
                    joined.append((i, exact, float(sim)))
                else:
                    rest.append(i)
            if not joined:  # nothing close enough to the old canonical: cluster the rest anew
                remaining = rest
                continue
            if canon_node is None:  # the story is already in the warehouse: does an earlier copy arrive?
                old_published = history.published[k] if history.published else None
                earlier = [j for j in joined if rows[j[0]]["published_at"] is not None
                           and (old_published is None or rows[j[0]]["published_at"] < old_published)]
                if earlier:
                    new_i, new_exact, new_sim = min(earlier, key=lambda j: canonical_order(rows[j[0]]))
                    old_id, canon_node = canon_id, new_i
                    canon_id, new_sig = rows[new_i]["article_id"], body[new_i]
                    dups.append({"article_id": old_id, "canonical_id": canon_id,
                                 "similarity": 1.0 if new_exact else round(float(jaccard(new_sig, canon_sig)), 4),
                                 "method": "exact" if new_exact else "near", "run_id": run_id})
                    if changes is not None:
                        changes.append({"cluster_id": cluster_id, "old_canonical_id": old_id, "new_canonical_id": canon_id,
                                        "reason": "an earlier-published copy arrived", "run_id": run_id})
                    joined = [(i, exact if new_exact else rows[i]["content_hash"] == rows[new_i]["content_hash"],
                               float(jaccard(body[i], new_sig))) for i, exact, _ in joined]
            for i, exact, sim in joined:
                r = rows[i]
                r["cluster_id"], r["is_canonical"] = cluster_id, i == canon_node
                if i != canon_node:
                    dups.append({"article_id": r["article_id"], "canonical_id": canon_id,
                                 "similarity": 1.0 if exact else round(sim, 4),
                                 "method": "exact" if exact else "near", "run_id": run_id})
            remaining = rest

    out = articles.drop_columns([c for c in ("cluster_id", "is_canonical") if c in articles.column_names])
    out = out.append_column("cluster_id", pa.array([r["cluster_id"] for r in rows], pa.string()))
    out = out.append_column("is_canonical", pa.array([r["is_canonical"] for r in rows], pa.bool_()))
    return out, pa.Table.from_pylist(dups, schema=DUPLICATES), sig


def signature_table(articles: pa.Table, sig: np.ndarray, run_id: str, cfg: DedupSettings | None = None) -> pa.Table:
    """The SIGNATURES rows of a batch (same row order as `articles`)."""
    from schemas.tables import SIGNATURES

    cfg = cfg or DedupSettings()
    body = sig[:, : cfg.num_perm]
    keys = band_keys(body, cfg)
    if sig.shape[1] == cfg.num_perm + cfg.head_len:   # lead hashes without their zero padding
        lead = sig[:, cfg.num_perm:]
        lead_col = pa.array([row[: int(np.count_nonzero(row))] for row in lead], pa.list_(pa.uint32()))
        lead_cfg = pa.array([cfg.lead_fingerprint] * len(sig), pa.string())
    else:
        lead_col, lead_cfg = pa.nulls(len(sig), pa.list_(pa.uint32())), pa.nulls(len(sig), pa.string())
    return pa.Table.from_pydict({
        "article_id": articles["article_id"],
        "minhash_config": pa.array([cfg.fingerprint] * len(sig), pa.string()),
        "signature": pa.array(list(body), pa.list_(pa.uint32())),
        "band_keys": pa.array(list(keys), pa.list_(pa.uint64())),
        "lead_config": lead_cfg,
        "lead": lead_col,
        "run_id": pa.array([run_id] * len(sig), pa.string()),
    }, schema=SIGNATURES)


# ----------------------------------------------------------------------------- stages

def fingerprint_stage(batch: pa.Table, cfg: DedupSettings) -> StageResult:
    """ARTICLE -> ARTICLE, and its side table "fingerprints": what the run's one clustering reads
    (ids, hashes, dates, MinHash signature and lead hashes; no text)."""
    sig = fingerprints(batch["body_norm"].to_pylist(), cfg)
    result = StageResult(batch)
    result.tables["fingerprints"] = fingerprint_table(batch, sig)
    return result


def fingerprint_table(articles: pa.Table, sig: np.ndarray) -> pa.Table:
    from schemas.tables import FINGERPRINTS

    width = sig.shape[1] if sig.ndim == 2 else 0
    offsets = pa.array(np.arange(0, (len(sig) + 1) * width, width, dtype=np.int32) if width else np.zeros(len(sig) + 1, np.int32))
    column = pa.ListArray.from_arrays(offsets, pa.array(sig.ravel(), pa.uint32()))
    return articles.select([n for n in FINGERPRINTS.names if n != "fingerprint"]).append_column("fingerprint", column)


def fingerprint_matrix(table: pa.Table) -> np.ndarray:
    """The (n, width) uint32 matrix of a FINGERPRINTS table's `fingerprint` column."""
    column = table["fingerprint"].combine_chunks()
    if not len(column):
        return np.zeros((0, 0), dtype=np.uint32)
    values = column.flatten().to_numpy(zero_copy_only=False)
    return values.astype(np.uint32, copy=False).reshape(len(column), -1)


def cluster_run(fingerprints_: pa.Table, history: DedupHistory, run_id: str, cfg: DedupSettings
                ) -> tuple[pa.Table, pa.Table, np.ndarray, pa.Table]:
    """The run's one clustering, over its fingerprint table plus the warehouse's canonicals. Returns
    (fingerprint rows with cluster_id and is_canonical, duplicates, fingerprint matrix, canonical changes)."""
    from schemas.tables import CANONICAL_CHANGES

    changes: list[dict] = []
    sig = fingerprint_matrix(fingerprints_)
    out, dups, sig = dedup_articles(fingerprints_.drop_columns(["fingerprint"]), history, run_id, cfg, sig=sig, changes=changes)
    return out, dups, sig, pa.Table.from_pylist(changes, schema=CANONICAL_CHANGES)
