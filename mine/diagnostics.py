"""Findings about data and estimates: what a user should know before trusting a number.

Each function looks at data or at a fit's results and returns :class:`Finding` records (a message
and a warning category) or raises :class:`ImplausibleEstimateError` for a number that cannot be
right; the estimators emit the findings as warnings. Nothing here trains or prints.

- Data: x sharing a column with another input (:func:`shared_columns`; a warning, except a copy in
  the conditioning set of I(X; Y | Z), an error: :func:`check_conditioning_set`), columns with many
  tied values (:func:`tied_columns`), a DataLoader whose batch size is not used.
- Estimates: a collapsed critic, a held-out value far below the floor, training still improving at
  ``max_steps``, InfoNCE near its cap log(batch_size), an estimate near log(n) (McAllester &
  Stratos 2020).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning

__all__ = [
    "FAILED_TRAINING_NATS",
    "LOG_N_WARNING",
    "ROWS_PER_COLUMN",
    "Finding",
    "ImplausibleEstimateError",
    "cap_findings",
    "check_conditioning_set",
    "check_plausible",
    "collapsed_training_error",
    "convergence_findings",
    "emit",
    "data_findings",
    "loader_findings",
    "log_n_findings",
    "unfound_findings",
    "shared_columns",
    "tied_columns",
]

FAILED_TRAINING_NATS = 1.0  # a half whose best trained value stays this far below the floor: an error
ROWS_PER_COLUMN = 100  # fewer rows per column than this, and nothing found: say it does not show independence
LOG_N_WARNING = 0.8  # warn when a DV/NWJ-type estimate passes this share of log(rows of one report)


class ImplausibleEstimateError(FloatingPointError):
    """A fit whose held-out estimate cannot be right (far below the value for independent data)."""


@dataclass(frozen=True)
class Finding:
    """Something to warn about: the message and its warning category.

    Parameters
    ----------
    message : str
        What was found and what to do about it.
    category : type of Warning
        ``UserWarning``, or ``ConvergenceWarning`` for training that had not finished.
    """

    message: str
    category: type[Warning] = UserWarning


def emit(findings: Sequence[Finding], stacklevel: int = 1) -> None:
    """Warn once per finding; ``stacklevel`` counts from the caller of this function (1: its line).

    Parameters
    ----------
    findings : sequence of Finding
        What to warn about.
    stacklevel : int
        Which frame the warnings point at, from the caller's.
    """
    for finding in findings:
        warnings.warn(finding.message, finding.category, stacklevel=stacklevel + 1)


# --- data ------------------------------------------------------------------------------------------
def shared_columns(x: np.ndarray, z: np.ndarray) -> list[tuple[int, int]]:
    """(i, j) for every column i of x equal to column j of z (hashes of the column bytes, then an exact
    check): a copy makes the MI of continuous data infinite.

    Parameters
    ----------
    x, z : ndarray of shape (n, d_x) and (n, d_z)
        The paired samples.

    Returns
    -------
    list of (int, int)
    """
    keys = {}
    for j in range(z.shape[1]):
        keys.setdefault(hash(np.ascontiguousarray(z[:, j]).tobytes()), []).append(j)
    return [
        (i, j)
        for i in range(x.shape[1])
        for j in keys.get(hash(np.ascontiguousarray(x[:, i]).tobytes()), [])
        if np.array_equal(x[:, i], z[:, j])
    ]


def tied_columns(data: np.ndarray, share: float = 0.5) -> list[tuple[int, int]]:
    """(column, distinct values) for every column with fewer than ``share`` * n distinct values.

    Parameters
    ----------
    data : ndarray of shape (n, d)
        The samples.
    share : float
        A column with fewer than ``share * n`` distinct values is reported.

    Returns
    -------
    list of (int, int)
    """
    n = data.shape[0]
    counts = [(j, len(np.unique(data[:, j]))) for j in range(data.shape[1])]
    return [(j, k) for j, k in counts if k < share * n]


def data_findings(inputs: Mapping[str, np.ndarray], quantity: str = "the MI", sampled: bool = False) -> list[Finding]:
    """Columns of the first input copied in another, and columns of any input with many ties.

    One rule for copies, in every estimator: a column of x repeated in another input makes
    ``quantity`` infinite for continuous data, and every finite estimate is then a lower bound on it,
    so it is a warning (a copy that leaves the quantity finite but its estimate meaningless is an
    error where it can happen: :func:`check_conditioning_set`).

    Parameters
    ----------
    inputs : mapping of str to ndarray of shape (n, d)
        The rows in memory (all of them, or a sample of rows read lazily) by name, x first.
    quantity : str
        What is estimated, for the message ("the MI", "I(X; Y | Z)").
    sampled : bool
        Whether the rows are a sample (the messages say so).

    Returns
    -------
    list of Finding
    """
    findings = []
    (first, x), *others = inputs.items()
    on_sample = f" on a sample of {len(x)} rows" if sampled else ""
    for name, other in others:
        copies = shared_columns(x, other)
        if copies:
            findings.append(
                Finding(
                    f"{first} and {name} share {len(copies)} identical column(s){on_sample} ({first} column, {name} "
                    f"column: {', '.join(f'{i}, {j}' for i, j in copies[:5])}): {quantity} of continuous data with "
                    "a copy is infinite, and any finite estimate only says how much these samples can show"
                )
            )
    for name, data in inputs.items():
        ties = tied_columns(data)
        if ties:
            findings.append(
                Finding(
                    f"{name} has columns with many tied values (column: distinct values of {len(data)} rows: "
                    f"{', '.join(f'{j}: {k}' for j, k in ties[:5])}): discrete or rounded data. Tied rows stay "
                    "tied under any preprocessing; the MI of discrete data is finite and a critic for "
                    "continuous data may not find all of it"
                )
            )
    return findings


def check_conditioning_set(x: np.ndarray, z: np.ndarray) -> None:
    """A ValueError when z holds a copy of a column of x: given Z, X is then known, so I(X; Y | Z) = 0,
    while both terms of the chain rule I(X; (Y, Z)) - I(X; Z) are infinite and their estimates' difference
    means nothing (the one copy that is an error; :func:`data_findings` has the rule).

    Parameters
    ----------
    x, z : ndarray of shape (n, d_x) and (n, d_z)
        The rows of X and of the conditioning set Z.
    """
    copies = shared_columns(x, z)
    if copies:
        pairs = ", ".join(f"{i}, {j}" for i, j in copies[:5])
        raise ValueError(
            f"z holds a copy of x (x column, z column: {pairs}): given Z, X is known and I(X; Y | Z) = 0, "
            "while both terms of the chain rule are infinite; drop the copy from z"
        )


def loader_findings(loader_batch: int | None, batch_size: int, streaming: bool) -> list[Finding]:
    """A DataLoader over a map-style dataset whose own ``batch_size`` differs from the estimator's:
    the estimator splits and batches the dataset itself, so the loader's batch size is not used.

    Parameters
    ----------
    loader_batch : int or None
        The loader's ``batch_size`` (None: not a loader, or no batching).
    batch_size : int
        The estimator's.
    streaming : bool
        Whether the loader is read as a stream (then its batches are used).

    Returns
    -------
    list of Finding
    """
    if loader_batch is None or loader_batch == batch_size or streaming:
        return []
    return [
        Finding(
            f"the DataLoader's batch_size={loader_batch} is not used: MINE splits its dataset into training "
            f"and held-out rows and batches them itself (batch_size={batch_size})"
        )
    ]


# --- estimates -----------------------------------------------------------------------------------
def _lr_cause(lr: float) -> str:
    return f"a learning rate too high (lr={lr:g}; try lr={lr / 10:g})"


def collapsed_training_error(last_heldout: float, floor: float, lr: float) -> ImplausibleEstimateError:
    """The error for a critic whose scores became constant with no trained step selected.

    Parameters
    ----------
    last_heldout : float
        The last held-out value of the fold.
    floor : float
        The bound's value for a constant critic (0 for MI).
    lr : float
        The learning rate used.

    Returns
    -------
    ImplausibleEstimateError
    """
    return ImplausibleEstimateError(
        f"training collapsed: the critic's scores became constant (dead units; the last held-out "
        f"value was {last_heldout:.4g}), so no trained critic beat the constant one and the "
        f"estimate would read {floor:g} whatever the data. Likely cause: {_lr_cause(lr)}"
    )


def check_plausible(folds: Sequence, estimate: float, se: float, floor: float, lr: float, preprocessing: str) -> None:
    """Raise :class:`ImplausibleEstimateError` for an estimate that cannot be right: far below the
    floor (more than max(0.1, 4 se)), or a half whose best trained value stayed more than
    ``FAILED_TRAINING_NATS`` below it (the constant critic stands in only for critics that hover
    about the floor: far below it, training failed; the data are not independent).

    Parameters
    ----------
    folds : sequence of FoldResult
        The fit's folds (their histories hold each half's values).
    estimate, se : float
        The pooled estimate and its standard error.
    floor : float
        The bound's value for a constant critic.
    lr : float
        The learning rate used.
    preprocessing : str
        The per-column map used (outliers are a cause unless it was "quantile").
    """
    best_trained = min(max(row[f"half_{h}"] for row in f.history) for f in folds for h in (0, 1))
    too_low = estimate < floor - max(0.1, 4 * se)
    if not too_low and best_trained >= floor - FAILED_TRAINING_NATS:
        return
    value, what = (
        (estimate, "held-out estimate") if too_low else (best_trained, "best held-out value of a trained critic")
    )
    causes = [_lr_cause(lr)]
    if preprocessing != "quantile":
        causes.insert(0, f"outliers or heavy tails (preprocessing={preprocessing!r}; 'quantile' is immune to them)")
    raise ImplausibleEstimateError(
        f"the {what} is {value:.4g} nats, far below {floor:g}, the value for independent data "
        f"(standard error {se:.2g}): the critic does not generalise to held-out rows. Likely "
        f"cause: {' or '.join(causes)}"
    )


def convergence_findings(folds: Sequence, max_steps: int) -> list[Finding]:
    """Training still improving at ``max_steps``: a fold that did not stop early selected its last step.

    Parameters
    ----------
    folds : sequence of FoldResult
        The fit's folds.
    max_steps : int
        The most steps per fold.

    Returns
    -------
    list of Finding
    """
    if not any(not f.stopped_early and f.n_steps in f.best_steps for f in folds):
        return []
    return [
        Finding(
            f"training was still improving at max_steps={max_steps} (a selected step is the last "
            "one): the estimate may be low; raise max_steps",
            ConvergenceWarning,
        )
    ]


def unfound_findings(nothing: bool, folds: Sequence, columns: int, floor: float) -> list[Finding]:
    """Nothing found where little could be: the 95% lower confidence bound is the bound's floor
    (``nothing``) and the rows are fewer than ``ROWS_PER_COLUMN`` per column.

    Parameters
    ----------
    nothing : bool
        Whether the fit's lower confidence bound is at the floor.
    folds : sequence of FoldResult
        The fit's folds.
    columns : int
        Input columns (both sides).
    floor : float
        The bound's value for a constant critic.

    Returns
    -------
    list of Finding
    """
    rows = folds[0].n_train + folds[0].n_heldout
    if not nothing or rows >= ROWS_PER_COLUMN * columns:
        return []
    return [
        Finding(
            f"the held-out rows show nothing above the floor ({floor:g}, the value for a constant "
            f"critic; 95% lower confidence bound): nothing was found, which with {rows} rows for "
            f"{columns} columns does not show independence (or, for two samples, equal distributions): "
            "a weak dependence or difference spread over many columns needs far more rows",
            UserWarning,
        )
    ]


def cap_findings(estimate: float, cap: float) -> list[Finding]:
    """InfoNCE past 90% of its cap log(batch_size): the true MI may be larger.

    Parameters
    ----------
    estimate : float
        The estimate in nats.
    cap : float
        The most the bound can report (inf for uncapped bounds).

    Returns
    -------
    list of Finding
    """
    if not estimate > 0.9 * cap:
        return []
    return [
        Finding(
            f"the InfoNCE estimate {estimate:.3f} nats is near its cap log(batch_size) = "
            f"{cap:.3f}; the true MI may be larger (raise batch_size)"
        )
    ]


def log_n_findings(estimate: float, rows: int) -> list[Finding]:
    """A DV/NWJ-type estimate past ``LOG_N_WARNING`` log(rows): no lower bound estimated from ``rows``
    samples can show much more than log(rows) (McAllester & Stratos 2020).

    Parameters
    ----------
    estimate : float
        The estimate in nats.
    rows : int
        Rows of the smallest report.

    Returns
    -------
    list of Finding
    """
    limit = math.log(rows)
    if not estimate > LOG_N_WARNING * limit:
        return []
    near = estimate <= limit
    reading = (
        "the true MI may be larger"
        if near
        else "past it the log-mean of exp(T) over so few pairs is ruled by rare ones and can read high, "
        "so the estimate measures neither way"
    )
    return [
        Finding(
            f"the estimate {estimate:.3f} nats is {'near' if near else 'above'} log({rows}) = {limit:.3f}, "
            f"the most a lower bound from the {rows} held-out rows of one report can show (McAllester & "
            f"Stratos 2020): {reading} (add data)"
        )
    ]
