"""Data Docs offline: after a real run on the bundled sample, headless Chromium with every outside
request sent to a dead proxy renders the run's validation list with its pass/fail marks, a failing
row named by article_id, and the runs index; no page holds an external URL."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_serve  # noqa: E402  (its chromium fixture and headless call, shared)
from akhbar.tasks import data_docs  # noqa: E402

chromium = test_serve.chromium
headless = test_serve.headless
OUT = test_serve.OUT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("prefect")]

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "landing"
# Port 9 (discard) on loopback: nothing listens, so any request leaving the page fails at once.
OFFLINE = ["--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]


@pytest.fixture(scope="module")
def docs_run(prefect_harness, tmp_path_factory):
    from akhbar.flows.nightly import nightly
    from akhbar.flows.params import RunParameters

    data = tmp_path_factory.mktemp("docs-warehouse")
    summary = nightly(RunParameters(inputs=[str(SAMPLES)], data_dir=str(data)))
    return data, summary


def test_no_page_holds_an_external_url_and_static_files_are_shared(docs_run):
    data, summary = docs_run
    reports = data / "reports"
    pages = list(reports.rglob("*.html"))
    assert len(pages) > 10
    found = {str(p.relative_to(reports)): data_docs.external_urls(p.read_text(encoding="utf-8")) for p in pages}
    assert {p: urls for p, urls in found.items() if urls} == {}
    site = reports / summary["run_id"]
    assert not (site / "static").exists()  # no 4 MB copy per run
    assert (reports / "static").is_dir() and (reports / "index.html").is_file()


def test_run_docs_render_offline_with_results_and_marks(docs_run, chromium, tmp_path):
    data, summary = docs_run
    index = Path(summary["data_docs"])
    done = headless(chromium, tmp_path / "profile", *OFFLINE, "--dump-dom", index.as_uri())
    dom = done.stdout
    # bootstrap-table drew the list (the rows exist only in a script's data until it runs)
    rows = re.findall(r'<tr class="clickable-row"[^>]*data-index="\d+"', dom)
    assert len(rows) >= 8, f"results list not drawn offline:\n{dom[-3000:]}\n{done.stderr[-2000:]}"
    assert dom.count(summary["run_id"]) >= len(rows)  # Run Name is akhbar's run id, not __none__
    assert "__none__" not in dom
    assert "ge-success-icon" in dom and "ge-failed-icon" in dom

    shot = tmp_path / "data_docs_index.png"
    done = headless(chromium, tmp_path / "profile", *OFFLINE, f"--screenshot={shot}", index.as_uri())
    assert shot.exists() and shot.stat().st_size > 10_000, done.stderr[-2000:]
    OUT.mkdir(exist_ok=True)
    shutil.copy(shot, OUT / "data_docs_index.png")


def test_failing_rows_are_named_by_article_id(docs_run, chromium, tmp_path):
    data, summary = docs_run
    page = next((data / "reports" / summary["run_id"] / "validations" / "articles").rglob("*.html"))
    dom = headless(chromium, tmp_path / "profile", *OFFLINE, "--dump-dom", page.as_uri()).stdout
    assert "article_id" in dom and "unexpected values found" in dom
    assert re.search(r"[0-9a-f]{20}", dom)  # an article id in the unexpected rows' table


def test_runs_index_lists_the_run_offline(docs_run, chromium, tmp_path):
    data, summary = docs_run
    index = data / "reports" / "index.html"
    dom = headless(chromium, tmp_path / "profile", *OFFLINE, "--dump-dom", index.as_uri()).stdout
    assert f'href="{summary["run_id"]}/index.html"' in dom
