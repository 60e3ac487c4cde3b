"""Dedup stage: one canonical article per story, and a record of every copy.

* exact: equal content hash of the search-normalized body (copies differing only in boilerplate,
  diacritics, letter variants, punctuation or whitespace);
* near: MinHash (rensa) over word n-gram shingles, LSH banding for candidates, every candidate
  pair verified by its estimated Jaccard before it joins; clusters by union-find.

Both run within the batch and against the warehouse's history (signatures persist in the lake).
Canonical: earliest published, then longest body, then smallest article_id; a story's canonical
already in the warehouse stays canonical.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np
import pyarrow as pa
from rensa import RMinHash

from schemas.tables import DUPLICATES
from tasks.base import run_logger, stage_task

_FAR_FUTURE = datetime.max.replace(tzinfo=timezone.utc)
_MIX = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class DedupSettings:
    """Every near-dedup knob in one place (see BENCHMARKS.md for how the defaults were chosen)."""

    shingle_size: int = 5        # words per shingle
    num_perm: int = 128          # MinHash permutations
    bands: int = 20              # LSH bands ...
    rows: int = 6                # ... of this many rows: P(candidate | J=0.8) = 0.998, P(J=0.5) = 0.27
    threshold: float = 0.8       # estimated Jaccard (to the canonical) a copy needs to be a near duplicate
    seed: int = 1
    max_bucket: int = 200        # buckets larger than this (templated stubs) are paired star-wise
    # "any": union-find, a copy within `threshold` of any member of the story joins (near recall
    # 0.83 on the evaluation set, same 8 false pairs); "canonical": only within `threshold` of the
    # canonical (0.63). See BENCHMARKS.md.
    link: str = "any"

    @property
    def fingerprint(self) -> str:
        """Signatures made with another shingle size, permutation count or seed do not compare."""
        return f"rensa-w{self.shingle_size}-p{self.num_perm}-s{self.seed}"

    def __post_init__(self) -> None:
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands x rows ({self.bands}x{self.rows}) exceeds num_perm ({self.num_perm})")


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
    published: list = field(default_factory=list)          # ... and when they were published (None: unknown)

    @classmethod
    def empty(cls, cfg: DedupSettings | None = None) -> "DedupHistory":
        cfg = cfg or DedupSettings()
        return cls({}, [], [], np.zeros((0, cfg.num_perm), dtype=np.uint32), np.zeros(0, dtype=bool))


def canonical_order(row: dict) -> tuple:
    return (row["published_at"] or _FAR_FUTURE, -(row["word_count"] or 0), row["article_id"])


def dedup_articles(articles: pa.Table, history: DedupHistory, run_id: str, cfg: DedupSettings | None = None,
                   sig: np.ndarray | None = None, changes: list[dict] | None = None) -> tuple[pa.Table, pa.Table, np.ndarray]:
    """Set cluster_id and is_canonical; return (articles, duplicates, signatures of the batch).

    A story's canonical from an earlier night stays canonical unless a copy published earlier
    arrives; then that copy takes over, the old canonical becomes its duplicate, and the change is
    appended to `changes` (rows of CANONICAL_CHANGES)."""
    cfg = cfg or DedupSettings()
    rows = articles.to_pylist()
    n, h = len(rows), len(history.ids)
    if sig is None:
        sig = signatures([r["body_norm"] for r in rows], cfg)
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
    pool = np.concatenate([sig[reps], history.signatures[signed]]) if len(signed) else sig[reps]
    node_of = reps + [n + int(k) for k in signed]
    pairs = candidate_pairs(band_keys(pool, cfg), cfg) if len(pool) > 1 else np.zeros((0, 2), dtype=np.int64)
    if len(pairs):
        pairs = pairs[pairs[:, 0] < len(reps)]            # history-history pairs were settled on earlier nights
        sims = jaccard(pool[pairs[:, 0]], pool[pairs[:, 1]])
        for (a, b), s in zip(pairs[sims >= cfg.threshold], sims[sims >= cfg.threshold]):
            uf.union(node_of[a], node_of[b])

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
                k = max(old, key=lambda k: float(jaccard(sig[remaining], history.signatures[k]).max()))
                old = []
                canon_id, cluster_id, canon_sig, canon_hash, canon_node = history.ids[k], history.clusters[k], history.signatures[k], None, None
                old_hash = {hh for hh, (aid, _) in history.canonical_by_hash.items() if aid == canon_id}
            else:
                canon_node = min(remaining, key=lambda i: canonical_order(rows[i]))
                canon_id = cluster_id = rows[canon_node]["article_id"]
                canon_sig, canon_hash, old_hash = sig[canon_node], rows[canon_node]["content_hash"], set()
            sims = jaccard(sig[remaining], canon_sig)
            joined, rest = [], []
            for i, sim in zip(remaining, sims):
                exact = rows[i]["content_hash"] == canon_hash or rows[i]["content_hash"] in old_hash
                if i == canon_node or exact or sim >= cfg.threshold or cfg.link == "any":
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
                    canon_id, new_sig = rows[new_i]["article_id"], sig[new_i]
                    dups.append({"article_id": old_id, "canonical_id": canon_id,
                                 "similarity": 1.0 if new_exact else round(float(jaccard(new_sig, canon_sig)), 4),
                                 "method": "exact" if new_exact else "near", "run_id": run_id})
                    if changes is not None:
                        changes.append({"cluster_id": cluster_id, "old_canonical_id": old_id, "new_canonical_id": canon_id,
                                        "reason": "an earlier-published copy arrived", "run_id": run_id})
                    joined = [(i, exact if new_exact else rows[i]["content_hash"] == rows[new_i]["content_hash"],
                               float(jaccard(sig[i], new_sig))) for i, exact, _ in joined]
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
    keys = band_keys(sig, cfg)
    return pa.Table.from_pydict({
        "article_id": articles["article_id"],
        "minhash_config": pa.array([cfg.fingerprint] * len(sig), pa.string()),
        "signature": pa.array(list(sig), pa.list_(pa.uint32())),
        "band_keys": pa.array(list(keys), pa.list_(pa.uint64())),
        "run_id": pa.array([run_id] * len(sig), pa.string()),
    }, schema=SIGNATURES)


@stage_task(name="dedup")
def dedup(articles: pa.Table, history: DedupHistory, run_id: str, cfg: DedupSettings | None = None,
          sig: np.ndarray | None = None) -> tuple[pa.Table, pa.Table, np.ndarray, pa.Table]:
    from schemas.tables import CANONICAL_CHANGES

    changes: list[dict] = []
    out, dups, sig = dedup_articles(articles, history, run_id, cfg, sig, changes)
    methods = dups["method"].to_pylist()
    run_logger().info("dedup: %d articles, %d exact and %d near duplicates, %d stories already in the warehouse got "
                      "copies, %d canonical changes", out.num_rows, methods.count("exact"), methods.count("near"),
                      len(set(out["cluster_id"].to_pylist()) & set(history.clusters)), len(changes))
    return out, dups, sig, pa.Table.from_pylist(changes, schema=CANONICAL_CHANGES)
