"""Decoding on inputs akhbar has never seen (issue 11, item 1): figures for tasks/decode.py.

* legacy archives: N egynews2013 texts (a fixed random sample: uniform, the same number per outlet,
  and those cut to their first 200 characters) written as one .txt file each in
  windows-1256 and ISO-8859-6 (and CP720, MacArabic) under /tmp (never committed); a file is
  decoded correctly when the text equals what the bytes hold (characters a page lacks were written
  as '?', and the reference is the strict decode under the true page). Before = tasks/read.py's
  decode_bytes (UTF-8, else charset-normalizer), after = tasks/decode.py's.
* scores behind the thresholds: arabic_share of the right page's reading and of every wrong one;
  lost_share of every record of the shared corpora and of the same texts with the Arabic lost.
* the real corpora still decode as before: every JSON line of the three shared corpora through both
  decoders, and the cost per line of the UTF-8 path (ant-2018, best of 3).

    python bench/decode_eval.py                # N=500
    python bench/decode_eval.py --n 200 --skip-lost-scan
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from akhbar.tasks.decode import LEGACY_ARABIC, DecodeError, arabic_share, decode_bytes, lost_share  # noqa: E402
from akhbar.tasks.read import decode_bytes as decode_before  # noqa: E402

CORPORA = Path("/work/shared/corpora")
OUT = Path("/tmp/akhbar-legacy")


def sample_texts(n: int, balanced: bool, seed: str = "decode-eval") -> list[str]:
    """n texts drawn at random (seeded): uniformly, or the same number from each of the 11 outlets
    (Al-Ahram is 1% of the corpus, and its texts, full of RLM marks, are the ones charset-normalizer
    misreads most)."""
    by_outlet: dict[str, list[str]] = {}
    with gzip.open(CORPORA / "egynews2013.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec.get("text") and rec["text"].strip():
                by_outlet.setdefault(rec["outlet"], []).append(rec["text"])
    rng = random.Random(seed)
    if not balanced:
        return rng.sample([t for texts in by_outlet.values() for t in texts], n)
    outlets = sorted(by_outlet)
    per = [n // len(outlets) + (i < n % len(outlets)) for i in range(len(outlets))]
    return [t for o, k in zip(outlets, per) for t in rng.sample(by_outlet[o], k)]


def short(text: str, limit: int = 200) -> str:
    """The text's first `limit` characters, cut at a space: a short item (a brief, a caption file),
    where charset-normalizer has less to go on."""
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0]


def legacy_archives(texts: list[str], label: str) -> None:
    print(f"## legacy archives ({len(texts)} egynews2013 texts per page, {label}, files under {OUT / label})")
    print(
        "page        | '?' written | before: correct / quarantined / wrong | after: correct / quarantined / wrong | after: how"
    )
    right, wrong = [], []
    for enc in LEGACY_ARABIC:
        folder = OUT / label / enc
        folder.mkdir(parents=True, exist_ok=True)
        before, after, hows, replaced = Counter(), Counter(), Counter(), 0
        for i, text in enumerate(texts):
            data = text.encode(enc, errors="replace")
            ref = data.decode(enc)
            replaced += ref != text
            (folder / f"{i:04d}.txt").write_bytes(data)
            try:
                got, _ = decode_before(data)
                before["correct" if got == ref else "wrong"] += 1
            except UnicodeError:
                before["quarantined"] += 1
            try:
                d = decode_bytes(data)
                after["correct" if d.text == ref else "wrong"] += 1
                hows[f"{d.how}:{d.encoding}"] += 1
            except DecodeError:
                after["quarantined"] += 1
            right.append(arabic_share(ref))
            for other in LEGACY_ARABIC:
                if other != enc:
                    try:
                        reading = data.decode(other)
                    except UnicodeDecodeError:
                        continue
                    if reading != ref:  # MacArabic reads ISO-8859-6 Arabic identically
                        wrong.append((arabic_share(reading), enc, other))
        fmt = lambda c: f"{c['correct']:>4} / {c['quarantined']:>4} / {c['wrong']:>4}"  # noqa: E731
        print(f"{enc:<11} | {replaced:>11} | {fmt(before):>37} | {fmt(after):>36} | {dict(hows.most_common(4))}")
    right.sort()
    print(
        f"arabic_share, right page: min {right[0]:.3f}, 1st pct {right[len(right) // 100]:.3f}, median {right[len(right) // 2]:.3f}"
    )
    worst: dict[tuple[str, str], list[float]] = {}
    for score, enc, other in wrong:
        worst.setdefault((enc, other), []).append(score)
    print(
        "arabic_share, wrong page (strict decode succeeded, text differs): "
        + "; ".join(
            f"{enc} read as {other}: max {max(v):.3f} (n={len(v)})" for (enc, other), v in sorted(worst.items())
        )
    )


def damaged_archives(texts: list[str]) -> None:
    """The same texts damaged before they reached us: UTF-8 read as windows-1256 / latin-1 / cp1252
    and saved again as UTF-8 (mojibake), or written through ASCII with '?' for every letter it lacks."""
    print(f"## damaged archives ({len(texts)} texts each): before / after")
    kinds = {
        "mojibake via windows-1256": lambda t: t.encode("utf-8").decode("cp1256").encode("utf-8"),
        "mojibake via latin-1": lambda t: t.encode("utf-8").decode("latin-1").encode("utf-8"),
        "mojibake via cp1252 (browser)": lambda t: "".join(
            bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in t.encode("utf-8")
        ).encode("utf-8"),
    }
    for kind, damage in kinds.items():
        old = sum(decode_before(damage(t))[0] == t for t in texts)
        new, hows = 0, Counter()
        for t in texts:
            try:
                d = decode_bytes(damage(t))
            except DecodeError as exc:
                hows[str(exc)[:40]] += 1
                continue
            new += d.text == t
            hows[d.how] += 1
        print(f"{kind}: original text recovered {old} -> {new}; how: {dict(hows)}")
    lost = [t.encode("ascii", errors="replace") for t in texts]
    old = sum(1 for b in lost if decode_before(b))
    refused = Counter()
    for b in lost:
        try:
            decode_bytes(b)
        except DecodeError as exc:
            refused[str(exc).split(":")[0]] += 1
    print(
        f"Arabic written as '?' (ASCII): accepted as text {old} -> {len(lost) - sum(refused.values())}; refused: {dict(refused)}"
    )


def random_scores(n: int = 200) -> None:
    rng = random.Random("decode-eval-random")
    best = max(
        max(arabic_share(rng.randbytes(2000).decode(enc)) for enc in ("cp1256", "cp720", "mac_arabic"))
        for _ in range(n)
    )
    refused = 0
    for _ in range(n):
        try:
            decode_bytes(rng.randbytes(2000))
        except DecodeError:
            refused += 1
    print(
        f"## random bytes: best arabic_share of any legacy reading over {n} x 2,000 bytes: {best:.3f}; refused: {refused}/{n}"
    )


def lost_scores(texts: list[str], scan: bool) -> None:
    print("## lost at the source")
    lost = sorted(lost_share(t.encode("ascii", errors="replace").decode("ascii")) for t in texts)
    print(
        f"egynews texts with every non-ASCII character written as '?': min {lost[0]:.3f}, median {lost[len(lost) // 2]:.3f}"
    )
    lost = sorted(lost_share(t.encode("iso8859_6", errors="replace").decode("iso8859_6")) for t in texts)
    print(f"egynews texts written in ISO-8859-6 ('?' for what it lacks): max {lost[-1]:.3f}")
    if not scan:
        return
    for name in ("ant-2018", "egynews2013", "antjawhara"):
        shares, n = [], 0
        with gzip.open(CORPORA / f"{name}.jsonl.gz", "rt", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                for key in ("text", "title"):
                    if isinstance(rec.get(key), str):
                        shares.append((lost_share(rec[key]), key, rec.get("id")))
                n += 1
        shares.sort(reverse=True)
        print(
            f"{name}: {n} records, lost_share of text/title: max {shares[0][0]:.3f} ({shares[0][1]} of {shares[0][2]}), "
            f"above 0.05: {sum(s > 0.05 for s, _, _ in shares)}"
        )


def read_lines(name: str) -> list[bytes]:
    with gzip.open(CORPORA / f"{name}.jsonl.gz", "rb") as fh:
        return [line.rstrip(b"\n") for line in fh]


def real_corpus() -> None:
    print("## the shared corpora: every JSON line through both decoders")
    for name in ("ant-2018", "egynews2013", "antjawhara"):
        lines = read_lines(name)
        same, hows, refused = 0, Counter(), Counter()
        for line in lines:
            old, _ = decode_before(line)
            try:
                new = decode_bytes(line)
            except DecodeError as exc:
                refused[str(exc)[:60]] += 1
                continue
            same += new.text == old and new.encoding == "utf-8"
            hows[new.how] += 1
        print(
            f"{name}: {len(lines)} lines: identical text and utf-8: {same}; how: {dict(hows)}; refused: {dict(refused)}"
        )
    lines = read_lines("ant-2018")
    for label, fn in (
        ("before (tasks/read.py)", lambda b: decode_before(b)),
        ("after, check_lost=False", lambda b: decode_bytes(b, check_lost=False)),
        ("after, check_lost=True", lambda b: decode_bytes(b)),
    ):
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            for line in lines:
                fn(line)
            best = min(best, time.perf_counter() - t0)
        size = sum(map(len, lines)) / len(lines)
        print(f"UTF-8 path {label}: {best / len(lines) * 1e6:.1f} µs per line (mean line {size / 1024:.1f} KiB)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--skip-lost-scan", action="store_true")
    args = ap.parse_args()
    legacy_archives(sample_texts(args.n, balanced=False), "uniform")
    texts = sample_texts(args.n, balanced=True)
    legacy_archives(texts, "per-outlet")
    legacy_archives([short(t) for t in texts], "per-outlet-short")
    damaged_archives(texts)
    random_scores()
    lost_scores(texts, not args.skip_lost_scan)
    real_corpus()


if __name__ == "__main__":
    main()
