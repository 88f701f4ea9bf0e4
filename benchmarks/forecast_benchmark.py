"""Forecast accuracy and speed on real data: our model against seasonal naive, AutoETS, Croston and mlforecast,
every method on the same rolling-origin windows, in one process.

    .venv/bin/python -m benchmarks.forecast_benchmark [--datasets m5_daily m5_monthly supplygraph_weekly]
                                                      [--origins 3] [--data ../shared/data]

Data (benchmarks/forecast_data.py): M5's 280 item x store series, daily (windows of 28 days, the last ending
with d_1913) and summed to whole months (windows of 6); SupplyGraph's 41 products in ISO weeks (windows of
5). Our model is ml.GlobalForecaster; mlforecast gets the same lags, rolling and seasonal means, calendar,
static and known-in-advance features and the same LightGBM parameters (it has no series-age feature and
no per-series scaling: those are ours). Accuracy: RMSSE (utilsforecast; each series scaled by its one-step
naive error before the first origin, M5's definition), averaged over series and windows, at item x store and
at aggregate levels (forecasts summed bottom-up, so coherent by construction); WAPE at item x store. 80%
intervals: ours conformal (ml/intervals.py), AutoETS its own; coverage on the last window, ours calibrated on
the earlier ones. Wall time: fit and predict over all windows. Prints a table, writes
benchmarks/results/forecast_benchmark.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.forecast_data import DATASETS, Dataset, aggregate
from ml import FeatureSpec, GlobalForecaster
from ml.backtest import Splits
from ml.forecaster import DEFAULT_PARAMS
from ml.intervals import ConformalIntervals

RESULTS = Path(__file__).parent / "results"
STATISTICAL = ("seasonal_naive", "auto_ets", "croston")


def feature_spec(data: Dataset) -> FeatureSpec:
    statics = tuple(c for c in data.static.columns if c in ("dept_id", "store_id", "family_id"))
    if data.freq == "D":
        return FeatureSpec(
            lags=(1, 2, 3, 4, 5, 6, 7, 14, 21, 28),
            rolling_means=(7, 14, 28),
            seasonal_means=(1, 2, 4),
            season_length=7,
            calendar=("dayofweek", "month"),
            static=statics,
            exogenous=data.exogenous,
        )
    if data.freq == "MS":
        return FeatureSpec(static=statics, exogenous=data.exogenous)
    # 30 weeks: under a season, so no calendar or age features (as the pipeline's forecast stage does)
    return FeatureSpec(
        lags=(1, 2, 3, 4, 5, 6, 8, 13),
        rolling_means=(4, 8, 13),
        seasonal_means=(),
        season_length=52,
        calendar=(),
        static=statics,
        age=False,
        exogenous=data.exogenous,
    )


# each series' level is the mean of its last year, as in the pipeline (ml/forecaster.py)
YEAR = {"D": 364, "W-MON": 52, "MS": 12}


def _ours(data, spec, train, window, **params):
    model = GlobalForecaster(spec=spec, freq=data.freq, seed=0, params=params, scale_window=YEAR[data.freq])
    model = model.fit(train, data.static)
    out = model.predict(data.horizon, window[["unique_id", "ds", *spec.exogenous]])
    return out.set_index(["unique_id", "ds"])["y_hat"]


def _mlforecast(data, spec, train, window, direct=False):
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean, SeasonalRollingMean

    params = {**DEFAULT_PARAMS, "random_state": 0}
    lag_transforms = {1: [RollingMean(window_size=w) for w in spec.rolling_means]}
    if spec.seasonal_means:
        lag_transforms[spec.season_length] = [
            SeasonalRollingMean(season_length=spec.season_length, window_size=k) for k in spec.seasonal_means
        ]
    fcst = MLForecast(
        models={"y_hat": lgb.LGBMRegressor(**params)},
        freq=data.freq,
        lags=list(spec.lags),
        lag_transforms=lag_transforms,
        date_features=list(spec.calendar),
    )
    statics = list(spec.static)
    frame = train.merge(data.static[["unique_id", *statics]], on="unique_id")
    for c in statics:
        frame[c] = frame[c].astype("category")
    # direct: one model per horizon step, each trained on its own shifted target
    try:
        fcst.fit(frame, static_features=statics, max_horizon=data.horizon if direct else None)
    except ValueError:  # a step with no complete training row (too short a history): not applicable, NaN
        return window.set_index(["unique_id", "ds"])["y"] * np.nan
    future = window[["unique_id", "ds", *spec.exogenous]] if spec.exogenous else None
    out = fcst.predict(data.horizon, X_df=future)
    return out.set_index(["unique_id", "ds"])["y_hat"].clip(lower=0)


# direct trains one model per step: 28 for M5's daily horizon, each on half a million rows (~15 minutes on 2
# cores); measured where the horizon is short (monthly, weekly), where the comparison with recursive is fair
DIRECT_MAX_STEPS = 12

# machine-learning methods: name -> forecast of one window, a Series on (unique_id, ds)
LEARNERS = {
    "ours": _ours,
    "ours_tweedie": partial(_ours, objective="tweedie", tweedie_variance_power=1.1),
    "mlforecast": _mlforecast,
    "mlforecast_direct": partial(_mlforecast, direct=True),
}


def _statistical(data, train):
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, CrostonOptimized, Naive, SeasonalNaive

    models = [
        SeasonalNaive(season_length=data.season_length, alias="seasonal_naive"),
        AutoETS(season_length=data.season_length, alias="auto_ets"),
        CrostonOptimized(alias="croston"),
    ]
    timings = {}
    parts = []
    for model in models:
        sf = StatsForecast(models=[model], freq=data.freq, n_jobs=1, fallback_model=Naive())
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            level = [80] if model.alias == "auto_ets" else None
            part = sf.forecast(df=train[["unique_id", "ds", "y"]], h=data.horizon, level=level)
        timings[model.alias] = time.perf_counter() - started
        parts.append(part.set_index(["unique_id", "ds"]))
    out = pd.concat(parts, axis=1).reset_index()
    # a baseline that cannot forecast a young series repeats its mean (as ml.baselines does)
    mean = train.groupby("unique_id")["y"].mean()
    for c in out.columns.drop(["unique_id", "ds"]):
        out[c] = out[c].fillna(out["unique_id"].map(mean)).clip(lower=0)
    return out, timings


def run_dataset(data: Dataset, origins: int, learners: list[str]) -> dict:
    spec = feature_spec(data)
    splits = Splits(origins=origins, horizon=data.horizon)
    methods = [*learners, *STATISTICAL]
    seconds = dict.fromkeys(methods, 0.0)
    windows = []
    for cutoff in splits.cutoffs(data.history["ds"]):
        train = data.history[data.history["ds"] <= cutoff]
        window = data.history[(data.history["ds"] > cutoff) & data.history["unique_id"].isin(train["unique_id"])]
        window = window[window["ds"] <= window["ds"].drop_duplicates().nsmallest(data.horizon).max()]
        forecasts = []
        for name in learners:
            if name == "mlforecast_direct" and data.horizon > DIRECT_MAX_STEPS:
                continue
            started = time.perf_counter()
            forecasts.append(LEARNERS[name](data, spec, train, window).rename(name))
            seconds[name] += time.perf_counter() - started
        statistical, timings = _statistical(data, train)
        for name, s in timings.items():
            seconds[name] += s
        forecasts.append(statistical.set_index(["unique_id", "ds"]))
        merged = pd.concat(forecasts, axis=1).reset_index()
        windows.append(merged.merge(window[["unique_id", "ds", "y"]], on=["unique_id", "ds"]).assign(cutoff=cutoff))
    scored = pd.concat(windows, ignore_index=True)
    scored = scored.assign(**{m: np.nan for m in methods if m not in scored})  # skipped: not applicable
    # a method that could not forecast every row (n/a on this data set) is not scored at all
    methods = [m for m in methods if scored[m].notna().all()]
    train = data.history[data.history["ds"] <= scored["cutoff"].min()][["unique_id", "ds", "y"]]
    return {
        "series": int(data.history["unique_id"].nunique()),
        "buckets": int(data.history["ds"].nunique()),
        "windows": f"{origins} x {data.horizon}",
        "seconds": {m: round(seconds[m], 2) for m in methods},
        "not_applicable": [m for m in seconds if m not in methods],
        "rmsse": {
            level or "series": _rmsse(scored, train, data.static, level, methods)
            for level in (None, *data.levels, "total")
        },
        "wape": {m: float((scored[m] - scored["y"]).abs().sum() / scored["y"].sum()) for m in methods},
        "coverage_80": _coverage(scored, data.history),
    }


def _rmsse(scored, train, static, level, methods) -> dict[str, float]:
    from utilsforecast.losses import rmsse

    frame = aggregate(scored, static, level, ["y", *methods])
    history = aggregate(train, static, level, ["y"])
    per_series = rmsse(frame[frame["unique_id"].isin(history["unique_id"])], methods, seasonality=1, train_df=history)
    return {m: float(per_series[m].replace([np.inf, -np.inf], np.nan).mean()) for m in methods}


def _coverage(scored, history) -> dict[str, float]:
    last = scored["cutoff"].max()
    ours = scored[["cutoff", "unique_id", "ds"]].assign(y_hat=scored["ours"])
    intervals = ConformalIntervals().fit(ours[ours["cutoff"] < last], history)
    known = history[history["ds"] <= last]
    judged = intervals.apply(ours[ours["cutoff"] == last][["unique_id", "ds", "y_hat"]], known)
    judged = judged.merge(scored[scored["cutoff"] == last][["unique_id", "ds", "y"]], on=["unique_id", "ds"])
    final = scored[scored["cutoff"] == last]
    return {
        "ours": float(((judged["y"] >= judged["p10_qty"]) & (judged["y"] <= judged["p90_qty"])).mean()),
        "auto_ets": float(((final["y"] >= final["auto_ets-lo-80"]) & (final["y"] <= final["auto_ets-hi-80"])).mean()),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    ap.add_argument("--origins", type=int, default=3)
    ap.add_argument("--learners", nargs="+", default=list(LEARNERS), choices=list(LEARNERS))
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = ap.parse_args()
    results = {}
    for name in args.datasets:
        started = time.perf_counter()
        results[name] = run_dataset(DATASETS[name](args.data), args.origins, args.learners)
        results[name]["total_seconds"] = round(time.perf_counter() - started, 1)
        results[name]["goals"] = goals(results[name])
        _print(name, results[name])
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "forecast_benchmark.json"
    # a run of some data sets replaces theirs and keeps the others'
    earlier = json.loads(path.read_text())["results"] if path.exists() else {}
    machine = {"cpus": os.cpu_count(), "python": platform.python_version()}
    out = {"results": {**earlier, **results}, "machine": machine}
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"written: {path}")


def goals(r: dict) -> dict[str, float]:
    """The issue's targets as numbers: RMSSE improvements (1 - ours / peer) and ratios against mlforecast."""
    out = {}
    for level, scores in r["rmsse"].items():
        best = min(scores[m] for m in STATISTICAL if m in scores)
        out[f"rmsse_gain_vs_best_statistical_{level}"] = round(1 - scores["ours"] / best, 3)
    out["rmsse_gain_vs_seasonal_naive_series"] = round(
        1 - r["rmsse"]["series"]["ours"] / r["rmsse"]["series"]["seasonal_naive"], 3
    )
    out["rmsse_ratio_ours_to_mlforecast_series"] = round(
        r["rmsse"]["series"]["ours"] / r["rmsse"]["series"]["mlforecast"], 3
    )
    out["seconds_ratio_ours_to_mlforecast"] = round(r["seconds"]["ours"] / r["seconds"]["mlforecast"], 3)
    out["coverage_80_ours"] = round(r["coverage_80"]["ours"], 3)
    return out


def _print(name: str, r: dict) -> None:
    levels = list(r["rmsse"])
    print(f"\n{name}: {r['series']} series, {r['buckets']} buckets, windows {r['windows']}")
    print(f"{'method':<16}{'wall s':>8}{'WAPE':>8}" + "".join(f"{'RMSSE ' + lv:>20}" for lv in levels))
    for m in r["wape"]:
        cells = "".join(f"{r['rmsse'][lv][m]:>20.3f}" for lv in levels)
        print(f"{m:<16}{r['seconds'][m]:>8.1f}{r['wape'][m]:>8.3f}{cells}")
    print("80% interval coverage on the last window: " + ", ".join(f"{k} {v:.3f}" for k, v in r["coverage_80"].items()))
    if r["not_applicable"]:
        print(
            "not scored (direct over a long horizon is skipped; or a window without a forecast): "
            + ", ".join(r["not_applicable"])
        )
    print("goals (targets: series gain vs seasonal naive >= 0.20, vs best statistical >= 0 at series and >= 0.10")
    print("       at aggregates, ratios to mlforecast <= 1, coverage 0.75-0.85):")
    for k, v in r["goals"].items():
        print(f"  {k:<48}{v:>8.3f}")


if __name__ == "__main__":
    main()
