"""The sdist and wheel a release would upload: built from a copy of the checkout, their contents
checked, their metadata passed by ``twine check``."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("build", reason="the 'build' package is in the test extras")
pytest.importorskip("twine", reason="the 'twine' package is in the test extras")


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("checkout") / "mine"
    ignore = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "site")
    shutil.copytree(ROOT, source, ignore=ignore)
    out = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir", str(out), str(source)]
    subprocess.run(command, check=True, capture_output=True)
    return out


def test_wheel_holds_the_package_its_data_and_nothing_else(dist):
    (wheel,) = dist.glob("mine_mi-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "mine/__init__.py" in names and "mine/py.typed" in names and "mine/gan/__init__.py" in names
    outside = {n.split("/")[0] for n in names} - {"mine"}
    assert all(part.startswith("mine_mi-") and part.endswith(".dist-info") for part in outside), outside
    assert not [n for n in names if "test" in n.split("/")[-1] or n.endswith((".json", ".csv", ".png"))]
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "Name: mine-mi" in metadata and "Requires-Dist: torch<3,>=2.1" in metadata


def test_sdist_has_no_results_or_docs_build(dist):
    (sdist,) = dist.glob("mine_mi-*.tar.gz")
    names = tarfile.open(sdist).getnames()
    assert any(n.endswith("mine/py.typed") for n in names)
    assert not [n for n in names if "/benchmarks/results/" in n or "/site/" in n or n.endswith(".pt")]


def test_twine_check_passes(dist):
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.iterdir())], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
