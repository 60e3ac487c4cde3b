"""A run's start-up: Prefect's temporary API starts in the background while the run's process sets up the
stages it runs itself (a night of one partition), and not at all when a server is configured."""

from __future__ import annotations

import json

from akhbar.flows import pipeline
from akhbar.flows.nightly import run_settings, runs_in_this_process, warm_up
from akhbar.flows.params import RunParameters
from akhbar.tasks.read import discover_files
from prefect.settings import PREFECT_API_URL, temporary_settings

from akhbar.env import start_temporary_api
from akhbar.settings import get_settings


def test_no_temporary_api_when_a_server_is_configured():
    with temporary_settings(updates={PREFECT_API_URL: "http://prefect.internal:4200/api"}):
        assert start_temporary_api() is None


def test_which_runs_keep_their_stages_in_this_process():
    assert runs_in_this_process(get_settings(workers=2), 1)
    assert runs_in_this_process(get_settings(workers=2), 2)  # a small night: no pool to start
    assert runs_in_this_process(get_settings(workers=1), 8)
    assert not runs_in_this_process(get_settings(workers=2), 3)
    assert not runs_in_this_process(get_settings(workers=2, dask_address="tcp://10.0.0.5:8786"), 1)


def _landing(tmp_path, name: str, records: int) -> list:
    path = tmp_path / name
    line = json.dumps({"id": "x", "text": "نص الخبر " * 60}, ensure_ascii=False) + "\n"
    path.write_text(line * records, encoding="utf-8")
    return discover_files([path])[0]


def test_a_one_partition_night_sets_up_its_row_checks_before_the_flow(tmp_path, monkeypatch):
    monkeypatch.setenv("AKHBAR_WORKERS", "2")
    params = RunParameters(inputs=[str(tmp_path)], data_dir=str(tmp_path / "d"), batch_size=100)
    key = run_settings(params).model_dump_json()

    pipeline._checkers.clear()
    warm_up(params, _landing(tmp_path, "many.jsonl", 400))  # ~450 kB: ~440 records guessed, 5 partitions
    assert pipeline._checkers == {}  # the checking process sets itself up, not this one

    warm_up(params, _landing(tmp_path, "night.jsonl", 20))  # one partition: the checks run in this process
    assert list(pipeline._checkers) == [key]  # the very settings the flow's partitions will ask for
