"""Accuracy metrics on aligned arrays of actuals and forecasts."""

from __future__ import annotations

import numpy as np


def wape(actual, forecast) -> float:
    """Weighted absolute percentage error: sum |forecast - actual| / sum actual."""
    actual, forecast = np.asarray(actual, float), np.asarray(forecast, float)
    return float(np.abs(forecast - actual).sum() / actual.sum())


def bias(actual, forecast) -> float:
    """Relative bias: (sum forecast - sum actual) / sum actual; positive means over-forecast."""
    actual, forecast = np.asarray(actual, float), np.asarray(forecast, float)
    return float((forecast.sum() - actual.sum()) / actual.sum())
