"""scikit-learn integration: score for model selection, input attributes, training-curve plots."""

import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, cross_val_score

from mine import MINE, DivergenceEstimator
from mine.gaussian import sample_correlated

matplotlib.use("Agg")
FAST = dict(max_steps=60, eval_every=20, batch_size=64, hidden=(32, 32), random_state=0)


def test_score_is_the_bound_of_the_fitted_critics_on_new_rows(gaussian_pair):
    x, z = gaussian_pair
    est = MINE(**FAST).fit(x, z)
    new_x, new_z = sample_correlated(600, 0.8, 2, random_state=1)
    assert est.score(new_x, new_z) == pytest.approx(est.evaluate(new_x, new_z))
    # with the pairing destroyed the critics see independent data: a lower score
    assert est.score(new_x, new_z[::-1]) < est.score(new_x, new_z) - 0.3


def test_grid_search_over_lr_picks_by_held_out_bound(gaussian_pair):
    x, z = gaussian_pair
    network = MINE(**FAST, candidates=None)  # the Gaussian candidate does not depend on lr
    search = GridSearchCV(network, {"lr": [1e-5, 1e-3]}, cv=2).fit(x, z)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))
    # 60 steps at lr 1e-5 barely move the critic from the constant (score near 0), 1e-3 learns
    # (true MI of this pair is 1.02 nats)
    assert search.best_params_ == {"lr": 1e-3} and scores[1] > scores[0] + 0.2
    assert len(cross_val_score(MINE(**FAST), x, z, cv=2)) == 2


def test_input_attributes_from_arrays_and_dataframes(gaussian_pair):
    x, z = gaussian_pair
    est = MINE(**FAST).fit(pd.DataFrame(x, columns=["a", "b"]), pd.DataFrame(z, columns=["c", "d"]))
    assert est.n_features_in_ == 2
    assert list(est.feature_names_in_) == ["a", "b"] and list(est.z_feature_names_in_) == ["c", "d"]
    est.fit(x, z)  # refitting on arrays forgets the names
    assert not hasattr(est, "feature_names_in_") and not hasattr(est, "z_feature_names_in_")
    div = DivergenceEstimator(**FAST).fit(pd.DataFrame(x, columns=["a", "b"]), z)
    assert list(div.feature_names_in_) == ["a", "b"] and not hasattr(div, "q_feature_names_in_")


def test_plot_history_draws_every_fold_and_the_selected_steps(gaussian_pair):
    x, z = gaussian_pair
    est = MINE(**FAST).fit(x, z)
    ax = est.plot_history()
    labels = [line.get_label() for line in ax.get_lines()]
    assert {"fold 0 held out", "fold 1 held out", "fold 0 training batches"} <= set(labels)
    held_out = next(line for line in ax.get_lines() if line.get_label() == "fold 0 held out")
    assert list(held_out.get_xdata()) == [row["step"] for row in est.folds_[0].history]
    markers = [line for line in ax.get_lines() if line.get_marker() == "v"]
    assert len(markers) == sum(1 for f in est.folds_ for s in f.best_steps if s)
    assert ax.get_ylabel() == "bound (nats)"
    assert est.plot_history(units="bits").get_ylabel() == "bound (bits)"
    with pytest.raises(ValueError, match="units"):
        est.plot_history(units="furlongs")
