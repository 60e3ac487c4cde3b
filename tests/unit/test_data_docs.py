"""Data Docs offline (tasks/data_docs.py): pages rewritten to the shared static folder, no CDN left,
the site's own static copy gone, the runs index listing the runs kept."""

from __future__ import annotations

from akhbar.tasks import data_docs
from akhbar.tasks.validate import prune_reports

PAGE = """<html><head>
<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>
<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>
<link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css">
<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>
<script src="https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js" integrity="sha384-x" crossorigin="anonymous"></script>
<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js" integrity="sha384-y" crossorigin="anonymous"></script>
<script src="https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js"></script>
<link rel="shortcut icon" href="../../static/images/favicon.ico"/>
<style>.x { background: url('https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/full_logo_dark.png') }</style>
</head><body><img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=20261201T1">
<a href="https://greatexpectations.io">Great Expectations</a> <a href="#top">top</a></body></html>"""


def test_a_page_loads_everything_from_the_shared_static_folder(tmp_path):
    reports = tmp_path / "reports"
    site = reports / "20260101T000000Z-abc"
    # the page sits two folders below the site: ../../static/ is the site's own copy
    page = site / "validations" / "x" / "p.html"
    page.parent.mkdir(parents=True)
    page.write_text(PAGE, encoding="utf-8")
    (site / "static" / "images").mkdir(parents=True)
    data_docs.finalize(site, reports)

    text = page.read_text(encoding="utf-8")
    assert data_docs.external_urls(text) == []
    assert "vega" not in text and "popper" not in text and "integrity=" not in text
    up = "../../../static"  # validations/x/ is two folders below the site, the site one below reports/
    assert f'src="{up}/jquery-3.7.1/jquery.min.js"' in text
    assert f'href="{up}/bootstrap-4.5.3/css/bootstrap.min.css"' in text
    assert f'src="{up}/bootstrap-4.5.3/js/bootstrap.bundle.min.js"' in text
    ge_dir = next((reports / "static").glob("great_expectations-*")).name
    assert f'href="{up}/{ge_dir}/images/favicon.ico"' in text
    assert f"url('{up}/{ge_dir}/images/logo-long.png')" in text and f'src="{up}/{ge_dir}/images/logo-long.png"' in text
    assert "<a>Great Expectations</a>" in text and '<a href="#top">' in text
    assert not (site / "static").exists()
    # every file a rewritten page points at exists
    for rel in (
        "jquery-3.7.1/jquery.min.js",
        "font-awesome-6.2.1/css/all.min.css",
        "bootstrap-table-1.19.1/bootstrap-table.min.js",
    ):
        assert (reports / "static" / rel).is_file(), rel
    assert (reports / "static" / "font-awesome-6.2.1" / "webfonts" / "fa-solid-900.woff2").is_file()
    ge = next((reports / "static").glob("great_expectations-*"))
    assert "amazonaws" not in (ge / "styles" / "data_docs_default_styles.css").read_text(encoding="utf-8")


def test_static_folders_are_written_once_and_shared(tmp_path):
    first = data_docs.ensure_static(tmp_path)
    marker = first["jquery"] / "jquery.min.js"
    stamp = marker.stat().st_mtime_ns
    again = data_docs.ensure_static(tmp_path)
    assert again == first and marker.stat().st_mtime_ns == stamp
    assert not list(tmp_path.glob("static/*.tmp"))


def test_prune_keeps_the_newest_runs_and_the_index_lists_them(tmp_path):
    reports = tmp_path / "reports"
    for i, failed in enumerate((0, 2, 0, 1)):
        site = reports / f"2026010{i + 1}T000000Z-r{i}"
        site.mkdir(parents=True)
        (site / "index.html").write_text("<html></html>")
        data_docs.write_counts(site, [{"success": True}] * 5 + [{"success": False}] * failed)
    prune_reports(reports, keep=3)
    kept = sorted(p.name for p in data_docs.run_dirs(reports))
    assert kept == ["20260102T000000Z-r1", "20260103T000000Z-r2", "20260104T000000Z-r3"]
    assert (reports / "static").is_dir()  # the shared folder is no run: never pruned
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert index.index("r3/index.html") < index.index("r2/index.html") < index.index("r1/index.html")
    assert "r0/" not in index
    assert '<td>5</td><td>2</td>' in index and "fa-times text-danger" in index
    assert data_docs.external_urls(index) == []


def test_docs_of_runs_before_offline_docs_are_made_offline_by_the_next_prune(tmp_path):
    reports = tmp_path / "reports"
    old = reports / "20250101T000000Z-old"
    (old / "static" / "images").mkdir(parents=True)
    (old / "index.html").write_text(PAGE, encoding="utf-8")
    prune_reports(reports, keep=5)
    assert not (old / "static").exists()
    assert data_docs.external_urls((old / "index.html").read_text(encoding="utf-8")) == []
    assert 'src="../static/jquery-3.7.1/jquery.min.js"' in (old / "index.html").read_text(encoding="utf-8")
