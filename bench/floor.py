"""The floor under a run: what the corpus job costs with no pipeline at all, one core, no
orchestration. gunzip + JSON parse + the boilerplate rules' regexes over every line + a content
hash + a zstd Parquet write of the texts. A run's wall divided by this is what akhbar's own work
(cleaning, learning, dedup, validation, publishing) and Prefect cost on top of touching the data.

The rules' regexes are tried the way the rules define them: anchored where the rule
is anchored (`re.match`; `search: true` rules scan the line), only on lines short enough for the
rule's `max_words`, only where one of its hints occurs, and a `where: head` rule on the first line
only. Trying regexes with `re.search` on every line (as this file did before, with the file's first
twenty rules) is no floor: an anchored pattern is then restarted at every offset of the line (on the
generated corpus `dateline.agency`, a lazy run of up to 50 letters and spaces, costs 1.3 ms a line
unanchored against 8 us anchored), and that is work akhbar never does.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
CORPUS = REPO.parent / "shared" / "corpora" / "ant-2018.jsonl.gz"
BATCH = 2000


def floor_once(corpus: Path, rules=None) -> tuple[float, float, int, int]:
    """One pass with `rules` (default: the rules file); returns (seconds, CPU seconds, records, input bytes
    decompressed). On a shared machine the CPU seconds are the floor: one core's work, however long it waited."""
    from akhbar.tasks.clean import default_rules, rules_by_words

    by_words = rules_by_words(rules or default_rules())  # per word count, the rules its max_words lets try a line
    most = len(by_words) - 1
    started, cpu = time.perf_counter(), time.process_time()
    records = size = 0
    texts: list[str] = []
    hashes: list[str] = []
    with tempfile.TemporaryDirectory() as d, gzip.open(corpus, "rb") as f:
        writer = None
        for raw in f:
            size += len(raw)
            text = json.loads(raw).get("text") or ""
            for i, line in enumerate(text.split("\n")):
                for rule in by_words[min(line.count(" ") + 1, most)]:
                    if i == 0 or rule.where != "head":
                        rule.find(line)
            texts.append(text)
            hashes.append(hashlib.sha256(text.encode()).hexdigest())
            records += 1
            if len(texts) == BATCH:
                writer = _write(writer, Path(d) / "floor.parquet", texts, hashes)
                texts, hashes = [], []
        writer = _write(writer, Path(d) / "floor.parquet", texts, hashes)
        writer.close()
    return time.perf_counter() - started, time.process_time() - cpu, records, size


FLOOR_SCHEMA = pa.schema([("text", pa.string()), ("content_hash", pa.string())])


def _write(writer, path: Path, texts: list[str], hashes: list[str]):
    # an explicit schema: the last batch is empty when the corpus is a multiple of BATCH records
    table = pa.table({"text": texts, "content_hash": hashes}, schema=FLOOR_SCHEMA)
    writer = writer or pq.ParquetWriter(path, FLOOR_SCHEMA, compression="zstd")
    writer.write_table(table)
    return writer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    runs = [floor_once(args.corpus) for _ in range(args.repeat)]
    seconds, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
    records, size = runs[0][2], runs[0][3]
    print(
        f"floor on {args.corpus.name}: median {seconds:.2f} s of {args.repeat} "
        f"({', '.join(f'{r[0]:.2f}' for r in runs)}), CPU {cpu:.2f} s; {records:,} records, "
        f"{records / seconds:,.0f} records/s, {size / seconds / 1e6:.1f} MB/s decompressed"
    )


if __name__ == "__main__":
    main()
