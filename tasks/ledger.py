"""The run's staging area and its ledger.

A run streams its records partition by partition; between steps only files under
DIR/staging/<run_id>/ and small counters pass. The ledger is the one place that

* stages what a stage set aside, per partition: removed spans (`boilerplate`), quarantined records
  (`quarantine`, raw payload included) and a stage's own side tables (`lines`, `fingerprints`,
  `validation`), as Parquet files named `<kind>/<partition>-<stage>.parquet`;
* counts: every stage's counters, quarantines per stage, spans per category, and the same per
  outlet, so the run report is the sum of the stages' counters, never a recount of tables;
* checks the accounting when the run closes: records in = clean articles + duplicates +
  quarantined + already in the warehouse + outside the run's scope.

A partition's ledger (`PartLedger`) is small and picklable: a partition task on another process
writes its files and returns it; the flow merges them into the run's `RunLedger`.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from akhbar.schemas.tables import BOILERPLATE, EDGES, LINES, QUARANTINE
from akhbar.tasks.base import StageResult
from akhbar.tasks.storage import parquet_rows, write_parquet

# Staging files are read back once or twice within the run: fast compression, not the lake's, and no
# dictionary pages (a partition's bodies and hashes are distinct values: a dictionary only costs time,
# ~40% of reading an observed partition back, and saves no bytes).
STAGING_COMPRESSION = {"compression": "zstd", "compression_level": 1, "use_dictionary": False}


# The quarantine stage a pipeline stage's failures are filed under (schemas/suites.py lists them).
QUARANTINE_STAGE = {"extract": "extract", "language": "language", "validate": "validate", "fingerprint": "validate"}


class AccountingError(RuntimeError):
    """The records a run read do not add up to where they went: the run must not publish."""


@dataclass(frozen=True)
class Staging:
    """DIR/staging/<run_id>/: one folder per kind of file.

    `root` is where partitions exchange their files, on the data dir's storage (shared with remote
    workers when it is object storage); `work` is where the run's own process writes what only it
    reads (the clustering, the assembled tables, DuckDB's spill): always local, and the same folder
    as `root` for a local data dir."""

    root: Path
    work_root: Path | None = None

    @property
    def work(self) -> Path:
        return self.root if self.work_root is None else self.work_root

    @property
    def local(self) -> Staging:
        """The run process's own staging (`work`), with the same `write`."""
        return Staging(self.work)

    def path(self, kind: str, name: str) -> Path:
        return self.root / kind / f"{name}.parquet"

    def write(self, kind: str, name: str, table: pa.Table, keep_empty: bool = False) -> Path | None:
        """Write `table` as `<kind>/<name>.parquet`; an empty table writes nothing unless asked."""
        if not table.num_rows and not keep_empty:
            return None
        path = self.path(kind, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_parquet(table, path, **STAGING_COMPRESSION)
        return path

    def files(self, kind: str) -> list[Path]:
        folder = self.root / kind
        return sorted(folder.glob("*.parquet")) if folder.exists() else []


@dataclass
class PartLedger:
    """What one partition's stages set aside and counted."""

    staging: Staging
    part: str
    counts: Counter = field(default_factory=Counter)
    by_outlet: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))

    def run(self, stage: str, batch: pa.Table, step, *args) -> pa.Table:
        """Run one stage on `batch`, time it (counter `seconds_<stage>`) and record its result. A
        stage that raises on the batch is run again record by record: the records it raises on are
        quarantined with the stage and the exception, the others go on (one bad record never fails
        a run)."""
        started = time.perf_counter()
        try:
            result = step(batch, *args)
        except Exception:
            result = self._one_by_one(stage, batch, step, args)
        self.counts[f"seconds_{stage}"] += time.perf_counter() - started
        return self.record(stage, batch, result)

    def _one_by_one(self, stage: str, batch: pa.Table, step, args) -> StageResult:
        from akhbar.tasks.base import quarantine_rows

        results, failed, reasons = [], [], []
        for i in range(batch.num_rows):
            try:
                results.append(step(batch.slice(i, 1), *args))
            except Exception as exc:
                failed.append(i)
                reasons.append(f"{stage} failed: {type(exc).__name__}: {str(exc)[:300]}")
        merged = StageResult(
            pa.concat_tables([r.kept for r in results]) if results else batch.slice(0, 0),
            pa.concat_tables([r.removed for r in results]) if results else BOILERPLATE.empty_table(),
            pa.concat_tables(
                [r.quarantined for r in results]
                + [
                    quarantine_rows(
                        batch, failed, reasons, self.staging.root.name, QUARANTINE_STAGE.get(stage, "clean")
                    )
                ]
            ),
        )
        for r in results:
            merged.counts.update(r.counts)
            for kind, table in r.tables.items():
                merged.tables.setdefault(kind, []).append(table)
        merged.tables = {kind: pa.concat_tables(parts) for kind, parts in merged.tables.items()}
        return merged

    def record(self, stage: str, batch: pa.Table, result: StageResult) -> pa.Table:
        """Stage `result`'s side rows, count them, and hand back the records the stage kept."""
        self.counts.update(result.counts)
        name = f"{self.part}-{stage}"
        if result.removed.num_rows:
            self.staging.write("boilerplate", name, result.removed)
            self._count_removed(batch, result.removed)
        if result.quarantined.num_rows:
            self.staging.write("quarantine", name, result.quarantined)
            for q_stage in result.quarantined["stage"].to_pylist():  # the stage the rows name (learned lines: "clean")
                self.counts[f"quarantined_{q_stage}"] += 1
            self.counts["quarantined"] += result.quarantined.num_rows
        for kind, table in result.tables.items():
            self.staging.write(kind, name, table)
        return result.kept

    def count_clusters(self, clustered: pa.Table, duplicates: pa.Table) -> None:
        """Clean articles and copies of this run, in total and per outlet (from the one clustering)."""
        outlet_of = dict(zip(clustered["article_id"].to_pylist(), clustered["outlet"].to_pylist()))
        method_of = dict(zip(duplicates["article_id"].to_pylist(), duplicates["method"].to_pylist()))
        for article_id, outlet in outlet_of.items():
            key = f"duplicates_{method_of[article_id]}" if article_id in method_of else "articles_clean"
            self.counts[key] += 1
            self.by_outlet[outlet or "(unknown)"][key] += 1
            self.by_outlet[outlet or "(unknown)"]["published"] += 1
        self.counts["published"] = len(outlet_of)

    def quarantine(self, stage: str, rows: pa.Table) -> None:
        """Quarantine rows made before a record had a batch (read, discover)."""
        self.record(stage, rows, StageResult(pa.table({}), quarantined=rows))

    def _count_removed(self, batch: pa.Table, removed: pa.Table) -> None:
        outlet_of = dict(zip(batch["article_id"].to_pylist(), batch["outlet"].to_pylist()))
        for article_id, category in zip(removed["article_id"].to_pylist(), removed["category"].to_pylist()):
            self.counts[f"boilerplate_{category}"] += 1
            self.counts["boilerplate_spans"] += 1
            self.by_outlet[outlet_of.get(article_id) or "(unknown)"][f"boilerplate_{category}"] += 1


class MemoryLedger(PartLedger):
    """A partition ledger that keeps what it stages in memory (evaluation scripts, tests)."""

    def __init__(self, staging: Staging, part: str) -> None:
        super().__init__(staging, part)
        self.kept: dict[str, list[pa.Table]] = defaultdict(list)
        self.staging = _MemoryStaging(self.kept, staging.root)

    def table(self, kind: str) -> pa.Table:
        parts = self.kept.get(kind)
        if parts:
            return pa.concat_tables(parts, promote_options="default")
        return {"boilerplate": BOILERPLATE, "quarantine": QUARANTINE, "lines": LINES, "edges": EDGES}[
            kind
        ].empty_table()


@dataclass(frozen=True)
class _MemoryStaging:
    kept: dict[str, list[pa.Table]]
    root: Path

    def write(self, kind: str, name: str, table: pa.Table, keep_empty: bool = False) -> None:
        if table.num_rows or keep_empty:
            self.kept[kind].append(table)


def peak_rss_mb() -> int:
    """This process's peak resident memory so far, in MB (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


@dataclass
class RunLedger:
    """The run's counters, merged from its partitions."""

    staging: Staging
    counts: Counter = field(default_factory=Counter)
    by_outlet: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    mappings: dict[str, str] = field(default_factory=dict)  # JSON input file -> its field mapping (tasks/fields.py)
    records_by_file: Counter = field(default_factory=Counter)  # landing path -> records it yielded (manifest)
    steps: dict[str, float] = field(default_factory=dict)  # wall seconds of each step of the run, in order
    # the run's process's peak resident MB when each step ended: the step that raised it is the one
    # whose figure is higher than the step's before (benchmarks read it from the `runs` row)
    peaks: dict[str, int] = field(default_factory=dict)
    _open_step: tuple[str, float] | None = None

    def step(self, name: str | None) -> dict[str, float]:
        """Close the step under way (its wall seconds) and open `name` (None: none); the steps so far."""
        now = time.perf_counter()
        if self._open_step:
            self.steps[self._open_step[0]] = round(now - self._open_step[1], 3)
            self.peaks[self._open_step[0]] = peak_rss_mb()
        self._open_step = (name, now) if name else None
        return dict(self.steps)

    def part(self, name: str) -> PartLedger:
        return PartLedger(self.staging, name)

    def merge(self, part: PartLedger) -> None:
        self.counts.update(part.counts)
        for outlet, counter in part.by_outlet.items():
            self.by_outlet[outlet].update(counter)

    def count_skipped(self, skipped: pa.Table) -> None:
        """Input paths not read, by the kind of reason ("hidden file", "unsupported file type", ...)."""
        self.counts["paths_skipped"] += skipped.num_rows
        for reason in skipped["reason"].to_pylist():
            self.counts["skipped_" + reason.split(":")[0].split(" (")[0].replace(" ", "_")] += 1

    def check(self) -> None:
        """Every record read is in exactly one place."""
        c = self.counts
        accounted = (
            c["articles_clean"]
            + c["duplicates_exact"]
            + c["duplicates_near"]
            + c["quarantined"]
            + c["already_in_warehouse"]
            + c["outside_scope"]
        )
        if accounted != c["records_read"]:
            raise AccountingError(
                f"record accounting does not balance: read {c['records_read']}, accounted {accounted} ({dict(c)})"
            )

    def check_assembled(self, staged: dict[str, Path]) -> None:
        """The tables about to be published hold what the counters say: every article and every
        quarantined record has its row (a staged file overwritten or left out would lose rows the
        counters still count)."""
        c = self.counts
        expected = {
            "articles": c["articles_clean"] + c["duplicates_exact"] + c["duplicates_near"],
            "quarantine": c["quarantined"],
        }
        for name, want in expected.items():
            path = staged.get(name)
            got = parquet_rows(path) if path else 0
            if got != want:
                raise AccountingError(
                    f"the run's {name} table holds {got} rows, its counters {want}: nothing published"
                )

    def summary(self) -> dict:
        order = (
            "files",
            "partitions",
            "paths_skipped",
            "records_read",
            "already_in_warehouse",
            "articles_clean",
            "duplicates_exact",
            "duplicates_near",
            "canonical_changes",
            "stories",
            "quarantined",
            "outside_scope",
            "boilerplate_spans",
        )
        out = {k: self.counts[k] for k in order}
        out.update(
            {
                k: v
                for k, v in sorted(self.counts.items())
                if k.startswith(("quarantined_", "boilerplate_", "skipped_")) and v
            }
        )
        return out

    def stage_seconds(self) -> dict[str, float]:
        """Seconds spent in each stage over the run's partitions."""
        return {k.removeprefix("seconds_"): round(v, 3) for k, v in self.counts.items() if k.startswith("seconds_")}
