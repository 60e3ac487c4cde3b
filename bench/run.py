"""`make bench`: stage timings and memory on the shared corpus, each against a baseline measured in
the same run. Medians of --repeat runs. Prints a markdown table and writes bench/out/results.json.

    python bench/run.py [--corpus PATH] [--repeat 3] [--no-flow]
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from akhbar.settings import LearnedSettings  # noqa: E402
from tasks.clean import RuleSet, clean_batch, default_rules  # noqa: E402
from tasks.learned import learn_and_remove  # noqa: E402
from tasks.dedup import DedupHistory, DedupSettings, band_keys, candidate_pairs, dedup_articles, shingles, signatures  # noqa: E402
from tasks.extract import extract_batch  # noqa: E402
from tasks.normalize import normalize_batch  # noqa: E402
from tasks.read import discover_files, read_landing  # noqa: E402


def timed(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def datasketch_signatures(norms: list[str], cfg: DedupSettings):
    from datasketch import MinHash
    import numpy as np

    out = np.zeros((len(norms), cfg.num_perm), dtype=np.uint64)
    for i, n in enumerate(norms):
        m = MinHash(num_perm=cfg.num_perm, seed=cfg.seed)
        m.update_batch([s.encode("utf-8") for s in shingles(n, cfg.shingle_size)])
        out[i] = m.hashvalues
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(REPO.parent / "shared" / "corpora" / "ant-2018.jsonl.gz"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-flow", action="store_true", help="skip the end-to-end `akhbar run`")
    args = ap.parse_args()
    rows = []

    files, _ = discover_files([args.corpus])
    t_read, (raw, _) = timed(lambda: read_landing(files, "bench"), args.repeat)
    n = raw.num_rows
    rows.append(("read + decode + map fields", n, t_read, None, None))

    t_extract, (extracted, _, _) = timed(lambda: extract_batch(raw, "bench"), args.repeat)
    rows.append(("extract (text passes through)", n, t_extract, None, None))

    rules = default_rules()
    no_gates = RuleSet(tuple(dataclasses.replace(r, hints=(), max_words=None) for r in rules.rules))
    t_clean, (cleaned, removed, _) = timed(lambda: clean_batch(extracted, "bench", rules), args.repeat)
    t_clean_base, (_, removed_base, _) = timed(lambda: clean_batch(extracted, "bench", no_gates), args.repeat)
    rows.append(("clean (rules gated by length and hints)", n, t_clean, "same rules, every rule on every line", t_clean_base))

    learned_cfg = LearnedSettings()
    t_learned, learned = timed(lambda: learn_and_remove(cleaned, "bench", learned_cfg), args.repeat)
    rows.append((f"learned boilerplate (one night, no history; {learned.boilerplate.num_rows} lines removed)",
                 cleaned.num_rows, t_learned, None, None))
    cleaned = learned.articles

    t_norm, normalized = timed(lambda: normalize_batch(cleaned), args.repeat)
    rows.append(("normalize (display + search text, hash)", normalized.num_rows, t_norm, None, None))

    cfg = DedupSettings()
    norms = normalized["body_norm"].to_pylist()
    t_sig, sig = timed(lambda: signatures(norms, cfg), args.repeat)
    baseline = None
    try:
        t_ds, _ = timed(lambda: datasketch_signatures(norms, cfg), args.repeat)
        baseline = ("datasketch MinHash, same shingles", t_ds)
    except ImportError:
        pass
    rows.append(("MinHash signatures (rensa)", len(norms), t_sig, *(baseline or (None, None))))
    t_lsh, pairs = timed(lambda: candidate_pairs(band_keys(sig, cfg), cfg), args.repeat)
    rows.append((f"LSH candidates ({cfg.bands}x{cfg.rows} bands, {len(pairs)} pairs)", len(norms), t_lsh, None, None))
    t_dedup, (deduped, dups, _) = timed(lambda: dedup_articles(normalized, DedupHistory.empty(cfg), "bench", cfg), args.repeat)
    rows.append(("dedup stage (signatures + LSH + verify + clusters)", len(norms), t_dedup, None, None))

    flow = None
    if not args.no_flow:
        runs = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as d:
                env = {**os.environ, "PREFECT_HOME": os.path.join(d, ".prefect")}
                t = time.perf_counter()
                subprocess.run([sys.executable, "-m", "akhbar.cli", "run", "--input", args.corpus, "--data-dir", d],
                               check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                runs.append(time.perf_counter() - t)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        flow = {"median_s": statistics.median(runs), "runs_s": runs, "peak_rss_mb": peak_mb}

    print(f"\nCorpus: {args.corpus} ({n} records), median of {args.repeat}, {os.cpu_count()} cores\n")
    print("| stage | rows | median s | rows/s | baseline | baseline s | speed-up |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    out = []
    for name, k, t, bname, bt in rows:
        ratio = f"{bt / t:.1f}x" if bt else ""
        print(f"| {name} | {k} | {t:.2f} | {k / t:,.0f} | {bname or ''} | {'' if bt is None else f'{bt:.2f}'} | {ratio} |")
        out.append({"stage": name, "rows": k, "median_s": t, "baseline": bname, "baseline_s": bt})
    if flow:
        print(f"\nEnd to end `akhbar run` on the corpus (incl. ~10-15 s Prefect start-up): median {flow['median_s']:.1f} s "
              f"over {args.repeat} runs, peak RSS {flow['peak_rss_mb']:.0f} MB")
    print(f"\nboilerplate spans removed: {removed.num_rows}; duplicates: {dups.num_rows} "
          f"({sum(1 for m in dups['method'].to_pylist() if m == 'near')} near)")
    (REPO / "bench" / "out").mkdir(exist_ok=True)
    (REPO / "bench" / "out" / "results.json").write_text(json.dumps({"stages": out, "flow": flow}, indent=2))


if __name__ == "__main__":
    main()
