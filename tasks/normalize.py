"""Normalize stage: the display body is already normalized by `clean`; here each article gets its
search-normalized text (dedup and search), word count, Arabic-script ratio and content hash."""

from __future__ import annotations

import hashlib

import pyarrow as pa
from akhbar.schemas.tables import ARTICLE
from akhbar.tasks.arabic import arabic_ratios, normalize_search_many, word_counts
from akhbar.tasks.base import StageResult


def content_hash(body_norm: str) -> str:
    """Hash of the search-normalized body: copies that differ only in boilerplate, diacritics,
    letter variants, punctuation or whitespace hash the same."""
    return hashlib.sha256(body_norm.encode("utf-8")).hexdigest()[:32]


def normalize_batch(cleaned: pa.Table) -> pa.Table:
    """`cleaned` plus body_norm, word_count, arabic_ratio and content_hash."""
    bodies = cleaned.column("body").to_pylist()
    norms = normalize_search_many(bodies)  # the whole column at once (tasks/arabic.py)
    t = cleaned
    t = t.append_column("body_norm", pa.array(norms, pa.string()))
    t = t.append_column("word_count", pa.array(word_counts(bodies), pa.int32()))
    t = t.append_column("arabic_ratio", pa.array(arabic_ratios(bodies), pa.float32()))
    t = t.append_column("content_hash", pa.array([content_hash(n) for n in norms], pa.string()))
    return t


def normalize_stage(batch: pa.Table) -> StageResult:
    """OBSERVED -> ARTICLE."""
    return StageResult(normalize_batch(batch).select(ARTICLE.names))
