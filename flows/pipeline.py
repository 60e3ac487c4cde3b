"""The pipeline, defined once: what a run does, step by step, as plain functions over partitions.

    read       landing files -> raw partitions of at most batch_size records (streamed)
    pass 1     per partition: extract -> language -> clean -> observe lines (PER_RECORD)
    decide     learned boilerplate, once, over the staged line hashes + the lake's history
    pass 2     per partition: apply learned -> scope -> normalize -> fingerprint
    check      per partition, as pass 2 hands it back: the row suite (Great Expectations), in one process
    cluster    dedup, once, over the staged fingerprints + the lake's canonicals
    assemble   the run's tables from staging (bounded memory: DuckDB and pyarrow writers)
    gate       Great Expectations over column projections of those tables
    commit     atomic renames into the lake, `runs` last

The Prefect flow (flows/nightly.py) wraps these steps in tasks; `bench/` and the evaluation
scripts call the same functions, so they measure the pipeline that runs in production. Only
partition names, small counters and the run context pass between steps; records live in
DIR/staging/<run_id>/ (tasks/ledger.py).
"""

from __future__ import annotations

import ctypes
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from akhbar.schemas.tables import ARTICLES, PUBLISHED
from akhbar.tasks.base import StageResult, run_logger
from akhbar.tasks.clean import clean_stage
from akhbar.tasks.dedup import (
    DedupSettings,
    Fingerprints,
    cluster_run,
    epoch_seconds,
    fingerprint_matrix,
    fingerprint_stage,
    read_fingerprints,
    signature_table,
    split_fingerprints,
)
from akhbar.tasks.extract import extract_stage
from akhbar.tasks.history import History, quarantine_key
from akhbar.tasks.language import language_stage
from akhbar.tasks.learned import Learned, apply_stage, decide, decide_run, observe_stage
from akhbar.tasks.ledger import MemoryLedger, PartLedger, RunLedger, Staging
from akhbar.tasks.normalize import normalize_stage
from akhbar.tasks.publish import parquet_source, sql_quoted
from akhbar.tasks.read import LandingFile, ReadLimits, read_partitions
from akhbar.tasks.storage import attach, is_remote, location, parquet_rows, read_parquet, spill_dir, state_dir
from akhbar.tasks.stories import group_stories
from akhbar.tasks.templates import decide_templates
from akhbar.tasks.validate import RowChecker, rows_stage

from akhbar.settings import LearnedSettings, Settings

PARTITION_ROWS = 1_000_000  # a partition never holds more records (seq numbers are part * this + row)


@dataclass
class RunContext:
    """What every step of one run needs to know; small and picklable (sent to partition workers)."""

    run_id: str
    data_dir: Path
    settings: Settings
    dedup: DedupSettings
    since: date | None = None
    until: date | None = None
    outlets: list[str] = field(default_factory=list)
    full_refresh: bool = False

    @property
    def staging(self) -> Staging:
        root = location(self.data_dir)
        local = state_dir(root) / "staging" / self.run_id if is_remote(root) else None
        return Staging(root / "staging" / self.run_id, local)


def release_memory() -> None:
    """Hand the memory a finished partition or step freed back to the system: Arrow's allocator and
    glibc's keep freed pages for reuse, which a run that streams batch after batch does not need,
    and which would otherwise raise the floor under the next step's peak."""
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


def bound_allocators() -> None:
    """A run streams partition after partition: memory one frees should go back to the system, not
    stay cached for the next. Arrow's default allocator (mimalloc) keeps what it freed, the system
    allocator gives it back when trimmed (release_memory); glibc's arenas (one per thread that
    allocates, and Prefect runs several) are held to two, each a cache of its own."""
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        ctypes.CDLL("libc.so.6").mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc
        pass


bound_allocators()  # on import: the run's process and each worker process


# DuckDB's working memory for the run's SQL over staged files (assemble, gate projections, report):
# bounded, so a bigger run spills to disk rather than raising the process's peak.
DUCKDB_MEMORY = "256MB"


def scratch_duckdb(spill_to: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with bounded working memory; it spills to `spill_to` (an in-memory
    database has nowhere to spill otherwise)."""
    config = {"memory_limit": DUCKDB_MEMORY}
    if spill_to is not None:
        spill_to.mkdir(parents=True, exist_ok=True)
        config["temp_directory"] = str(spill_to)
    return attach(duckdb.connect(config=config))  # staged files on object storage read through fsspec


def new_run_id(now: datetime) -> str:
    import uuid

    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


# ----------------------------------------------------------------------------- read


def read_step(
    files: list[LandingFile],
    ctx: RunContext,
    history: History,
    ledger: RunLedger,
    staged: Callable[[str], None] | None = None,
) -> list[str]:
    """Stream the landing files into raw partitions under staging; records the warehouse already
    holds (published or quarantined on an earlier night) are counted and go no further. `staged` is
    told each partition's name as soon as it is in staging (the run starts its first pass on it
    while the read goes on)."""
    names: list[str] = []
    limits = ReadLimits.from_settings(ctx.settings)

    def heard(lf: LandingFile, mapping) -> None:
        ledger.mappings[str(lf.path)] = mapping.describe()
        log = run_logger()
        log.info("fields of %s: %s", lf.path, mapping.describe())
        if "published" in mapping.unmapped or "text" in mapping.unmapped:
            log.warning(
                "%s: no key holds %s (records will have none; `--field NAME=KEY` names it)",
                lf.path,
                " or ".join(f for f in ("text", "published") if f in mapping.unmapped),
            )

    reading = read_partitions(
        files, ctx.run_id, ctx.settings.fields, ctx.settings.batch_size, limits, heard, ledger.records_by_file
    )
    for n, (records, bad) in enumerate(reading):
        name = f"p{n:05d}"
        part = ledger.part(name)  # its quarantine staged as <name>-read: each partition's rows kept
        part.counts["records_read"] += records.num_rows + bad.num_rows
        records, bad = drop_known(records, bad, history, part)
        if bad.num_rows:
            part.quarantine("read", bad)
        if records.num_rows:
            ctx.staging.write("records", name, records)
            names.append(name)
        ledger.merge(part)
        if records.num_rows and staged is not None:
            staged(name)
        del records, bad
        release_memory()
    return names


def not_listed_before(skipped: pa.Table, history: History) -> pa.Table:
    """Skipped paths an earlier night already listed (same path, reason and size) are not listed again."""
    if not history.skipped or not skipped.num_rows:
        return skipped
    keep = [
        (path, reason, size) not in history.skipped
        for path, reason, size in zip(
            skipped["path"].to_pylist(), skipped["reason"].to_pylist(), skipped["size"].to_pylist()
        )
    ]
    return skipped.filter(pa.array(keep, pa.bool_()))


def drop_known(records: pa.Table, bad: pa.Table, history: History, part: PartLedger) -> tuple[pa.Table, pa.Table]:
    """Records already published or quarantined on an earlier night add nothing."""
    if records.num_rows:
        known = pa.array(history.known(records["article_id"]), pa.bool_())
        part.counts["already_in_warehouse"] += int(pc.sum(known).as_py() or 0)
        records = records.filter(pc.invert(known))
    if bad.num_rows:
        keys = [
            quarantine_key(u, p, h)
            for u, p, h in zip(
                bad["source_uri"].to_pylist(), bad["raw_payload"].to_pylist(), bad["payload_sha256"].to_pylist()
            )
        ]
        # a record quarantined before payloads had hashes is known by its payload's md5
        legacy = [quarantine_key(u, p) for u, p in zip(bad["source_uri"].to_pylist(), bad["raw_payload"].to_pylist())]
        found = history.known_quarantined(keys + legacy)  # both kinds of key in one question to the lake
        known = pa.array(found[: len(keys)] | found[len(keys) :], pa.bool_())
        part.counts["already_in_warehouse"] += int(pc.sum(known).as_py() or 0)
        bad = bad.filter(pc.invert(known))
    return records, bad


# ----------------------------------------------------------------------------- the two passes


def per_record_stages(batch: pa.Table, ctx: RunContext, led: PartLedger, seq_base: int = 0, rules=None) -> pa.Table:
    """Pass 1, the stages every record goes through alone: RECORD -> OBSERVED."""
    batch = led.run("extract", batch, extract_stage, ctx.run_id)
    batch = led.run("language", batch, language_stage, ctx.run_id, ctx.settings.language)
    batch = led.run("clean", batch, clean_stage, ctx.run_id, rules)
    return led.run("observe", batch, observe_stage, ctx.settings.learned, ctx.run_id, seq_base)


def after_decision_stages(
    batch: pa.Table,
    ctx: RunContext,
    learned: Learned,
    led: PartLedger,
    check_rows: bool = True,
    removals_only: bool = False,
) -> pa.Table:
    """Pass 2, after the run-wide learned decision: OBSERVED -> ARTICLE, checked and fingerprinted.
    `removals_only`: stop after the learned step (the last stage that removes text), for evaluations
    that read only what was removed."""
    batch = led.run("learned", batch, apply_stage, learned, ctx.settings.learned, ctx.run_id)
    if removals_only:
        return batch
    batch = led.run("scope", batch, scope_stage, ctx)
    batch = led.run("normalize", batch, normalize_stage)
    if check_rows:
        batch = led.run("validate", batch, rows_stage, _row_checker(ctx.settings), ctx.run_id)
    return led.run("fingerprint", batch, fingerprint_stage, ctx.dedup)


def first_pass(name: str, ctx: RunContext) -> PartLedger:
    """Pass 1 on one staged partition; the observed records go back to staging."""
    led = PartLedger(ctx.staging, name)
    batch = read_parquet(ctx.staging.path("records", name))
    batch = per_record_stages(batch, ctx, led, seq_base=int(name.lstrip("p")) * PARTITION_ROWS)
    ctx.staging.write("observed", name, batch, keep_empty=True)
    ctx.staging.path("records", name).unlink()
    del batch
    release_memory()
    return led


def decide_step(ctx: RunContext) -> Learned:
    """Learned boilerplate, decided once for the run: this run's staged line hashes plus the lake's
    history (a full refresh counts this run's lines only)."""
    return decide_run(
        ctx.staging.files("lines"),
        ctx.staging.files("edges"),
        ctx.settings.learned,
        None if ctx.full_refresh else ctx.data_dir,
    )


_checkers: dict[str, RowChecker] = {}


def _row_checker(settings: Settings) -> RowChecker:
    """One Great Expectations row checker per process and settings (setting one up costs seconds;
    a worker process gets the run's settings anew, unpickled, with every partition)."""
    key = settings.model_dump_json()
    if key not in _checkers:
        _checkers.clear()
        _checkers[key] = RowChecker(settings)
    return _checkers[key]


def warm_stages() -> None:
    """Build now what the per-partition stages build on first use (the boilerplate rules, the
    gazetteer's tables, the language model: seconds of CPU), so that no partition waits for it."""
    from akhbar.tasks.clean import default_rules
    from akhbar.tasks.gazetteer import first_words, names, place_names
    from akhbar.tasks.language import _identifier

    default_rules()
    names()
    place_names()
    first_words()
    _identifier()


def warm_row_checker(settings: Settings) -> None:
    """Set up this process's row checker ahead of its first partition (the checking process's start-up)."""
    _row_checker(settings)


def second_pass(name: str, ctx: RunContext, learned: Learned) -> PartLedger:
    """Pass 2 on one staged partition; the articles go to staging, their fingerprints too (what
    the one clustering reads). Its rows are checked next, by `check_partition`."""
    led = PartLedger(ctx.staging, name)
    observed = read_parquet(ctx.staging.path("observed", name))
    batch = after_decision_stages(observed, ctx, learned, led, check_rows=False)
    del observed
    ctx.staging.write("articles", name, batch)
    ctx.staging.path("observed", name).unlink()
    del batch
    release_memory()
    return led


def check_partition(name: str, ctx: RunContext) -> PartLedger:
    """The row suite (Great Expectations) on one partition's staged articles, before the one
    clustering: a failing article goes to quarantine, leaves the staged fingerprints and is listed in
    staging's `rejected` (assembly leaves it out of the articles).
    A step of its own so that one process holds Great Expectations (~170 MB of imports) for the run,
    checking each partition as pass 2 hands it back, instead of every partition worker holding it."""
    led = PartLedger(ctx.staging, f"{name}-rows")
    path = ctx.staging.path("articles", name)
    if not path.exists():  # every article of the partition left in pass 2 (quarantine, scope)
        return led
    batch = read_parquet(path)
    kept = led.run("validate", batch, rows_stage, _row_checker(ctx.settings), ctx.run_id)
    if kept.num_rows < batch.num_rows:
        _leave_out_rejected(ctx.staging, name, kept, batch)
    del batch, kept
    release_memory()
    return led


def _leave_out_rejected(st: Staging, name: str, kept: pa.Table, checked: pa.Table) -> None:
    """A partition less the articles its row checks quarantined: its fingerprints (what the clustering
    reads; small) are written again without them, and their ids go to staging's `rejected`, which
    assembly leaves out. The staged articles, text and all, are not rewritten: at a million articles
    that rewrite was 170 s of the checking process's CPU."""
    ids = kept["article_id"]
    rejected = checked.filter(pc.invert(pc.is_in(checked["article_id"], value_set=ids))).select(["article_id"])
    st.write("rejected", name, rejected)
    for fingerprints in st.files("fingerprints"):
        if fingerprints.stem.startswith(f"{name}-"):
            table = read_parquet(fingerprints)
            fingerprints.unlink()
            st.write("fingerprints", fingerprints.stem, table.filter(pc.is_in(table["article_id"], value_set=ids)))


@dataclass
class MemoryRun:
    """Records cleaned in memory by the pipeline's own stages (evaluation scripts, benchmarks)."""

    articles: pa.Table
    boilerplate: pa.Table
    quarantine: pa.Table
    learned: Learned
    counts: dict
    decide_seconds: float = 0.0
    observed: pa.Table | None = None  # the bodies before learned boilerplate came out (to read removals in context)


def run_in_memory(
    records: pa.Table,
    ctx: RunContext,
    rules=None,
    check_rows: bool = False,
    history: pa.Table | None = None,
    removals_only: bool = False,
) -> MemoryRun:
    """Both passes and the learned decision over `records` (RECORD rows) held in memory, with no
    staging and no warehouse: the stage list the nightly flow runs, for small inputs. With
    `removals_only`, pass 2 ends at the learned step: the boilerplate is all there, the articles are
    not normalized or fingerprinted."""
    led = MemoryLedger(Staging(Path("/nonexistent")), "memory")
    observed = per_record_stages(records, ctx, led, rules=rules)
    started = time.perf_counter()
    learned = decide(led.table("lines"), ctx.settings.learned, history=history)
    learned.templates = decide_templates(led.table("edges"), ctx.settings.learned)
    decide_seconds = time.perf_counter() - started
    articles = after_decision_stages(observed, ctx, learned, led, check_rows, removals_only)
    return MemoryRun(
        articles, led.table("boilerplate"), led.table("quarantine"), learned, dict(led.counts), decide_seconds, observed
    )


def scratch_context(learned: LearnedSettings | None = None, **settings) -> RunContext:
    """A run context for in-memory runs (evaluation scripts): default settings, no warehouse."""
    s = Settings(**settings)
    if learned is not None:
        s.learned = learned
    return RunContext("eval", Path("/nonexistent"), s, DedupSettings())


def scope_stage(batch: pa.Table, ctx: RunContext) -> StageResult:
    """Records outside the run's date range or outlet list go no further (counted, not quarantined:
    another run with a wider scope publishes them). An undated article is outside a date range."""
    keep = pa.array([True] * batch.num_rows, pa.bool_())
    published = batch["published_at"]
    if ctx.since:
        since = pa.scalar(datetime.combine(ctx.since, datetime.min.time(), timezone.utc), published.type)
        keep = pc.and_(keep, pc.fill_null(pc.greater_equal(published, since), False))
    if ctx.until:
        until = pa.scalar(datetime.combine(ctx.until, datetime.max.time(), timezone.utc), published.type)
        keep = pc.and_(keep, pc.fill_null(pc.less_equal(published, until), False))
    if ctx.outlets:
        keep = pc.and_(keep, pc.fill_null(pc.is_in(batch["outlet"], pa.array(ctx.outlets, pa.string())), False))
    kept = batch.filter(keep)
    result = StageResult(kept)
    result.counts["outside_scope"] = batch.num_rows - kept.num_rows
    return result


# ----------------------------------------------------------------------------- cluster


@dataclass
class Clusters:
    """The one clustering's outcome, staged: file paths and what the report lists."""

    staged: dict[str, Path]
    largest: list[dict]  # the largest copy clusters (one text)
    largest_stories: list[dict] = field(default_factory=list)  # the largest story groups (one event)
    counted: PartLedger | None = None  # clean articles, copies, stories (the run's ledger merges it)


def cluster_step(ctx: RunContext, history: History, top: int = 5) -> Clusters:
    """Dedup once over the run's fingerprints plus the warehouse's canonicals. It counts into a
    ledger of its own (`Clusters.counted`): it may run in another process than the run's ledger."""
    release_memory()
    files = ctx.staging.files("fingerprints")
    staged: dict[str, Path] = {}
    ledger = PartLedger(ctx.staging, "dedup")
    st = ctx.staging.local  # read by this process alone: local
    (st.root / "work").mkdir(parents=True, exist_ok=True)
    fps, sig = read_fingerprints(files, ctx.dedup, spill=st.root / "work" / "lead_hashes.npy")
    if not fps.num_rows:
        return Clusters(staged, [], counted=ledger)
    canonicals = history.canonicals_for(
        fps["content_hash"], split_fingerprints(sig, ctx.dedup)[0], ctx.dedup, epoch_seconds(fps["published_at"])
    )
    clustered, dups, changes = cluster_run(fps, sig, canonicals, ctx.run_id, ctx.dedup)
    del canonicals
    del fps
    if isinstance(sig, Fingerprints):  # stories read slots and leads, not signatures: freed first
        sig = sig.without_signatures()
    ledger.count_clusters(clustered, dups)
    ledger.counts["canonical_changes"] = changes.num_rows
    story_ids = group_stories(clustered, sig, ctx.dedup)
    stories = pa.table(
        {
            "article_id": clustered["article_id"],
            "story_id": pa.array(story_ids, pa.string()),
            "run_id": pa.array([ctx.run_id] * clustered.num_rows, pa.string()),
        }
    )
    del story_ids
    ledger.counts["stories"] = pc.count_distinct(stories["story_id"]).as_py()
    staged["clusters"] = st.write(
        "work", "clusters", clustered.select(["article_id", "cluster_id", "is_canonical", "story_hash"])
    )
    del sig
    staged["signatures"] = write_signatures(st.root / "work" / "signatures.parquet", clustered, files, ctx)
    for name, table in (("duplicates", dups), ("canonical_changes", changes), ("stories", stories)):
        path = st.write("work", name, table)
        if path:
            staged[name] = path
    return Clusters(
        staged,
        largest_clusters(clustered, top),
        largest_clusters(
            clustered.set_column(clustered.schema.get_field_index("cluster_id"), "cluster_id", stories["story_id"]), top
        ),
        ledger,
    )


# Rows of the signatures table built at a time: each holds its band keys and list columns (~2 KB).
SIGNATURE_CHUNK = 5_000


def write_signatures(path: Path, clustered: pa.Table, files: list, ctx: RunContext) -> Path:
    """The run's SIGNATURES rows, built and written a chunk at a time from the staged fingerprint files
    (`clustered` has their rows, in their order): what was held for clustering is freed first."""
    from akhbar.schemas.tables import SIGNATURES
    from akhbar.tasks.storage import read_parquet

    at = 0
    with pq.ParquetWriter(path, SIGNATURES, compression="zstd", compression_level=1) as writer:
        for f in files:
            sig = fingerprint_matrix(read_parquet(f))
            for start in range(0, len(sig), SIGNATURE_CHUNK):
                chunk = sig[start : start + SIGNATURE_CHUNK]
                rows = clustered.slice(at + start, len(chunk))
                writer.write_table(signature_table(rows, chunk, ctx.run_id, ctx.dedup))
            at += len(sig)
    return path


def largest_clusters(clustered: pa.Table, top: int) -> list[dict]:
    """The `top` largest clusters of this run, each with its members' titles and outlets."""
    sizes = pc.value_counts(clustered["cluster_id"]).to_pylist()
    largest = sorted((s for s in sizes if s["counts"] > 1), key=lambda s: (-s["counts"], s["values"]))[:top]
    wanted = pa.array([s["values"] for s in largest], pa.string())
    members = (
        clustered.filter(pc.is_in(clustered["cluster_id"], value_set=wanted))
        .select(["cluster_id", "title", "outlet", "is_canonical"])
        .to_pylist()
    )
    return [
        {
            "cluster_id": s["values"],
            "size": s["counts"],
            "members": [m for m in members if m["cluster_id"] == s["values"]],
        }
        for s in largest
    ]


# ----------------------------------------------------------------------------- assemble


def assemble(
    ctx: RunContext, clusters: Clusters, manifest: pa.Table, skipped: pa.Table, ledger_counts: dict | None = None
) -> dict[str, Path]:
    """The run's published tables as files in staging, each written in bounded memory: articles
    streamed partition by partition with their cluster joined in; spans only of published articles;
    each story's `lines` once, for published stories only."""
    st, out = ctx.staging, {}
    work = st.work  # the assembled tables: local, uploaded at commit when the lake is remote
    articles = st.files("articles")
    if articles and "clusters" in clusters.staged:
        out["articles"] = _write_articles(ctx, articles, clusters.staged["clusters"])
        out.update({k: v for k, v in clusters.staged.items() if k not in ("clusters",)})
    con = scratch_duckdb(work / "spill")
    try:
        con.execute("SET preserve_insertion_order = false")
        published = parquet_source(clusters.staged["clusters"]) if "clusters" in clusters.staged else None
        for name in ("boilerplate", "quarantine", "lines", "edges"):
            files = st.files(name)
            if not files or (name != "quarantine" and published is None):
                continue
            select = _side_sql(name, [str(f) for f in files], published, ctx.run_id)
            path = work / f"{name}.parquet"
            con.execute(f"COPY ({select}) TO '{_sql_path(path)}' (FORMAT parquet, COMPRESSION zstd)")
            if pq.ParquetFile(path).metadata.num_rows:
                out[name] = path
            else:
                path.unlink()
    finally:
        con.close()
    ledger_counts = ledger_counts or {}
    if manifest.num_rows:  # each file with the count of records it yielded (a file that yielded none: 0)
        records = [ledger_counts.get(path, 0) for path in manifest["path"].to_pylist()]
        manifest = manifest.drop_columns([c for c in ("records",) if c in manifest.column_names])
        manifest = manifest.append_column("records", pa.array(records, pa.int64()))
    for name, table in (("manifest", manifest), ("skipped", skipped)):
        if table.num_rows:
            out[name] = _write(work / f"{name}.parquet", table, name)
    return out


def _sql_path(path: Path) -> str:
    """A path to write to (COPY ... TO), quoted for SQL; never a pattern, so no glob escaping."""
    return sql_quoted(str(path))


def _side_sql(name: str, files: list[str], published: str | None, run_id: str) -> str:
    cols = ", ".join(f'"{c}"' for c in PUBLISHED[name].names)
    src = parquet_source(files, union_by_name=True)
    if name == "quarantine":
        return f"SELECT {cols} FROM {src}"
    if name == "boilerplate":  # an article dropped after its spans were staged takes its spans with it
        return f"SELECT {cols} FROM {src} WHERE article_id IN (SELECT article_id FROM {published})"
    if name == "edges":  # published stories only, each observation once
        return f"SELECT DISTINCT {cols} FROM {src} WHERE story_hash IN (SELECT story_hash FROM {published})"
    # lines: a story met in several partitions counts once (its first article's rows), published stories only
    return (
        f"SELECT {cols} FROM {src} WHERE story_hash IN (SELECT story_hash FROM {published}) "
        f"QUALIFY seq = min(seq) OVER (PARTITION BY outlet, story_hash)"
    )


def _write_articles(ctx: RunContext, parts: list[Path], clusters_path: Path) -> Path:
    """The run's articles, partition by partition, each with its cluster columns joined in; the
    articles the row checks rejected (`_leave_out_rejected`) left out."""
    clusters = pq.read_table(clusters_path, columns=["article_id", "cluster_id", "is_canonical"])
    # One index of the run's article ids, made once: `pc.index_in` hashes its whole value set on every
    # call, which made this loop grow with partitions x articles (152 s over 500 partitions at a million).
    row_of = {article_id: i for i, article_id in enumerate(clusters["article_id"].to_pylist())}
    rejected = {a for f in ctx.staging.files("rejected") for a in read_parquet(f)["article_id"].to_pylist()}
    path = ctx.staging.work / "articles.parquet"
    with pq.ParquetWriter(path, ARTICLES, compression="zstd") as writer:
        for part in parts:
            batch = read_parquet(part)
            if rejected:
                batch = batch.filter(pa.array([a not in rejected for a in batch["article_id"].to_pylist()]))
            at = pa.array([row_of.get(a) for a in batch["article_id"].to_pylist()], pa.int64())
            batch = (
                batch.append_column("cluster_id", clusters["cluster_id"].take(at))
                .append_column("is_canonical", clusters["is_canonical"].take(at))
                .append_column("run_id", pa.array([ctx.run_id] * batch.num_rows, pa.string()))
            )
            writer.write_table(_conform(batch, "articles"))
    return path


def _conform(table: pa.Table, name: str) -> pa.Table:
    from akhbar.tasks.publish import conform

    return conform(table, PUBLISHED[name])


def _write(path: Path, table: pa.Table, name: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(_conform(table, name), path, compression="zstd")
    return path


def write_staged(ctx: RunContext, name: str, table: pa.Table) -> Path:
    """One of the run's small tables (runs, validation results) staged beside the others."""
    return _write(ctx.staging.work / f"{name}.parquet", table, name)


# ----------------------------------------------------------------------------- gate

# What the gate reads of each table: no article text, and long payloads cut (its suites only ask
# whether they are there).
_GATE_SQL = {
    "articles": "SELECT article_id, outlet, title, published_at, keywords, word_count, arabic_ratio, content_hash, "
    "cluster_id, is_canonical FROM {src}",
    "boilerplate": "SELECT article_id, rule, category, left(text, 64) AS text FROM {src}",
    "quarantine": "SELECT source_uri, source_id, article_id, stage, reason, left(raw_payload, 64) AS raw_payload FROM {src}",
    "signatures": "SELECT article_id, minhash_config FROM {src}",
    "lines": "SELECT outlet, line_hash, story_hash, line_no, line_count FROM {src}",
}
# Columns with a few distinct values, handed to the gate dictionary-encoded (pandas categoricals:
# a code per row instead of a Python string per row).
_GATE_CATEGORIES = ("outlet", "rule", "category", "method", "stage", "minhash_config")


# Rows of a table the gate checks at a time. A bigger table (the `lines` of a big run: ~9 per
# article) is read in shards by a hash of the key its suite holds unique, so that rows that could
# repeat that key meet in one shard: each shard's checks are the table's, in memory that stays flat.
GATE_SHARD_ROWS = 100_000
_GATE_SHARD_KEYS = {
    "articles": "article_id",
    "lines": "story_hash",  # unique: (outlet, line_hash, story_hash, line_no)
    "signatures": "article_id",
    "duplicates": "article_id",
    "boilerplate": "article_id",
    "quarantine": "source_uri",
}


class GateTables(dict):
    """Column projections of the run's staged tables, for the validation gate, each read when the
    gate asks for it and let go after, so one projection (or one shard of it) is in memory at a time."""

    def __init__(self, staged: dict[str, Path]) -> None:
        super().__init__({name: path for name, path in staged.items() if name in PUBLISHED})

    def get(self, name: str, default=None):
        path = super().get(name)
        if path is None:
            return default
        return self._read(name, path)

    def shards(self, name: str, canonical: bool = False):
        """The table's projection in shards of about GATE_SHARD_ROWS rows by its shard key, or whole
        when it is smaller or has none; `canonical`: the canonical articles, by content hash."""
        path = super().get(name)
        if path is None:
            return
        key = "content_hash" if canonical else _GATE_SHARD_KEYS.get(name)
        only = "is_canonical" if canonical else "true"
        count = -(-parquet_rows(path) // GATE_SHARD_ROWS)
        if key is None or count <= 1:
            yield self._read(name, path, f"WHERE {only}")
            return
        for shard in range(count):
            yield self._read(name, path, f"WHERE {only} AND hash({key}) % {count} = {shard}")

    def _read(self, name: str, path: Path, where: str = "WHERE true") -> pa.Table:
        con = scratch_duckdb(spill_dir(path.parent))
        try:
            # a shard's rows in any order, one thread: the least memory for a scan and a filter
            con.execute("SET preserve_insertion_order = false")
            con.execute("SET threads = 1")
            sql = _GATE_SQL.get(name, "SELECT * FROM {src}").format(src=parquet_source(path))
            table = con.sql(f"{sql} {where}").to_arrow_table()
        finally:
            con.close()
        for column in _GATE_CATEGORIES:
            if column in table.column_names:
                table = table.set_column(
                    table.schema.get_field_index(column), column, table[column].dictionary_encode()
                )
        return table

    def __getitem__(self, name: str):
        return self.get(name)

    def values(self):
        return [self.get(name) for name in self]

    def items(self):
        return [(name, self.get(name)) for name in self]


def gate_tables(staged: dict[str, Path]) -> GateTables:
    return GateTables(staged)


def top_boilerplate(staged: dict[str, Path], top: int = 10) -> list[dict]:
    """The spans removed most often in this run, for the run report (spans told apart by their
    first 300 characters: a read-also block that swallowed a whole article is one long span).
    Counted by a plain hash aggregate (spills to disk in a big run); the category is looked up for
    the top spans only. A report is a view of the run: a failure here is logged, never the run's."""
    if "boilerplate" not in staged:
        return []
    con = scratch_duckdb(staged["boilerplate"].parent / "spill")
    try:
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"""
            CREATE TEMP TABLE per_text AS
            SELECT trim(regexp_replace(left(text, 300), '\\s+', ' ', 'g')) AS text, count(*) AS n
            FROM {parquet_source(staged["boilerplate"])} GROUP BY 1""")
        total, distinct = con.execute("SELECT coalesce(sum(n), 0), count(*) FROM per_text").fetchone()
        rows = con.execute(f"""
            WITH top AS (SELECT text, n FROM per_text ORDER BY n DESC, text LIMIT {int(top)}),
                 kinds AS (SELECT trim(regexp_replace(left(b.text, 300), '\\s+', ' ', 'g')) AS text, b.category
                           FROM {parquet_source(staged["boilerplate"])} b)
            SELECT top.text, mode(kinds.category), top.n FROM top JOIN kinds USING (text)
            GROUP BY top.text, top.n ORDER BY top.n DESC, top.text""").fetchall()
        return [{"text": t, "category": c, "times": n, "total": total, "distinct": distinct} for t, c, n in rows]
    except duckdb.Error as exc:
        run_logger().warning("the run report's most removed spans were not counted: %s", str(exc).splitlines()[0])
        return []
    finally:
        con.close()


def runs_row(ctx: RunContext, flow_run_id: str | None, started: datetime, parameters: dict, counts: dict) -> pa.Table:
    from akhbar.schemas.tables import RUNS

    return pa.Table.from_pylist(
        [
            {
                "run_id": ctx.run_id,
                "flow_run_id": flow_run_id,
                "started_at": started,
                "finished_at": datetime.now(timezone.utc),
                "status": "published",
                "parameters": json.dumps(parameters, ensure_ascii=False),
                "counts": json.dumps(counts, ensure_ascii=False),
            }
        ],
        schema=RUNS,
    )
