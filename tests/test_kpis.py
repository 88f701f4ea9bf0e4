"""The KPI marts on a warehouse that ran two cycles: accuracy by lag scores the earlier cycle's archived
forecasts, and every level of the hierarchy adds up to the series it covers."""

import duckdb
import pandas as pd
import pytest

from tests.conftest import ARCHIVED_CYCLES

EARLIER, CURRENT = ARCHIVED_CYCLES


@pytest.fixture(scope="module")
def con(archived):
    with duckdb.connect(str(archived.warehouse), read_only=True) as con:
        yield con


def frame(con, sql: str, *params) -> pd.DataFrame:
    return con.execute(sql, list(params)).df()


def test_the_consensus_archive_keeps_every_cycle(con):
    cycles = frame(con, "select distinct cycle_id from marts.fct_consensus_demand order by 1")["cycle_id"]
    assert cycles.tolist() == ARCHIVED_CYCLES


def test_the_earlier_cycle_is_scored_at_lags_1_3_and_6_for_every_stage_and_level(con):
    scored = frame(
        con,
        "select model_name, forecast_lag, aggregation_level, count(*) as n, min(bucket_date) as bucket "
        "from marts.fct_forecast_accuracy_by_lag where forecast_cycle_id = ? group by all",
        EARLIER,
    )
    assert set(scored["model_name"]) == {"naive", "seasonal_naive", "lightgbm", "consensus"}
    assert set(scored["forecast_lag"]) == {1, 3, 6}
    assert set(scored["aggregation_level"]) == {"sku_location", "family", "region", "total"}
    # lag k of the July cycle is the k-th month from July
    buckets = scored.groupby("forecast_lag")["bucket"].first().astype(str).to_dict()
    assert buckets == {1: "2025-07-01", 3: "2025-09-01", 6: "2025-12-01"}
    # the current cycle's forecasts have no actuals yet
    current = frame(con, "select * from marts.fct_forecast_accuracy_by_lag where forecast_cycle_id = ?", CURRENT)
    assert current.empty


def test_every_level_of_accuracy_adds_up_to_its_series(con):
    acc = frame(con, "select * from marts.fct_forecast_accuracy_by_lag where forecast_cycle_id = ?", EARLIER)
    series = acc[acc["aggregation_level"] == "sku_location"]
    for level, column in (("family", "family_id"), ("region", "region"), ("total", None)):
        keys = ["model_name", "forecast_lag"] + ([column] if column else [])
        expected = series.groupby(keys)[["actual_qty", "forecast_qty", "series_abs_error_qty"]].sum()
        got = acc[acc["aggregation_level"] == level].set_index(keys)[expected.columns].sort_index()
        pd.testing.assert_frame_equal(got, expected.sort_index(), rtol=1e-6, check_names=False)
    # actuals are the demand history of the series the cycle forecast (later launches were not forecast then)
    total = acc[(acc["aggregation_level"] == "total") & (acc["model_name"] == "lightgbm")]
    history = frame(
        con,
        "select bucket_date, sum(demand_qty) as qty from marts.fct_demand_history "
        "where (sku_id, location_id) in (select sku_id, location_id from forecast.demand_forecast where cycle_id = ?) "
        "group by 1",
        EARLIER,
    )
    history = history.set_index(history["bucket_date"].astype(str))["qty"]
    for _, row in total.iterrows():
        assert row["actual_qty"] == pytest.approx(history[str(row["bucket_date"].date())], rel=1e-9)


def test_value_added_is_measured_against_naive_and_the_stage_before(con):
    acc = frame(
        con,
        "select * from marts.fct_forecast_accuracy_by_lag where forecast_cycle_id = ? and aggregation_level = 'total'",
        EARLIER,
    ).set_index(["forecast_lag", "model_name"])
    for lag in (1, 3, 6):
        wape = acc.loc[lag]["wape"]
        fva = acc.loc[lag]["fva_wape_vs_naive"]
        assert fva["naive"] == 0
        assert fva["lightgbm"] == pytest.approx(wape["naive"] - wape["lightgbm"], abs=2e-6)
        previous = acc.loc[lag]["fva_wape_vs_previous_stage"]
        assert previous["lightgbm"] == pytest.approx(wape["seasonal_naive"] - wape["lightgbm"], abs=2e-6)
        assert previous["consensus"] == pytest.approx(wape["lightgbm"] - wape["consensus"], abs=2e-6)


def test_schedule_attainment_scores_the_earlier_plans_first_month(con):
    att = frame(con, "select * from marts.fct_schedule_attainment")
    assert set(att["plan_cycle_id"]) == {EARLIER}
    assert (att["month_date"].astype(str) == "2025-07-01").all()
    assert att["schedule_attainment"].between(0, 1).all() and att["planned_qty"].gt(0).all()
    planned = frame(
        con,
        "select sum(planned_supply_qty) as qty from planning.supply_plan where cycle_id = ? and bucket_date = ?",
        EARLIER,
        "2025-07-01",
    )["qty"].item()
    assert att["planned_qty"].sum() == pytest.approx(planned, rel=1e-6)


def test_the_scorecard_recomputes_each_levels_ratios_from_the_series(con):
    card = frame(con, "select * from marts.fct_kpi_scorecard where cycle_id = ?", CURRENT)
    assert set(card["aggregation_level"]) == {"family", "region", "total"}
    service = frame(
        con,
        "select date_trunc('month', bucket_date) as month_date, family_id, sum(shipped_qty) / sum(ordered_qty) as fill "
        "from marts.fct_service_level group by all",
    )
    # (the opening stock count, a month before the first orders, has inventory KPIs only)
    families = card[(card["aggregation_level"] == "family") & card["ordered_qty"].notna()]
    family = families.merge(service, on=["month_date", "family_id"])
    assert len(family) == len(families) == len(service) > 100
    assert family["fill_rate"].to_numpy() == pytest.approx(family["fill"].to_numpy(), abs=1e-6)
    total = card[(card["aggregation_level"] == "total") & card["ordered_qty"].notna()].set_index("month_date")
    finance = frame(
        con,
        "select month_date, revenue_amount, budget_revenue_amount from marts.fct_financials_monthly "
        "where family_id = 'ALL' and region = 'ALL'",
    ).set_index("month_date")
    assert total["revenue_amount"].to_numpy() == pytest.approx(finance.loc[total.index, "revenue_amount"].to_numpy())
    # the last year of history has a budget to be measured against; production KPIs are on total rows only
    assert total.loc[total.index >= "2025-01-01", "revenue_gap_rate"].notna().all()
    assert card.loc[card["aggregation_level"] != "total", "capacity_utilization"].isna().all()
    assert total["capacity_utilization"].between(0, 1).all()
    # the July forecast, scored at lag 1 in July and lag 3 in September
    assert total.loc[pd.Timestamp("2025-07-01"), "forecast_wape_lag_1"] >= 0
    assert total.loc[pd.Timestamp("2025-09-01"), "forecast_wape_lag_3"] >= 0
    assert total.loc[pd.Timestamp("2025-07-01"), "schedule_attainment"] > 0
