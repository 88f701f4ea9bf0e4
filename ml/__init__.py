"""Demand forecasting as a plain library (never imports Dagster).

One long-format contract on every public function: ``unique_id`` (series), ``ds`` (bucket start date),
``y`` (target); static attributes in a frame keyed by ``unique_id``. Renaming happens at the edge.
"""

from ml.baselines import naive, seasonal_naive
from ml.features import FeatureSpec
from ml.forecaster import GlobalForecaster
from ml.metrics import bias, wape

__all__ = ["FeatureSpec", "GlobalForecaster", "bias", "naive", "seasonal_naive", "wape"]
