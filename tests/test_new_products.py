"""Products without history are forecast from similar products: their family's launches, by age."""

import numpy as np
import pandas as pd

from ml.new_products import like_item_forecast

DS = pd.date_range("2024-01-01", periods=12, freq="MS")
HORIZON = pd.date_range("2025-01-01", periods=4, freq="MS")


def _series(uid: str, values: list[float]) -> pd.DataFrame:
    """A series whose last len(values) months are ``values`` (it starts then: earlier months are absent)."""
    return pd.DataFrame({"unique_id": uid, "ds": DS[-len(values) :], "y": values})


def _company():
    history = pd.concat(
        [
            _series("old@L1", [50.0] * 12),  # established: not a launch peer
            _series("new1@L1", [10, 30, 40, 40, 40]),  # two launches of family A at L1, ramping up
            _series("new2@L1", [20, 50, 60]),
            _series("newA@L2", [100, 100]),  # family A launched at another location too
            _series("b1@L1", [8.0] * 12),  # family B: established products only
            _series("b2@L2", [4.0] * 12),
        ],
        ignore_index=True,
    )
    static = pd.DataFrame(
        {
            "unique_id": ["old@L1", "new1@L1", "new2@L1", "newA@L2", "b1@L1", "b2@L2"],
            "family_id": ["A", "A", "A", "A", "B", "B"],
            "location_id": ["L1", "L1", "L1", "L2", "L1", "L2"],
        }
    )
    return history, static


def _launches(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["unique_id", "launch_ds", "family_id", "location_id"])


def test_a_launch_follows_its_family_launch_curve_at_its_location_from_its_launch_bucket():
    history, static = _company()
    launches = _launches(("x@L1", pd.Timestamp("2025-02-01"), "A", "L1"))
    out = like_item_forecast(history, static, launches, HORIZON).set_index("ds")
    # nothing before launch; then the mean of new1 and new2 at ages 0, 1, 2 (the old series is no peer)
    np.testing.assert_allclose(out["y_hat"], [0, 15, 40, 50])
    assert (out["basis"] == "family_location").all()
    assert (out["p10_qty"] <= out["y_hat"]).all() and (out["y_hat"] <= out["p90_qty"]).all()
    assert out.loc["2025-03-01", "p90_qty"] > out.loc["2025-03-01", "p10_qty"]


def test_ages_past_the_longest_observed_launch_keep_its_last_value():
    history, static = _company()
    launches = _launches(("x@L1", pd.Timestamp("2024-06-01"), "A", "L1"))  # launched, nothing sold yet
    out = like_item_forecast(history, static, launches, pd.date_range("2025-01-01", periods=7, freq="MS"))
    # ages 0..4 from the horizon start: mean(10, 20), mean(30, 50), mean(40, 60), 40 (new1 only), 40; then 40
    np.testing.assert_allclose(out["y_hat"], [15, 40, 50, 40, 40, 40, 40])


def test_without_peers_at_the_location_the_family_elsewhere_then_its_level_stand_in():
    history, static = _company()
    launches = _launches(
        ("y@L3", pd.Timestamp("2025-01-01"), "A", "L3"),  # family A never launched at L3
        ("z@L1", pd.Timestamp("2025-01-01"), "B", "L1"),  # family B never launched anything
        ("w@L1", pd.Timestamp("2025-01-01"), "C", "L1"),  # an unknown family: no forecast to make up
    )
    out = like_item_forecast(history, static, launches, HORIZON)
    y = out[out["unique_id"] == "y@L3"]
    # family A's launches anywhere: ages 0, 1 over new1, new2, newA; then new1 and new2 only
    np.testing.assert_allclose(y["y_hat"], [(10 + 20 + 100) / 3, (30 + 50 + 100) / 3, 50, 40])
    assert (y["basis"] == "family").all()
    z = out[out["unique_id"] == "z@L1"]
    np.testing.assert_allclose(z["y_hat"], [6, 6, 6, 6])  # the mean level of b1 and b2 over the last year
    assert (z["basis"] == "family_level").all()
    assert "w@L1" not in set(out["unique_id"])


# Through the cycle: the warehouse plans the launch at its family's locations and the plan supplies it.


def _query(built, sql: str, *params) -> pd.DataFrame:
    import duckdb

    with duckdb.connect(str(built.warehouse), read_only=True) as con:
        return con.execute(sql, list(params)).df()


def test_a_launching_product_is_planned_where_its_family_sells(archived):
    from tests.conftest import LAUNCH, SMALL

    dim = _query(archived, "select * from marts.dim_sku_locations where sku_id = ?", LAUNCH["sku_id"])
    family_sold_at = _query(
        archived,
        "select distinct location_id from marts.fct_demand_history "
        "where family_id = ? and demand_qty > 0 and bucket_date >= date '2025-01-01'",
        LAUNCH["family_id"],
    )
    assert set(dim["location_id"]) == set(family_sold_at["location_id"]) and len(dim) > 0
    assert dim["is_launching"].all() and dim["first_bucket_date"].isna().all()
    assert not _query(
        archived, "select * from marts.dim_sku_locations where sku_id <> ? and is_launching", LAUNCH["sku_id"]
    ).shape[0]

    forecast = _query(
        archived,
        "select * from forecast.demand_forecast where cycle_id = ? and sku_id = ? order by bucket_date",
        SMALL.cycle_id,
        LAUNCH["sku_id"],
    )
    assert set(forecast["model_name"]) == {"like_item", "naive", "seasonal_naive"}
    assert forecast.loc[forecast["model_name"] != "like_item", "forecast_qty"].eq(0).all()  # nothing to repeat
    forecast = forecast[forecast["model_name"] == "like_item"]
    before = forecast["bucket_date"] < pd.Timestamp(LAUNCH["launch_date"])
    assert forecast.loc[before, "forecast_qty"].eq(0).all() and before.any()
    assert forecast.loc[~before].groupby("location_id")["forecast_qty"].sum().gt(0).all()
    assert (forecast["p10_qty"] <= forecast["forecast_qty"]).all() and (
        forecast["forecast_qty"] <= forecast["p90_qty"]
    ).all()

    consensus = _query(archived, "select * from marts.fct_consensus_demand where cycle_id = ?", SMALL.cycle_id)
    launched = consensus["sku_id"] == LAUNCH["sku_id"]
    assert set(consensus.loc[launched, "statistical_model_name"]) == {"like_item"}
    assert set(consensus.loc[~launched, "statistical_model_name"]) == {"lightgbm"}

    plan = _query(
        archived,
        "select sum(consensus_demand_qty) as demand, sum(planned_supply_qty) as supply from planning.plan_reconciled "
        "where cycle_id = ? and sku_id = ?",
        SMALL.cycle_id,
        LAUNCH["sku_id"],
    )
    assert plan.loc[0, "demand"] > 0 and plan.loc[0, "supply"] > 0
    # no backtest error to size its safety stock: it comes from the launch curve's P10-P90 spread
    safety = _query(
        archived,
        "select distinct safety_stock_qty from planning.plan_reconciled where cycle_id = ? and sku_id = ?",
        SMALL.cycle_id,
        LAUNCH["sku_id"],
    )
    assert (safety["safety_stock_qty"] > 0).all()


def test_launches_an_earlier_cycle_forecast_like_items_are_scored_in_every_stage_on_the_same_series(archived):
    from tests.conftest import ARCHIVED_CYCLES

    earlier = ARCHIVED_CYCLES[0]
    like_items = _query(
        archived,
        "select distinct sku_id, location_id from forecast.demand_forecast "
        "where cycle_id = ? and model_name = 'like_item'",
        earlier,
    )
    assert len(like_items) > 0  # the sample company launched products after that cycle
    scored = _query(
        archived,
        "select model_name, sku_id, location_id from marts.fct_forecast_accuracy_by_lag "
        "where forecast_cycle_id = ? and aggregation_level = 'sku_location' and forecast_lag = 6",
        earlier,
    )
    series = {model: set(zip(g["sku_id"], g["location_id"], strict=True)) for model, g in scored.groupby("model_name")}
    assert series.keys() == {"naive", "seasonal_naive", "lightgbm", "consensus"}
    assert len({frozenset(s) for s in series.values()}) == 1  # value added compares like with like
    launched = set(zip(like_items["sku_id"], like_items["location_id"], strict=True)) & series["lightgbm"]
    assert launched, "a launch that has sold since is scored as the machine-learning stage"
