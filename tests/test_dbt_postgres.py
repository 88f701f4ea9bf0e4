"""The same dbt project builds on PostgreSQL, from the same inputs, to the same numbers as on DuckDB.

A real PostgreSQL 15 server is started for the module; the tables the Python stages write (raw landing
tables, forecasts, plans) are copied into it from a DuckDB warehouse that ran two cycles, and PostgreSQL runs
the same dbt steps for both cycles, so its consensus archive and review marts are built the same way.
"""

import duckdb
import numpy as np
import pandas as pd
import psycopg2
import pytest

from tests.conftest import ARCHIVED_CYCLES
from tests.dbt_runs import dbt
from tests.postgres_server import copy_schemas, pg_bin, running_server

pytestmark = pytest.mark.skipif(pg_bin() is None, reason="PostgreSQL server binaries are not installed")

# mart -> (key columns, measures compared between the engines)
COMPARED = {
    "marts.fct_demand_history": (
        ["sku_id", "location_id", "bucket_date"],
        ["demand_qty", "shipped_qty", "revenue_amount"],
    ),
    "marts.fct_service_level": (
        ["sku_id", "location_id", "bucket_date"],
        ["fill_rate", "on_time_in_full_rate", "backorder_qty"],
    ),
    "marts.fct_inventory_history": (["sku_id", "location_id", "month_date"], ["on_hand_qty", "days_of_supply"]),
    "marts.fct_capacity_utilization": (["plant_id", "resource_id", "month_date"], ["capacity_utilization"]),
    "marts.dim_sku_locations": (["sku_id", "location_id"], ["net_price_amount", "target_service_level"]),
    "marts.fct_inventory_health": (["sku_id", "location_id", "month_date"], ["inventory_turns", "excess_qty"]),
    "marts.fct_financials_monthly": (["month_date", "family_id", "region"], ["revenue_amount", "margin_amount"]),
    "marts.dim_portfolio_segments": (["sku_id", "location_id"], ["revenue_amount", "demand_cv"]),
    "marts.fct_forecast_accuracy": (
        ["cycle_id", "model_name", "aggregation_level", "sku_id", "location_id", "family_id", "region"],
        ["wape", "bias", "rmsse", "interval_coverage_p10_p90", "pinball_loss_qty"],
    ),
    "marts.fct_consensus_demand": (["cycle_id", "sku_id", "location_id", "bucket_date"], ["consensus_demand_qty"]),
    "marts.fct_forecast_accuracy_by_lag": (
        ["forecast_cycle_id", "model_name", "forecast_lag", "aggregation_level", "sku_id", "location_id", "family_id"]
        + ["region"],
        ["wape", "mape", "mase", "bias", "fva_wape_vs_previous_stage"],
    ),
    "marts.fct_plan_financials": (
        ["cycle_id", "month_date", "aggregation_level", "family_id", "region"],
        ["revenue_amount", "margin_rate", "lost_revenue_amount", "revenue_gap_amount"],
    ),
    "marts.fct_plan_exceptions": (["cycle_id", "exception_id"], ["size_qty", "size_amount"]),
    "marts.fct_schedule_attainment": (["plan_cycle_id", "plant_id", "resource_id"], ["schedule_attainment"]),
    "marts.fct_kpi_scorecard": (
        ["month_date", "aggregation_level", "family_id", "region"],
        ["fill_rate", "days_of_supply", "inventory_turns", "margin_amount", "forecast_wape_lag_1"]
        + ["capacity_utilization", "schedule_attainment"],
    ),
}


@pytest.fixture(scope="module")
def engines(archived, tmp_path_factory):
    target = tmp_path_factory.mktemp("pg_target")
    with running_server() as server:
        admin = psycopg2.connect(server.dsn("postgres"))
        admin.autocommit = True  # create database cannot run in a transaction
        admin.cursor().execute("create database sop")
        admin.close()
        copied = copy_schemas(archived.warehouse, server, "sop", ["raw", "forecast", "planning"])
        runs = []
        for cycle in ARCHIVED_CYCLES:
            env = {**server.env("sop"), "SOP_CYCLE_ID": cycle}
            runs.append(dbt("build", "tag:history tag:post_forecast tag:review", target / cycle, env, "postgres"))
        yield archived.warehouse, server, copied, runs


def test_every_model_and_test_passes_on_postgres(engines):
    _, _, copied, runs = engines
    assert copied["raw.sales_orders"] > 1000 and copied["forecast.demand_forecast"] > 0
    assert copied["planning.supply_plan"] > 0
    for proc, _ in runs:
        assert proc.returncode == 0, proc.stdout[-4000:]
    statuses = {r["unique_id"]: r["status"] for r in runs[-1][1]}
    assert sum(uid.startswith("model.") for uid in statuses) >= 28
    assert sum(uid.startswith("unit_test.") for uid in statuses) >= 14
    assert set(statuses.values()) <= {"success", "pass"}, {
        k: v for k, v in statuses.items() if v not in ("success", "pass")
    }


@pytest.mark.parametrize("mart", list(COMPARED))
def test_postgres_computes_the_same_numbers_as_duckdb(engines, mart):
    warehouse, server, *_ = engines
    keys, measures = COMPARED[mart]
    cols = ", ".join(keys + measures)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        expected = con.execute(f"select {cols} from {mart} order by {', '.join(keys)}").df()
    with psycopg2.connect(server.dsn("sop")) as pg, pg.cursor() as cur:
        cur.execute(f"select {cols} from {mart} order by {', '.join(keys)}")
        actual = pd.DataFrame(cur.fetchall(), columns=keys + measures)
    assert len(actual) == len(expected) > 0
    for key in keys:
        assert actual[key].astype(str).tolist() == expected[key].astype(str).tolist(), key
    for m in measures:
        # ratios are rounded to 6 decimals on both engines; a value on a rounding boundary may differ by 1e-6
        np.testing.assert_allclose(
            actual[m].astype(float), expected[m].astype(float), rtol=1e-6, atol=1.5e-6, equal_nan=True, err_msg=m
        )
