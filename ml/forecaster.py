"""One global LightGBM model over all series, predicting the horizon recursively.

Why recursive: one model serves every horizon step and every bucket size, and its training set is the
full history; a direct strategy would train one model per step (18 for the default horizon) for a gain
that mostly appears far out, where the plan is least sensitive. Revisit with the backtest harness.

Targets are divided by each series' level, so one model learns shapes across series of very different
sizes; rows are weighted by that level, so the loss tracks WAPE (a volume-weighted error) instead of treating
a 2-unit series like a 2,000-unit one. The level is the mean of the last ``scale_window`` buckets (the
pipeline uses a year): trees cannot extrapolate, so a growing series scaled by its all-time mean sits above
anything seen in training and is under-forecast. Measured on M5 (benchmarks/forecast_benchmark.py): RMSSE
at the total 1.16 -> 0.71 monthly, 0.59 -> 0.56 daily; at item x store 1.17 -> 1.19 monthly, 0.736 -> 0.735
daily.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from ml.bounds import GROWTH, ceilings
from ml.distributed import local_fit
from ml.features import FeatureSpec, features_at, stacked
from ml.panel import Panel

DEFAULT_PARAMS = {
    "objective": "regression",
    "n_estimators": 300,
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_child_samples": 20,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    # determinism: fixed seeds, row-wise histograms, a fixed thread count
    "deterministic": True,
    "force_row_wise": True,
    "n_jobs": 2,
    "verbose": -1,
}


@dataclass
class GlobalForecaster:
    spec: FeatureSpec = field(default_factory=FeatureSpec)
    params: dict = field(default_factory=dict)
    seed: int = 0
    freq: str = "MS"
    scale_window: int | None = None  # buckets the series' level is the mean of (None: the whole history)
    # fits LightGBM on (params, X, y, weights, categorical columns): here by default, or on a Dask cluster
    # (ml.distributed.DaskTrainer)
    trainer: Callable | None = None
    # each series' forecast stays under ceiling_growth x its highest bucket (ml/bounds.py; None: no ceiling);
    # young series may reach the same multiple of their peers' (the first static column's groups) highs
    ceiling_growth: float | None = GROWTH

    def fit(self, df: pd.DataFrame, static: pd.DataFrame | None = None) -> GlobalForecaster:
        """Train on ``unique_id, ds, y`` (plus static attributes per ``unique_id``)."""
        started = time.perf_counter()
        self.panel_ = Panel.from_long(df, self.freq, self.spec.exogenous)
        recent = self.panel_.values[:, -self.scale_window :] if self.scale_window else self.panel_.values
        self.scale_ = np.maximum(np.nan_to_num(np.nanmean(recent, axis=1)), 0.1)
        self.static_codes_, self.categories_ = _encode_static(self.panel_.ids, static, self.spec.static)
        scaled = self.panel_.values / self.scale_[:, None]
        names = self.spec.names()
        X, y, w = [], [], []
        for t in range(1, scaled.shape[1]):
            cols = features_at(
                scaled, self.panel_.dates, self.panel_.first, t, self.spec, self.static_codes_, self.panel_.exog
            )
            rows = ~np.isnan(scaled[:, t])
            X.append(stacked(cols, names, rows))
            y.append(scaled[rows, t])
            w.append(self.scale_[rows])
        X = pd.DataFrame(np.vstack(X), columns=names)
        built = time.perf_counter()
        params = {**DEFAULT_PARAMS, **self.params, "random_state": self.seed}
        fit = self.trainer or local_fit
        self.model_ = fit(params, X, np.concatenate(y), np.concatenate(w), self.spec.categorical)
        self.training_rows_ = len(X)
        # where the time goes (benchmarks/scale_benchmark.py reports it per stage)
        self.seconds_ = {"features": built - started, "training": time.perf_counter() - built}
        return self

    def predict(self, h: int, future: pd.DataFrame | None = None) -> pd.DataFrame:
        """``unique_id, ds, y_hat`` for the ``h`` buckets after the training data; never negative.

        ``future`` holds the exogenous columns' values for those buckets (``unique_id, ds, <name>...``),
        required when the spec declares exogenous columns.
        """
        started = time.perf_counter()
        panel = self.panel_.extend(h, future)
        scaled = panel.values / self.scale_[:, None]
        T, names = len(self.panel_.dates), self.spec.names()
        ceiling = self.ceilings() / self.scale_
        raw = np.empty((len(ceiling), h))
        for t in range(T, T + h):
            cols = features_at(scaled, panel.dates, panel.first, t, self.spec, self.static_codes_, panel.exog)
            # the booster itself: the scikit-learn wrapper would re-check a frame at every step
            raw[:, t - T] = np.maximum(self.model_.booster_.predict(stacked(cols, names)), 0.0)
            # clipped before the next step reads it as a lag: a runaway cannot feed on itself
            scaled[:, t] = np.minimum(raw[:, t - T], ceiling)
        panel.values = scaled * self.scale_[:, None]
        self.seconds_ = {**getattr(self, "seconds_", {}), "prediction": time.perf_counter() - started}
        out = panel.to_long(T, "y_hat")
        # to_long is series-major over the horizon, as raw is laid out
        out["uncapped_y_hat"] = (raw * self.scale_[:, None]).ravel()
        out["ceiling"] = np.repeat(ceiling * self.scale_, h)
        return out

    def ceilings(self) -> np.ndarray:
        """Each series' ceiling in units (infinite when ``ceiling_growth`` is None)."""
        if self.ceiling_growth is None:
            return np.full(len(self.panel_.ids), np.inf)
        groups = self.static_codes_[self.spec.static[0]] if self.spec.static else None
        return ceilings(self.panel_.values, self.panel_.first, groups, self.ceiling_growth)

    def feature_matrix(self, t: int) -> pd.DataFrame:
        """The features of bucket ``t`` of the training panel, as the model sees them (for tests and audits)."""
        scaled = self.panel_.values / self.scale_[:, None]
        cols = features_at(
            scaled, self.panel_.dates, self.panel_.first, t, self.spec, self.static_codes_, self.panel_.exog
        )
        return pd.DataFrame(cols, index=self.panel_.ids)[self.spec.names()]

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        self.model_.booster_.save_model(folder / "lightgbm.txt")
        meta = {
            "spec": asdict(self.spec),
            "params": {**DEFAULT_PARAMS, **self.params, "random_state": self.seed},
            "training_rows": self.training_rows_,
            "series": len(self.panel_.ids),
            "first_bucket": str(self.panel_.dates[0].date()),
            "last_bucket": str(self.panel_.dates[-1].date()),
            "lightgbm_version": lgb.__version__,
        }
        (folder / "metadata.json").write_text(json.dumps(meta, indent=2, default=str))
        return folder


def _encode_static(ids: np.ndarray, static: pd.DataFrame | None, columns: tuple[str, ...]):
    """Integer codes per static column, from the sorted set of values (stable across runs)."""
    if not columns:
        return {}, {}
    frame = static.set_index("unique_id").reindex(ids)
    codes, categories = {}, {}
    for c in columns:
        cat = pd.Categorical(frame[c].astype(str), categories=sorted(frame[c].astype(str).unique()))
        codes[c] = cat.codes.astype(np.int32)
        categories[c] = list(cat.categories)
    return codes, categories
