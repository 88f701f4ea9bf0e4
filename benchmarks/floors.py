"""What the forecast and dbt stages are measured against, in the same process as the cycle they follow.

* The forecast's LightGBM work done by mlforecast (Nixtla's library for the same job): the rolling-origin
  backtest, the final fit and the horizon's forecast, with the same LightGBM parameters, lags, rolling and
  seasonal means, calendar, static and exogenous columns (mlforecast has no series-age feature: it gets one
  feature fewer). Ours is timed doing exactly that work too, without the baselines the stage adds.
* DuckDB's raw aggregation rate: the order lines summed to sku x location x month, the heaviest query of
  the history models, alone.
"""

from __future__ import annotations

import time

import duckdb
import pandas as pd

from ml import GlobalForecaster
from ml.backtest import Splits
from ml.forecaster import DEFAULT_PARAMS
from sop.stages.forecast import EXOGENOUS, ForecastConfig, future_exogenous, load_history


def _seconds(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def forecast_peer(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Seconds for the same LightGBM work, ours and mlforecast's."""
    cfg = ForecastConfig()
    history, static = load_history(con)
    spec = cfg.bucket.feature_spec(EXOGENOUS)
    splits = Splits.fitting(history["ds"].nunique(), cfg.origins, cfg.window)
    horizon = cfg.horizon_buckets
    future = future_exogenous(con, history, horizon, cfg.bucket.freq)

    def ours():
        for cutoff in splits.cutoffs(history["ds"]):
            train, window = history[history["ds"] <= cutoff], history[history["ds"] > cutoff]
            model = GlobalForecaster(spec=spec, freq=cfg.bucket.freq, scale_window=cfg.bucket.season_length)
            model.fit(train, static).predict(splits.horizon, window[["unique_id", "ds", *spec.exogenous]])
        model = GlobalForecaster(spec=spec, freq=cfg.bucket.freq, scale_window=cfg.bucket.season_length)
        model.fit(history, static).predict(horizon, future)

    def peer():
        import lightgbm as lgb
        from mlforecast import MLForecast
        from mlforecast.lag_transforms import RollingMean, SeasonalRollingMean

        season = spec.season_length
        statics = list(spec.static)
        frame = history.merge(static[["unique_id", *statics]], on="unique_id")
        frame[statics] = frame[statics].astype("category")
        # the same learning problem as ours: the target over its series' level (the mean of its last season),
        # rows weighted by that level
        recent = frame[frame["ds"] > frame["ds"].max() - pd.DateOffset(months=season)]
        frame["weight"] = frame["unique_id"].map(recent.groupby("unique_id")["y"].mean()).fillna(0).clip(lower=0.1)
        frame["y"] = frame["y"] / frame["weight"]

        def make():
            return MLForecast(
                models={"lightgbm": lgb.LGBMRegressor(**{**DEFAULT_PARAMS, "random_state": 0})},
                freq=cfg.bucket.freq,
                lags=list(spec.lags),
                lag_transforms={
                    1: [RollingMean(window_size=w, min_samples=1) for w in spec.rolling_means],
                    season: [
                        SeasonalRollingMean(season_length=season, window_size=k, min_samples=1)
                        for k in spec.seasonal_means
                    ],
                },
                date_features=list(spec.calendar),
                num_threads=2,
            )

        # dropna=False: like ours, every row trains, its missing lags left to LightGBM
        make().cross_validation(
            frame,
            n_windows=splits.origins,
            h=splits.horizon,
            step_size=splits.horizon,
            static_features=statics,
            dropna=False,
            weight_col="weight",
        )
        make().fit(frame, static_features=statics, dropna=False, weight_col="weight").predict(horizon, X_df=future)

    return {"ours_s": _seconds(ours), "mlforecast_s": _seconds(peer)}


def duckdb_aggregation(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Order lines summed to sku x location x month, alone: the floor under the history models."""
    rows = con.execute("select count(*) from raw.sales_orders").fetchone()[0]
    seconds = _seconds(
        lambda: con.execute(
            """create or replace temp table _floor as
               select sku_id, location_id, date_trunc('month', order_date) as month_date,
                      sum(ordered_qty) as ordered_qty, sum(shipped_qty) as shipped_qty
               from raw.sales_orders group by all"""
        )
    )
    return {"order_lines": rows, "aggregate_s": seconds, "rows_per_s": rows / seconds}


def measure(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, float]]:
    return {"forecast_peer": forecast_peer(con), "duckdb": duckdb_aggregation(con)}


if __name__ == "__main__":  # a quick look at an existing warehouse: python -m benchmarks.floors WAREHOUSE
    import json
    import sys

    with duckdb.connect(sys.argv[1]) as con:
        print(json.dumps(measure(con), indent=2))
