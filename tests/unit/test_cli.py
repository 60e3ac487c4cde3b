"""The CLI without Prefect: argument errors answer at once, in one line, with a non-zero exit; sql, show
and export on a small warehouse written by the publish step; the summary table and progress bar."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from akhbar.cli import app

runner = CliRunner()


def test_missing_input_fails_fast_with_one_line(tmp_path):
    result = runner.invoke(app, ["run", "--input", str(tmp_path / "nope"), "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert result.output.strip() == f"akhbar: input not found: {tmp_path / 'nope'}"


def test_bad_field_override_is_rejected(tmp_path):
    result = runner.invoke(
        app, ["run", "--input", str(tmp_path), "--field", "colour=x", "--data-dir", str(tmp_path / "d")]
    )
    assert result.exit_code == 2 and "--field wants NAME=KEY" in result.output


def test_sql_without_a_warehouse(tmp_path):
    result = runner.invoke(app, ["sql", "--data-dir", str(tmp_path), "SELECT 1"])
    assert result.exit_code == 1 and "no warehouse at" in result.output


def test_run_defaults_are_the_measured_settings():
    """The CLI, the Prefect parameters and DedupSettings must agree on the threshold the evaluation
    measured (a stale default once sent every nightly run back to the old figure)."""
    import inspect

    from akhbar.flows.params import RunParameters
    from akhbar.tasks.dedup import DedupSettings

    from akhbar.cli import run

    cli_default = inspect.signature(run).parameters["dedup_threshold"].default
    assert cli_default == RunParameters().dedup_threshold == DedupSettings().threshold


# ----------------------------------------------------------------------------- a small warehouse
# Written with the publish step's own functions (no Prefect): three articles, two of them one story,
# the first with removed spans and its raw record in a landing file.

RAW = {
    "id": "x1",
    "title": "عنوان الخبر",
    "text": "شارك المقال\nافتتحت البلدية اليوم حديقة عامة جديدة في وسط المدينة.\nاترك تعليقـك",
    "outlet": "نبض",
}


def _article(article_id, outlet, body, canonical, published, uri):
    from datetime import datetime, timezone

    return {
        "article_id": article_id,
        "source_uri": uri,
        "outlet": outlet,
        "title": f"عنوان {article_id}",
        "body": body,
        "published_at": datetime(2025, 3, published, tzinfo=timezone.utc),
        "keywords": ["بلدية"],
        "word_count": len(body.split()),
        "cluster_id": "c-" + ("a1" if article_id in ("a1", "a2") else article_id),
        "is_canonical": canonical,
        "run_id": "r1",
    }


@pytest.fixture
def warehouse(tmp_path):
    import pyarrow as pa
    from akhbar.schemas.tables import PUBLISHED
    from akhbar.tasks.publish import build_views, write_tables

    landing = tmp_path.resolve() / "landing"
    landing.mkdir()
    feed = landing / "feed.jsonl"
    feed.write_text(json.dumps(RAW, ensure_ascii=False) + "\n", encoding="utf-8")
    body = "افتتحت البلدية اليوم حديقة عامة جديدة في وسط المدينة."
    articles = [
        _article("a1", "نبض", body, True, 2, f"{feed}#L1"),
        _article("a2", "صدى", body, False, 3, f"{landing}/other.jsonl#L1"),
        _article("a3", "صدى", "خبر آخر وحده", True, 1, f"{landing}/other.jsonl#L2"),
    ]
    spans = [
        ("share.prompt", "share", "شارك المقال"),
        ("comment.prompt", "comment", "اترك تعليقك"),  # the raw line has a tatweel cleaning took out
        ("html.nav", "nav", "الرئيسية أخبار"),
    ]
    tables = {
        "articles": pa.Table.from_pylist(articles, schema=PUBLISHED["articles"]),
        "boilerplate": pa.Table.from_pylist(
            [{"article_id": "a1", "rule": r, "category": c, "text": t, "run_id": "r1"} for r, c, t in spans],
            schema=PUBLISHED["boilerplate"],
        ),
        "stories": pa.Table.from_pylist(
            [{"article_id": a, "story_id": "a1", "run_id": "r1"} for a in ("a1", "a2")], schema=PUBLISHED["stories"]
        ),
        "runs": pa.Table.from_pylist(
            [{"run_id": "r1", "status": "published", "parameters": json.dumps({"fields": {}}), "counts": "{}"}],
            schema=PUBLISHED["runs"],
        ),
    }
    data = tmp_path / "data"
    write_tables(data, "r1", tables)
    build_views(data)
    return data


def invoke(*args, env=None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and result.output.startswith("akhbar ")


def test_data_dir_comes_from_akhbar_data_dir(warehouse, tmp_path, monkeypatch):
    assert invoke("sql", "SELECT count(*) AS n FROM articles", env={"AKHBAR_DATA_DIR": str(warehouse)}).output == (
        "n\n3\n"
    )
    # without either, the one default: ./data (the warehouse fixture wrote tmp_path/data)
    monkeypatch.delenv("AKHBAR_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["sql", "SELECT count(*) AS n FROM articles"]).output == "n\n3\n"
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    result = runner.invoke(app, ["sql", "SELECT 1"])
    assert (
        result.exit_code == 1
        and f"no warehouse at {tmp_path / 'elsewhere' / 'data' / 'warehouse.duckdb'}" in result.output
    )


def test_one_default_data_dir_everywhere():
    from akhbar.flows.params import RunParameters

    from akhbar.settings import DEFAULT_DATA_DIR, Settings

    assert RunParameters().data_dir == str(DEFAULT_DATA_DIR) == str(Settings().data_dir)
    deployments = (Path(__file__).resolve().parents[2] / "prefect.yaml").read_text(encoding="utf-8")
    assert 'data_dir: "data"' in deployments and "data/nightly" not in deployments


@pytest.mark.parametrize(
    "fmt, expected",
    [
        ("csv", 'outlet,n,keywords\nصدى,2,"[""بلدية""]"\nنبض,1,"[""بلدية""]"\n'),
        ("markdown", '| outlet | n | keywords |\n|---|---|---|\n| صدى | 2 | ["بلدية"] |\n| نبض | 1 | ["بلدية"] |\n'),
        (
            "line",
            '  outlet = صدى\n       n = 2\nkeywords = ["بلدية"]\n\n  outlet = نبض\n       n = 1\nkeywords = ["بلدية"]\n',
        ),
    ],
)
def test_sql_formats(warehouse, fmt, expected):
    q = "SELECT outlet, count(*) AS n, any_value(keywords) AS keywords FROM articles GROUP BY 1 ORDER BY 1"
    result = invoke("sql", "-d", warehouse, "--format", fmt, q)
    assert result.exit_code == 0 and result.output == expected


def test_sql_json_and_table(warehouse):
    q = "SELECT article_id, word_count FROM articles ORDER BY 1 LIMIT 2"
    assert json.loads(invoke("sql", "-d", warehouse, "-f", "json", q).output) == [
        {"article_id": "a1", "word_count": 9},
        {"article_id": "a2", "word_count": 9},
    ]
    table = invoke("sql", "-d", warehouse, "-f", "table", q).output
    assert "┃ article_id ┃ word_count ┃" in table and "│ a2         │          9 │" in table


def test_sql_error_is_duckdbs_whole_message_without_traceback(warehouse):
    result = invoke("sql", "-d", warehouse, "SELECT * FROM articels")
    assert result.exit_code == 1
    assert result.output.startswith("akhbar: query failed: Catalog Error: Table with name articels does not exist!")
    assert 'Did you mean "articles' in result.output and "Traceback" not in result.output


def test_sql_rejects_unknown_format(warehouse):
    result = invoke("sql", "-d", warehouse, "-f", "xml", "SELECT 1")
    assert result.exit_code == 2 and "--format wants one of table, csv, json, markdown, line" in result.output


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        # a scheme whose fsspec filesystem is not installed (gcsfs is not a dependency)
        ("gs://bucket/landing", "gs:// needs its fsspec filesystem"),
        # one slash: neither a URI nor a local folder named "s3:"
        ("s3:/bucket/landing", "is neither a local path nor a URI"),
    ],
)
@pytest.mark.parametrize("option", ["--input", "--data-dir"])
def test_unusable_uris_are_refused(tmp_path, option, uri, says, monkeypatch):
    args = ["run", "--input", str(tmp_path), "--data-dir", str(tmp_path / "d")]
    args[args.index(option) + 1] = uri
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, args)
    assert not list(tmp_path.glob("*:"))  # no local folder named after the scheme
    message = " ".join(re.sub("[│╭╮╰╯─]", " ", result.output).split())  # typer draws a box around it
    assert result.exit_code == 2 and says in message, message


def test_a_run_with_no_input_warns_and_runs_nothing(tmp_path):
    (tmp_path / "landing").mkdir()
    (tmp_path / "landing" / ".hidden.jsonl").write_text("{}")
    result = invoke("run", "--input", tmp_path / "landing", "--data-dir", tmp_path / "d")
    assert result.exit_code == 0
    assert "akhbar: warning: no input to read in" in result.output and "hidden file" in result.output
    assert not (tmp_path / "d" / "warehouse.duckdb").exists() and not (tmp_path / "d" / "lake").exists()


def test_bad_log_level_is_rejected(tmp_path):
    result = invoke("run", "--input", tmp_path, "--log-level", "LOUD", "--data-dir", tmp_path / "d")
    assert result.exit_code == 2 and "--log-level wants one of DEBUG, INFO, WARNING, ERROR" in result.output


def test_show_marks_each_removed_span_with_its_rule(warehouse):
    result = invoke("show", "-d", warehouse, "a1", "--no-color")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "[-شارك المقال-]{share.prompt share}" in out
    assert "[-اترك تعليقـك-]{comment.prompt comment}" in out  # located despite the tatweel
    assert "افتتحت البلدية اليوم حديقة عامة جديدة" in out
    assert "3 spans removed, 2 located in the raw text" in out
    assert "html.nav (nav) (removed from the page's markup, before its text): الرئيسية أخبار" in out


def test_show_by_prefix_unknown_and_without_the_landing_file(warehouse):
    assert invoke("show", "-d", warehouse, "zz").output == "akhbar: no article 'zz' in the warehouse\n"
    ambiguous = invoke("show", "-d", warehouse, "a")
    assert ambiguous.exit_code == 1 and "starts 3+ article ids" in ambiguous.output
    gone = invoke("show", "-d", warehouse, "a2", "--no-color")
    assert gone.exit_code == 0 and "raw text not available: the landing file" in gone.output


def test_export_one_row_per_story_as_jsonl_and_parquet(warehouse, tmp_path):
    import pyarrow.parquet as pq

    result = invoke("export", "-d", warehouse, tmp_path / "out" / "stories.jsonl")
    assert result.exit_code == 0 and result.output == f"wrote 2 stories to {tmp_path / 'out' / 'stories.jsonl'}\n"
    rows = [json.loads(line) for line in (tmp_path / "out" / "stories.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a3", "a1"]  # by publication date
    story = rows[1]
    assert story["article_id"] == "a1" and story["text"].startswith("افتتحت البلدية")  # the canonical's text
    assert story["articles"] == 2 and story["outlets"] == ["صدى", "نبض"] and story["article_ids"] == ["a1", "a2"]
    assert story["published_at"] == "2025-03-02T00:00:00Z" and story["keywords"] == ["بلدية"]
    from akhbar.export import COLUMNS

    assert list(story) == [name for name, _ in COLUMNS]

    invoke("export", "-d", warehouse, tmp_path / "stories.parquet")
    table = pq.read_table(tmp_path / "stories.parquet")
    assert table.num_rows == 2 and table.column_names == [name for name, _ in COLUMNS]
    assert str(table.schema.field("outlets").type) == "list<element: string>"


def test_export_needs_a_known_format(warehouse, tmp_path):
    result = invoke("export", "-d", warehouse, tmp_path / "stories.csv")
    assert result.exit_code == 2 and "name it .jsonl or .parquet" in result.output


def test_an_unexpected_error_is_one_line(warehouse, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = invoke("export", "-d", warehouse, blocker / "sub" / "stories.jsonl")  # a file where a folder must be
    assert result.exit_code == 1 and result.output.startswith("akhbar: ")
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_summary_table_and_progress_bar():
    import io

    from rich.console import Console

    from akhbar.display import ProgressBar, summary_table

    console = Console(record=True, width=100, file=io.StringIO())
    console.print(summary_table({"run_id": "r9", "records_read": 2000, "articles_clean": 1500, "data_docs": "x"}, 4.0))
    text = console.export_text()
    assert "run r9" in text and "records read" in text and "2,000" in text and "records/s" in text and "500" in text

    out = io.StringIO()
    with ProgressBar(Console(file=out, width=120, force_terminal=True)) as bar:
        bar.stage("read")
        bar.partitions(4, 400)
        bar.advance(100)
        bar.advance(100)
        task = bar.progress.tasks[0]
        assert (task.completed, task.total) == (2, 4) and task.fields["rate"] > 0
    assert "2/4" in out.getvalue() and "records/s" in out.getvalue()


def test_a_closed_pipe_ends_quietly(warehouse):
    """`akhbar sql ... | head -1`: the reader leaving is no error (no BrokenPipeError line, exit 0)."""
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "akhbar.cli",
            "sql",
            "-d",
            str(warehouse),
            "--max-rows",
            "0",
            "SELECT * FROM range(200000)",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(repo)},
    )
    assert proc.stdout.readline() == b"range\n"
    proc.stdout.close()  # as head does after its line
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and err == b""
