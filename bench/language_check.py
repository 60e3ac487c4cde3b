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

import akhbar.tasks.language as language  # noqa: E402
from akhbar.tasks.extract import extract_stage  # noqa: E402
from akhbar.tasks.language import identify, not_arabic  # noqa: E402
from akhbar.tasks.read import discover_files, read_partitions  # noqa: E402


def check(path: str) -> None:
    identify("warm up")  # the model loads once per process (about 2 s): not a per-record cost
    asked: list[tuple[str, float]] = []  # what langid said, each time it was asked (records in doubt)
    real = language.identify
    language.identify = lambda text: asked.append(real(text)) or asked[-1]
    files, _ = discover_files([path])
    n, seconds, hits, every = 0, 0.0, [], []
    for records, _bad in read_partitions(files, "check"):
        page = extract_stage(records, "check").kept
        for uri, text in zip(page["source_uri"].to_pylist(), page["text"].to_pylist()):
            started = time.perf_counter()
            reason = not_arabic(text)
            seconds += time.perf_counter() - started
            n += 1
            if len(every) < 1000:
                every.append(text or "")
            if reason:
                hits.append((uri, reason, " ".join((text or "").split())[:160]))
    language.identify = real
    started = time.perf_counter()
    for text in every[:1000]:  # what langid on every record would cost (the prefilter's saving)
        identify(text)
    always = (time.perf_counter() - started) / max(len(every[:1000]), 1) * 1000
    kinds = Counter(reason.split(" (")[0] for _, reason, _ in hits)
    said = Counter(lang for lang, _ in asked)
    print(
        f"{path}: {n} records, {len(hits)} would be quarantined {dict(kinds)}; {1000 * seconds / max(n, 1):.3f} s per 1,000 records (model load excluded)"
    )
    print(f"  langid asked for {len(asked)} records in doubt: {dict(said.most_common(8))}")
    print(f"  langid on every record would cost {always:.2f} s per 1,000 records")
    for uri, reason, head in hits[:40]:
        print(f"  {uri.rsplit('/', 1)[-1]}: {reason}\n    {head}")


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        check(arg)
