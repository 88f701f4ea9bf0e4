"""Forecasting: baselines are exact, the global model is deterministic, leak-free and beats the baseline."""

import numpy as np
import pandas as pd
import pytest

from ml import GlobalForecaster, seasonal_naive, wape
from ml.backtest import Splits, backtest
from ml.features import FeatureSpec
from ml.intervals import ConformalIntervals, out_of_sample_coverage
from ml.metrics import demand_classes, scoreboard, wape_by_demand_class
from ml.plots import forecast_vs_actuals_png, largest_series


def synthetic(n_series=40, months=48, seed=0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seasonal series with trend and noise, of very different sizes, in the long-format contract."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2021-01-01", periods=months, freq="MS")
    rows = []
    for i in range(n_series):
        level = rng.lognormal(3, 1)
        phase = rng.integers(0, 12)
        t = np.arange(months)
        mean = level * (1 + 0.01 * t) * (1 + 0.4 * np.cos(2 * np.pi * (t - phase) / 12))
        rows.append(pd.DataFrame({"unique_id": f"s{i:02d}", "ds": ds, "y": rng.poisson(mean).astype(float)}))
    df = pd.concat(rows, ignore_index=True)
    static = pd.DataFrame({"unique_id": df["unique_id"].unique()}).assign(
        family_id=lambda d: "F" + (d.index % 3).astype(str), region="R", location_id="L"
    )
    return df, static


def test_seasonal_naive_repeats_last_season_and_falls_back_to_the_mean_for_young_series():
    ds = pd.date_range("2024-01-01", periods=14, freq="MS")
    df = pd.concat(
        [
            pd.DataFrame({"unique_id": "old", "ds": ds, "y": np.arange(14.0)}),
            pd.DataFrame({"unique_id": "young", "ds": ds[-4:], "y": [2.0, 4.0, 6.0, 8.0]}),
        ]
    )
    out = seasonal_naive(df, h=3).set_index(["unique_id", "ds"])["y_hat"]
    assert out.loc["old"].tolist() == [2.0, 3.0, 4.0]  # months 15..17 copy months 3..5
    assert out.loc["young"].tolist() == [5.0, 5.0, 5.0]


def test_same_data_same_seed_same_forecast():
    df, static = synthetic()
    a = GlobalForecaster(seed=3).fit(df, static).predict(12)
    b = GlobalForecaster(seed=3).fit(df, static).predict(12)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 40 * 12 and (a["y_hat"] >= 0).all()


def test_no_feature_moves_when_actuals_after_the_origin_change():
    df, static = synthetic()
    model = GlobalForecaster().fit(df, static)
    origin = 36
    changed = df.copy()
    later = changed["ds"] >= model.panel_.dates[origin]
    changed.loc[later, "y"] = changed.loc[later, "y"] * 10 + 7
    other = GlobalForecaster().fit(changed, static)
    # scaling uses each series' mean level, so compare features in units: unscale both
    for t in range(1, origin + 1):
        a = model.feature_matrix(t)
        b = other.feature_matrix(t)
        scaled = [c for c in a.columns if c.startswith(("lag_", "rolling_", "seasonal_"))]
        a[scaled] = a[scaled].mul(model.scale_, axis=0)
        b[scaled] = b[scaled].mul(other.scale_, axis=0)
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)


def test_features_follow_the_declared_spec():
    df, static = synthetic(n_series=5)
    spec = FeatureSpec(lags=(1, 12), rolling_means=(3,), seasonal_means=(1,), static=("family_id",))
    model = GlobalForecaster(spec=spec).fit(df, static)
    features = model.feature_matrix(20)
    assert list(features.columns) == [
        "lag_1",
        "lag_12",
        "rolling_mean_3",
        "seasonal_mean_1",
        "month",
        "family_id",
        "age",
    ]
    values = model.panel_.values / model.scale_[:, None]
    np.testing.assert_allclose(features["lag_1"], values[:, 19])
    np.testing.assert_allclose(features["rolling_mean_3"], values[:, 17:20].mean(axis=1))
    np.testing.assert_allclose(features["seasonal_mean_1"], values[:, 8])


def test_lightgbm_beats_seasonal_naive_on_seasonal_series_with_trend():
    df, static = synthetic(n_series=60, seed=4)
    out = backtest(df, static, Splits(origins=1, horizon=6), make_model=lambda: GlobalForecaster(seed=0))
    scored = out.merge(df, on=["unique_id", "ds"])
    errors = {m: wape(g["y"], g["y_hat"]) for m, g in scored.groupby("model_name")}
    assert errors["lightgbm"] < errors["seasonal_naive"], errors


@pytest.mark.parametrize("h", [1, 18])
def test_forecast_covers_the_horizon_for_every_series(h):
    df, static = synthetic(n_series=8)
    out = GlobalForecaster().fit(df, static).predict(h)
    assert (
        out.groupby("unique_id")["ds"]
        .agg(["count", "min"])
        .eq(pd.Series({"count": h, "min": pd.Timestamp("2025-01-01")}))
        .all()
        .all()
    )


def promoted(n_series=40, months=48, seed=1):
    """Demand driven by a price known in advance: random promotions triple sales."""
    rng = np.random.default_rng(seed)
    df, static = synthetic(n_series, months, seed)
    promo = rng.random(len(df)) < 0.15
    df["price_ratio"] = np.where(promo, 0.7, 1.0)
    df["y"] = np.where(promo, df["y"] * 3, df["y"])
    return df, static


def test_a_known_in_advance_driver_improves_the_forecast():
    df, static = promoted()
    with_price = GlobalForecaster(spec=FeatureSpec(exogenous=("price_ratio",)))
    scored = {}
    for name, factory in {"with": lambda: with_price, "without": lambda: GlobalForecaster()}.items():
        out = backtest(df, static, Splits(origins=1, horizon=6), make_model=factory)
        lgb = out[out["model_name"] == "lightgbm"].merge(df, on=["unique_id", "ds"])
        scored[name] = wape(lgb["y"], lgb["y_hat"])
    assert scored["with"] < 0.8 * scored["without"], scored


def test_exogenous_columns_need_their_future_values():
    df, static = promoted(n_series=5)
    model = GlobalForecaster(spec=FeatureSpec(exogenous=("price_ratio",))).fit(df, static)
    with pytest.raises(ValueError, match="need their future values"):
        model.predict(3)
    future = pd.DataFrame(
        {
            "unique_id": np.repeat(model.panel_.ids, 3),
            "ds": np.tile(pd.date_range("2025-01-01", periods=3, freq="MS"), 5),
            "price_ratio": 0.7,
        }
    )
    promo = model.predict(3, future)
    regular = model.predict(3, future.assign(price_ratio=1.0))
    assert promo["y_hat"].sum() > 1.5 * regular["y_hat"].sum()


def test_every_method_forecasts_the_same_windows_from_the_same_origins():
    df, static = synthetic(n_series=12, months=40, seed=3)
    splits = Splits(origins=3, horizon=4)
    out = backtest(df, static, splits, make_model=lambda: GlobalForecaster(seed=0))
    cutoffs = splits.cutoffs(df["ds"])
    # the last window ends with the history; windows are 4 buckets apart and do not overlap
    assert [str(c.date()) for c in cutoffs] == ["2023-04-01", "2023-08-01", "2023-12-01"]
    assert set(out["model_name"]) == {"lightgbm", "naive", "seasonal_naive", "moving_average", "croston", "tsb"}
    keys = out[["cutoff", "unique_id", "ds"]].astype(str).agg("|".join, axis=1)
    rows = {m: set(k) for m, k in keys.groupby(out["model_name"])}
    assert len({frozenset(r) for r in rows.values()}) == 1 and len(rows["lightgbm"]) == 3 * 4 * 12
    after = out["ds"] > out["cutoff"]
    within = out["ds"] <= out["cutoff"] + pd.DateOffset(months=4)
    assert (after & within).all() and (out["y_hat"] >= 0).all() and out["y_hat"].notna().all()


def test_a_short_history_gets_shorter_windows_and_too_short_a_history_a_clear_error():
    assert Splits.fitting(48) == Splits(3, 6)
    assert Splits.fitting(30) == Splits(3, 5)  # SupplyGraph's 30 weeks
    dates = pd.date_range("2025-01-01", periods=12, freq="MS")
    with pytest.raises(ValueError, match="too few for 3 origins"):
        Splits(3, 4).cutoffs(dates)


def test_the_scoreboard_ranks_methods_on_the_same_rows():
    """Series a: history 10, 12, 11 (one-step naive errors 2 and 1: scale MSE 2.5), then a window of 14 and 16.
    LightGBM says 13 and 16, naive 11 and 11, seasonal naive 12 and 12."""
    days = pd.date_range("2025-01-01", periods=5, freq="MS")
    history = pd.DataFrame({"unique_id": "a", "ds": days, "y": [10.0, 12.0, 11.0, 14.0, 16.0]})
    window = days[3:]
    backtest_rows = pd.concat(
        pd.DataFrame({"cutoff": days[2], "model_name": m, "unique_id": "a", "ds": window, "y_hat": v})
        for m, v in {"lightgbm": [13.0, 16.0], "naive": [11.0, 11.0], "seasonal_naive": [12.0, 12.0]}.items()
    )
    board = scoreboard(backtest_rows, history, season_length=12).set_index("model_name")
    assert list(board.index) == ["lightgbm", "seasonal_naive", "naive"]
    np.testing.assert_allclose(board["wape"], [1 / 30, 6 / 30, 8 / 30])
    np.testing.assert_allclose(board.loc["naive", "bias"], (22 - 30) / 30)
    np.testing.assert_allclose(board.loc["lightgbm", "rmsse"], np.sqrt(((1 + 0) / 2) / 2.5))
    np.testing.assert_allclose(board.loc["lightgbm", "fva_vs_seasonal_naive"], 5 / 30)


def test_conformal_intervals_are_ordered_and_cover_about_eight_in_ten_out_of_sample():
    df, static = synthetic(n_series=60, months=48, seed=7)
    splits = Splits(origins=4, horizon=4)
    out = backtest(df, static, splits, make_model=lambda: GlobalForecaster(seed=0), baselines=("naive",))
    own = out[out["model_name"] == "lightgbm"]
    coverage = out_of_sample_coverage(own, df)
    assert 0.7 <= coverage <= 0.9, coverage
    future = GlobalForecaster(seed=0).fit(df, static).predict(6)
    banded = ConformalIntervals().fit(own, df).apply(future, df)
    assert (banded["p10_qty"] <= banded["p50_qty"]).all() and (banded["p50_qty"] <= banded["p90_qty"]).all()
    assert (banded["p10_qty"] >= 0).all() and (banded["p90_qty"] > banded["p10_qty"]).mean() > 0.9
    # steps past the backtest's 4 use the 4th step's quantiles: relative widths stop changing there
    width = (banded["p90_qty"] - banded["p10_qty"]).groupby(banded["ds"]).sum()
    assert width.iloc[4] == pytest.approx(width.iloc[5], rel=0.2)


def test_the_chart_shows_the_largest_series_first():
    df, static = synthetic(n_series=6, months=30, seed=2)
    ids = largest_series(df, n=2)
    assert ids == df.groupby("unique_id")["y"].sum().sort_values(ascending=False).index[:2].tolist()
    backtest_rows = backtest(df, static, Splits(origins=2, horizon=3), lambda: GlobalForecaster(seed=0), ("naive",))
    future = GlobalForecaster(seed=0).fit(df, static).predict(4)
    png = forecast_vs_actuals_png(df, backtest_rows, future, ids)
    assert png[:4] == b"\x89PNG" and len(png) > 5_000


def test_demand_classes_follow_the_syntetos_boylan_cutoffs():
    ds = pd.date_range("2024-01-01", periods=8, freq="MS")
    values = {
        "smooth": [10, 11, 9, 10, 12, 10, 9, 11],
        "erratic": [1, 30, 2, 25, 1, 40, 3, 20],  # every bucket sells, sizes vary (CV² > 0.49)
        "intermittent": [0, 10, 0, 0, 11, 0, 0, 10],  # ADI 8/3 > 1.32, steady sizes
        "lumpy": [0, 1, 0, 0, 40, 0, 0, 5],
        "none": [0] * 8,
    }
    history = pd.concat([pd.DataFrame({"unique_id": k, "ds": ds, "y": v}) for k, v in values.items()])
    classes = demand_classes(history.astype({"y": float}))
    assert classes.to_dict() == {
        "smooth": "smooth",
        "erratic": "erratic",
        "intermittent": "intermittent",
        "lumpy": "lumpy",
        "none": "intermittent",
    }


def test_wape_by_demand_class_scores_each_method_on_its_class_only():
    ds = pd.date_range("2024-01-01", periods=6, freq="MS")
    history = pd.DataFrame(
        {
            "unique_id": ["s"] * 6 + ["i"] * 6,
            "ds": list(ds) * 2,
            "y": [10.0, 10, 10, 10, 10, 10, 0, 0, 8, 0, 0, 4],
        }
    )
    cutoff = ds[3]
    rows = [("m", "s", ds[4], 12.0), ("m", "s", ds[5], 10.0), ("m", "i", ds[4], 1.0), ("m", "i", ds[5], 2.0)]
    backtest = pd.DataFrame(rows, columns=["model_name", "unique_id", "ds", "y_hat"]).assign(cutoff=cutoff)
    table = wape_by_demand_class(backtest, history).set_index("demand_class")
    assert table.loc["smooth", "m"] == pytest.approx(2 / 20) and table.loc["smooth", "series"] == 1
    assert table.loc["intermittent", "m"] == pytest.approx((1 + 2) / 4)


def test_backtest_baselines_are_chosen_by_name_with_autoets_opt_in(monkeypatch):
    from sop.stages.forecast import ForecastConfig, backtest_baselines

    assert "auto_ets" not in backtest_baselines("")
    monkeypatch.setenv("SOP_FORECAST_BASELINES", "seasonal_naive, auto_ets")
    assert ForecastConfig().baselines == ("seasonal_naive", "auto_ets")
    with pytest.raises(ValueError, match="unknown \\['arima'\\].*auto_ets"):
        backtest_baselines("naive,arima")
    df, static = synthetic(n_series=8, months=40)
    scored = backtest(df, static, Splits(origins=2, horizon=6), lambda: GlobalForecaster(), ("auto_ets",))
    assert set(scored["model_name"]) == {"lightgbm", "auto_ets"}
    auto_ets = scored[scored["model_name"] == "auto_ets"]
    assert len(auto_ets) == 8 * 2 * 6 and auto_ets["y_hat"].notna().all()


def _runaway_panel() -> pd.DataFrame:
    """59 series near 100 a month with one burst each (doubling for seven months), and S00, which never burst
    but ends on a first doubling: a recursive model that learned the bursts carries S00 up with them."""
    rng = np.random.default_rng(0)
    dates = pd.date_range("2021-01-01", periods=48, freq="MS")
    frames = []
    for i in range(60):
        y = np.maximum(100 + rng.normal(0, 5, 48), 0)
        if i:
            start = rng.integers(5, 36)
            y[start : start + 7] = 100 * 2.0 ** np.arange(1, 8)
        else:
            y[-1] = 200
        frames.append(pd.DataFrame({"unique_id": f"S{i:02d}", "ds": dates, "y": y}))
    return pd.concat(frames, ignore_index=True)


def test_a_series_built_to_run_away_is_held_under_its_ceiling_and_flagged():
    from ml.features import FeatureSpec

    history = _runaway_panel()
    spec = FeatureSpec(exogenous=(), static=())
    free = GlobalForecaster(spec=spec, scale_window=12, ceiling_growth=None).fit(history).predict(12)
    held = GlobalForecaster(spec=spec, scale_window=12).fit(history).predict(12)
    free_s0, held_s0 = free[free["unique_id"] == "S00"], held[held["unique_id"] == "S00"]
    assert free_s0["y_hat"].max() > 10 * 200  # without the ceiling it climbs far past anything it sold
    assert held_s0["y_hat"].max() <= 2 * 200 + 1e-9 and (held_s0["ceiling"] == 400).all()
    capped = held_s0["uncapped_y_hat"] > held_s0["ceiling"]
    assert capped.any() and np.allclose(held_s0.loc[capped, "y_hat"], 400)
    # clipping each step keeps the lags sane: the cut forecast is not the free one clipped afterwards
    assert held_s0["uncapped_y_hat"].max() < free_s0["y_hat"].max()


def test_a_young_series_may_grow_to_its_peers_highs_an_established_one_only_to_its_own():
    from ml.bounds import ceilings

    values = np.full((4, 24), np.nan)
    values[0] = 100.0  # established, family 0
    values[1] = 300.0  # established, family 0
    values[2, 20:] = 10.0  # four buckets old, family 0: its peers' typical high (200) governs
    values[3, 20:] = 10.0  # four buckets old, family 1: no established peer there, everyone's median
    first = np.array([0, 0, 20, 20])
    got = ceilings(values, first, np.array([0, 0, 0, 1]), growth=2.0, min_history=12)
    assert got.tolist() == [200.0, 600.0, 400.0, 400.0]
