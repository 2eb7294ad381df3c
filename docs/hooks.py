"""mkdocs hooks: the benchmark figures (``benchmarks/results/*.png``) are served at ``results/``, and
links to them from a page (written ``../benchmarks/results/NAME.png`` so they work on GitHub too)
are pointed there."""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


def on_files(files, config):
    for figure in sorted(RESULTS.glob("*.png")):
        files.append(File.generated(config, f"results/{figure.name}", abs_src_path=str(figure)))
    return files


def on_page_markdown(markdown, page, config, files):
    depth = page.file.src_uri.count("/")
    return markdown.replace("../benchmarks/results/", "../" * depth + "results/")
