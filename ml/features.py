"""Features declared as configuration, computed for one bucket at a time from strictly earlier buckets.

``features_at(panel, t)`` reads only ``panel.values[:, :t]``: a feature can never see the target or
anything after it, in training or in recursive prediction. Exogenous columns are the one exception by
design: their value at ``t`` is known before ``t`` (a price list, a calendar of events).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

# calendar features of a bucket's start date, by name (categorical to the model)
CALENDAR = {
    "month": lambda day: day.month,
    "dayofweek": lambda day: day.dayofweek,
    "week": lambda day: day.isocalendar().week,
}


@dataclass(frozen=True)
class FeatureSpec:
    lags: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 12)
    rolling_means: tuple[int, ...] = (3, 6, 12)  # mean of the last w buckets
    seasonal_means: tuple[int, ...] = (1, 2)  # mean of the same bucket 1..k seasons back
    season_length: int = 12
    calendar: tuple[str, ...] = ("month",)  # names in CALENDAR
    static: tuple[str, ...] = ("family_id", "region", "location_id")
    age: bool = True  # buckets since the series started (lifecycle)
    # dynamic columns known in advance (e.g. price, event days), read at the bucket being predicted
    exogenous: tuple[str, ...] = ()

    def names(self) -> list[str]:
        out = [f"lag_{k}" for k in self.lags]
        out += [f"rolling_mean_{w}" for w in self.rolling_means]
        out += [f"seasonal_mean_{k}" for k in self.seasonal_means]
        out += list(self.calendar) + list(self.static)
        return out + (["age"] if self.age else []) + list(self.exogenous)

    @property
    def categorical(self) -> list[str]:
        return list(self.calendar) + list(self.static)


def _mean(block: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices are expected (young series)
        return np.nanmean(block, axis=1)


def features_at(
    values: np.ndarray,
    dates: pd.DatetimeIndex,
    first: np.ndarray,
    t: int,
    spec: FeatureSpec,
    static_codes: dict[str, np.ndarray],
    exog: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Feature columns for every series at bucket ``t``: the target from buckets before ``t`` only, and the
    exogenous values of bucket ``t`` itself (known in advance: a planned price, a holiday)."""
    past = values[:, :t]
    n = len(values)
    cols: dict[str, np.ndarray] = {}
    for k in spec.lags:
        cols[f"lag_{k}"] = past[:, t - k] if t - k >= 0 else np.full(n, np.nan)
    for w in spec.rolling_means:
        cols[f"rolling_mean_{w}"] = _mean(past[:, max(t - w, 0) :]) if t > 0 else np.full(n, np.nan)
    for k in spec.seasonal_means:
        idx = [t - spec.season_length * j for j in range(1, k + 1) if t - spec.season_length * j >= 0]
        cols[f"seasonal_mean_{k}"] = _mean(past[:, idx]) if idx else np.full(n, np.nan)
    for name in spec.calendar:
        cols[name] = np.full(n, CALENDAR[name](dates[t]))
    cols.update(static_codes)
    if spec.age:
        cols["age"] = (t - first).astype(float)
    for name in spec.exogenous:
        cols[name] = exog[name][:, t]
    return cols


def stacked(cols: dict[str, np.ndarray], names: list[str], rows: np.ndarray | None = None) -> np.ndarray:
    """The feature columns (of ``rows`` only, if given) as one float block in ``names`` order: what LightGBM
    reads, without a DataFrame per bucket (LightGBM turns every column into a float anyway)."""
    return np.column_stack([cols[name] if rows is None else cols[name][rows] for name in names]).astype(float)
