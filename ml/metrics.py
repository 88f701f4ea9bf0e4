"""Accuracy metrics on aligned arrays of actuals and forecasts, and the backtest scoreboard of every method."""

from __future__ import annotations

import numpy as np
import pandas as pd


def wape(actual, forecast) -> float:
    """Weighted absolute percentage error: sum |forecast - actual| / sum actual."""
    actual, forecast = np.asarray(actual, float), np.asarray(forecast, float)
    return float(np.abs(forecast - actual).sum() / actual.sum())


def bias(actual, forecast) -> float:
    """Relative bias: (sum forecast - sum actual) / sum actual; positive means over-forecast."""
    actual, forecast = np.asarray(actual, float), np.asarray(forecast, float)
    return float((forecast.sum() - actual.sum()) / actual.sum())


def scoreboard(backtest: pd.DataFrame, history: pd.DataFrame, season_length: int) -> pd.DataFrame:
    """One row per model over every backtest window, best first: ``wape`` and ``bias`` of the totals, ``rmsse``
    (utilsforecast's, averaged over series; each series scaled by its one-step naive error before the first
    origin, so no window's actuals leak into the scale) and ``fva_vs_seasonal_naive`` (WAPE points gained).

    ``backtest`` is ``cutoff, model_name, unique_id, ds, y_hat``; ``history`` is ``unique_id, ds, y``.
    """
    from utilsforecast.losses import rmsse

    scored = backtest.merge(history[["unique_id", "ds", "y"]], on=["unique_id", "ds"])
    totals = scored.groupby("model_name").apply(
        lambda g: pd.Series({"wape": wape(g["y"], g["y_hat"]), "bias": bias(g["y"], g["y_hat"])}),
        include_groups=False,
    )
    wide = scored.pivot_table(index=["unique_id", "ds", "cutoff", "y"], columns="model_name", values="y_hat")
    wide = wide.reset_index()
    models = list(totals.index)
    train = history[history["ds"] <= backtest["cutoff"].min()][["unique_id", "ds", "y"]]
    per_series = rmsse(wide[wide["unique_id"].isin(train["unique_id"])], models, seasonality=1, train_df=train)
    totals["rmsse"] = per_series[models].replace([np.inf, -np.inf], np.nan).mean()
    if "seasonal_naive" in totals.index:
        totals["fva_vs_seasonal_naive"] = totals.loc["seasonal_naive", "wape"] - totals["wape"]
    return totals.sort_values("wape").rename_axis("model_name").reset_index()
