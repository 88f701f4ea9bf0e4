"""Statistical baselines every model is scored against, from statsforecast, in the long-format contract.

Renaming happens here, at the edge: statsforecast's model classes become ``model_name`` values. A baseline
that cannot forecast a series (younger than its window or season) repeats the series' mean instead, so every
method forecasts the same series and is scored on the same rows.
"""

from __future__ import annotations

import warnings

import pandas as pd

# model_name -> how to build it for a season length (statsforecast imports lazily: it costs seconds)
BASELINES = {
    "naive": lambda season: _models().Naive(),
    "seasonal_naive": lambda season: _models().SeasonalNaive(season_length=season),
    "moving_average": lambda season: _models().WindowAverage(window_size=max(season // 4, 3)),
    "croston": lambda season: _models().CrostonOptimized(),
    "tsb": lambda season: _models().TSB(alpha_d=0.2, alpha_p=0.2),
    "auto_ets": lambda season: _models().AutoETS(season_length=season),
}
DEFAULT_BASELINES = ("naive", "seasonal_naive", "moving_average", "croston", "tsb")


def _models():
    import statsforecast.models

    return statsforecast.models


def baseline_forecasts(
    df: pd.DataFrame,
    h: int,
    season_length: int = 12,
    freq: str = "MS",
    models: tuple[str, ...] = DEFAULT_BASELINES,
) -> pd.DataFrame:
    """``h`` buckets after each series' last one, by every baseline in ``models``.

    ``df`` is ``unique_id, ds, y``. Returns ``model_name, unique_id, ds, y_hat``.
    """
    from statsforecast import StatsForecast

    built = [BASELINES[name](season_length) for name in models]
    for name, model in zip(models, built, strict=True):
        model.alias = name
    sf = StatsForecast(models=built, freq=freq, n_jobs=1, fallback_model=_models().Naive())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsforecast warns on constant and very short series
        wide = sf.forecast(df=df[["unique_id", "ds", "y"]], h=h)
    mean = df.groupby("unique_id")["y"].mean()
    long = wide.melt(id_vars=["unique_id", "ds"], value_vars=list(models), var_name="model_name", value_name="y_hat")
    long["y_hat"] = long["y_hat"].fillna(long["unique_id"].map(mean)).clip(lower=0.0)
    return long[["model_name", "unique_id", "ds", "y_hat"]]


def seasonal_naive(df: pd.DataFrame, h: int, season_length: int = 12, freq: str = "MS") -> pd.DataFrame:
    """Each future bucket repeats the same bucket one season earlier (series younger than a season repeat
    their mean). Returns ``unique_id, ds, y_hat``."""
    out = baseline_forecasts(df, h, season_length, freq, ("seasonal_naive",))
    return out.drop(columns="model_name")


def naive(df: pd.DataFrame, h: int, freq: str = "MS") -> pd.DataFrame:
    """Every future bucket repeats the last observed one: the first stage of forecast value added.
    Returns ``unique_id, ds, y_hat``."""
    return baseline_forecasts(df, h, 1, freq, ("naive",)).drop(columns="model_name")
