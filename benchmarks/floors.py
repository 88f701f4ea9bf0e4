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
    """Seconds for the same LightGBM work, ours and mlforecast's, fold by fold.

    Each piece of work (a backtest origin's fit and forecast, then the final fit and the horizon's forecast)
    runs on both sides back to back, the side that goes first alternating: this machine's speed drifts by
    10-20% over tens of seconds, which two 15-second blocks one after the other (the earlier way) turned
    into a ratio anywhere from 0.87 to 1.34 on the same warehouse.
    """
    cfg = ForecastConfig()
    history, static = load_history(con)
    spec = cfg.bucket.feature_spec(EXOGENOUS)
    splits = Splits.fitting(history["ds"].nunique(), cfg.origins, cfg.window)
    horizon = cfg.horizon_buckets
    future = future_exogenous(con, history, horizon, cfg.bucket.freq)
    dates = pd.DatetimeIndex(sorted(history["ds"].unique()))
    make = _peer_factory(spec, cfg.bucket.freq)

    def ours(cutoff: pd.Timestamp | None) -> None:
        model = GlobalForecaster(spec=spec, freq=cfg.bucket.freq, scale_window=cfg.bucket.season_length)
        if cutoff is None:
            model.fit(history, static).predict(horizon, future)
            return
        train, window = history[history["ds"] <= cutoff], history[history["ds"] > cutoff]
        model.fit(train, static).predict(splits.horizon, window[["unique_id", "ds", *spec.exogenous]])

    def peer(cutoff: pd.Timestamp | None) -> None:
        # its input prepared inside the timer, as ours scales and encodes inside its fit
        if cutoff is None:
            frame, statics = _peer_frame(history, static, spec)
            model = make().fit(frame, static_features=statics, dropna=False, weight_col="weight")
            model.predict(horizon, X_df=future)
            return
        # one window of mlforecast's own backtest: trained up to the cutoff, forecast the origin's horizon
        end = dates[dates.get_loc(cutoff) + splits.horizon]
        frame, statics = _peer_frame(history[history["ds"] <= end], static, spec, cutoff)
        make().cross_validation(
            frame,
            n_windows=1,
            h=splits.horizon,
            static_features=statics,
            dropna=False,  # like ours: every row trains, its missing lags left to LightGBM
            weight_col="weight",
        )

    seconds = {"ours_s": 0.0, "mlforecast_s": 0.0}
    for i, cutoff in enumerate([*splits.cutoffs(history["ds"]), None]):
        pair = [("ours_s", ours), ("mlforecast_s", peer)]
        for side, work in pair if i % 2 == 0 else reversed(pair):
            seconds[side] += _seconds(lambda work=work, cutoff=cutoff: work(cutoff))
    return seconds


def _peer_frame(
    history: pd.DataFrame, static: pd.DataFrame, spec, cutoff: pd.Timestamp | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """mlforecast's input for the same learning problem as ours: the target over its series' level (the mean
    of its last season of training data, up to ``cutoff``), rows weighted by that level, the static attributes
    as categories."""
    statics = list(spec.static)
    frame = history.merge(static[["unique_id", *statics]], on="unique_id")
    frame[statics] = frame[statics].astype("category")
    last = frame["ds"].max() if cutoff is None else cutoff
    recent = frame[(frame["ds"] > last - pd.DateOffset(months=spec.season_length)) & (frame["ds"] <= last)]
    frame["weight"] = frame["unique_id"].map(recent.groupby("unique_id")["y"].mean()).fillna(0).clip(lower=0.1)
    frame["y"] = frame["y"] / frame["weight"]
    return frame, statics


def _peer_factory(spec, freq: str):
    """An unfitted MLForecast with our LightGBM parameters and our features, as mlforecast declares them."""
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean, SeasonalRollingMean

    season = spec.season_length
    return lambda: MLForecast(
        models={"lightgbm": lgb.LGBMRegressor(**{**DEFAULT_PARAMS, "random_state": 0})},
        freq=freq,
        lags=list(spec.lags),
        lag_transforms={
            1: [RollingMean(window_size=w, min_samples=1) for w in spec.rolling_means],
            season: [
                SeasonalRollingMean(season_length=season, window_size=k, min_samples=1) for k in spec.seasonal_means
            ],
        },
        date_features=list(spec.calendar),
        num_threads=2,
    )


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
