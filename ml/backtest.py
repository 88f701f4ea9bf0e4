"""Hold out the last buckets of the history, forecast them with every method, and keep the forecasts."""

from __future__ import annotations

import pandas as pd

from ml.baselines import seasonal_naive
from ml.forecaster import GlobalForecaster


def holdout_forecasts(df: pd.DataFrame, static: pd.DataFrame, holdout: int, make_model) -> pd.DataFrame:
    """Forecasts of the last ``holdout`` buckets, trained on what came before them.

    Returns ``model_name, unique_id, ds, y_hat`` for lightgbm and seasonal_naive on the same split.
    """
    cutoff = df["ds"].sort_values().unique()[-holdout]
    train = df[df["ds"] < cutoff]
    model: GlobalForecaster = make_model().fit(train, static)
    # exogenous values of the held-out buckets are known in advance, as they would be in production
    future = df.loc[df["ds"] >= cutoff, ["unique_id", "ds", *model.spec.exogenous]]
    out = [
        model.predict(holdout, future).assign(model_name="lightgbm"),
        seasonal_naive(train, holdout, model.spec.season_length, model.freq).assign(model_name="seasonal_naive"),
    ]
    return pd.concat(out, ignore_index=True)
