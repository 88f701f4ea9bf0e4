"""The same dbt project builds on PostgreSQL, from the same inputs, to the same numbers as on DuckDB.

A real PostgreSQL 15 server is started for the module; the tables the Python assets write (raw landing
tables, forecasts) are copied into it from a DuckDB warehouse that ran the history models and the forecast.
"""

import duckdb
import pandas as pd
import psycopg2
import pytest

from sop.stages import forecast
from tests.dbt_runs import build_history, dbt
from tests.postgres_server import copy_schemas, pg_bin, running_server

pytestmark = pytest.mark.skipif(pg_bin() is None, reason="PostgreSQL server binaries are not installed")

# mart -> (key columns, measures compared between the engines)
COMPARED = {
    "marts.fct_demand_history": (
        ["sku_id", "location_id", "bucket_date"],
        ["demand_qty", "shipped_qty", "revenue_amount"],
    ),
    "marts.fct_service_level": (["sku_id", "location_id", "bucket_date"], ["fill_rate", "on_time_in_full_rate"]),
    "marts.fct_inventory_history": (["sku_id", "location_id", "month_date"], ["on_hand_qty", "days_of_supply"]),
    "marts.fct_capacity_utilization": (["plant_id", "resource_id", "month_date"], ["capacity_utilization"]),
    "marts.dim_sku_locations": (["sku_id", "location_id"], ["net_price_amount", "target_service_level"]),
    "marts.fct_inventory_health": (["sku_id", "location_id", "month_date"], ["inventory_turns", "excess_qty"]),
    "marts.fct_financials_monthly": (["month_date", "family_id", "region"], ["revenue_amount", "margin_amount"]),
    "marts.dim_portfolio_segments": (["sku_id", "location_id"], ["revenue_amount", "demand_cv"]),
    "marts.fct_forecast_accuracy": (["cycle_id", "model_name", "family_id"], ["wape", "bias"]),
    "marts.fct_consensus_demand": (["cycle_id", "sku_id", "location_id", "bucket_date"], ["consensus_demand_qty"]),
}


@pytest.fixture(scope="module")
def engines(tmp_path_factory, small_frames):
    home = tmp_path_factory.mktemp("portability")
    proc, _, warehouse = build_history(home, small_frames, "month")
    assert proc.returncode == 0, proc.stdout[-3000:]
    with duckdb.connect(str(warehouse)) as con:
        forecast.run(con, "2026-01", home / "models")
    proc, _ = dbt("build", "tag:post_forecast", home / "target", {"SOP_WAREHOUSE": str(warehouse)})
    assert proc.returncode == 0, proc.stdout[-3000:]
    with running_server() as server:
        admin = psycopg2.connect(server.dsn("postgres"))
        admin.autocommit = True  # create database cannot run in a transaction
        admin.cursor().execute("create database sop")
        admin.close()
        copied = copy_schemas(warehouse, server, "sop", ["raw", "forecast"])
        env = server.env("sop")
        pg_proc, results = dbt("build", "tag:history tag:post_forecast", home / "pg_target", env, target="postgres")
        yield warehouse, server, copied, pg_proc, results


def test_every_model_and_test_passes_on_postgres(engines):
    _, _, copied, proc, results = engines
    assert copied["raw.sales_orders"] > 1000 and copied["forecast.demand_forecast"] > 0
    assert proc.returncode == 0, proc.stdout[-4000:]
    statuses = {r["unique_id"]: r["status"] for r in results}
    assert sum(uid.startswith("model.") for uid in statuses) >= 20
    assert sum(uid.startswith("unit_test.") for uid in statuses) >= 3
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
        pd.testing.assert_series_equal(
            actual[m].astype(float), expected[m].astype(float), check_names=False, rtol=1e-6, atol=1e-6
        )
