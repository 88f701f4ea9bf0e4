"""Forecasts for products without history, from similar products (like-item forecasting).

A product about to launch has no demand to learn from, but its family has launched products before. The
forecast of a new series is the launch curve of its peers: their mean demand at each age (buckets since their
first one), over the peers whose launch the history saw, at the same location if it has any, else across the
family; P10/P90 are the spread of those peers at that age. A family without an observed launch falls back
to the mean demand per series of its established products over the last year (flat, no launch ramp).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.panel import Panel


def launch_curves(history: pd.DataFrame, static: pd.DataFrame, by: list[str], freq: str = "MS") -> pd.DataFrame:
    """``<by>, age, y_hat, p10_qty, p90_qty, peers`` for every age observed: demand of the series that
    launched inside the history (their first bucket is not the history's first) at that many buckets old."""
    panel = Panel.from_long(history[["unique_id", "ds", "y"]], freq)
    launched = panel.first > 0
    ages = np.arange(panel.values.shape[1])[None, :] - panel.first[:, None]
    rows = pd.DataFrame(
        {
            "unique_id": np.repeat(panel.ids[launched], panel.values.shape[1]),
            "age": ages[launched].ravel(),
            "y": panel.values[launched].ravel(),
        }
    )
    rows = rows[rows["age"] >= 0].merge(static[["unique_id", *by]], on="unique_id")
    grouped = rows.groupby([*by, "age"])["y"]
    spread = grouped.quantile([0.1, 0.9]).unstack()
    spread.columns = ["p10_qty", "p90_qty"]
    return grouped.agg(y_hat="mean", peers="count").join(spread).reset_index()


def like_item_forecast(
    history: pd.DataFrame,
    static: pd.DataFrame,
    launches: pd.DataFrame,
    horizon_dates: pd.DatetimeIndex,
    freq: str = "MS",
    season_length: int = 12,
) -> pd.DataFrame:
    """``unique_id, ds, y_hat, p10_qty, p50_qty, p90_qty, basis`` for every new series in ``launches``
    (``unique_id, launch_ds, family_id, location_id``) over ``horizon_dates``: zero before its launch bucket,
    then its peers' launch curve (``basis`` says which peers: 'family_location', 'family' or
    'family_level'). ``history`` and ``static`` are the established series (``unique_id, ds, y``; ``unique_id,
    family_id, location_id``). A series with no peer at all gets no row."""
    columns = ["unique_id", "ds", "y_hat", "p10_qty", "p50_qty", "p90_qty", "basis"]
    if launches.empty:
        return pd.DataFrame(columns=columns)
    curves = {
        "family_location": launch_curves(history, static, ["family_id", "location_id"], freq),
        "family": launch_curves(history, static, ["family_id"], freq),
    }
    recent = history[history["ds"] > history["ds"].max() - pd.tseries.frequencies.to_offset(freq) * season_length]
    level = recent.merge(static, on="unique_id").groupby(["family_id", "unique_id"])["y"].mean()
    family_level = level.groupby("family_id").quantile([0.1, 0.9]).unstack()
    family_level.columns = ["p10_qty", "p90_qty"]
    family_level = family_level.assign(y_hat=level.groupby("family_id").mean())[["y_hat", "p10_qty", "p90_qty"]]

    out = []
    for launch in launches.itertuples(index=False):
        # the bucket the launch falls in (the first one for a launch before the horizon)
        start = max(horizon_dates.searchsorted(launch.launch_ds, side="right") - 1, 0)
        ages = np.arange(len(horizon_dates)) - start
        frame = pd.DataFrame({"unique_id": launch.unique_id, "ds": horizon_dates, "age": ages})
        curve, basis = _peers(curves, launch)
        if curve is not None:
            # ages past the longest observed launch keep its last value
            curve = curve.set_index("age").reindex(range(max(ages.max(), 0) + 1)).ffill()
            values = curve.reindex(frame["age"].clip(lower=0))[["y_hat", "p10_qty", "p90_qty"]].to_numpy()
        elif launch.family_id in family_level.index:
            basis = "family_level"
            values = np.tile(family_level.loc[launch.family_id].to_numpy(), (len(frame), 1))
        else:
            continue
        frame[["y_hat", "p10_qty", "p90_qty"]] = np.where(frame[["age"]].to_numpy() >= 0, values, 0.0)
        out.append(frame.assign(basis=basis))
    if not out:
        return pd.DataFrame(columns=columns)
    result = pd.concat(out, ignore_index=True)
    result["p50_qty"] = result["y_hat"]
    return result[columns]


def _peers(curves: dict[str, pd.DataFrame], launch) -> tuple[pd.DataFrame | None, str | None]:
    """The launch curve of the closest peers: the family at the same location, else the family anywhere."""
    at_location = curves["family_location"]
    same = at_location[
        (at_location["family_id"] == launch.family_id) & (at_location["location_id"] == launch.location_id)
    ]
    if len(same):
        return same, "family_location"
    family = curves["family"][curves["family"]["family_id"] == launch.family_id]
    return (family, "family") if len(family) else (None, None)
