"""Forecast stage: history from the warehouse -> LightGBM and seasonal naive -> forecast tables."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ml import GlobalForecaster
from ml.backtest import Splits, backtest
from ml.baselines import BASELINES, DEFAULT_BASELINES, baseline_forecasts
from ml.intervals import QUANTILES, ConformalIntervals, last_origin_intervals, out_of_sample_coverage
from ml.metrics import scoreboard, wape_by_demand_class
from ml.new_products import like_item_forecast
from ml.plots import forecast_vs_actuals_png, largest_series
from sop.buckets import Bucket, planning_bucket
from sop.warehouse import replace_cycle_rows

SEP = "@"  # series id = sku_id@location_id


def backtest_baselines(names: str | None = None) -> tuple[str, ...]:
    """The baselines the backtest scores LightGBM against: ``SOP_FORECAST_BASELINES`` (comma-separated names
    from ml.baselines.BASELINES) or the default five. AutoETS is opt-in: about 90 s for the sample company's
    920 series x 3 origins on one core, more than the rest of the cycle."""
    names = names if names is not None else os.environ.get("SOP_FORECAST_BASELINES", "")
    chosen = tuple(dict.fromkeys(n.strip() for n in names.split(",") if n.strip()))
    unknown = [n for n in chosen if n not in BASELINES]
    if unknown:
        raise ValueError(f"SOP_FORECAST_BASELINES: unknown {unknown}; choose from {sorted(BASELINES)}")
    return chosen or DEFAULT_BASELINES


@dataclass(frozen=True)
class ForecastConfig:
    bucket: Bucket = field(default_factory=planning_bucket)
    horizon: int | None = None  # in buckets; None = the bucket's default (18 months, 26 weeks)
    origins: int = 3  # rolling-origin backtest: windows of `window` buckets, one after the other
    window: int = 6
    seed: int = 0
    baselines: tuple[str, ...] = field(default_factory=backtest_baselines)
    # where LightGBM trains: "local" (this process) or "dask" (SOP_DASK_SCHEDULER's cluster, else a
    # LocalCluster; the dask extra): see ml/distributed.py
    engine: str = field(default_factory=lambda: os.environ.get("SOP_FORECAST_ENGINE", "local"))

    @property
    def horizon_buckets(self) -> int:
        return self.horizon or self.bucket.horizon


EXOGENOUS = ("price_ratio", "event_days")


def load_history(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The long-format contract (unique_id, ds, y, price_ratio, event_days) and static attributes, renamed
    at this edge."""
    history = con.sql(
        f"""select sku_id || '{SEP}' || location_id as unique_id, cast(bucket_date as timestamp) as ds,
                   cast(demand_qty as double) as y, unit_price_amount
            from marts.fct_demand_history order by unique_id, ds"""
    ).df()
    # price relative to the series' usual price: promotions and price increases, whatever the currency
    by_series = history.groupby("unique_id")["unit_price_amount"]
    price = by_series.ffill().fillna(by_series.bfill())  # what ffill().bfill() per series gives, vectorized
    history["price_ratio"] = (price / price.groupby(history["unique_id"]).transform("median")).fillna(1.0)
    history = history.drop(columns="unit_price_amount").merge(_event_days(con), on="ds", how="left")
    history["event_days"] = history["event_days"].fillna(0.0)
    static = con.sql(
        f"""select sku_id || '{SEP}' || location_id as unique_id, family_id, region, location_id,
                   cast(launch_date as timestamp) as launch_ds, cast(end_date as timestamp) as end_date,
                   is_launching
            from marts.dim_sku_locations"""
    ).df()
    return history, static


def _event_days(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.sql(
        "select cast(bucket_date as timestamp) as ds, cast(event_days as double) as event_days "
        "from marts.fct_calendar_events_bucketed"
    ).df()


def future_exogenous(
    con: duckdb.DuckDBPyConnection, history: pd.DataFrame, horizon: int, freq: str = "MS"
) -> pd.DataFrame:
    """Exogenous values of the horizon: the known event calendar, and each series' price at the median of its
    last three buckets (no promotion is assumed to be planned; a planned price list would replace this)."""
    buckets = pd.date_range(history["ds"].max(), periods=horizon + 1, freq=freq)[1:]
    recent = history[history["ds"].isin(np.sort(history["ds"].unique())[-3:])]
    price = recent.groupby("unique_id")["price_ratio"].median()
    future = pd.DataFrame(
        {
            "unique_id": np.repeat(price.index.to_numpy(), horizon),
            "ds": np.tile(buckets, len(price)),
            "price_ratio": np.repeat(price.to_numpy(), horizon),
        }
    ).merge(_event_days(con), on="ds", how="left")
    return future.fillna({"event_days": 0.0})


def _to_warehouse(frame: pd.DataFrame, bucket: Bucket) -> pd.DataFrame:
    # split each distinct id once, not each row (5 s for the 1.6M rows of 10k series)
    codes, uniques = pd.factorize(frame["unique_id"])
    ids = pd.Series(uniques).str.split(SEP, n=1, expand=True)
    out = pd.DataFrame(
        {
            "planning_bucket": bucket.name,  # the archive may hold cycles planned at another grain
            "model_name": frame["model_name"].to_numpy(),
            "sku_id": ids[0].to_numpy()[codes],
            "location_id": ids[1].to_numpy()[codes],
            "bucket_date": pd.to_datetime(frame["ds"]).dt.date,
            "forecast_qty": frame["y_hat"].round(4),
        }
    )
    if "ceiling" in frame:  # LightGBM's plausibility ceiling (ml/bounds.py); other methods' rows are null
        ceiling = frame["ceiling"].replace(np.inf, np.nan)
        out["ceiling_qty"] = ceiling.round(4).to_numpy()
        out["uncapped_qty"] = frame["uncapped_y_hat"].round(4).to_numpy()
        out["is_capped"] = ((frame["uncapped_y_hat"] > ceiling) & (frame["y_hat"] > 0)).to_numpy()
    if "cutoff" in frame:  # backtests: the last bucket the forecast was trained on
        out.insert(1, "cutoff_date", pd.to_datetime(frame["cutoff"]).dt.date)
    for name in QUANTILES:
        if name in frame:
            out[name] = frame[name].round(4)
    return out


def apply_lifecycle(forecast: pd.DataFrame, static: pd.DataFrame) -> pd.DataFrame:
    """No demand after a SKU's end date (phase-out)."""
    end = forecast["unique_id"].map(static.set_index("unique_id")["end_date"])
    gone = end.notna() & (forecast["ds"] > end)
    return forecast.assign(y_hat=np.where(gone, 0.0, forecast["y_hat"]))


def capped_series(forecast: pd.DataFrame, shown: int = 10) -> dict:
    """How many series were cut back to their ceiling, and the largest cuts (for the asset's metadata)."""
    cut = forecast[forecast["uncapped_y_hat"] > forecast["ceiling"]]
    worst = cut.groupby("unique_id")["uncapped_y_hat"].max().sort_values(ascending=False).head(shown)
    ceiling = forecast.groupby("unique_id")["ceiling"].first()
    return {
        "count": int(cut["unique_id"].nunique()),
        "largest": {uid: f"{high:,.0f} cut to {ceiling[uid]:,.0f}" for uid, high in worst.items()},
    }


def with_scored_intervals(backtested: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """LightGBM's last-origin backtest rows get the P10/P50/P90 calibrated on the earlier origins, so the
    warehouse scores intervals (coverage, pinball loss) out of sample; other rows keep them empty."""
    scored = last_origin_intervals(backtested[backtested["model_name"] == "lightgbm"], history)
    if scored is None:
        return backtested
    keys = ["model_name", "cutoff", "unique_id", "ds"]
    return backtested.merge(scored[[*keys, *QUANTILES]], on=keys, how="left")


@contextmanager
def training(engine: str) -> Iterator[Callable | None]:
    """The trainer GlobalForecaster fits LightGBM with: None (in this process) or a Dask cluster's."""
    if engine == "local":
        yield None
    elif engine == "dask":
        from ml.distributed import DaskTrainer, dask_client

        with dask_client() as client:
            yield DaskTrainer(client)
    else:
        raise ValueError(f"SOP_FORECAST_ENGINE must be 'local' or 'dask', not {engine!r}")


def run(con: duckdb.DuckDBPyConnection, cycle_id: str, model_dir: Path, cfg: ForecastConfig | None = None):
    cfg = cfg or ForecastConfig()  # built per call: the bucket comes from SOP_BUCKET as it is now
    with training(cfg.engine) as trainer:
        return _run(con, cycle_id, model_dir, cfg, trainer)


def _run(con: duckdb.DuckDBPyConnection, cycle_id: str, model_dir: Path, cfg: ForecastConfig, trainer):
    history, static = load_history(con)
    if history.empty:
        raise ValueError(f"cycle {cycle_id}: marts.fct_demand_history is empty; nothing to forecast")
    bucket, horizon = cfg.bucket, cfg.horizon_buckets
    spec = bucket.feature_spec(EXOGENOUS)
    if history["ds"].nunique() < bucket.season_length:
        # under a year of history, the month and a series' age are the date in disguise: trees would carry
        # the level of the last dates they saw forward instead of learning seasonality or a lifecycle
        spec = replace(spec, calendar=(), age=False)
    # each series' level is its last year (a season of buckets): see ml/forecaster.py
    make_model = partial(
        GlobalForecaster,
        spec=spec,
        seed=cfg.seed,
        freq=bucket.freq,
        scale_window=bucket.season_length,
        trainer=trainer,
    )
    splits = Splits.fitting(history["ds"].nunique(), cfg.origins, cfg.window)
    started = time.perf_counter()
    backtested = apply_lifecycle(backtest(history, static, splits, make_model, cfg.baselines), static)
    backtest_seconds = time.perf_counter() - started

    model = make_model().fit(history, static)
    lightgbm = model.predict(horizon, future_exogenous(con, history, horizon, bucket.freq))
    # P10/P50/P90 from LightGBM's own backtest errors (ml/intervals.py), coverage measured on the last origin
    own_backtest = backtested[backtested["model_name"] == "lightgbm"]
    lightgbm = ConformalIntervals().fit(own_backtest, history).apply(lightgbm, history)
    backtested = with_scored_intervals(backtested, history)
    # products about to launch (nothing ordered yet) get their family's launch curve (ml/new_products.py)
    launching = like_item_forecast(
        history,
        static,
        static[static["is_launching"]],
        pd.DatetimeIndex(lightgbm["ds"].drop_duplicates().sort_values()),
        bucket.freq,
        bucket.season_length,
    )
    # every method is archived per cycle: accuracy by lag and forecast value added score them once actuals arrive
    # a product without history has nothing to repeat: its naive baselines are zero (every stage then covers
    # the same series, so value added compares like with like)
    zero = launching[["unique_id", "ds"]].assign(y_hat=0.0)
    parts = [
        lightgbm.assign(model_name="lightgbm"),
        baseline_forecasts(history, horizon, bucket.season_length, bucket.freq, ("seasonal_naive", "naive")),
        launching.drop(columns="basis").assign(model_name="like_item"),
        *(zero.assign(model_name=name) for name in ("seasonal_naive", "naive")),
    ]
    future = pd.concat([part for part in parts if len(part)], ignore_index=True)
    future = apply_lifecycle(future, static)
    model.save(model_dir)
    chart = model_dir / "forecast_vs_actuals.png"
    shown = largest_series(history)
    chart.write_bytes(forecast_vs_actuals_png(history, backtested, future[future["model_name"] == "lightgbm"], shown))
    board = scoreboard(backtested, history, bucket.season_length)
    archived = {
        table: replace_cycle_rows(con, f"forecast.{table}", cycle_id, _to_warehouse(frame, bucket))
        for table, frame in (("demand_forecast", future), ("backtest_forecast", backtested))
    }
    return {
        "demand_forecast_rows": archived["demand_forecast"],
        "backtest_rows": archived["backtest_forecast"],
        "series": int(history["unique_id"].nunique()),
        "launching_series": int(launching["unique_id"].nunique()),
        # series whose recursive forecast ran past its ceiling somewhere in the horizon and was cut back
        "capped_series": capped_series(lightgbm),
        "bucket": bucket.name,
        "engine": cfg.engine,
        "horizon_buckets": horizon,
        "features": spec.names(),
        "training_rows": model.training_rows_,
        "backtest_origins": splits.origins,
        "backtest_window": splits.horizon,
        "backtest_wape": dict(zip(board["model_name"], board["wape"].astype(float), strict=True)),
        "scoreboard": board.round(4).to_dict("records"),
        "wape_by_demand_class": wape_by_demand_class(backtested, history).round(4).to_dict("records"),
        "interval_coverage_p10_p90": out_of_sample_coverage(own_backtest, history),
        "model_dir": str(model_dir),
        "chart": str(chart),
        # the final model's feature building, training and prediction, and the whole backtest, in seconds
        "seconds": {**model.seconds_, "backtest": backtest_seconds},
    }
