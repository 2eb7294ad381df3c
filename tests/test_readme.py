"""The README's quick start and .ci/run must say the same two commands."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.strip() for line in block.splitlines() if line.strip()]


def test_quick_start_is_two_commands_and_ci_runs_them():
    commands = quick_start_commands()
    assert len(commands) == 2
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert commands[0] in ci
    assert commands[1] in ci
    assert "constraints.txt" in commands[0] and "mine demo" in commands[0]


def test_constraints_pin_the_local_cpu_torch_and_setup_keeps_a_range():
    assert "torch==2.13.0" in (ROOT / "constraints.txt").read_text()
    setup = (ROOT / "setup.cfg").read_text()
    assert re.search(r"^\s*torch>=[\d.]+,<\d+\s*$", setup, re.M)


def test_install_lines_name_this_distribution_not_the_other_mine():
    # "mine" on the package index is an unrelated project; ours is published as "mine-mi"
    assert re.search(r"^name = mine-mi$", (ROOT / "setup.cfg").read_text(), re.M)
    texts = [ROOT / "README.md", *ROOT.glob("docs/**/*.md"), *ROOT.glob("mine/**/*.py"), *ROOT.glob("examples/**/*")]
    for path in texts:
        if path.is_file() and path.suffix in {".md", ".py", ".txt", ".sh"}:
            text = path.read_text()
            assert not re.search(r"""install\s+["']?mine(\[|["'\s]|$)""", text, re.M), path
