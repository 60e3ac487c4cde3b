"""The run ledger's accounting: counters that balance, and published tables that hold what the
counters say."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from akhbar.schemas.tables import QUARANTINE
from akhbar.tasks.ledger import AccountingError, RunLedger, Staging


def ledger(tmp_path, **counts) -> RunLedger:
    led = RunLedger(Staging(tmp_path / "staging" / "r1"))
    led.counts.update(counts)
    return led


def quarantine_file(tmp_path, rows: int):
    path = tmp_path / "quarantine.parquet"
    pq.write_table(
        pa.Table.from_pylist(
            [{"source_uri": f"f{i}.jsonl", "reason": "bad line"} for i in range(rows)], schema=QUARANTINE
        ),
        path,
    )
    return path


def test_records_read_must_all_be_accounted_for(tmp_path):
    ledger(tmp_path, records_read=5, articles_clean=3, quarantined=2).check()
    with pytest.raises(AccountingError, match="read 5, accounted 4"):
        ledger(tmp_path, records_read=5, articles_clean=3, quarantined=1).check()


def test_a_quarantine_row_lost_between_the_counters_and_the_table_stops_the_run(tmp_path):
    led = ledger(tmp_path, records_read=2, quarantined=2)
    led.check()  # the counters balance ...
    with pytest.raises(AccountingError, match="quarantine table holds 1 rows, its counters 2"):
        led.check_assembled({"quarantine": quarantine_file(tmp_path, 1)})  # ... but a row went missing
    led.check_assembled({"quarantine": quarantine_file(tmp_path, 2)})


def test_no_articles_table_for_counted_articles_stops_the_run(tmp_path):
    with pytest.raises(AccountingError, match="articles table holds 0 rows, its counters 3"):
        ledger(tmp_path, records_read=3, articles_clean=2, duplicates_exact=1).check_assembled({})
