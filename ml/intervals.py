"""Prediction intervals from the backtest's own errors (split conformal, by horizon step).

For every backtest window, each error is divided by its series' mean level at that origin, so one set of
quantiles serves series of any size; quantiles are taken per horizon step (errors grow with the step). A
forecast's interval is its point forecast plus its series' level times the quantiles of its step; steps past
the backtest window use the last step's. Nothing is trained again, and the coverage is measured out of
sample: calibrated on the earlier origins, checked on the last.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

QUANTILES = {"p10_qty": 0.1, "p50_qty": 0.5, "p90_qty": 0.9}


def _levels(history: pd.DataFrame, cutoff: pd.Timestamp) -> pd.Series:
    """Each series' mean demand up to ``cutoff`` (at least 0.1: a series of zeros still gets a width)."""
    known = history[history["ds"] <= cutoff]
    return known.groupby("unique_id")["y"].mean().clip(lower=0.1)


def _scaled_errors(backtest: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """``cutoff, step, error`` for every backtest row: (actual - forecast) / the series' level at its origin."""
    rows = backtest.merge(history[["unique_id", "ds", "y"]], on=["unique_id", "ds"])
    parts = []
    for cutoff, part in rows.groupby("cutoff"):
        level = part["unique_id"].map(_levels(history, cutoff))
        step = part["ds"].rank(method="dense").astype(int)
        parts.append(pd.DataFrame({"cutoff": cutoff, "step": step, "error": (part["y"] - part["y_hat"]) / level}))
    return pd.concat(parts, ignore_index=True)


@dataclass
class ConformalIntervals:
    quantiles: dict[str, float] = field(default_factory=lambda: dict(QUANTILES))

    def fit(self, backtest: pd.DataFrame, history: pd.DataFrame) -> ConformalIntervals:
        """Quantiles of the scaled errors per step, from one method's backtest rows
        (``cutoff, unique_id, ds, y_hat``) and the history (``unique_id, ds, y``)."""
        errors = _scaled_errors(backtest, history)
        self.table_ = errors.groupby("step")["error"].quantile(list(self.quantiles.values())).unstack()
        self.table_.columns = list(self.quantiles)
        return self

    def apply(self, forecast: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
        """``forecast`` (``unique_id, ds, y_hat``, the buckets after the history) with one column per quantile."""
        level = forecast["unique_id"].map(_levels(history, history["ds"].max())).fillna(0.1)
        step = forecast["ds"].rank(method="dense").astype(int).clip(upper=self.table_.index.max())
        out = forecast.copy()
        for name in self.quantiles:
            out[name] = np.maximum(out["y_hat"] + level * step.map(self.table_[name]), 0.0)
        return out


def last_origin_intervals(backtest: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame | None:
    """The last origin's backtest rows (``cutoff, unique_id, ds, y_hat``) with P10/P50/P90 calibrated on the
    earlier origins only: out-of-sample intervals to score (coverage, pinball loss). None with a single origin."""
    cutoffs = sorted(backtest["cutoff"].unique())
    if len(cutoffs) < 2:
        return None
    last = backtest[backtest["cutoff"] == cutoffs[-1]]
    intervals = ConformalIntervals().fit(backtest[backtest["cutoff"] != cutoffs[-1]], history)
    known = history[history["ds"] <= cutoffs[-1]]
    return intervals.apply(last, known)


def out_of_sample_coverage(backtest: pd.DataFrame, history: pd.DataFrame) -> float | None:
    """Share of the last origin's actuals inside the P10-P90 interval calibrated on the earlier origins (the
    nominal level is 80%); None with a single origin."""
    judged = last_origin_intervals(backtest, history)
    if judged is None:
        return None
    judged = judged.merge(history[["unique_id", "ds", "y"]], on=["unique_id", "ds"])
    inside = (judged["y"] >= judged["p10_qty"]) & (judged["y"] <= judged["p90_qty"])
    return float(inside.mean())
