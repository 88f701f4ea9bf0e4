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


# Syntetos-Boylan-Croston cut-offs: average demand interval (buckets per non-zero bucket) and the squared
# coefficient of variation of the non-zero demands
ADI_CUTOFF, CV2_CUTOFF = 1.32, 0.49


def demand_classes(history: pd.DataFrame) -> pd.Series:
    """Each series' demand class from its history (``unique_id, ds, y``): smooth, erratic (variable sizes),
    intermittent (many zero buckets) or lumpy (both); a series without demand is intermittent."""
    grouped = history.groupby("unique_id")["y"]
    nonzero = history[history["y"] > 0].groupby("unique_id")["y"]
    adi = grouped.size() / nonzero.size().reindex(grouped.size().index).fillna(0).clip(lower=1)
    cv2 = (nonzero.std(ddof=0) / nonzero.mean()).pow(2).reindex(adi.index).fillna(0.0)
    sparse, variable = adi > ADI_CUTOFF, cv2 > CV2_CUTOFF
    classes = np.select([sparse & variable, sparse, variable], ["lumpy", "intermittent", "erratic"], "smooth")
    return pd.Series(classes, index=adi.index, name="demand_class")


def wape_by_demand_class(backtest: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """WAPE of every method per demand class (classes from the history before the first origin): one row per
    class with its series count and one column per method, so a planner sees whether intermittent series are
    better served by the global model or by Croston/TSB."""
    classes = demand_classes(history[history["ds"] <= backtest["cutoff"].min()])
    scored = backtest.merge(history[["unique_id", "ds", "y"]], on=["unique_id", "ds"])
    scored["demand_class"] = scored["unique_id"].map(classes)
    scored["abs_error"] = (scored["y_hat"] - scored["y"]).abs()
    sums = scored.groupby(["demand_class", "model_name"])[["abs_error", "y"]].sum()
    table = (sums["abs_error"] / sums["y"].where(sums["y"] > 0)).unstack("model_name")
    table.insert(0, "series", classes.value_counts().reindex(table.index).astype(int))
    return table.rename_axis(index="demand_class", columns=None).reset_index()
