"""What the language stage (tasks/language.py) would quarantine in a landing folder or file: the
records read and extracted by the pipeline's own stages, then judged; prints counts, the cost per
1,000 records and every record it would quarantine (source, reason, start of the text).

    python bench/language_check.py PATH [PATH ...]
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tasks.extract import extract_stage  # noqa: E402
from tasks.language import identify, not_arabic  # noqa: E402
from tasks.read import discover_files, read_partitions  # noqa: E402


def check(path: str) -> None:
    identify("warm up")  # the model loads once per process (about 2 s): not a per-record cost
    files, _ = discover_files([path])
    n, seconds, hits = 0, 0.0, []
    for records, _bad in read_partitions(files, "check"):
        page = extract_stage(records, "check").kept
        for uri, text in zip(page["source_uri"].to_pylist(), page["text"].to_pylist()):
            started = time.perf_counter()
            reason = not_arabic(text)
            seconds += time.perf_counter() - started
            n += 1
            if reason:
                hits.append((uri, reason, " ".join((text or "").split())[:160]))
    kinds = Counter(reason.split(" (")[0] for _, reason, _ in hits)
    print(
        f"{path}: {n} records, {len(hits)} would be quarantined {dict(kinds)}; {1000 * seconds / max(n, 1):.3f} s per 1,000 records (model load excluded)"
    )
    for uri, reason, head in hits[:40]:
        print(f"  {uri.rsplit('/', 1)[-1]}: {reason}\n    {head}")


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        check(arg)
