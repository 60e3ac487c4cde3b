"""Great Expectations Data Docs that work offline, with one static folder for every run.

GE 1.x renders pages that load bootstrap, jQuery, Font Awesome, bootstrap-table and more from CDNs,
and copies 4 MB of its own static files into every site it builds. Offline the run index is blank
(bootstrap-table draws it) and the pass/fail column empty (Font Awesome draws the marks). After a
run's site is built, `finalize` rewrites its pages to load everything from `reports/static/`, filled
once per asset version from:

* the xstatic packages on PyPI (bootstrap 4.5, jQuery 3.7.1, Font Awesome 6.2: GE's templates ask
  for bootstrap 4.3.1, jQuery 3.7.1, Font Awesome 6.6.0; the icons GE uses are all in 6.2);
* akhbar/static/vendor/: bootstrap-table 1.19.1 (+ filter-control), bootstrap-datepicker 1.9.0 and
  bootstrap-dark 1.1.0, the exact versions GE asks for, copied from their npm packages (none is on
  PyPI), with their licenses;
* GE's own static files (logo, fonts, styles) from the installed great_expectations package.

`write_index` writes reports/index.html, the list of every run's docs.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from pathlib import Path

import akhbar

STATIC = "static"


def _xstatic(module: str) -> tuple[Path, str]:
    import importlib

    pkg = importlib.import_module(f"xstatic.pkg.{module}")
    return Path(pkg.BASE_DIR), pkg.VERSION


def _ge() -> tuple[Path, str]:
    import great_expectations as gx

    return Path(gx.__file__).parent / "render" / "view" / "static", gx.__version__


# Asset folders under reports/static/: name -> (source dir, version, files to copy relative to it or None
# for the whole folder). Each lands in <name>-<version>/, so a GE or package upgrade never changes the
# files older runs' pages point to.
def _assets() -> dict[str, tuple[Path, str, list[str] | None]]:
    bootstrap, bootstrap_v = _xstatic("bootstrap")
    jquery, jquery_v = _xstatic("jquery")
    fa, fa_v = _xstatic("font_awesome")
    ge, ge_v = _ge()
    vendor = Path(akhbar.__file__).resolve().parent / "static" / "vendor"
    fonts = sorted(f"webfonts/{p.name}" for p in (fa / "webfonts").iterdir() if p.suffix in (".woff2", ".ttf"))
    return {
        "bootstrap": (bootstrap, bootstrap_v, ["css/bootstrap.min.css", "js/bootstrap.bundle.min.js"]),
        "jquery": (jquery, jquery_v, ["jquery.min.js"]),
        # all.min.css loads its fonts from ../webfonts/: the woff2 and ttf files, not the 28 MB of svgs
        "font-awesome": (fa, fa_v, ["css/all.min.css", "LICENSE.txt", *fonts]),
        "bootstrap-table": (vendor / "bootstrap-table-1.19.1", "1.19.1", None),
        "bootstrap-datepicker": (vendor / "bootstrap-datepicker-1.9.0", "1.9.0", None),
        "bootstrap-dark": (vendor / "bootstrap-dark-1.1.0", "1.1.0", None),
        "great_expectations": (ge, ge_v, None),
    }


# URL in GE's templates -> (asset, file in it).
CDN = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": ("bootstrap", "css/bootstrap.min.css"),
    # the bundle carries popper, which GE loads on its own (its script tag is dropped)
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "bootstrap",
        "js/bootstrap.bundle.min.js",
    ),
    "https://code.jquery.com/jquery-3.7.1.min.js": ("jquery", "jquery.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": ("font-awesome", "css/all.min.css"),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table",
        "bootstrap-table.min.css",
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table",
        "bootstrap-table.min.js",
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table",
        "extensions/filter-control/bootstrap-table-filter-control.min.js",
    ),
    # GE's templates ask for the filter-control styles of 1.19.0 and 1.19.1 (and the unminified name): one file
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table",
        "extensions/filter-control/bootstrap-table-filter-control.min.css",
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table",
        "extensions/filter-control/bootstrap-table-filter-control.min.css",
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table",
        "extensions/filter-control/bootstrap-table-filter-control.min.css",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker",
        "bootstrap-datepicker.min.css",
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker",
        "bootstrap-datepicker.min.js",
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "bootstrap-dark",
        "bootstrap-prefers-dark.min.css",
    ),
}
# Scripts dropped: popper is in bootstrap's bundle; vega draws the charts of profiling pages, which
# akhbar's validation pages never have (1.5 MB for nothing).
DROPPED_SCRIPTS = (
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/",
    "https://cdn.jsdelivr.net/npm/vega@",
    "https://cdn.jsdelivr.net/npm/vega-lite@",
    "https://cdn.jsdelivr.net/npm/vega-embed@",
)
GE_LOGO = re.compile(r"https://great-expectations-web-assets\.s3\.[\w.-]+\.amazonaws\.com/[\w.-]+\.png(\?[^\"')\s]*)?")
_SCRIPT = re.compile(r'<script src="(https?://[^"]+)"[^>]*>\s*</script>\s*')
_INTEGRITY = re.compile(r'\s+(integrity="[^"]*"|crossorigin="[^"]*")')
_LOCAL_STATIC = re.compile(r'(src|href)="((?:\./|\.\./)*)static/')
_EXTERNAL_LINK = re.compile(r'<a(\s[^>]*?)?\s+href="https?://[^"]*"')
# What the browser test and `external_urls` look for: a URL the page would load or link to.
EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?https?://|url\(\s*["']?https?://""", re.I)


def ensure_static(reports: Path) -> dict[str, Path]:
    """reports/static/<asset>-<version>/ for every asset, copied once (a new version gets a new folder;
    a folder appears whole or not at all: copied beside, then renamed). Returns asset -> folder."""
    folders = {}
    for name, (src, version, files) in _assets().items():
        dest = reports / STATIC / f"{name}-{version}"
        folders[name] = dest
        if dest.exists():
            continue
        tmp = dest.with_name(dest.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        if files is None:
            shutil.copytree(src, tmp)
        else:
            for f in files:
                (tmp / f).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src / f, tmp / f)
        if name == "great_expectations":
            _local_logo(tmp / "styles" / "data_docs_default_styles.css")
        os.replace(tmp, dest)
    return folders


def _local_logo(css: Path) -> None:
    if css.exists():
        css.write_text(GE_LOGO.sub("../images/logo-long.png", css.read_text(encoding="utf-8")), encoding="utf-8")


def _rel(target: Path, page: Path) -> str:
    return Path(os.path.relpath(target, page.parent)).as_posix()


def rewrite_page(text: str, page: Path, site: Path, folders: dict[str, Path]) -> str:
    """One Data Docs page with every CDN asset, GE logo and the site's own static/ pointing into the
    shared folders, relative to `page` (the reports folder can move); external links lose their href
    (offline they go nowhere)."""
    text = _SCRIPT.sub(lambda m: "" if m.group(1).startswith(DROPPED_SCRIPTS) else m.group(0), text)
    for url, (asset, file) in CDN.items():
        if url in text:
            text = text.replace(f'"{url}"', f'"{_rel(folders[asset] / file, page)}"')
    text = _INTEGRITY.sub("", text)  # the hashes were of the CDN's files
    ge = folders["great_expectations"]
    text = GE_LOGO.sub(_rel(ge / "images" / "logo-long.png", page), text)

    def local(m: re.Match) -> str:
        # ./static/ or ../../static/: the site's own copy, which is about to go
        if (page.parent / m.group(2)).resolve() != site.resolve():
            return m.group(0)
        return f'{m.group(1)}="{_rel(ge, page)}/'

    text = _LOCAL_STATIC.sub(local, text)
    return _EXTERNAL_LINK.sub(lambda m: f"<a{m.group(1) or ''}", text)


def finalize(site: Path, reports: Path) -> None:
    """Rewrite every page of one run's site to the shared static folders and drop the site's own copy."""
    folders = ensure_static(reports)
    for page in site.rglob("*.html"):
        page.write_text(rewrite_page(page.read_text(encoding="utf-8"), page, site, folders), encoding="utf-8")
    shutil.rmtree(site / STATIC, ignore_errors=True)


def external_urls(text: str) -> list[str]:
    """Places in a page that would load or link to another host (what must not remain)."""
    return [text[max(0, m.start() - 40) : m.end() + 60] for m in EXTERNAL.finditer(text)]


def run_dirs(reports: Path) -> list[Path]:
    """Run sites under reports/, oldest first (run ids sort by time); the shared static folder is none."""
    if not reports.exists():
        return []
    return sorted(p for p in reports.iterdir() if p.is_dir() and p.name != STATIC)


def write_index(reports: Path, results: dict[str, dict] | None = None) -> Path:
    """reports/index.html: one row per run kept, newest first, with its pass/fail counts, linking to
    its Data Docs. `results` (run id -> {"passed": n, "failed": n}) comes from each run's summary.json."""
    folders = ensure_static(reports)
    rows = []
    for run in reversed([r for r in run_dirs(reports) if (r / "index.html").exists()]):
        counts = (results or {}).get(run.name) or _read_counts(run)
        failed = counts.get("failed", 0)
        mark = "fa-times text-danger" if failed else "fa-check-circle text-success"
        rows.append(
            f'<tr><td><i class="fas {mark}"></i></td>'
            f'<td><a href="{html.escape(run.name)}/index.html">{html.escape(run.name)}</a></td>'
            f"<td>{counts.get('passed', 0)}</td><td>{failed}</td></tr>"
        )
    index = reports / "index.html"
    page = INDEX.format(
        bootstrap=_rel(folders["bootstrap"] / "css/bootstrap.min.css", index),
        fa=_rel(folders["font-awesome"] / "css/all.min.css", index),
        rows="\n".join(rows) or '<tr><td colspan="4">no run yet</td></tr>',
    )
    index.write_text(page, encoding="utf-8")
    return index


def write_counts(site: Path, results: list[dict]) -> None:
    """The run's expectation counts beside its docs, for the runs index."""
    failed = sum(1 for r in results if not r["success"])
    (site / "summary.json").write_text(json.dumps({"passed": len(results) - failed, "failed": failed}))


def _read_counts(run: Path) -> dict:
    try:
        return json.loads((run / "summary.json").read_text())
    except (OSError, ValueError):
        return {}


INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><title>akhbar: validation runs</title>
<link rel="stylesheet" href="{bootstrap}"><link rel="stylesheet" href="{fa}"></head>
<body class="container py-4"><h1 class="h3">akhbar: validation runs</h1>
<p>Great Expectations Data Docs of each run kept (newest first); expectations passed and failed over every suite.</p>
<table class="table table-sm" id="runs"><thead><tr><th></th><th>Run</th><th>Passed</th><th>Failed</th></tr></thead>
<tbody>
{rows}
</tbody></table></body></html>
"""
