"""`dbt build` of the history models on a real DuckDB warehouse, with its data tests, and KPIs that add up."""

import json
from pathlib import Path

import duckdb
import pytest

from sop.settings import DBT_PROJECT_DIR
from sop.stages.publish import PUBLISHED
from tests.conftest import SMALL
from tests.dbt_runs import build_history, dbt


@pytest.fixture(scope="module")
def built(archived):
    """The last cycle's steps (history, post_forecast, review) over a warehouse that ran an earlier cycle."""
    last = [step for step in archived.steps if step[0].startswith(SMALL.cycle_id)]
    return last, archived.warehouse


@pytest.fixture(scope="module")
def built_weekly(tmp_path_factory, small_frames):
    proc, _, warehouse = build_history(tmp_path_factory.mktemp("dbt_week"), small_frames, "week")
    assert proc.returncode == 0, proc.stdout[-3000:]
    return warehouse


def test_dbt_build_passes_every_model_test_and_unit_test_of_a_cycle(built):
    steps, _ = built
    statuses = {r["unique_id"]: r["status"] for *_, results in steps for r in results}
    assert [name.split()[1] for name, *_ in steps] == ["history", "post_forecast", "review"]
    assert sum(uid.startswith("model.") for uid in statuses) >= 28
    assert sum(uid.startswith("test.") for uid in statuses) >= 80
    assert sum(uid.startswith("unit_test.") for uid in statuses) >= 14
    assert sum(uid.startswith("seed.") for uid in statuses) == 1
    assert set(statuses.values()) <= {"success", "pass"}


def test_demand_history_adds_up_to_the_order_lines_before_the_cycle(built):
    _, warehouse = built
    with duckdb.connect(str(warehouse), read_only=True) as con:
        raw = con.execute(
            f"select sum(ordered_qty), sum(shipped_qty) from raw.sales_orders where order_date < '{SMALL.cycle_id}-01'"
        ).fetchone()
        mart = con.execute("select sum(demand_qty), sum(shipped_qty) from marts.fct_demand_history").fetchone()
        last = con.execute("select max(bucket_date) from marts.fct_demand_history").fetchone()[0]
    assert mart == raw
    assert str(last) == "2025-12-01"


def test_kpis_stay_in_their_ranges(built):
    _, warehouse = built
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


def _manifest_nodes(resource_type: str) -> list[dict]:
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    return [n for n in manifest["nodes"].values() if n["resource_type"] == resource_type], manifest


def test_every_model_and_every_column_it_builds_is_described(built):
    _, warehouse = built
    models, _ = _manifest_nodes("model")
    seeds, _ = _manifest_nodes("seed")
    assert len(models) >= 28
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for node in models + seeds:
            assert node["description"].strip(), node["name"]
            documented = {c for c, spec in node["columns"].items() if spec["description"].strip()}
            actual = {
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
                    [node["schema"], node["name"]],
                ).fetchall()
            }
            assert actual and actual <= documented, (node["name"], actual - documented)


def test_every_model_has_its_own_yaml_and_a_tested_primary_key():
    models, manifest = _manifest_nodes("model")
    tests_of = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and node.get("attached_node"):
            meta = node["test_metadata"]
            tests_of.setdefault(node["attached_node"], []).append((meta["name"], node.get("column_name"), meta))
    for node in models:
        sql = Path(node["original_file_path"])
        assert node["patch_path"].endswith(f"{sql.parent}/{sql.stem}.yml"), node["name"]
        tests = tests_of.get(node["unique_id"], [])
        not_null = {column for name, column, _ in tests if name == "not_null"}
        single = {column for name, column, _ in tests if name == "unique"}
        combined = [m["kwargs"]["combination_of_columns"] for name, _, m in tests if name.startswith("unique_comb")]
        keys = [{c} for c in single] + [set(c) for c in combined]
        assert keys, f"{node['name']} has no unique key test"
        assert any(key <= not_null for key in keys), f"{node['name']}: its key columns are not all tested not_null"


def test_every_published_mart_has_an_enforced_contract():
    models, _ = _manifest_nodes("model")
    by_relation = {f"{n['schema']}.{n['name']}": n for n in models}
    for table, relation in PUBLISHED.items():
        if relation in by_relation:  # the others are written by Python stages and typed there
            assert by_relation[relation]["config"]["contract"]["enforced"], table
    assert sum(relation in by_relation for relation in PUBLISHED.values()) >= 3


def test_dbt_docs_generate_writes_a_catalog_of_every_mart(built, tmp_path):
    _, warehouse = built
    proc, _ = dbt("docs generate", "marts", tmp_path, {"SOP_WAREHOUSE": str(warehouse)}, extra=["--no-compile"])
    assert proc.returncode == 0, proc.stdout[-3000:]
    catalog = json.loads((tmp_path / "catalog.json").read_text())
    marts = {n["metadata"]["name"] for n in catalog["nodes"].values() if n["metadata"]["schema"] == "marts"}
    assert {"fct_kpi_scorecard", "fct_forecast_accuracy_by_lag", "fct_service_level"} <= marts
    assert (tmp_path / "index.html").exists()


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


def test_source_freshness_dates_the_archives_by_their_newest_cycle(built, tmp_path):
    _, warehouse = built
    proc, _ = dbt(
        "source freshness",
        "source:forecast source:planning source:landing",
        tmp_path,
        {"SOP_WAREHOUSE": str(warehouse)},
    )
    sources = json.loads((tmp_path / "sources.json").read_text())["results"]
    loaded = {r["unique_id"].split(".", 2)[2]: r["max_loaded_at"][:10] for r in sources}
    assert loaded["forecast.demand_forecast"] == loaded["planning.supply_plan"] == f"{SMALL.cycle_id}-01"
    assert "landing.sales_orders" in loaded and len(sources) >= 15
    assert all(r["status"] in ("pass", "warn") for r in sources), proc.stdout[-2000:]
