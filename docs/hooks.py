"""mkdocs hooks: the benchmark figures (``benchmarks/results/*.png``) are served at ``results/``, and
links to them from a page (written ``../benchmarks/results/NAME.png`` so they work on GitHub too)
are pointed there; ``<!-- render: NAME -->`` lines become tables rendered from the results files
(``benchmarks/render.py``)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))  # the benchmarks package renders the tables

from benchmarks.render import render_page  # noqa: E402


def on_files(files, config):
    for figure in sorted(RESULTS.glob("*.png")):
        files.append(File.generated(config, f"results/{figure.name}", abs_src_path=str(figure)))
    return files


def on_page_markdown(markdown, page, config, files):
    depth = page.file.src_uri.count("/")  # written (../)*(depth + 1)benchmarks/results/ for GitHub
    return re.sub(r"(\.\./)+benchmarks/results/", "../" * depth + "results/", render_page(markdown))
