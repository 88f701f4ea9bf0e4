"""Statistical baselines every model is scored against."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.panel import Panel


def seasonal_naive(df: pd.DataFrame, h: int, season_length: int = 12, freq: str = "MS") -> pd.DataFrame:
    """Each future bucket repeats the same bucket one season earlier.

    Series younger than a season repeat their mean instead (there is no same bucket to copy).
    Returns ``unique_id, ds, y_hat``.
    """
    panel = Panel.from_long(df, freq).extend(h)
    T = len(panel.dates) - h
    values = panel.values
    with np.errstate(invalid="ignore"):
        fallback = np.nanmean(np.where(np.isnan(values[:, :T]), np.nan, values[:, :T]), axis=1)
    for step in range(h):
        t = T + step
        src = t - season_length
        copied = values[:, src] if src >= 0 else np.full(len(values), np.nan)
        values[:, t] = np.where(np.isnan(copied), fallback, copied)
    return panel.to_long(T, "y_hat")


def naive(df: pd.DataFrame, h: int, freq: str = "MS") -> pd.DataFrame:
    """Every future bucket repeats the last observed one (seasonal naive with a season of one bucket).

    The first stage of forecast value added: what any forecast must beat. Returns ``unique_id, ds, y_hat``.
    """
    return seasonal_naive(df, h, season_length=1, freq=freq)
