"""AKHBAR_DASK_ADDRESS: a run refuses a Dask cluster without a real Prefect server (before any work),
and with one it gets Prefect's DaskTaskRunner on that scheduler. No cluster is started here: the
runner connects only when the first partition is submitted (tests/server/test_dask.py does that)."""

from __future__ import annotations

import pytest
from akhbar.flows.nightly import DaskSetupError, check_dask_setup, partition_runner
from conftest import SAMPLES
from prefect.settings import PREFECT_API_URL, temporary_settings

from akhbar.settings import get_settings

ADDRESS = "tcp://10.0.0.5:8786"


def test_the_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("AKHBAR_DASK_ADDRESS", ADDRESS)
    assert get_settings().dask_address == ADDRESS


def test_without_a_prefect_server_a_dask_run_is_refused_and_says_why():
    settings = get_settings(dask_address=ADDRESS)
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        with pytest.raises(DaskSetupError) as refused:
            check_dask_setup(settings)
    message = str(refused.value)
    assert ADDRESS in message and "PREFECT_API_URL is not" in message and "Dask workers" in message


def test_with_a_prefect_server_the_partitions_go_to_the_dask_scheduler():
    from prefect_dask import DaskTaskRunner

    settings = get_settings(dask_address=ADDRESS, workers=4)
    with temporary_settings(updates={PREFECT_API_URL: "http://prefect.internal:4200/api"}):
        check_dask_setup(settings)
    runner = partition_runner(settings, 1)  # even one partition: the cluster was asked for
    assert isinstance(runner, DaskTaskRunner) and runner.address == ADDRESS


def test_without_the_setting_nothing_changes():
    from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

    check_dask_setup(get_settings(workers=2))  # no server needed
    assert isinstance(partition_runner(get_settings(workers=2), 4), ProcessPoolTaskRunner)
    assert isinstance(partition_runner(get_settings(workers=2), 1), ThreadPoolTaskRunner)


def test_the_cli_refuses_before_prefect_starts(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from akhbar.cli import app

    monkeypatch.setenv("AKHBAR_DASK_ADDRESS", ADDRESS)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        # a landing folder with a file: a run with nothing to read stops before any check
        result = CliRunner().invoke(app, ["run", "--input", str(SAMPLES), "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("akhbar: AKHBAR_DASK_ADDRESS is set") and "PREFECT_API_URL" in result.output
    assert not (tmp_path / "d" / "lake").exists()
