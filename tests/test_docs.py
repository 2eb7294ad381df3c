"""The documentation: every public name has a docstring, and the site builds strictly."""

import importlib
import inspect
import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mine

ROOT = Path(__file__).resolve().parents[1]


def _public_modules():
    names = ["mine"] + [f"mine.{m.name}" for m in pkgutil.iter_modules(mine.__path__) if not m.name.startswith("_")]
    for package in ("mine.gan", "mine.candidates"):
        names += [f"{package}.{m.name}" for m in pkgutil.iter_modules(importlib.import_module(package).__path__)]
    return names


def _undocumented():
    missing = []
    for name in _public_modules():
        module = importlib.import_module(name)
        if not inspect.getdoc(module):
            missing.append(name)
        for attr in getattr(module, "__all__", [n for n in vars(module) if not n.startswith("_")]):
            obj = getattr(module, attr, None)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or obj.__module__ != name:
                continue
            if not obj.__doc__:
                missing.append(f"{name}.{attr}")
            if inspect.isclass(obj):
                for member, value in vars(obj).items():
                    if not member.startswith("_") and (inspect.isfunction(value) or isinstance(value, property)):
                        if not value.__doc__:
                            missing.append(f"{name}.{attr}.{member}")
    return missing


def test_every_public_name_has_a_docstring():
    assert _undocumented() == []


def test_public_callables_with_parameters_document_them_numpy_style():
    """A class or function of two or more parameters has a numpy-style Parameters section."""
    missing = []
    for name in _public_modules():
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", [n for n in vars(module) if not n.startswith("_")]):
            obj = getattr(module, attr, None)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or obj.__module__ != name:
                continue
            if getattr(obj, "_is_protocol", False):  # an interface, never constructed
                continue
            try:
                params = [p for p in inspect.signature(obj).parameters if p != "self"]
            except (TypeError, ValueError):
                continue
            if len(params) >= 2 and "Parameters\n" not in inspect.getdoc(obj) + "\n":
                missing.append(f"{name}.{attr}")
    assert missing == []


@pytest.mark.skipif(
    shutil.which("mkdocs") is None and importlib.util.find_spec("mkdocs") is None,
    reason="the docs tools are not installed: pip install -e '.[docs]'",
)
def test_the_docs_site_builds_strictly(tmp_path):
    """mkdocs build --strict: a broken link, a missing page or an API name mkdocstrings cannot
    resolve fails the build (mkdocs.yml sets strict: true)."""
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "api" / "estimators" / "index.html").read_text().count("mi_interval") >= 1
    assert (tmp_path / "results" / "staircase.png").stat().st_size > 10_000


def test_every_rendered_table_in_the_guide_comes_from_a_results_file():
    """Each ``<!-- render: NAME -->`` line names a registered table, which renders as a markdown
    table followed by the results file it came from; an unknown name is an error, not a blank."""
    from benchmarks.render import PLACEHOLDER, RENDERERS, render, render_page

    names = {m.group(1) for page in (ROOT / "docs").rglob("*.md") for m in PLACEHOLDER.finditer(page.read_text())}
    assert names <= set(RENDERERS), names - set(RENDERERS)
    for name in names:
        table = render(name)
        assert table.startswith("| ") and "|---|" in table
        assert table.splitlines()[-1].startswith("*From `benchmarks/results/")
    page = "text\n<!-- render: bias -->\nmore"
    assert "| family | a side |" in render_page(page) and "<!-- render" not in render_page(page)
    with pytest.raises(ValueError, match="no table named 'nothing'"):
        render_page("<!-- render: nothing -->")


def test_no_measured_figure_is_typed_into_a_table_of_the_guide():
    """A guide page's tables of figures are rendered from results files: a typed table row holding a
    measured-looking number (two or more decimals, or a percentage with a decimal) fails. Formula
    and settings tables have none; the measurement notes (docs/notes/) are exempt."""
    import re

    measured = re.compile(r"(?<![\w.])-?\d+\.\d{2,}\b|\d+\.\d%")
    typed = [
        f"{page.name}: {line[:80]}"
        for page in sorted((ROOT / "docs").glob("*.md"))
        for line in page.read_text().splitlines()
        if line.startswith("|") and measured.search(line)
    ]
    assert not typed, typed
    assert measured.search("| bp | 0.093 |") and measured.search("| x | 5.0% |") and not measured.search("| 1e-3 | 2 |")


def test_guide_pages_and_their_rendered_tables_name_no_commit():
    """The user guide names versions and dates; commits stay in the results files."""
    import re

    from benchmarks.render import render_page

    commit = re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b")
    found = [
        f"{page.name}: {match.group(0)}"
        for page in sorted((ROOT / "docs").glob("*.md"))
        for match in commit.finditer(render_page(page.read_text()))
    ]
    assert not found, found
    assert commit.search("made at 05bc461") and not commit.search("1000000 rows, a decade")
