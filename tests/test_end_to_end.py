"""The whole asset graph for one cycle through Dagster on a small sample: what it publishes, and how."""

import hashlib
import os
import re
import shutil
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.definitions import defs
from orchestration.instance import ensure_instance_config
from orchestration.run import run_cycle
from sop.contract import ENTITIES
from sop.sample_company import write_landing
from sop.settings import column_metadata_cache, export_environment
from sop.stages.forecast import ForecastConfig
from sop.stages.publish import PUBLISHED, VERSION_COLUMNS
from tests.conftest import SMALL
from tests.ui_server import BROWSER_ARGS, chromium, make_ui

CYCLE = SMALL.cycle_id
VERSION_COLUMNS = set(VERSION_COLUMNS)


@pytest.fixture(scope="module")
def env(tmp_path_factory, small_frames):
    home = tmp_path_factory.mktemp("e2e") / "var"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOP_HOME", str(home))
        mp.delenv("SOP_WAREHOUSE", raising=False)
        paths = export_environment()
        mp.setenv("SOP_WAREHOUSE", str(paths.warehouse))
        write_landing(small_frames, paths.landing)
        # a persistent instance under SOP_HOME, as `make demo` and `make ui` use
        ensure_instance_config(paths.dagster_home)
        with dg.DagsterInstance.from_config(str(paths.dagster_home)) as instance:
            first = run_cycle(CYCLE, instance)
            yield paths, instance, first, mp


@contextmanager
def copied_home(env, tmp_path):
    """A second home with the module home's state, exported while the block runs (the other tests' home stays
    clean)."""
    paths, _, _, mp = env
    home = tmp_path / "var"
    shutil.copytree(paths.home, home)
    mp.setenv("SOP_HOME", str(home))
    copy = export_environment()
    mp.setenv("SOP_WAREHOUSE", str(copy.warehouse))
    try:
        yield copy
    finally:  # the module's other tests go on in the clean home
        mp.setenv("SOP_HOME", str(paths.home))
        mp.setenv("SOP_WAREHOUSE", str(paths.warehouse))


def published(paths, sql, *params):
    with duckdb.connect(str(paths.publish_db), read_only=True) as con:
        return con.execute(sql, list(params)).df()


def test_every_asset_of_the_graph_materializes_and_the_plan_is_published(env):
    paths, instance, run, _ = env
    assert run.success and run.published, run.failed_steps
    # every asset but the scenario trials, which `sop scenario` plans on demand outside the cycle
    keys = defs.resolve_asset_graph().materializable_asset_keys - {dg.AssetKey(["planning", "scenario_trials"])}
    missing = [k for k in keys if instance.get_latest_materialization_event(k) is None]
    assert missing == []
    assert paths.publish_db.exists() and paths.warehouse.exists()
    # what the UI will list: the run, read back from the instance's storage by a fresh instance object
    with dg.DagsterInstance.from_config(str(paths.dagster_home)) as reader:
        (record,) = [r for r in reader.get_runs() if r.run_id == run.run_id]
        assert record.tags["dagster/partition"] == CYCLE and record.is_success


def test_validation_results_are_kept_per_cycle_as_a_table_and_a_page(env):
    paths, _, run, _ = env
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        per_entity = con.execute(
            "select entity, count(*), bool_and(success or severity = 'warning') from quality.validation_results "
            "where cycle_id = ? and run_id = ? group by entity",
            [CYCLE, run.run_id],
        ).fetchall()
    assert len(per_entity) == len(ENTITIES) and all(n >= 5 and ok for _, n, ok in per_entity)
    page = (paths.quality / CYCLE / "validation.html").read_text()
    assert all(f"<h2 class=ok>{e}: passed" in page for e in ENTITIES)


def test_published_tables_have_their_columns_and_carry_cycle_and_version(env):
    paths, *_ = env
    expected = {
        "plan_reconciled": {
            "sku_id",
            "location_id",
            "bucket_date",
            "consensus_demand_qty",
            "planned_supply_qty",
            "opening_inventory_qty",
            "demand_met_qty",
            "closing_inventory_qty",
            "shortage_qty",
            "safety_stock_qty",
            "revenue_amount",
            "inventory_value_amount",
        },
        "demand_plan": {
            "sku_id",
            "location_id",
            "bucket_date",
            "statistical_forecast_qty",
            "baseline_forecast_qty",
            "override_qty",
            "consensus_demand_qty",
            "is_overridden",
            "override_level",
            "override_pct",
        },
        "supply_plan": {
            "plant_id",
            "resource_id",
            "sku_id",
            "location_id",
            "bucket_date",
            "planned_supply_qty",
            "planned_hours",
        },
        "forecast_accuracy": {"model_name", "aggregation_level", "family_id", "wape", "rmsse", "pinball_loss_qty"},
        "capacity_plan": {"resource_id", "bucket_date", "available_hours", "planned_hours", "overtime_hours"},
        "kpi_scorecard": {"month_date", "aggregation_level", "family_id", "region", "fill_rate", "inventory_turns"},
        "plan_financials": {"month_date", "aggregation_level", "revenue_amount", "margin_amount", "revenue_gap_amount"},
        "plan_exceptions": {"exception_id", "exception_type", "severity", "first_bucket_date", "size_amount"},
        "scenario_comparison": {"scenario_name", "revenue_amount", "fill_rate", "margin_change_amount"},
        "override_value_added": {"override_id", "override_level", "value_added_qty", "is_improvement"},
        "override_audit": {"override_id", "override_level", "governed_series", "change_qty", "status"},
        "plan_changes": {"compared_cycle_id", "family_id", "region", "month_date", "measure_name", "change_value"},
        "exception_status": {"exception_id", "lifecycle_status", "age_in_cycles", "owner", "decision_id"},
        "material_plan": {"item_id", "plant_id", "bucket_date", "required_qty", "closing_stock_qty", "shortage_qty"},
        "purchase_plan": {"supplier_id", "item_id", "order_bucket_date", "receipt_bucket_date", "purchase_amount"},
        "transfer_plan": {"lane_id", "sku_id", "ship_bucket_date", "arrival_bucket_date", "transport_amount"},
    }
    assert set(expected) == set(PUBLISHED)
    model = hashlib.sha256((paths.models / CYCLE / "lightgbm.txt").read_bytes()).hexdigest()[:12]
    for table, columns in expected.items():
        frame = published(paths, f"select * from {table}")
        # one cycle: no earlier override to score, no approved plan to compare with
        assert len(frame) > 0 or table in ("override_value_added", "plan_changes"), table
        assert columns | VERSION_COLUMNS <= set(frame.columns), (table, set(frame.columns))
        assert (frame["cycle_id"] == CYCLE).all() and (frame["plan_version"] == 1).all()
        assert (frame["code_version"] == version("open-sop")).all() and (frame["model_version"] == model).all()
        buckets = frame["bucket_date"].nunique() if "bucket_date" in frame else None
        assert buckets in (None, ForecastConfig().horizon_buckets), (table, buckets)


def test_the_published_plan_balances_and_shortages_are_unmet_demand(env):
    paths, *_ = env
    plan = published(paths, "select * from plan_reconciled")
    balance = plan["opening_inventory_qty"] + plan["planned_supply_qty"] - plan["demand_met_qty"]
    np.testing.assert_allclose(balance, plan["closing_inventory_qty"], atol=1e-3)
    assert (plan["closing_inventory_qty"] >= -1e-6).all()
    short = plan["shortage_qty"] > 1e-6
    assert (plan.loc[short, "demand_met_qty"] < plan.loc[short, "consensus_demand_qty"]).all()
    np.testing.assert_allclose(plan["consensus_demand_qty"] - plan["demand_met_qty"], plan["shortage_qty"], atol=1e-3)
    demand = published(paths, "select sku_id, location_id, bucket_date, consensus_demand_qty from demand_plan")
    joined = plan.merge(demand, on=["sku_id", "location_id", "bucket_date"], suffixes=("", "_dp"))
    assert len(joined) == len(plan)
    np.testing.assert_allclose(joined["consensus_demand_qty"], joined["consensus_demand_qty_dp"], atol=1e-3)
    cap = published(paths, "select * from capacity_plan")
    assert (cap["planned_hours"] <= cap["available_hours"] + cap["overtime_hours"] + 1e-3).all()


def test_overrides_replace_the_statistical_forecast(env):
    paths, *_ = env
    dp = published(paths, "select * from demand_plan where is_overridden")
    assert len(dp) > 0
    np.testing.assert_allclose(dp["consensus_demand_qty"], dp["override_qty"])


def test_the_plan_in_money_and_its_exceptions_add_up_to_the_plan(env):
    paths, *_ = env
    plan = published(paths, "select * from plan_reconciled")
    money = published(paths, "select * from plan_financials")
    total = money[money["aggregation_level"] == "total"].sort_values("month_date")
    assert len(total) == 18  # every horizon month
    assert total["revenue_amount"].sum() == pytest.approx(plan["revenue_amount"].sum(), rel=1e-6)
    assert total["shortage_qty"].sum() == pytest.approx(plan["shortage_qty"].sum(), abs=0.01)
    for level in ("family", "region"):
        by_month = money[money["aggregation_level"] == level].groupby("month_date")["margin_amount"].sum()
        np.testing.assert_allclose(by_month.to_numpy(), total.set_index("month_date")["margin_amount"], atol=0.5)
    assert total["budget_revenue_amount"].notna().all()  # the sample company budgets the horizon

    exceptions = published(paths, "select * from plan_exceptions")
    short = exceptions[exceptions["exception_type"] == "shortage"]
    assert short["size_qty"].sum() == pytest.approx(plan["shortage_qty"].sum(), abs=0.01)
    assert short["size_amount"].sum() == pytest.approx(total["lost_revenue_amount"].sum(), rel=1e-4)
    capacity = published(paths, "select * from capacity_plan where overtime_hours > 0.0001")
    overloaded = exceptions[exceptions["exception_type"] == "capacity_overload"]
    assert set(overloaded["resource_id"]) == set(capacity["resource_id"])
    assert exceptions["severity"].isin(["high", "medium", "low"]).all() and exceptions["exception_id"].is_unique


def test_the_network_plans_materials_purchases_and_transfers_that_add_up_to_the_plan(env, small_frames):
    """The sample company's network: every published material row balances and consumes exactly the BOM of the
    production planned; every purchase and transfer arrives exactly its lead time or transit later and within
    its supplier's or lane's limits; what reaches a location is what the lanes and open transfers bring; the
    money of purchases and freight is plan_financials'; crews are planned beside the lines."""
    paths, *_ = env
    material = published(paths, "select * from material_plan")
    bought = published(paths, "select * from purchase_plan")
    moved = published(paths, "select * from transfer_plan")
    made = published(paths, "select * from supply_plan")
    assert len(material) and len(bought) and len(moved)
    flow = (
        material["opening_stock_qty"] + material["received_qty"] + material["produced_qty"] - material["required_qty"]
    )
    np.testing.assert_allclose(flow, material["closing_stock_qty"], atol=1e-3)
    assert (material["closing_stock_qty"] >= -1e-6).all()

    # consumption is exactly the BOM of what the plan makes, line by line within each line's validity
    bom = small_frames["bom"].rename(columns={"parent_id": "sku_id"})
    used = made.merge(bom, on=["sku_id", "plant_id"])
    month = pd.to_datetime(used["bucket_date"])
    valid = (used["valid_from"].isna() | (month >= used["valid_from"])) & (
        used["valid_to"].isna() | (month <= used["valid_to"])
    )
    used = used[valid].assign(qty=lambda f: f["planned_supply_qty"] * f["qty_per"])
    need = used.groupby(["component_id", "plant_id", "bucket_date"])["qty"].sum()
    required = material.set_index(["item_id", "plant_id", "bucket_date"])["required_qty"]
    need = need.reindex(required.index, fill_value=0.0)
    np.testing.assert_allclose(need.to_numpy(), required.to_numpy(), atol=0.05)
    assert required.sum() > 0

    sources = small_frames["supply_sources"].set_index(["supplier_id", "item_id", "plant_id"])
    row = sources.loc[pd.MultiIndex.from_frame(bought[["supplier_id", "item_id", "plant_id"]])]
    lag = pd.to_datetime(bought["receipt_bucket_date"]).dt.to_period("M").astype(int) - pd.to_datetime(
        bought["order_bucket_date"]
    ).dt.to_period("M").astype(int)
    assert (lag.to_numpy() == row["lead_time_months"].to_numpy()).all()
    per_month = bought.groupby(["supplier_id", "item_id", "plant_id", "order_bucket_date"])["purchase_qty"].sum()
    cap = sources["max_qty_per_month"].reindex(per_month.index.droplevel(3)).to_numpy()
    assert (per_month.to_numpy() <= cap + 1e-3).all()

    lanes = small_frames["lanes"].set_index("lane_id")
    lag = pd.to_datetime(moved["arrival_bucket_date"]).dt.to_period("M").astype(int) - pd.to_datetime(
        moved["ship_bucket_date"]
    ).dt.to_period("M").astype(int)
    assert (lag.to_numpy() == lanes.loc[moved["lane_id"], "transit_months"].to_numpy()).all()
    per_lane = moved.groupby(["lane_id", "ship_bucket_date"])["transfer_qty"].sum()
    limit = lanes.loc[per_lane.index.get_level_values(0), "capacity_per_month"].fillna(np.inf).to_numpy()
    assert (per_lane.to_numpy() <= limit + 1e-3).all()

    # what reaches a location's stock: the lanes' arrivals and the open transfers due
    plan = published(paths, "select sku_id, location_id, bucket_date, planned_supply_qty from plan_reconciled")
    due = small_frames["open_supply"].query("supply_type == 'transfer'")
    arriving = (
        pd.concat(
            [
                moved.rename(columns={"to_node_id": "location_id", "arrival_bucket_date": "bucket_date"}).assign(
                    qty=lambda f: f["transfer_qty"], bucket_date=lambda f: pd.to_datetime(f["bucket_date"])
                ),
                due.rename(columns={"item_id": "sku_id", "node_id": "location_id", "due_month": "bucket_date"}),
            ]
        )
        .groupby(["sku_id", "location_id", "bucket_date"])["qty"]
        .sum()
    )
    plan["bucket_date"] = pd.to_datetime(plan["bucket_date"])
    expected = arriving.reindex(pd.MultiIndex.from_frame(plan[["sku_id", "location_id", "bucket_date"]]), fill_value=0)
    np.testing.assert_allclose(plan["planned_supply_qty"].to_numpy(), expected.to_numpy(), atol=1e-3)

    money = published(paths, "select * from plan_financials where aggregation_level = 'total'")
    assert money["purchase_amount"].sum() == pytest.approx(bought["purchase_amount"].sum(), abs=0.05)
    assert money["transport_amount"].sum() == pytest.approx(moved["transport_amount"].sum(), abs=0.05)
    by_family = published(paths, "select sum(transport_amount) from plan_financials where aggregation_level = 'family'")
    assert by_family.iloc[0, 0] == pytest.approx(moved["transport_amount"].sum(), abs=0.05)

    capacity = published(paths, "select * from capacity_plan")
    assert set(capacity["resource_type"]) == {"machine", "labour"}
    assert (capacity["planned_hours"] <= capacity["available_hours"] + capacity["overtime_hours"] + 1e-3).all()
    crews = capacity[capacity["resource_type"] == "labour"]
    assert crews["planned_hours"].sum() > 0


def test_scenarios_are_planned_beside_the_base_plan(env):
    paths, *_ = env
    plan = published(paths, "select * from plan_reconciled")
    table = published(paths, "select * from scenario_comparison").set_index("scenario_name")
    assert set(table.index) == {
        "base",
        "beverage_heatwave",
        "plant_p1_outage",
        "price_increase",
        "weak_dollar",
        "supplier_loss",
        "supplier_slower",
        "lane_closed",
        "second_plant_dairy",
        "labour_shortage",
    } | {"longer_lead_times"}
    base = table.loc["base"]
    assert base["revenue_amount"] == pytest.approx(plan["revenue_amount"].sum(), rel=1e-6)  # the published plan
    assert base["shortage_qty"] == pytest.approx(plan["shortage_qty"].sum(), abs=0.01)
    outage = table.loc["plant_p1_outage"]  # the small company has slack: fewer hours, the same output
    # the cost is what the LP minimises; the fill rate of another optimum may differ in its last digits
    assert outage["capacity_utilization"] > base["capacity_utilization"]
    assert outage["fill_rate"] <= base["fill_rate"] + 1e-4
    assert outage["plan_cost_amount"] >= base["plan_cost_amount"] - 0.01
    assert table.loc["beverage_heatwave", "demand_qty"] > base["demand_qty"]
    weak = table.loc["weak_dollar"]
    assert weak["demand_qty"] == base["demand_qty"] and weak["revenue_change_amount"] < 0
    lead = table.loc["longer_lead_times"]
    assert lead["average_inventory_value_change_amount"] > 0  # more safety stock held
    changes = table["margin_amount"] - base["margin_amount"]
    np.testing.assert_allclose(changes, table["margin_change_amount"], atol=0.02)
    # the network's own scenarios: less supply never costs less, another qualified plant never costs more
    assert base["purchase_amount"] > 0 and base["transport_amount"] > 0
    for worse in ("supplier_loss", "supplier_slower", "lane_closed", "labour_shortage"):
        assert table.loc[worse, "plan_cost_amount"] >= base["plan_cost_amount"] - 0.01, worse
    # the cheapest supplier lost for three months: dearer sources or lost sales, never the same plan
    lost = table.loc["supplier_loss"]
    assert lost["plan_cost_amount"] > base["plan_cost_amount"] + 1 and lost["fill_rate"] <= base["fill_rate"] + 1e-4
    assert table.loc["second_plant_dairy", "plan_cost_amount"] <= base["plan_cost_amount"] + 0.01


def test_forecast_accuracy_scores_lightgbm_and_every_baseline_on_the_same_windows(env):
    paths, *_ = env
    acc = published(paths, "select * from forecast_accuracy where aggregation_level = 'total'").set_index("model_name")
    assert set(acc.index) == {"lightgbm", "naive", "seasonal_naive", "moving_average", "croston", "tsb"}
    assert acc["wape"].between(0, 2).all()
    # 3 origins x 6 months, every method on the same series and buckets
    assert acc["evaluated_buckets"].eq(18).all() and acc["actual_qty"].nunique() == 1
    assert acc.loc["lightgbm", "wape"] < acc.loc["seasonal_naive", "wape"]
    # every level is the sum of the series-level forecast (bottom-up: coherent), with the same methods
    levels = published(
        paths,
        "select aggregation_level, model_name, sum(forecast_qty) as forecast_qty, sum(actual_qty) as actual_qty, "
        "count(rmsse) as scaled from forecast_accuracy group by all",
    ).set_index(["model_name", "aggregation_level"])
    for model in acc.index:
        np.testing.assert_allclose(levels.loc[model]["forecast_qty"], acc.loc[model, "forecast_qty"], rtol=1e-6)
        np.testing.assert_allclose(levels.loc[model]["actual_qty"], acc.loc[model, "actual_qty"], rtol=1e-6)
    assert (levels["scaled"] > 0).all()
    # intervals are scored out of sample on the last origin: LightGBM only
    assert acc["interval_rows"].gt(0).tolist() == (acc.index == "lightgbm").tolist()
    assert 0.6 <= acc.loc["lightgbm", "interval_coverage_p10_p90"] <= 0.95
    assert acc.loc["lightgbm", "pinball_loss_qty"] > 0
    # the forecast asset shows the same scoreboard in the UI
    _, instance, *_ = env
    board = _metadata(instance, "forecast", "demand_forecast")["backtest_scoreboard"].value.records
    wapes = {r.data["model_name"]: r.data["wape"] for r in board}
    assert wapes.keys() == set(acc.index) and wapes["lightgbm"] == pytest.approx(
        acc.loc["lightgbm", "series_wape"], abs=1e-3
    )
    forecast_md = _metadata(instance, "forecast", "demand_forecast")
    by_class = {r.data["demand_class"]: r.data for r in forecast_md["backtest_by_demand_class"].value.records}
    assert {"smooth", "intermittent"} <= set(by_class) <= {"smooth", "erratic", "intermittent", "lumpy"}
    # every series with history before the first origin is in one class
    assert 0.9 * acc.loc["lightgbm", "series_count"] <= sum(r["series"] for r in by_class.values())
    assert sum(r["series"] for r in by_class.values()) <= acc.loc["lightgbm", "series_count"]
    assert all({"lightgbm", "croston", "tsb"} <= set(r) for r in by_class.values())
    assert 0.6 <= forecast_md["interval_coverage_p10_p90"].value <= 0.95
    coverage = forecast_md["interval_coverage_p10_p90"].value
    assert coverage == pytest.approx(acc.loc["lightgbm", "interval_coverage_p10_p90"])
    # a chart of forecast vs actuals, inline in the UI and kept beside the cycle's model
    assert "](data:image/png;base64,iVBORw0KGgo" in forecast_md["forecast_vs_actuals"].value
    assert (paths.models / CYCLE / "forecast_vs_actuals.png").read_bytes()[:4] == b"\x89PNG"
    plan = published(paths, "select * from demand_plan")
    assert (plan["statistical_p10_qty"] <= plan["statistical_p50_qty"]).all()
    assert (plan["statistical_p50_qty"] <= plan["statistical_p90_qty"]).all()
    assert (plan["statistical_p10_qty"] >= 0).all()


def test_a_rerun_publishes_a_new_version_with_the_same_plan_numbers(env):
    paths, instance, _, _ = env
    again = run_cycle(CYCLE, instance)
    assert again.published
    for table in PUBLISHED:
        cols = [c for c in published(paths, f"select * from {table} limit 0").columns if c not in VERSION_COLUMNS]
        first, second = (f"select {', '.join(cols)} from {table} where plan_version = {v}" for v in (1, 2))
        # exactly: every row of each version in the other, as often, to the last bit of every float
        diff = published(paths, f"({first} except all {second}) union all ({second} except all {first})")
        assert diff.empty, (table, diff.head(5).to_dict("records"))
    assert published(paths, "select count(distinct plan_version) as n from plan_reconciled")["n"][0] == 2


def test_bad_input_blocks_publishing_and_keeps_the_last_good_plan(env, tmp_path):
    _, instance, _, _ = env
    with copied_home(env, tmp_path) as bad_paths:
        before = bad_paths.publish_db.read_bytes()
        # a second file repeats an order line that is already loaded: a duplicate key, an error-level failure
        orders = (bad_paths.landing / "sales_orders.csv").read_text().splitlines()
        (bad_paths.landing / "sales_orders_correction.csv").write_text("\n".join(orders[:2]) + "\n")
        run = run_cycle(CYCLE, instance)
    assert not run.published and run.failed_checks == ["raw__sales_orders_gx_sales_orders_suite"]
    assert bad_paths.publish_db.read_bytes() == before
    check = instance.get_latest_asset_check_evaluation_record(
        dg.AssetCheckKey(dg.AssetKey(["raw", "sales_orders"]), "gx_sales_orders_suite")
    )
    assert check is not None and check.event.asset_check_evaluation.passed is False
    page = (bad_paths.quality / CYCLE / "validation.html").read_text()
    assert "<h2 class=bad>sales_orders: FAILED" in page and "expect_compound_columns_to_be_unique" in page
    # what failed is readable: the rule's columns, and the duplicate keys listed with their files and rows
    assert "column_list: [&quot;order_id&quot;, &quot;line_number&quot;]" in page and "<li>" in page
    assert "{&quot;kwargs&quot;" not in page and "&quot;sample&quot;" not in page


DOCS = Path(__file__).parents[1] / "docs"
README = Path(__file__).parents[1] / "README.md"


def _documented_columns(section: str) -> set[str]:
    """The backticked names in the first cell of each row of a table section of docs/tables.md."""
    cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {name for cell in cells for name in re.findall(r"`([a-z_0-9]+)`", cell)}


def test_docs_describe_every_published_column_and_no_column_that_is_not_published(env):
    paths, *_ = env
    page = (DOCS / "tables.md").read_text()
    for table in PUBLISHED:
        section = page.split(f"#### `{table}`", 1)[1].split("####", 1)[0]
        columns = set(published(paths, f"select * from {table} limit 0").columns) - VERSION_COLUMNS
        documented = _documented_columns(section)
        assert columns - documented == set(), (table, "undocumented", columns - documented)
        assert documented - columns == set(), (table, "documented but not published", documented - columns)


def test_the_analysts_questions_are_each_answered_by_one_documented_query(env, tmp_path):
    """The README's queries, as an analyst pastes them: next month's production per plant, the biggest
    shortages with their money, LightGBM against seasonal naive per family, the KPI trend."""
    paths, *_ = env
    analysts = README.read_text().split("## For analysts", 1)[1].split("\n## ", 1)[0]
    queries = re.findall(r"```sql\n(.*?)```", analysts, flags=re.S)
    assert len(queries) == 4
    # a copy of the store gets twelve shortages of its newest version in place of the plan's own
    store = tmp_path / "sop.duckdb"
    shutil.copyfile(paths.publish_db, store)
    with duckdb.connect(str(store)) as con:
        con.execute("delete from plan_exceptions where exception_type = 'shortage'")
        con.execute(
            "insert into plan_exceptions by name select cycle_id, plan_version, 'shortage:S' || i || '@L' as "
            "exception_id, 'shortage' as exception_type, case when i < 3 then 'high' else 'low' end as severity, "
            "100 + i as priority, 'S' || i as sku_id, 'L' as location_id, date '2026-02-01' as first_bucket_date, "
            "1 as buckets_affected, 10.0 as size_qty, 'units' as size_unit, 1000.0 - i as size_amount "
            "from (select cycle_id, max(plan_version) as plan_version from plan_exceptions group by 1 "
            "order by 1 desc limit 1), range(12) as r(i)"
        )
        answers = [con.execute(q).df() for q in queries]
    production, shortages, accuracy, trend = answers
    newest = published(paths, "select max(cycle_id) as c from publish_log")["c"][0]
    first = published(paths, "select min(bucket_date) as b from supply_plan_latest where cycle_id = ?", newest)["b"][0]
    per_plant = published(
        paths,
        "select plant_id, sum(planned_units) as units, sum(planned_supply_qty) as qty, count(*) as series "
        "from supply_plan_latest where cycle_id = ? and bucket_date = ? group by 1 order by 1",
        newest,
        first,
    )
    assert list(production.groupby("plant_id")["units"].sum()) == list(per_plant["units"]) and len(per_plant) >= 2
    assert ((per_plant["units"] - per_plant["qty"]).abs() <= per_plant["series"]).all()
    assert list(shortages["sku_id"]) == [f"S{i}" for i in range(10)]  # by priority, ten of the twelve
    assert list(shortages.columns) == [
        "sku_id",
        "location_id",
        "first_bucket_date",
        "units_short",
        "lost_revenue_eur",
        "severity",
    ]
    assert set(accuracy.columns) == {"family_id", "lightgbm_wape", "seasonal_naive_wape"} and len(accuracy) >= 2
    assert accuracy[["lightgbm_wape", "seasonal_naive_wape"]].notna().all().all()
    assert len(trend) >= 12 and trend["month_date"].is_monotonic_increasing


def test_the_data_dictionary_describes_every_published_column_and_where_it_comes_from(env):
    paths, *_ = env
    dictionary = published(paths, "select * from data_dictionary")
    for table in PUBLISHED:
        columns = set(published(paths, f"select * from {table} limit 0").columns)
        described = dictionary[dictionary["table_name"] == table]
        assert set(described["column_name"]) == columns, table
        assert (described["description"].str.len() > 0).all(), described[described["description"] == ""]
        copied = described[~described["column_name"].isin(VERSION_COLUMNS)]
        assert (copied["source_column"] == PUBLISHED[table] + "." + copied["column_name"]).all()
    fill = dictionary.set_index(["table_name", "column_name"]).loc[("kpi_scorecard", "fill_rate"), "description"]
    assert "shipped" in fill.lower()  # the dbt model's own words
    # the UI shows each published asset's columns as the dictionary has them, descriptions included
    _, instance, *_ = env
    for table in PUBLISHED:
        schema = _metadata(instance, "publish", table)["dagster/column_schema"].value
        shown = {(c.name, c.type, c.description) for c in schema.columns}
        rows = dictionary[dictionary["table_name"] == table]
        assert shown == set(zip(rows["column_name"], rows["data_type"], rows["description"], strict=True)), table


def _metadata(instance, *key):
    return instance.get_latest_materialization_event(dg.AssetKey(list(key))).asset_materialization.metadata


def _deps(metadata, column):
    return {
        (d.asset_key.to_user_string(), d.column_name)
        for d in metadata["dagster/column_lineage"].value.deps_by_column[column]
    }


def test_column_lineage_leads_from_a_published_number_back_through_the_marts(env):
    paths, instance, *_ = env
    # every run carries it: parsed once, then found in the cache every home shares
    records = instance.fetch_materializations(dg.AssetKey(["marts", "fct_kpi_scorecard"]), limit=10).records
    assert len(records) >= 2
    assert all("dagster/column_lineage" in r.asset_materialization.metadata for r in records)
    assert column_metadata_cache().exists()
    published_card = _metadata(instance, "publish", "kpi_scorecard")
    assert _deps(published_card, "fill_rate") == {("marts/fct_kpi_scorecard", "fill_rate")}
    assert "cycle_id" not in published_card["dagster/column_lineage"].value.deps_by_column  # added at publish
    # dbt marts: lineage parsed from the compiled SQL, and their column schemas
    card = _metadata(instance, "marts", "fct_kpi_scorecard")
    assert {("marts/fct_service_level", "shipped_qty"), ("marts/fct_service_level", "ordered_qty")} <= _deps(
        card, "fill_rate"
    )
    assert "fill_rate" in {c.name for c in card["dagster/column_schema"].value.columns}
    consensus = _deps(_metadata(instance, "marts", "fct_consensus_demand"), "consensus_demand_qty")
    assert {
        ("forecast/demand_forecast", "forecast_qty"),
        ("intermediate/int_overrides_matched", "override_qty"),
        ("intermediate/int_overrides_matched", "override_pct"),
    } <= consensus
    matched = _deps(_metadata(instance, "intermediate", "int_overrides_matched"), "override_qty")
    # the planners' file and the meeting's override requests
    assert matched == {
        ("staging/stg_landing__planner_overrides", "override_qty"),
        ("staging/stg_decisions__change_requests", "override_qty"),
    }
    # ... down to the raw landing table
    orders = _deps(_metadata(instance, "staging", "stg_landing__sales_orders"), "ordered_qty")
    assert orders == {("raw/sales_orders", "ordered_qty")}


def test_an_earlier_cycle_reports_later_rows_as_a_warning_and_goes_on(env):
    """A backfill validates an earlier cycle against landing files that already hold later months."""
    _, instance, *_ = env
    result = defs.resolve_job_def("landing_ingest").execute_in_process(
        partition_key="2025-12", instance=instance, raise_on_error=False
    )
    assert result.success
    checks = {e.asset_check_key.name: e for e in result.get_asset_check_evaluations()}
    orders = checks["gx_sales_orders_suite"]
    assert not orders.passed and orders.severity == dg.AssetCheckSeverity.WARN
    assert orders.metadata["errors"].value == 0 and orders.metadata["warnings"].value >= 1


def test_the_executive_pack_renders_in_a_real_browser_with_every_chart(env, tmp_path):
    import subprocess

    from PIL import Image, ImageStat

    paths, instance, *_ = env
    page = Path(_metadata(instance, "publish", "executive_pack")["path"].value)
    text = page.read_text()
    assert "http://" not in text and "https://" not in text  # self-contained: nothing to fetch
    browser = [chromium(), "--headless", *BROWSER_ARGS]
    dom = subprocess.run([*browser, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    charts = ("demand_vs_supply", "projected_inventory", "financial_gap", "kpi_trend", "scenarios")
    for chart in charts:
        assert f'alt="{chart}" src="data:image/png;base64,' in dom.stdout, chart
    exceptions = published(paths, "select count(*) as n from plan_exceptions")["n"][0]
    assert dom.stdout.count("<tr>") >= min(exceptions, 12) + 6  # exception rows and every scenario row
    shot = tmp_path / "pack.png"
    subprocess.run([*browser, "--window-size=1100,2400", f"--screenshot={shot}", page.as_uri()], timeout=120)
    image = Image.open(shot).convert("L")
    assert image.size == (1100, 2400) and ImageStat.Stat(image).stddev[0] > 20  # not a blank page


def _kill_during(step: str, env: dict, dagster_home: Path, after: float) -> None:
    """Start `sop run-cycle` in its own process group and SIGKILL the whole group `after` seconds into
    `step` (its dbt subprocess included), as a crashed machine or an OOM killer would."""
    import os
    import signal
    import subprocess
    import sys
    import time

    sop = Path(sys.executable).parent / "sop"
    proc = subprocess.Popen(
        [str(sop), "run-cycle", CYCLE],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 300
    with dg.DagsterInstance.from_config(str(dagster_home)) as watcher:
        started = None
        while started is None and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
            runs = watcher.get_runs(limit=1)
            if runs and runs[0].status == dg.DagsterRunStatus.STARTED:
                logs = watcher.all_logs(runs[0].run_id, of_type=dg.DagsterEventType.STEP_START)
                if any(e.step_key == step for e in logs):
                    started = time.monotonic()
    assert started is not None, (
        f"step {step} never started: {proc.stderr.read()[-2000:] if proc.poll() is not None else 'timeout'}"
    )
    time.sleep(after)
    assert proc.poll() is None, f"the run ended before the kill ({step})"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.mark.long
def test_a_cycle_killed_during_dbt_and_during_forecasting_reruns_to_the_same_plan(env, tmp_path, small_frames):
    import os

    paths, *_ = env
    home = tmp_path / "var"
    write_landing(small_frames, home / "landing")
    child = {**os.environ, "SOP_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    child.pop("SOP_WAREHOUSE", None)
    ensure_instance_config(home / "dagster")
    _kill_during("dbt_history_models", child, home / "dagster", after=4.0)
    _kill_during("demand_forecast", child, home / "dagster", after=1.0)
    assert not (home / "publish" / "sop.duckdb").exists()  # nothing half-published
    import subprocess
    import sys

    sop = Path(sys.executable).parent / "sop"
    done = subprocess.run([str(sop), "run-cycle", CYCLE], env=child, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    rerun = home / "publish" / "sop.duckdb"
    for table in PUBLISHED:
        cols = [c for c in published(paths, f"select * from {table} limit 0").columns if c not in VERSION_COLUMNS]
        select = ", ".join(cols)
        with duckdb.connect(str(rerun), read_only=True) as con:
            con.execute(f"attach '{paths.publish_db}' as clean (read_only)")
            mine, clean = f"select {select} from {table}", f"select {select} from clean.{table} where plan_version = 1"
            diff = con.execute(f"({mine} except all {clean}) union all ({clean} except all {mine})").df()
            versions = con.execute(f"select distinct plan_version from {table}").fetchall()
        assert diff.empty, (table, diff.head(5).to_dict("records"))
        assert versions in ([(1,)], []), (table, versions)


@pytest.mark.long
def test_make_ui_serves_the_asset_graph_and_a_published_assets_lineage(env):
    """`make ui` on the instance the cycle wrote, read by a real browser (Debian's chromium via Playwright)."""
    import time
    import urllib.request

    from playwright.sync_api import sync_playwright

    executable = chromium()
    paths, *_ = env
    with make_ui(Path(__file__).parents[1], {**os.environ, "SOP_HOME": str(paths.home)}) as (server, base):
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"{base}/server_info", timeout=2)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "make ui did not start serving"
                time.sleep(1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=BROWSER_ARGS)
            # tall enough for the plan group's ten assets: the UI lists only the rows in view
            page = browser.new_page(viewport={"width": 1600, "height": 3000})
            # the plan group's asset graph: every asset of the group by name
            page.goto(f"{base}/locations/sop/asset-groups/plan", wait_until="networkidle")
            page.get_by_text("scenario_comparison").first.wait_for(timeout=90_000)
            graph = page.inner_text("body")
            assert all(name in graph for name in ("supply_plan", "capacity_plan", "plan_reconciled")), graph[:2000]
            # a published table's lineage: what it is made from and what is made from it
            page.goto(f"{base}/assets/publish/plan_reconciled?view=lineage", wait_until="networkidle")
            page.get_by_text("executive_pack").first.wait_for(timeout=90_000)
            lineage = page.inner_text("body")
            assert "plan_reconciled" in lineage and "Latest event" in lineage, lineage[:2000]
            browser.close()


def _published_rows(store: Path, table: str, cycle: str, columns: list[str]) -> list[tuple]:
    with duckdb.connect(str(store), read_only=True) as con:
        select = ", ".join(columns)
        return sorted(
            con.execute(
                f"select {select} from {table} where cycle_id = ? and plan_version = "
                f"(select min(plan_version) from {table} where cycle_id = ?)",
                [cycle, cycle],
            ).fetchall(),
            key=repr,
        )


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.long
def test_two_cycles_started_together_in_a_new_home_each_publish_what_they_publish_alone(env, tmp_path, small_frames):
    import subprocess
    import sys
    import time

    from sop.locks import holder

    paths, *_ = env
    earlier = "2025-10"
    sop = Path(sys.executable).parent / "sop"

    def home(name: str) -> tuple[Path, dict]:
        root = tmp_path / name
        write_landing(small_frames, root / "landing")
        child = {**os.environ, "SOP_HOME": str(root), "DAGSTER_HOME": str(root / "dagster")}
        child.pop("SOP_WAREHOUSE", None)
        return root, child

    alone, alone_env = home("alone")
    done = subprocess.run([str(sop), "run-cycle", earlier], env=alone_env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]

    # both in a brand-new home (no Dagster instance yet); the second starts while the first holds the home
    together, together_env = home("together")
    late = subprocess.Popen([str(sop), "run-cycle", CYCLE], env=together_env, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while holder(together).get("pid") != late.pid and time.monotonic() < deadline:
        time.sleep(0.1)
    early = subprocess.Popen([str(sop), "run-cycle", earlier], env=together_env, stdout=subprocess.PIPE, text=True)
    time.sleep(8)  # the second has imported everything and is waiting
    cpu = _cpu_seconds(early.pid)
    time.sleep(10)
    assert late.poll() is None, "the first run ended before the second was measured waiting"
    assert _cpu_seconds(early.pid) - cpu < 0.5  # waiting, not spinning
    outs = {name: proc.communicate(timeout=600)[0] for name, proc in (("late", late), ("early", early))}
    assert late.returncode == 0 and early.returncode == 0, outs
    assert "Waiting for `sop` cycle " + CYCLE in outs["early"]

    store = together / "publish" / "sop.duckdb"
    for table in PUBLISHED:
        columns = [c for c in published(paths, f"select * from {table} limit 0").columns if c not in VERSION_COLUMNS]
        # the later cycle as the module's home published it alone, the earlier one as its own home did
        assert _published_rows(store, table, CYCLE, columns) == _published_rows(
            paths.publish_db, table, CYCLE, columns
        ), table
        assert _published_rows(store, table, earlier, columns) == _published_rows(
            alone / "publish" / "sop.duckdb", table, earlier, columns
        ), table


def test_the_next_cycle_without_its_months_files_is_blocked_naming_the_month_then_runs_once_they_land(env, tmp_path):
    from dataclasses import replace

    from sop.sample_company import generate

    _, instance, _, _ = env
    nxt = str(pd.Period(CYCLE, "M") + 1)
    with copied_home(env, tmp_path) as next_paths:
        before = next_paths.publish_db.read_bytes()
        blocked = run_cycle(nxt, instance)
        assert not blocked.published and "raw__sales_orders_gx_sales_orders_suite" in blocked.failed_checks
        assert next_paths.publish_db.read_bytes() == before
        with duckdb.connect(str(next_paths.warehouse), read_only=True) as con:
            (details,) = con.execute(
                "select details from quality.validation_results where run_id = ? and entity = 'sales_orders' "
                "and expectation = 'history_complete_every_month'",
                [blocked.run_id],
            ).fetchone()
        assert f"sales_orders: {CYCLE}: no rows" in details
        # accepted explicitly, it plans and says so where the plan is read
        accepted = run_cycle(nxt, instance, tags={"sop/accept_incomplete": CYCLE})
        assert accepted.published, accepted.errors
        with duckdb.connect(str(next_paths.publish_db), read_only=True) as con:
            logged = con.execute(
                "select distinct plan_version, accepted_incomplete from publish_log where cycle_id = ?", [nxt]
            ).fetchall()
        assert logged == [(1, CYCLE)]
        page = (next_paths.publish_dir / "pack" / f"{nxt}_v1.html").read_text()
        assert f"Planned on history accepted as incomplete: {CYCLE}" in page
        # the company's extract one month later: every entity has the month, and the cycle publishes
        later = replace(SMALL, last_history_month=CYCLE)
        write_landing(generate(later), next_paths.landing)
        done = run_cycle(nxt, instance)
    assert done.published, done.errors
    with duckdb.connect(str(next_paths.publish_db), read_only=True) as con:
        assert con.execute(
            "select distinct accepted_incomplete from publish_log where cycle_id = ? and plan_version = 2", [nxt]
        ).fetchall() == [(None,)]
