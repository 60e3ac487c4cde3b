"""Field mapping on records whose keys akhbar has never seen (issue 11, item 2): tasks/fields.py.

For each shared corpus (one JSON-lines file each), as the reader does per input file: infer the
mapping from the first 50 records, then read every record with it. Figures per article field: the
share of records given a value before (tasks/read.py's fixed name lists, first present wins) and
after (FieldMapping.extract), and for the date the share that parses (tasks.dates.parse_date).
Then the same records with keys renamed in memory: the date key alone (pub_ts, article_date, when),
and every key renamed to an opaque k0, k1, ... (only values can tell then).

    python bench/fields_eval.py
    python bench/fields_eval.py --limit 5000     # the first 5,000 records of each corpus
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from akhbar.tasks.dates import parse_date  # noqa: E402
from akhbar.tasks.fields import DESCRIBE_ORDER, infer_mapping  # noqa: E402
from akhbar.tasks.read import _as_keywords, _as_text, _first  # noqa: E402

from akhbar.settings import FieldMap  # noqa: E402

CORPORA = Path("/work/shared/corpora")
NAMES = ("ant-2018", "egynews2013", "antjawhara")
SAMPLE = 50


def load(name: str, limit: int | None) -> list[dict]:
    with gzip.open(CORPORA / f"{name}.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in itertools.islice(fh, limit)]


def before(rec: dict, fields: FieldMap) -> dict:
    out = {name: _as_text(_first(rec, getattr(fields, name))) for name in DESCRIBE_ORDER if name != "keywords"}
    out["keywords"] = _as_keywords(_first(rec, fields.keywords))
    return out


def filled(rows: list[dict], name: str) -> float:
    return sum(bool(r[name]) for r in rows) / len(rows)


def parsed(rows: list[dict]) -> float:
    return sum(r["published"] is not None and parse_date(r["published"]) is not None for r in rows) / len(rows)


def compare(label: str, recs: list[dict], fields: FieldMap) -> None:
    t0 = time.perf_counter()
    mapping = infer_mapping(recs[:SAMPLE], fields)
    ms = (time.perf_counter() - t0) * 1e3
    old = [before(r, fields) for r in recs]
    new = [mapping.extract(r) for r in recs]
    print(f"### {label}: {len(recs)} records; infer_mapping on {SAMPLE}: {ms:.0f} ms")
    print(f"mapping: {mapping.describe()}")
    cells = [
        f"{n} {filled(old, n):.1%} -> {filled(new, n):.1%}" for n in DESCRIBE_ORDER if filled(old, n) or filled(new, n)
    ]
    print("filled before -> after: " + "; ".join(cells))
    print(f"published parses: {parsed(old):.1%} -> {parsed(new):.1%}")
    same = sum(all(o[n] == nw[n] for n in DESCRIBE_ORDER) for o, nw in zip(old, new))
    print(f"records with every field identical before/after: {same}/{len(recs)}")


def rename(recs: list[dict], mapping: dict[str, str]) -> list[dict]:
    return [{mapping.get(k, k): v for k, v in r.items()} for r in recs]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    for name in NAMES:
        recs = load(name, args.limit)
        print(f"## {name}")
        compare("as published", recs, FieldMap())
        for key in ("pub_ts", "article_date", "when"):
            compare(f"'published' renamed {key!r}", rename(recs, {"published": key}), FieldMap())
        opaque = {k: f"k{i}" for i, k in enumerate(recs[0])}
        compare(
            f"every key renamed ({', '.join(f'{k}={v}' for k, v in opaque.items())})", rename(recs, opaque), FieldMap()
        )
        print()


if __name__ == "__main__":
    main()
