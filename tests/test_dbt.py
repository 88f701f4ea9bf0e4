"""`dbt build` of the history models on a real DuckDB warehouse, with its data tests, and KPIs that add up."""

import json

import duckdb
import pytest

from sop.settings import DBT_PROJECT_DIR
from tests.conftest import SMALL
from tests.dbt_runs import build_history


@pytest.fixture(scope="module")
def built(tmp_path_factory, small_frames):
    return build_history(tmp_path_factory.mktemp("dbt"), small_frames, "month")


@pytest.fixture(scope="module")
def built_weekly(tmp_path_factory, small_frames):
    proc, _, warehouse = build_history(tmp_path_factory.mktemp("dbt_week"), small_frames, "week")
    assert proc.returncode == 0, proc.stdout[-3000:]
    return warehouse


def test_dbt_build_passes_every_model_and_test(built):
    proc, results, _ = built
    assert proc.returncode == 0, proc.stdout[-3000:]
    statuses = {r["unique_id"]: r["status"] for r in results}
    assert sum(uid.startswith("model.") for uid in statuses) >= 18
    assert sum(uid.startswith("test.") for uid in statuses) >= 40
    assert set(statuses.values()) <= {"success", "pass"}


def test_demand_history_adds_up_to_the_order_lines_before_the_cycle(built):
    *_, warehouse = built
    with duckdb.connect(str(warehouse), read_only=True) as con:
        raw = con.execute(
            f"select sum(ordered_qty), sum(shipped_qty) from raw.sales_orders where order_date < '{SMALL.cycle_id}-01'"
        ).fetchone()
        mart = con.execute("select sum(demand_qty), sum(shipped_qty) from marts.fct_demand_history").fetchone()
        last = con.execute("select max(bucket_date) from marts.fct_demand_history").fetchone()[0]
    assert mart == raw
    assert str(last) == "2025-12-01"


def test_kpis_stay_in_their_ranges(built):
    *_, warehouse = built
    with duckdb.connect(str(warehouse), read_only=True) as con:
        fill = con.execute(
            "select min(fill_rate), max(fill_rate), avg(fill_rate) from marts.fct_service_level"
        ).fetchone()
        util = con.execute(
            "select max(capacity_utilization), avg(production_efficiency) from marts.fct_capacity_utilization"
        ).fetchone()
        dos = con.execute(
            "select count(*) filter (where days_of_supply < 0), median(days_of_supply) from marts.fct_inventory_history"
        ).fetchone()
    assert 0 <= fill[0] <= fill[1] <= 1 and 0.9 < fill[2] < 1
    assert util[0] <= 1 and 0.9 < util[1] < 1.1  # run hours scatter around standard
    assert dos[0] == 0 and 5 < dos[1] < 120


def test_every_model_and_every_column_it_builds_is_described(built):
    *_, warehouse = built
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert len(models) >= 20
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for node in models:
            assert node["description"].strip(), node["name"]
            documented = {c for c, spec in node["columns"].items() if spec["description"].strip()}
            actual = {
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
                    [node["schema"], node["name"]],
                ).fetchall()
            }
            if actual:  # post-forecast models are not built here; their contracts pin their columns
                assert actual <= documented, (node["name"], actual - documented)


def test_weekly_buckets_are_whole_iso_weeks_and_keep_every_order_inside_them(built_weekly):
    with duckdb.connect(str(built_weekly), read_only=True) as con:
        first, last, weekdays = con.execute(
            "select min(bucket_date), max(bucket_date), list(distinct dayofweek(bucket_date)) "
            "from marts.fct_demand_history"
        ).fetchone()
        # the plan's first week holds the cycle's first day (Thursday 2026-01-01): it is not history
        assert str(last) == "2025-12-22" and weekdays == [1]
        raw = con.execute(
            "select sum(ordered_qty) from raw.sales_orders where order_date >= ? and order_date < '2025-12-29'",
            [first],
        ).fetchone()[0]
        mart = con.execute("select sum(demand_qty) from marts.fct_demand_history").fetchone()[0]
        service = con.execute("select count(*) from marts.fct_service_level where dayofweek(bucket_date) <> 1")
        assert service.fetchone()[0] == 0
    assert mart == raw


def test_weekly_capacity_spreads_each_month_over_its_days(built_weekly):
    with duckdb.connect(str(built_weekly), read_only=True) as con:
        monthly, weekly = con.execute(
            "select (select sum(available_hours) from staging.stg_landing__capacity), "
            "(select sum(available_hours) from intermediate.int_capacity_bucketed)"
        ).fetchone()
        # the week of Monday 26 January takes six days of January and one of February, at each daily rate
        hours = dict(
            con.execute(
                "select month_date, available_hours / day(last_day(month_date)) from staging.stg_landing__capacity "
                "where resource_id = (select min(resource_id) from staging.stg_landing__capacity)"
            ).fetchall()
        )
        across = con.execute(
            "select available_hours, calendar_days from intermediate.int_capacity_bucketed "
            "where resource_id = (select min(resource_id) from staging.stg_landing__capacity) "
            "and bucket_date = '2026-01-26'"
        ).fetchone()
    assert weekly == pytest.approx(monthly, rel=1e-6)
    from datetime import date

    expected = 6 * hours[date(2026, 1, 1)] + 1 * hours[date(2026, 2, 1)]
    assert across == (pytest.approx(expected, abs=1e-3), 7)
