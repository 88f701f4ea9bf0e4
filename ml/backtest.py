"""Rolling-origin backtest: every method forecasts the same windows from the same origins.

Origin k trains on everything up to its cutoff and forecasts the ``horizon`` buckets after it; origins are
``step`` buckets apart and the last window ends with the history. Features of the windowed buckets never see
their actuals (the forecaster predicts recursively from the cutoff); exogenous columns of those buckets are
used as known in advance, as a planned price or a holiday calendar would be.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.baselines import DEFAULT_BASELINES, baseline_forecasts
from ml.forecaster import GlobalForecaster


@dataclass(frozen=True)
class Splits:
    origins: int = 3
    horizon: int = 6  # buckets forecast from each origin
    step: int | None = None  # buckets between origins; default: the horizon (windows do not overlap)

    def cutoffs(self, dates: pd.DatetimeIndex) -> list[pd.Timestamp]:
        """The last training bucket of each origin, oldest first."""
        dates = pd.DatetimeIndex(np.unique(np.asarray(dates, dtype="datetime64[ns]")))
        step = self.step or self.horizon
        positions = [len(dates) - 1 - self.horizon - step * k for k in reversed(range(self.origins))]
        if positions[0] < 1:
            raise ValueError(
                f"{len(dates)} buckets of history are too few for {self.origins} origins of {self.horizon} "
                f"buckets {step} apart"
            )
        return [dates[p] for p in positions]

    @classmethod
    def fitting(cls, buckets: int, origins: int = 3, horizon: int = 6) -> Splits:
        """The requested splits, or shorter windows when the windows would take more than half of the
        history (SupplyGraph has 30 weeks: 3 windows of 5)."""
        horizon = max(1, min(horizon, buckets // (2 * origins)))
        return cls(origins, horizon)


def backtest(
    df: pd.DataFrame,
    static: pd.DataFrame | None,
    splits: Splits,
    make_model: Callable[[], GlobalForecaster],
    baselines: tuple[str, ...] = DEFAULT_BASELINES,
) -> pd.DataFrame:
    """Forecasts of every window: ``cutoff, model_name, unique_id, ds, y_hat`` for LightGBM and each baseline.

    ``df`` is the long-format history (``unique_id, ds, y`` and the model's exogenous columns).
    """
    out = []
    for cutoff in splits.cutoffs(df["ds"]):
        train = df[df["ds"] <= cutoff]
        window = df[(df["ds"] > cutoff) & df["unique_id"].isin(train["unique_id"].unique())]
        window = window[window["ds"] <= window["ds"].drop_duplicates().nsmallest(splits.horizon).max()]
        model = make_model().fit(train, static)
        future = window[["unique_id", "ds", *model.spec.exogenous]]
        forecasts = [
            model.predict(splits.horizon, future).assign(model_name="lightgbm"),
            baseline_forecasts(train, splits.horizon, model.spec.season_length, model.freq, baselines),
        ]
        out.append(pd.concat(forecasts, ignore_index=True).assign(cutoff=cutoff))
    result = pd.concat(out, ignore_index=True)
    return result[["cutoff", "model_name", "unique_id", "ds", "y_hat"]]
