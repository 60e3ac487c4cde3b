"""The worst landing folder a person can make, generated (never committed), run through `akhbar run`,
and every record checked: each good record published once, each bad one in quarantine with a
reason naming its file (and line), each path not read in `skipped` with its reason, the run's
record accounting balanced, exit 0. Also the gzip bomb's peak RSS, read alone and in a whole run.

    python bench/hostile.py [--out DIR] [--bomb-gib 1] [--keep]

Prints a markdown table of the cases and the figures (BENCHMARKS.md, "Reliability", holds a copy) and exits
non-zero when a check fails.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

ARTICLE = (
    "أعلنت وزارة الصحة في بيان اليوم أن حملة التطعيم الموسمية ستبدأ الأسبوع المقبل في جميع المحافظات، "
    "وقالت إن المراكز الصحية ستفتح أبوابها من الثامنة صباحا حتى المساء لاستقبال المواطنين، "
    "ودعت كبار السن وأصحاب الأمراض المزمنة إلى المبادرة بالتطعيم قبل حلول فصل الشتاء."
)
ENGLISH = (
    "The health ministry said on Monday that the seasonal vaccination campaign starts next week in every province."
)
PERSIAN = "وزارت بهداشت روز دوشنبه اعلام کرد که کمپین واکسیناسیون فصلی از هفته آینده در همه استان‌ها آغاز می‌شود."


@dataclass
class Landing:
    """What the folder holds, as it is made: good ids that must be published, how many bad records
    must be quarantined, and the paths that must be listed as skipped."""

    root: Path
    good: set[str] = field(default_factory=set)
    bad: int = 0
    skipped: set[str] = field(default_factory=set)
    cases: list[tuple[str, str]] = field(default_factory=list)  # (case, what must happen)
    cut: list[str] = field(default_factory=list)  # ids of the cut gzip, in order: a prefix is published
    n: int = 0

    def record(self, **extra) -> str:
        self.n += 1
        rec = {
            "id": f"g-{self.n}",
            "source": "وكالة الاختبار",
            "text": f"{ARTICLE} البيان رقم {self.n}.",
            "published": f"2025-04-{self.n % 28 + 1:02d}T08:00:00+00:00",
        }
        rec.update(extra)
        return json.dumps(rec, ensure_ascii=False)

    def good_lines(self, count: int, **extra) -> list[str]:
        lines = [self.record(**extra) for _ in range(count)]
        self.good |= {json.loads(x)["id"] for x in lines}
        return lines

    def case(self, name: str, outcome: str) -> None:
        self.cases.append((name, outcome))


def bomb(path: Path, unpacked: int, head: list[str]) -> None:
    """A gzip of `head` lines then `unpacked` zero bytes, compressed piece by piece (never held)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\0" * (1 << 20)
    with path.open("wb") as f:
        f.write(z.compress(("\n".join(head) + "\n").encode("utf-8")))
        for _ in range(unpacked >> 20):
            f.write(z.compress(zeros))
        f.write(z.flush())


def build(root: Path, bomb_bytes: int) -> Landing:
    land = Landing(root)
    feeds = root / "feeds"
    feeds.mkdir(parents=True)

    # one JSON-lines gzip with every kind of bad line between good ones, and garbage after the gzip
    bad_lines = [
        "[" * 100_000 + "]" * 100_000,
        '{"id": "sur", "text": "\\ud800 ' + ARTICLE + '"}',
        '{"id": "cut", "text": "مقطوع',
        json.dumps({"id": "deep", "text": ARTICLE, "keywords": json.loads("[" * 900 + "]" * 900)}),
    ]
    lines = land.good_lines(20) + bad_lines + land.good_lines(10)
    odd = land.good_lines(3, keywords=5, tags=True)  # wrong types are read, not refused
    cp1256 = land.good_lines(1)[0].encode("cp1256")
    data = "\n".join(lines + odd).encode("utf-8") + b"\n" + cp1256 + b"\n\xff\xfe\n"
    (feeds / "mixed.jsonl.gz").write_bytes(gzip.compress(data) + b"garbage after the gzip member")
    land.bad += len(bad_lines) + 1 + 1  # + the \xff line + the trailing garbage
    land.case("JSON lines: 100,000-deep nesting, lone \\ud800, cut JSON, 900-deep list, \\xff line", "5 quarantined")
    land.case("gzip with trailing garbage", "1 quarantine row for the tail")
    land.case('`"keywords": 5`, `"tags": true`, one windows-1256 line', "published")

    # a gzip cut at 80 %: every complete record before the cut, one row for the tail
    cut_good = land.good_lines(200)
    land.cut = [json.loads(x)["id"] for x in cut_good]
    packed = gzip.compress("\n".join(cut_good).encode("utf-8"))
    (feeds / "cut.jsonl.gz").write_bytes(packed[: int(len(packed) * 0.8)])
    land.case("gzip cut at 80 %", "records before the cut published, 1 row for the tail")

    # a JSON array: an integer past 64 bits in one item, and a truncated array
    items = [json.loads(x) for x in land.good_lines(5)]
    items[2]["id"] = 2**70
    land.good.discard(f"g-{land.n - 2}")
    land.good.add(str(2**70))
    (feeds / "array.json").write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    land.case("JSON array with an integer past 64 bits", "every item published")

    # HTML with a broken canonical link, a windows-1256 text file, text lost at the source
    page = f'<html><head><link rel="canonical" href="http://[::1"><title>عنوان</title></head><body><p>{ARTICLE}</p></body></html>'
    (root / "page.html").write_text(page, encoding="utf-8")
    (root / "legacy.txt").write_bytes(("خبر قديم\n" + ARTICLE * 2).encode("cp1256"))
    (root / "lost.txt").write_text("????? ?????? ?? ??????? ????? ?????? ???\n" * 3, encoding="utf-8")
    land.bad += 1
    land.case("HTML canonical `http://[::1`; windows-1256 text file", "published")
    land.case("text lost at the source (`????`)", "quarantined")

    # an over-long line (20 MiB, the line bound is 16 MiB) between good ones
    (feeds / "long.jsonl").write_text(
        "\n".join([land.good_lines(1)[0], land.record(pad="ب" * (10 << 20)), land.good_lines(1)[0]]), encoding="utf-8"
    )
    land.bad += 1
    land.case("a 20 MiB JSON line", "quarantined with its size and sha256, 1 MiB kept")

    # not Arabic: an English and a Persian feed beside Arabic records
    lang = land.good_lines(3) + [json.dumps({"id": f"en-{i}", "text": f"{ENGLISH} {i}"}) for i in range(5)]
    lang += [json.dumps({"id": f"fa-{i}", "text": f"{PERSIAN} {i}"}, ensure_ascii=False) for i in range(5)]
    (feeds / "languages.jsonl").write_text("\n".join(lang), encoding="utf-8")
    land.bad += 10
    land.case("5 English and 5 Persian records", "quarantined by language")

    # the gzip bomb: a little gzip that unpacks to bomb_bytes of zeros after two good lines
    bomb(feeds / "bomb.jsonl.gz", bomb_bytes, land.good_lines(2))
    land.bad += 1
    land.case(f"gzip bomb ({bomb_bytes >> 20:,} MiB unpacked)", "good lines published, 1 row with size and sha256")

    # paths: data named like docs, hidden, empty, unsupported, links out and dangling and looping,
    # a FIFO, a name that is not UTF-8
    (root / "readme.jsonl").write_text(land.good_lines(1)[0], encoding="utf-8")
    (root / "LICENSE.jsonl").write_text(land.good_lines(1)[0], encoding="utf-8")
    for name, make in (
        (".hidden.jsonl", lambda p: p.write_text(land.record(), encoding="utf-8")),
        ("empty.jsonl.gz", lambda p: p.write_bytes(b"")),
        ("notes.xml", lambda p: p.write_text("<x/>", encoding="utf-8")),
        ("passwd.txt", lambda p: p.symlink_to("/etc/passwd")),
        ("dangling.json", lambda p: p.symlink_to(root / "gone.json")),
        ("loop.json", lambda p: p.symlink_to(p)),
        ("pipe.jsonl", lambda p: os.mkfifo(p)),
    ):
        make(root / name)
        land.skipped.add(name)
    bad_name = os.fsdecode(bytes(root) + b"/bad-\xff-name.jsonl")
    Path(bad_name).write_text(land.record(), encoding="utf-8")
    land.skipped.add(os.fsencode(bad_name).decode("utf-8", "backslashreplace").rsplit("/", 1)[1])
    land.case("readme.jsonl, LICENSE.jsonl", "read as data")
    land.case(
        "hidden file, empty .gz, .xml, symlink to /etc/passwd, dangling and looping links, FIFO, non-UTF-8 name",
        "each in `skipped` with its reason",
    )
    return land


def akhbar_run(inputs: list[Path], data_dir: Path, env: dict) -> tuple[subprocess.CompletedProcess, float, float]:
    """`akhbar run`; returns the process, its seconds and its peak RSS in MB (os.wait4's ru_maxrss:
    the run's own process, where the records are)."""
    full = {**os.environ, "PYTHONPATH": str(REPO), **env}
    full.pop("PREFECT_API_URL", None)
    args = [sys.executable, "-m", "akhbar.cli", "run", "--data-dir", str(data_dir)]
    for p in inputs:
        args += ["--input", str(p)]
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(args, stdout=out, stderr=err, text=True, env=full, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(args, os.waitstatus_to_exitcode(status), out.read(), err.read())
    return done, seconds, usage.ru_maxrss / 1024


_READ_ALONE = """
import json, resource, sys, time
from akhbar.settings import Settings
from akhbar.tasks.read import ReadLimits, discover_files, read_partitions
started = time.perf_counter()
files, _ = discover_files([sys.argv[1]])
rows = bad = 0
reasons, sizes = [], []
for raw, q in read_partitions(files, "r", limits=ReadLimits.from_settings(Settings())):
    rows += raw.num_rows
    bad += q.num_rows
    reasons += q["reason"].to_pylist()
    sizes += q["payload_bytes"].to_pylist()
print(json.dumps({"rows": rows, "quarantined": bad, "reasons": reasons, "payload_bytes": sizes,
                  "seconds": round(time.perf_counter() - started, 1),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}, ensure_ascii=False))
"""


def reader_alone_peak(bomb_path: Path, **settings: str) -> dict:
    """Read the bomb file alone (tasks/read.py with the settings, AKHBAR_* overrides given) in a
    child process, which reports its own peak RSS."""
    env = {**os.environ, "PYTHONPATH": str(REPO), **{f"AKHBAR_{k.upper()}": v for k, v in settings.items()}}
    out = subprocess.run(
        [sys.executable, "-c", _READ_ALONE, str(bomb_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        check=True,
    )
    return json.loads(out.stdout)


def query(data_dir: Path, sql: str) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def check(land: Landing, data_dir: Path, run: subprocess.CompletedProcess) -> list[str]:
    """Every failed check, as a sentence (empty: all hold)."""
    fails = []
    if run.returncode != 0:
        return [f"exit {run.returncode}: {run.stderr[-2000:]}"]
    summary = {k: v for k, v in (kv.split("=", 1) for kv in run.stdout.split() if "=" in kv)}
    c = {k: int(v) for k, v in summary.items() if v.isdigit()}
    accounted = sum(
        c.get(k, 0)
        for k in (
            "articles_clean",
            "duplicates_exact",
            "duplicates_near",
            "quarantined",
            "already_in_warehouse",
            "outside_scope",
        )
    )
    if accounted != c["records_read"]:
        fails.append(f"accounting: read {c['records_read']}, accounted {accounted}")
    published = {r[0] for r in query(data_dir, "SELECT source_id FROM articles")}
    kept = [i for i in land.cut if i in published]
    if land.cut[: len(kept)] != kept or len(kept) < len(land.cut) // 2:
        fails.append(f"cut gzip: {len(kept)} records published, not the records before the cut")
    missing = land.good - published - set(land.cut[len(kept) :])
    if missing:
        fails.append(f"good records not published: {sorted(missing)[:10]}")
    q = query(data_dir, "SELECT source_uri, reason, payload_bytes, payload_sha256 FROM quarantine")
    if any(not reason or not uri.startswith(str(land.root)) for uri, reason, _, _ in q):
        fails.append("a quarantine row without a reason or a file")
    expected_bad = land.bad + 1  # + the cut gzip's tail
    if len(q) != expected_bad:
        fails.append(f"quarantine rows: {len(q)}, expected {expected_bad}")
    skipped = {p.rsplit("/", 1)[-1] for (p,) in query(data_dir, "SELECT path FROM skipped")}
    if skipped != land.skipped:
        fails.append(f"skipped: {sorted(skipped ^ land.skipped)} differ")
    if query(data_dir, "SELECT count(*) FROM articles WHERE body LIKE '%root:x:0%'") != [(0,)]:
        fails.append("/etc/passwd was published")
    if query(data_dir, "SELECT count(*) - count(DISTINCT article_id) FROM articles") != [(0,)]:
        fails.append("an article id twice")
    return fails


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="Work folder (default: a temp folder, removed after).")
    ap.add_argument("--bomb-gib", type=float, default=1.0, help="What the gzip bomb unpacks to, in GiB.")
    ap.add_argument("--keep", action="store_true", help="Keep the work folder.")
    args = ap.parse_args()
    work = args.out or Path(tempfile.mkdtemp(prefix="akhbar-hostile-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        land = build(work / "landing", int(args.bomb_gib * (1 << 30)))
        data = work / "data [1]*?' dir"  # a data dir named like a pattern, on purpose
        env = {"PREFECT_HOME": str(work / "prefect")}
        # the folder and a file inside it, both given: read once
        run, seconds, peak = akhbar_run([work / "landing", work / "landing" / "feeds" / "mixed.jsonl.gz"], data, env)
        fails = check(land, data, run)
        bomb = work / "landing" / "feeds" / "bomb.jsonl.gz"
        bomb_alone = reader_alone_peak(bomb)
        bomb_bound = reader_alone_peak(bomb, max_decompressed_bytes=str(256 << 20))
        rerun, _, _ = akhbar_run([work / "landing"], data, env)
        if rerun.returncode != 0:
            fails.append(f"second run: exit {rerun.returncode}")
        elif query(data, "SELECT count(*) - count(DISTINCT article_id) FROM articles") != [(0,)]:
            fails.append("second run doubled an article")
        counts = dict(kv.split("=", 1) for kv in run.stdout.split() if "=" in kv)
        print("| case | what must happen |\n| --- | --- |")
        for name, outcome in land.cases:
            print(f"| {name} | {outcome} |")
        print()
        print(
            f"- records generated: {len(land.good)} good ({len(land.cut)} of them in the cut gzip), "
            f"{land.bad} bad; paths to skip: {len(land.skipped)}"
        )
        print(
            f"- run: exit {run.returncode}, {seconds:.0f} s, peak RSS {peak:.0f} MB (largest process of the run); "
            f"records_read={counts.get('records_read')} articles_clean={counts.get('articles_clean')} "
            f"duplicates={int(counts.get('duplicates_exact', 0)) + int(counts.get('duplicates_near', 0))} "
            f"quarantined={counts.get('quarantined')} paths_skipped={counts.get('paths_skipped')}"
        )
        print(f"- gzip bomb ({bomb.stat().st_size:,} bytes) read alone: {json.dumps(bomb_alone, ensure_ascii=False)}")
        print(f"- the same with AKHBAR_MAX_DECOMPRESSED_BYTES=256 MiB: {json.dumps(bomb_bound, ensure_ascii=False)}")
        print(f"- second run on the same folder: exit {rerun.returncode}")
        print(f"- checks failed: {len(fails)}" + "".join(f"\n  - {f}" for f in fails))
        return 1 if fails else 0
    finally:
        if not args.keep and args.out is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
