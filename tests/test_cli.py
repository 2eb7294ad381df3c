import json
import re

import numpy as np
import pytest

from mine.cli import main, parse_columns, read_table
from mine.gaussian import mi_correlated, sample_correlated

QUICK = ["--max-steps", "40", "--batch-size", "32", "--quiet"]


@pytest.fixture
def table():
    x, z = sample_correlated(300, 0.9, 2, random_state=0)
    return np.hstack([x, z])


def test_parse_columns():
    names = ["a", "b", "c", "d"]
    assert parse_columns("a,c", 4, names) == [0, 2]
    assert parse_columns("0:2", 4, names) == [0, 1]
    assert parse_columns("2:", 4, None) == [2, 3]
    assert parse_columns("-1,b", 4, names) == [3, 1]
    with pytest.raises(ValueError, match="unknown column 'e'; column names: a, b, c, d"):
        parse_columns("e", 4, names)
    with pytest.raises(ValueError, match="out of range"):
        parse_columns("7", 4, names)


def test_estimate_from_csv_with_header(tmp_path, table, capsys):
    path = tmp_path / "data.csv"
    np.savetxt(path, table, delimiter=",", header="x1,x2,z1,z2", comments="")
    assert main(["estimate", str(path), "--x", "x1,x2", "--z", "z1,z2", "--json", *QUICK]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["units"] == "nats" and report["heldout_samples"] == 300 and report["folds"] == 2
    assert np.isfinite(report["mi"])
    kinds = [kind for fold in report["kept"] for kind in fold]  # what each held-out half kept
    assert len(kinds) == 4 and set(kinds) <= {"constant", "network", *report["candidates"]}
    assert report["candidates"] == ["gaussian", "student_t", "data_scale"]  # offered to each half
    assert [len(fold) for fold in report["chosen"]] == [2, 2]  # the same in words


def test_the_closed_form_candidates_are_chosen_from_the_command_line(tmp_path, table, capsys):
    """``--candidates none`` is MINE(candidates="none"): only the network or the constant critic can
    be kept; ``--candidates gaussian`` offers that family alone; a word that names no family is
    refused, and so is the old flag."""
    path = tmp_path / "data.csv"
    np.savetxt(path, table, delimiter=",", header="x1,x2,z1,z2", comments="")
    args = ["estimate", str(path), "--x", "x1,x2", "--z", "z1,z2", "--json", *QUICK]
    assert main([*args, "--candidates", "none"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["candidates"] == [] and {k for fold in report["kept"] for k in fold} <= {"constant", "network"}
    assert main([*args, "--candidates", "gaussian"]) == 0
    assert json.loads(capsys.readouterr().out)["candidates"] == ["gaussian"]
    for bad in (["--candidates", "copula"], ["--gaussian-critic", "false"]):
        with pytest.raises(SystemExit):
            main([*args, *bad])


def test_estimate_from_npy_and_npz_agree_with_the_library(tmp_path, table, capsys):
    from mine import MINE

    np.save(tmp_path / "data.npy", table)
    np.savez(tmp_path / "data.npz", x=table[:, :2], z=table[:, 2:])
    expected = MINE(max_steps=40, batch_size=32, random_state=0).fit(table[:, :2], table[:, 2:]).mi()
    assert main(["estimate", str(tmp_path / "data.npy"), "--x", "0:2", "--z", "2:4", "--json", *QUICK]) == 0
    assert json.loads(capsys.readouterr().out)["mi"] == pytest.approx(expected)
    assert main(["estimate", str(tmp_path / "data.npz"), "--json", *QUICK]) == 0
    assert json.loads(capsys.readouterr().out)["mi"] == pytest.approx(expected)


def test_text_output_mentions_heldout_and_infonce_cap(tmp_path, table, capsys):
    np.save(tmp_path / "data.npy", table)
    assert main(["estimate", str(tmp_path / "data.npy"), "--x", "0,1", "--z", "2,3", "--bound", "infonce", *QUICK]) == 0
    out = capsys.readouterr().out
    assert "I(X; Z) >= " in out and "(95% lower confidence bound); estimate " in out
    assert "held-out evaluation: 300 samples" in out
    assert "cannot exceed log(batch_size) = 3.4657" in out


def test_demo_prints_estimate_and_truth(capsys):
    assert main(["demo", "--dim", "1", "--mi", "0.5", "--n", "500", "--json", *QUICK]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["truth"] == pytest.approx(0.5) and report["mi_lower_95"] <= report["mi"]
    assert report["truth"] == pytest.approx(mi_correlated(float(np.sqrt(1 - np.exp(-1.0))), 1))


@pytest.mark.parametrize(
    "content,args,message",
    [
        ("a,b\n1,x\n", ["--x", "a", "--z", "b"], "the value 'x' at line 2, column 'b'"),
        ("a,b\n1,2\n3,4\n", ["--x", "a", "--z", "q"], "unknown column 'q'"),
        ("a,b\n1,2\n3,4\n", [], "--x and --z are required"),
        ("a,b\n1,2\n3,4\n", ["--x", "a", "--z", "b"], "too few samples"),
    ],
)
def test_estimate_errors_are_reported_cleanly(tmp_path, capsys, content, args, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    assert main(["estimate", str(path), *args, "--quiet"]) == 2
    assert message in capsys.readouterr().err


def test_missing_file(capsys):
    assert main(["estimate", "nowhere.csv", "--x", "0", "--z", "1"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_read_table_without_header(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("1,2\n3,4\n")
    table = read_table(path)
    assert table.names is None and table.frame.shape == (2, 2)


def test_python_dash_m_runs_the_command():
    import subprocess
    import sys

    import mine

    done = subprocess.run([sys.executable, "-m", "mine", "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.strip() == f"mine {mine.__version__}"


def test_estimate_help_lists_every_mine_parameter_with_its_default(capsys):
    import inspect

    from mine import MINE

    with pytest.raises(SystemExit):
        main(["estimate", "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    section = text.split("estimator (every parameter of mine.MINE):", 1)[1]
    # entries end at "(default: VALUE...)": the text before each marker starts with its flag
    parts = re.split(r"\(default: (\(.*?\)|[^;)]*)[^)]*\)", section)
    entries = {re.match(r"\s*(--[\w-]+)", text).group(1): default for text, default in zip(parts[::2], parts[1::2])}
    for p in inspect.signature(MINE).parameters.values():
        flag = "--" + p.name.replace("_", "-")
        cli_default = {"random_state": 0, "verbose": True}.get(p.name, p.default)
        assert entries.get(flag) == str(cli_default), (flag, entries.get(flag))
    assert "Seed of the split" in section  # the docstring line of random_state


def test_estimate_options_reach_the_estimator():
    from mine.cli import MINE_OPTIONS, _estimator, _parser

    args = _parser().parse_args(
        [
            "estimate",
            "f.csv",
            "--hidden",
            "16",
            "8",
            "--ema-rate",
            "none",
            "--bound",
            "f",
            "--divergence",
            "alpha",
            "--divergence-param",
            "alpha=2",
            "--preprocessing",
            "standard",
            "--seed",
            "3",
            "--quiet",
            "--dtype",
            "float64",
            "--lr",
            "1e-3",
        ]
    )
    est = _estimator(args)
    assert est.get_params() == {
        **{o.name: o.default for o in MINE_OPTIONS},
        "hidden": (16, 8),
        "ema_rate": None,
        "bound": "f",
        "divergence": "alpha",
        "divergence_params": {"alpha": 2.0},
        "preprocessing": "standard",
        "random_state": 3,
        "verbose": False,
        "dtype": "float64",
        "lr": 1e-3,
    }
    defaults = _estimator(_parser().parse_args(["estimate", "f.csv"])).get_params()
    assert defaults == {**{o.name: o.default for o in MINE_OPTIONS}, "random_state": 0, "verbose": True}


def test_bad_option_values_are_errors_not_numbers(tmp_path, table, capsys):
    np.save(tmp_path / "data.npy", table)
    for bad in (["--lr", "nan"], ["--lr", "-1"], ["--ema-rate", "2"], ["--max-steps", "0"]):
        assert main(["estimate", str(tmp_path / "data.npy"), "--x", "0", "--z", "1", *QUICK, *bad]) == 2
        assert "MINE: " + bad[0][2:].replace("-", "_") + " must be" in capsys.readouterr().err


# --- data files read with pandas: only the selected columns are numbers ------------------------------
def _messy_csv(path, table, extra_header="id,label"):
    lines = [f"{extra_header},x1,x2,z1,z2"]
    lines += [f"r{i},cat {i % 3},{a:.6f},{b:.6f},{c:.6f},{d:.6f}" for i, (a, b, c, d) in enumerate(table)]
    path.write_text("\n".join(lines) + "\n")


def test_an_unselected_text_column_does_no_harm(tmp_path, table, capsys):
    from mine import MINE

    path = tmp_path / "messy.csv"
    _messy_csv(path, table)
    assert main(["estimate", str(path), "--x", "x1,x2", "--z", "z1,z2", "--json", *QUICK]) == 0
    report = json.loads(capsys.readouterr().out)
    rounded = np.round(table, 6)  # what the file holds
    expected = MINE(max_steps=40, batch_size=32, random_state=0).fit(rounded[:, :2], rounded[:, 2:])
    assert report["mi"] == pytest.approx(expected.mi())
    assert report["x_columns"] == ["x1", "x2"] and report["z_columns"] == ["z1", "z2"]
    assert report["n_samples"] == 300 and report["parameters"]["max_steps"] == 40


@pytest.mark.parametrize("cell,what", [("", "an empty cell"), ("n/a", "the value 'n/a'"), ("nan", "the value 'nan'")])
def test_a_bad_cell_in_a_selected_column_is_named_by_line_and_column(tmp_path, table, capsys, cell, what):
    path = tmp_path / "messy.csv"
    _messy_csv(path, table)
    lines = path.read_text().splitlines()
    parts = lines[7].split(",")
    parts[3] = cell  # x2 on line 8 of the file
    lines[7] = ",".join(parts)
    path.write_text("\n".join(lines) + "\n")
    assert main(["estimate", str(path), "--x", "x1,x2", "--z", "z1,z2", *QUICK]) == 2
    assert f"{what} at line 8, column 'x2'" in capsys.readouterr().err
    # the same bad cell outside the selection is not read as a number at all
    assert main(["estimate", str(path), "--x", "x1", "--z", "z1,z2", *QUICK]) == 0


def test_header_detection_and_override(tmp_path):
    from mine.datafiles import detect_header

    assert detect_header([["a", "b"], ["1", "2"]])
    assert not detect_header([["1", "2"], ["3", "4"]])
    # integer names (years, column numbers) over real-valued data are a header
    assert detect_header([["2019", "2020"], ["0.5", "1.25"], ["0.1", "2.0"]])
    path = tmp_path / "years.csv"
    path.write_text("2019,2020\n0.5,1.25\n0.1,2.0\n")
    assert read_table(path).names == ["2019", "2020"]
    assert read_table(path, header="no").names is None and read_table(path, header="no").frame.shape == (3, 2)
    assert parse_columns("2020", 2, ["2019", "2020"]) == [1]  # a name wins over an index


def test_tsv_parquet_and_txt_read_like_csv(tmp_path, table):
    import pandas as pd

    from mine.datafiles import select

    frame = pd.DataFrame(table, columns=["x1", "x2", "z1", "z2"])
    frame.to_csv(tmp_path / "d.tsv", sep="\t", index=False)
    frame.to_csv(tmp_path / "d.txt", sep=";", index=False)
    frame.to_parquet(tmp_path / "d.parquet")
    for name in ("d.tsv", "d.txt", "d.parquet"):
        x, labels = select(read_table(tmp_path / name), "x1,x2", "x")
        assert labels == ["x1", "x2"] and np.allclose(x, table[:, :2]), name


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe"), "not a text file"),
        (lambda p: p.write_text("a,b\n"), "has a header and no data rows"),
        (lambda p: p.write_text("\n\n"), "is empty"),
    ],
)
def test_unreadable_files_are_one_line_errors(tmp_path, capsys, make, message):
    path = tmp_path / "data.csv"
    make(path)
    assert main(["estimate", str(path), "--x", "0", "--z", "1", *QUICK]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_plot_option_writes_the_training_curves(tmp_path, table, capsys):
    np.save(tmp_path / "data.npy", table)
    out = tmp_path / "curves.png"
    assert (
        main(["estimate", str(tmp_path / "data.npy"), "--x", "0:2", "--z", "2:4", "--plot", str(out), "--json", *QUICK])
        == 0
    )
    assert json.loads(capsys.readouterr().out)["plot"] == str(out) and out.stat().st_size > 10_000


def test_cmi_command_reads_three_column_sets_and_equals_the_library(tmp_path, capsys):
    import pandas as pd

    from mine import MINE, ConditionalMI

    rng = np.random.default_rng(0)
    z = rng.normal(size=400)
    x = z + rng.normal(size=400)
    y = x + z + rng.normal(size=400)
    pd.DataFrame({"a": x, "b": y, "c": z}).to_csv(tmp_path / "xyz.csv", index=False)
    args = ["cmi", str(tmp_path / "xyz.csv"), "--x", "a", "--y", "b", "--z", "c", *QUICK]
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    expected = ConditionalMI(MINE(max_steps=40, batch_size=32, random_state=0)).fit(x, y, z)
    assert report["cmi"] == pytest.approx(expected.mi()) and report["x_columns"] == ["a"]
    assert report["cmi"] == pytest.approx(report["mi_x_yz"] - report["mi_x_z"])
    assert main([*args[:6], "--z", "a", *QUICK]) == 2
    assert "z holds a copy of x" in capsys.readouterr().err
