"""`pip install .` puts the product under the `akhbar` namespace only (issue 15): no top-level `tasks`,
`flows`, `schemas` or `warehouse` in site-packages, and every module imports from the installed copy."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

# imports every installed akhbar module from the target dir and reports where each came from
IMPORT_ALL = """
import importlib, json, pkgutil, sys
import akhbar
names = [m.name for m in pkgutil.walk_packages(akhbar.__path__, "akhbar.")]
files = {n: importlib.import_module(n).__file__ for n in names}
print(json.dumps({"path": list(akhbar.__path__), "files": files}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("akhbar-*.whl")
    return built


def test_the_wheel_holds_only_the_akhbar_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {
        "akhbar",
        f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info",
    }
    # the product's folders, their SQL and rules included, are inside the namespace
    for inside in (
        "akhbar/tasks/clean.py",
        "akhbar/flows/nightly.py",
        "akhbar/schemas/tables.py",
        "akhbar/warehouse/20_marts.sql",
    ):
        assert inside in names


def test_an_installed_copy_imports_every_module_from_itself(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    top = {p.name for p in target.iterdir() if not p.name.endswith(".dist-info")}
    assert top == {"akhbar"} or top == {"akhbar", "bin"}
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL],
        cwd=tmp_path,  # not the checkout: nothing may come from it
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "GX_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["path"] == [str(target / "akhbar")]
    assert {"akhbar.tasks.clean", "akhbar.flows.nightly", "akhbar.schemas.tables", "akhbar.warehouse"} <= set(
        found["files"]
    )
    outside = {n: f for n, f in found["files"].items() if not f.startswith(str(target))}
    assert outside == {}
