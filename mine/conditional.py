"""Conditional mutual information I(X; Y | Z) on MINE's loop.

:class:`ConditionalMI` estimates it by the chain rule, I(X; Y | Z) = I(X; (Y, Z)) - I(X; Z): two
MINE fits on the same rows, folds and seeds (held-out reports, normal scores per column, the same
diagnostics), the second subtracted from the first. Per-column normal scores keep the quantity: it
is unchanged by an invertible map of X, of Y and of Z separately.

What the number is: a difference of two held-out lower bounds, so it is *not* itself a lower bound
(the second fit's shortfall is added back); its standard error adds the two fits' as if
independent (an upper bound on the difference's when, as here, the two are positively correlated).
The direct bound of DESIGN.md (joint triples against x locally permuted within z, a KL bound) was
measured against it on CCMI's Model I and read far lower (docs: "Conditional MI"), so it is not a
method here; the local permutation serves :func:`mine.independence.conditional_independence_test`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, clone
from torch import nn

from . import diagnostics, persistence
from ._validation import Instance, Integer, Options, validate_params
from .estimator import MINE
from .inputs import check_aligned
from .sources import PairedSource
from .uncertainty import MIResults

__all__ = ["ConditionalMI"]

METHODS = ("chain",)


class ConditionalMI(MIResults, BaseEstimator):
    """I(X; Y | Z) in nats, by the chain rule on two MINE fits.

    Parameters
    ----------
    estimator : MINE or None
        The settings of both fits (cloned; None: ``MINE()``). Its ``random_state`` seeds both, so they
        split the rows alike; None draws one seed for the two.
    method : {"chain"}
        I(X; (Y, Z)) - I(X; Z).
    random_state : int or None
        Seed of both fits (overrides the estimator's; None: the estimator's, or one drawn for both).

    Attributes
    ----------
    estimate_, se_ : float
        The estimate in nats (``mi(units)`` converts it) and its standard error.
    joint_, given_ : MINE
        The fits of I(X; (Y, Z)) and of I(X; Z).

    Examples
    --------
    >>> import numpy as np
    >>> from mine import MINE, ConditionalMI
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(2000, 1))
    >>> x = z + rng.normal(size=(2000, 1))
    >>> y = x + z + rng.normal(size=(2000, 1))     # given z, corr(x, y) = 1/sqrt(2)
    >>> cmi = ConditionalMI(MINE(max_steps=300, random_state=0)).fit(x, y, z)   # truth 1/2 log 2
    """

    _parameter_constraints: dict = {
        "estimator": [Instance(MINE), None],
        "method": [Options(METHODS)],
        "random_state": [Integer(0), None],
    }

    def __init__(self, estimator: MINE | None = None, method: str = "chain", random_state: int | None = None):
        self.estimator = estimator
        self.method = method
        self.random_state = random_state

    def fit(self, x: ArrayLike, y: ArrayLike, z: ArrayLike) -> ConditionalMI:
        """Fit both terms on the rows (x_i, y_i, z_i): the inputs are validated and checked once,
        here (a copy of x in z is an error, in y a warning: :mod:`mine.diagnostics`), and both MINE
        fits run on these rows. Returns self."""
        validate_params("ConditionalMI", self._parameter_constraints, self.get_params(deep=False))
        x, y, z = check_aligned({"x": x, "y": y, "z": z}, lazy=False)
        diagnostics.check_conditioning_set(x, z)
        diagnostics.emit(diagnostics.data_findings({"x": x, "y": y, "z": z}, quantity="I(X; Y | Z)"), stacklevel=2)
        base = clone(self.estimator) if self.estimator is not None else MINE()
        if self.random_state is not None:
            base.set_params(random_state=self.random_state)
        if base.random_state is None:  # one seed for both fits: the same folds
            base.set_params(random_state=int(np.random.SeedSequence().generate_state(1)[0] >> 1))
        self.joint_ = clone(base).fit_source(PairedSource(x, np.hstack([y, z]), base.negatives))
        self.given_ = clone(base).fit_source(PairedSource(x, z, base.negatives))
        self.estimate_ = self.joint_.estimate_ - self.given_.estimate_
        self.se_ = math.hypot(self.joint_.se_, self.given_.se_)
        self.reach_ = math.inf  # a difference of two bounds: no ceiling of its own
        return self

    def save(self, path) -> None:
        """Write the parameters, the estimate and both fits (as :meth:`MINE.save`) to ``path``."""
        self._check_fitted()
        params = {"method": self.method, "random_state": self.random_state}
        fits = {"joint": persistence.state_of(self.joint_), "given": persistence.state_of(self.given_)}
        fitted = {"estimate_": self.estimate_, "se_": self.se_, "reach_": self.reach_}
        torch.save({"class": type(self).__name__, "params": params, "fitted": fitted, **fits}, path)

    @classmethod
    def load(cls, path, critic: nn.Module | None = None) -> ConditionalMI:
        """Rebuild a ConditionalMI written by :meth:`save` (``critic``: a user's module, as for MINE)."""
        state = persistence.read(path, cls)
        joint = MINE.from_state(state["joint"], path, critic)
        est = cls(estimator=clone(joint), **state["params"])
        est.joint_, est.given_ = joint, MINE.from_state(state["given"], path, critic)
        for name, value in state["fitted"].items():
            setattr(est, name, value)
        return est

    def mi_lower(self, level: float = 0.95, units: str = "nats") -> float:
        """max(0, estimate - z_level se): a lower confidence bound only as far as the two fits'
        shortfalls cancel (the chain rule's difference is not itself a lower bound)."""
        return self.lower(level, units)
