"""The ``mine`` command: estimate MI from a data file, run the correlated-Gaussian demo, train a GAN."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import math
import re
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch.distributed as dist

from . import __version__
from ._validation import Boolean, Options
from .conditional import ConditionalMI
from .datafiles import overlap, parse_columns, read_table, select
from .distributed import init_from_env, is_main_process, world
from .estimator import MINE, UNITS
from .gan.train import GANConfig, train_gan
from .gaussian import mi_correlated, rho_for_mi, sample_correlated

__all__ = ["main", "parse_columns", "read_table"]  # the last two from mine.datafiles


# --- options derived from signatures: nothing typed twice ------------------------------------------
@dataclass(frozen=True)
class _Option:
    """One constructor parameter as a command-line option."""

    name: str
    default: Any
    annotation: str
    help: str = ""
    choices: tuple[str, ...] | None = None


def _parameter_help(cls) -> dict[str, str]:
    """Each parameter's description from a numpy-style "Parameters" section (``a, b : type`` lines)."""
    lines = (inspect.getdoc(cls) or "").splitlines()
    if "Parameters" not in lines:
        return {}
    docs: dict[str, list[str]] = {}
    names: list[str] = []
    for line in lines[lines.index("Parameters") + 2 :]:
        if line.startswith(" ") and names:
            for name in names:
                docs[name].append(line.strip())
        elif " : " in line:
            names = [n.strip() for n in line.split(" : ")[0].split(",")]
            docs.update({n: [] for n in names})
        elif line.strip():
            break  # the next section
    return {
        name: re.sub(r":\w+:`([^`]+)`|``([^`]+)``", lambda m: m.group(1) or m.group(2), " ".join(text))
        for name, text in docs.items()
    }


BOOLEAN_WORDS = {"true": True, "false": False}


def _choices(constraints: list) -> tuple[str, ...] | None:
    """The valid strings of a parameter constrained to options (a command line passes only strings),
    with "true" and "false" where it also takes a bool."""
    options = [c for c in constraints if isinstance(c, Options)]
    if not options:
        return None
    return tuple(options[0].current()) + (tuple(BOOLEAN_WORDS) if Boolean in constraints else ())


def _signature_options(cls, constraints: dict) -> list[_Option]:
    """MINE's parameters: default, annotation, docstring line, choices from its constraints."""
    docs = _parameter_help(cls)
    return [
        _Option(p.name, p.default, str(p.annotation), docs.get(p.name, ""), _choices(constraints.get(p.name, [])))
        for p in inspect.signature(cls).parameters.values()
    ]


def _field_options(config_cls, constraints: dict) -> list[_Option]:
    """A dataclass's fields (GANConfig) as options."""
    defaults, docs = config_cls(), _parameter_help(config_cls)
    return [
        _Option(
            f.name, getattr(defaults, f.name), str(f.type), docs.get(f.name, ""), _choices(constraints.get(f.name, []))
        )
        for f in dataclasses.fields(config_cls)
    ]


def _key_values(text: str) -> tuple[str, float]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return key.strip(), float(value)


def _scalar(annotation: str, default: Any):
    """A parser of one value: the type of the default, or the annotation's when the default is None."""
    kinds = {k.strip() for k in annotation.split("|")}
    base = (
        type(default)
        if default is not None
        else next(({"int": int, "float": float}[k] for k in ("int", "float") if k in kinds), str)
    )
    if "None" not in kinds:
        return base
    return lambda text: None if text.lower() == "none" else base(text)


def _add_options(parser: argparse.ArgumentParser, options: list[_Option], cli_defaults: dict) -> None:
    """One flag per option; ``cli_defaults`` overrides a library default for the command line."""
    for o in options:
        flag = "--" + o.name.replace("_", "-")
        default = cli_defaults.get(o.name, o.default)
        note = f"default: {default}" + (f"; the library's: {o.default}" if default != o.default else "")
        text = f"{o.help} ({note})" if o.help else f"({note})"
        text = text.replace("%", "%%")
        if isinstance(o.default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default, help=text)
        elif o.annotation.startswith("dict"):  # NAME=VALUE pairs, e.g. --divergence-params alpha=2
            parser.add_argument(
                flag, flag.rstrip("s"), type=_key_values, action="append", default=None, metavar="NAME=VALUE", help=text
            )
        elif isinstance(o.default, tuple):
            parser.add_argument(flag, type=int, nargs="+", default=default, metavar="N", help=text)
        else:
            # a choice is taken as written ("none" is lr_decay's constant rate, not None)
            kind = str if o.choices else _scalar(o.annotation, o.default)
            parser.add_argument(flag, type=kind, default=default, choices=o.choices, help=text)


def _values(args: argparse.Namespace, options: list[_Option]) -> dict[str, Any]:
    values = {o.name: getattr(args, o.name) for o in options}
    for o in options:
        if o.annotation.startswith("dict"):
            pairs = values[o.name]
            values[o.name] = dict(pairs) if pairs else (None if o.default is None else dict(o.default))
        elif isinstance(o.default, tuple):
            values[o.name] = tuple(values[o.name])
        elif o.choices and values[o.name] in BOOLEAN_WORDS and "bool" in o.annotation:
            values[o.name] = BOOLEAN_WORDS[values[o.name]]
    return values


MINE_OPTIONS = _signature_options(MINE, MINE._parameter_constraints)
# the command line is repeatable and shows progress unless told otherwise
MINE_CLI_DEFAULTS = {"random_state": 0, "verbose": True}
GAN_OPTIONS = _field_options(GANConfig, GANConfig._parameter_constraints)


def _estimator(args) -> MINE:
    return MINE(**_values(args, MINE_OPTIONS))


def _fit(est: MINE, x, z) -> tuple[MINE, list[str]]:
    """Fit, collecting the warnings to print (and to put in the JSON) instead of Python's format."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(x, z)
    return est, [str(w.message) for w in caught]


def _report(est: MINE, units: str, seconds: float, notes: list[str], extra: dict | None = None) -> dict:
    low, high = est.mi_interval(0.95, units)
    params = {
        k: (list(v) if isinstance(v, tuple) else v)
        for k, v in est.get_params().items()
        if v is None or isinstance(v, (int, float, str, bool, tuple, dict))
    }
    out = {
        "mi": est.mi(units),
        "units": units,
        "mi_lower_95": est.mi_lower(0.95, units),
        "se": est.se_ * UNITS[units],
        "interval_95": [low, high],
        "interval_95_covers": "the estimator's expectation at this sample size (a lower bound on the MI)",
        "bound": est.bound_.name,
        "bound_description": est.bound_.description,
        "preprocessing": est.preprocessing,
        "folds": len(est.folds_),
        "heldout_samples": est.n_heldout_,
        "fold_estimates": [f.estimate * UNITS[units] for f in est.folds_],
        "steps": [f.n_steps for f in est.folds_],
        "best_steps": [f.best_steps for f in est.folds_],
        "chosen": [f.chosen for f in est.folds_],
        "kept": est.chosen_,
        "candidates": list(est.candidates_),
        "seconds": round(seconds, 2),
        "warnings": notes,
        "n_samples": est.n_samples_,
        "processes": world()[1],
        "x_dim": est.x_dim_,
        "z_dim": est.z_dim_,
        "parameters": params,
        "version": __version__,
    }
    if math.isfinite(est.cap_):
        out["cap"] = est.cap_ * UNITS[units]
    return {**out, **(extra or {})}


def _print(report: dict, as_json: bool) -> None:
    if not is_main_process():  # under torchrun, rank 0 speaks for all
        return
    if as_json:
        print(json.dumps(report, indent=2))
        return
    u = report["units"]
    print(
        f"I(X; Z) >= {report['mi_lower_95']:.4f} {u} (95% lower confidence bound); estimate "
        f"{report['mi']:.4f} {u} (se {report['se']:.4f})  [{report['bound']}: {report['bound_description']}]"
    )
    folds = ", ".join(f"{v:.4f}" for v in report["fold_estimates"])
    print(
        f"  held-out evaluation: {report['heldout_samples']} samples over {report['folds']} fold(s) "
        f"(per fold: {folds}); steps per fold: {report['steps']}; {report['seconds']:.1f} s"
    )
    if "chosen" in report:
        print(f"  critic kept by each held-out half: {', '.join(k for fold in report['chosen'] for k in fold)}")
    if "cap" in report:
        print(f"  note: this bound cannot exceed log(batch_size) = {report['cap']:.4f} {u}")
    if "truth" in report:
        err = report["mi"] - report["truth"]
        print(f"  analytic truth: {report['truth']:.4f} {u}  (error {err:+.4f}, {err / report['truth']:+.1%})")
    for note in report["warnings"]:
        print(f"mine: warning: {note}", file=sys.stderr)


def _save_plot(est: MINE, path: str, units: str) -> None:
    """The training curves (``MINE.plot_history``) written to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    ax = est.plot_history(units=units)
    ax.figure.tight_layout()
    ax.figure.savefig(path, dpi=110)


def _cmd_estimate(args) -> int:
    table = read_table(Path(args.data), header=args.header)
    x, x_labels = select(table, args.x, "x")
    z, z_labels = select(table, args.z, "z")
    shared = overlap(table, args.x, args.z)
    start = time.perf_counter()
    est, notes = _fit(_estimator(args), x, z)
    notes = ([f"--x and --z select the same column(s) {shared}"] if shared else []) + notes
    report = _report(
        est,
        args.units,
        time.perf_counter() - start,
        notes,
        {"file": args.data, "x_columns": x_labels, "z_columns": z_labels},
    )
    if args.plot and is_main_process():
        _save_plot(est, args.plot, args.units)
        report["plot"] = args.plot
    _print(report, args.json)
    return 0


def _cmd_cmi(args) -> int:
    table = read_table(Path(args.data), header=args.header)
    specs = (args.x, args.y, args.z)
    (x, x_labels), (y, y_labels), (z, z_labels) = (select(table, spec, key) for spec, key in zip(specs, "xyz"))
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cmi = ConditionalMI(_estimator(args)).fit(x, y, z)
    u = UNITS[args.units]
    report = {
        "cmi": cmi.mi(args.units),
        "units": args.units,
        "se": cmi.se_ * u,
        "cmi_lower_95": cmi.mi_lower(0.95, args.units),
        "method": "chain rule: I(X; (Y, Z)) - I(X; Z)",
        "mi_x_yz": cmi.joint_.mi(args.units),
        "mi_x_z": cmi.given_.mi(args.units),
        "seconds": round(time.perf_counter() - start, 2),
        "warnings": sorted({str(w.message) for w in caught}),
        "file": args.data,
        "x_columns": x_labels,
        "y_columns": y_labels,
        "z_columns": z_labels,
        "n_samples": len(x),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(
        f"I(X; Y | Z) = {report['cmi']:.4f} {args.units} (se {report['se']:.4f}) by the chain rule: "
        f"I(X; (Y, Z)) = {report['mi_x_yz']:.4f} minus I(X; Z) = {report['mi_x_z']:.4f}  [{report['seconds']:.1f} s]"
    )
    for note in report["warnings"]:
        print(f"mine: warning: {note}", file=sys.stderr)
    return 0


def _cmd_demo(args) -> int:
    rho = float(rho_for_mi(args.mi, args.dim))
    x, z = sample_correlated(args.n, rho, args.dim, random_state=args.random_state)
    truth = mi_correlated(rho, args.dim) * UNITS[args.units]
    if not args.json:
        print(
            f"demo: {args.n} samples of x, z each {args.dim}-D, componentwise correlation "
            f"rho = {rho:.4f}; true I(X; Z) = {truth:.4f} {args.units}"
        )
    start = time.perf_counter()
    est, notes = _fit(_estimator(args), x, z)
    _print(_report(est, args.units, time.perf_counter() - start, notes, {"truth": truth}), args.json)
    return 0


def _cmd_gan(args) -> int:
    config = GANConfig(**_values(args, GAN_OPTIONS))
    out = Path(args.out or f"gan-runs/{config.data}_{config.loss}_beta{config.mine_beta:g}_seed{config.seed}")
    result = train_gan(config, out=out, progress=args.verbose)
    final = {k: v for k, v in result["final"].items() if v is not None}
    if args.json:
        print(json.dumps({"final": final, "seconds": result["seconds"], "out": str(out)}, indent=2))
    else:
        print(", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in final.items()))
        print(f"wrote {out}/metrics.json, samples.npy and samples.png ({result['seconds']:.0f} s)")
    return 0


def _add_quiet(parser) -> None:
    """``--quiet``: the same as ``--no-verbose`` (the command line shows progress by default)."""
    parser.add_argument(
        "--quiet",
        dest="verbose",
        action="store_false",
        default=argparse.SUPPRESS,
        help="no progress bar (= --no-verbose)",
    )


def _add_gan_parser(sub) -> None:
    gan = sub.add_parser("gan", help="train a GAN on toy data or stacked digits, report mode coverage")
    _add_options(gan, GAN_OPTIONS, {})
    gan.add_argument("--out", default=None, help="output folder (default gan-runs/DATA_LOSS_betaB_seedS)")
    gan.add_argument("--json", action="store_true", help="print the final metrics as JSON")
    gan.add_argument("--verbose", action=argparse.BooleanOptionalAction, default=True, help="a progress bar")
    _add_quiet(gan)
    gan.set_defaults(func=_cmd_gan)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    estimator = common.add_argument_group("estimator (every parameter of mine.MINE)")
    _add_options(estimator, MINE_OPTIONS, MINE_CLI_DEFAULTS)
    estimator.add_argument(
        "--seed", dest="random_state", type=int, default=argparse.SUPPRESS, help="the same as --random-state"
    )
    _add_quiet(estimator)
    common.add_argument("--units", default="nats", choices=list(UNITS))
    common.add_argument("--json", action="store_true", help="print the result as JSON")

    parser = argparse.ArgumentParser(prog="mine", description=__doc__)
    parser.add_argument("--version", action="version", version=f"mine {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    est = sub.add_parser("estimate", parents=[common], help="estimate I(X; Z) from a data file")
    est.add_argument("data", help="a .csv/.tsv/.txt (header optional), .parquet, .npy or .npz file")
    est.add_argument("--x", default="", help="X columns: names, indices or START:STOP (.npz: array name)")
    est.add_argument("--z", default="", help="Z columns, as for --x")
    est.add_argument(
        "--header",
        default="auto",
        choices=["auto", "yes", "no"],
        help="whether a text file's first row names the columns (auto: guessed)",
    )
    est.add_argument("--plot", default="", metavar="FILE", help="write the training curves to FILE (.png, .pdf)")
    est.set_defaults(func=_cmd_estimate)
    cmi = sub.add_parser("cmi", parents=[common], help="estimate I(X; Y | Z) from a data file (chain rule)")
    cmi.add_argument("data", help="a .csv/.tsv/.txt, .parquet, .npy or .npz file")
    for key in "xyz":
        cmi.add_argument(f"--{key}", required=True, help=f"{key.upper()} columns: names, indices or START:STOP")
    cmi.add_argument("--header", default="auto", choices=["auto", "yes", "no"], help="as for estimate")
    cmi.set_defaults(func=_cmd_cmi)
    demo = sub.add_parser("demo", parents=[common], help="estimate MI of correlated Gaussians vs. the truth")
    demo.add_argument("--dim", type=int, default=10, help="dimension of x and of z")
    demo.add_argument("--mi", type=float, default=2.0, help="true MI in nats")
    demo.add_argument("--n", type=int, default=10000, help="number of samples")
    demo.set_defaults(func=_cmd_demo)
    _add_gan_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``mine`` command with ``argv`` (default: the process arguments); return its exit code
    (2 with a one-line message on bad input or an implausible estimate)."""
    args = _parser().parse_args(argv)
    # under torchrun (WORLD_SIZE > 1) estimate and demo fit data-parallel: mine.distributed
    joined = args.command != "gan" and init_from_env()
    try:
        return args.func(args)
    except (ValueError, TypeError, FloatingPointError) as err:
        rank = f" (rank {world()[0]})" if joined else ""
        print(f"mine: error{rank}: {err}", file=sys.stderr)
        return 2
    finally:
        if joined:
            dist.destroy_process_group()


if __name__ == "__main__":
    sys.exit(main())
