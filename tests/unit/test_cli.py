"""CLI argument errors answer at once, in one line, with a non-zero exit (no Prefect start-up)."""

from __future__ import annotations

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

    from akhbar.cli import run
    from flows.params import RunParameters
    from tasks.dedup import DedupSettings

    cli_default = inspect.signature(run).parameters["dedup_threshold"].default
    assert cli_default == RunParameters().dedup_threshold == DedupSettings().threshold
