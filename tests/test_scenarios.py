"""Scenario files change the plan's inputs as they say, and nothing else; bad files name what is wrong."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sop.planning.scenarios import CHANGE, Scenario, apply, load_all
from sop.planning.supply_plan import PlanInputs
from sop.settings import PROJECT_ROOT

BUCKETS = pd.date_range("2026-02-01", periods=6, freq="MS")


def inputs() -> PlanInputs:
    series = pd.DataFrame(
        {
            "sku_id": ["A", "B", "C"],
            "location_id": ["EU1", "US1", "EU1"],
            "family_id": ["BEV", "BEV", "SNK"],
            "region": ["Europe", "North America", "Europe"],
            "currency_code": ["EUR", "USD", "EUR"],
            "plant_id": ["P1", "P1", "P2"],
            "resource_id": ["P1-L1", "P1-L2", "P2-L1"],
            "units_per_hour": [10.0, 10.0, 10.0],
            "unit_cost_amount": [1.0, 1.0, 1.0],
            "net_price_amount": [2.0, 3.0, 4.0],
            "target_service_level": [0.95, 0.95, 0.95],
            "lead_time_days": [0.0, 7.0, 0.0],
            "rmse_qty": [10.0, 10.0, 10.0],
            "opening_qty": [0.0, 0.0, 0.0],
            "safety_stock_qty": [16.45, 16.45, 16.45],
        }
    )
    hours = pd.DataFrame(100.0, index=["P1-L1", "P1-L2", "P2-L1"], columns=BUCKETS)
    return PlanInputs(series, np.full((3, 6), 50.0), BUCKETS, hours)


def scenario(*changes) -> Scenario:
    return Scenario("s", "", tuple(CHANGE.validate_python(c) for c in changes))


def never(*_):
    raise AssertionError("safety stock recomputed without a lead-time change")


def test_a_demand_shock_hits_its_family_region_and_months_only():
    out = apply(
        inputs(),
        scenario(
            {
                "kind": "demand_shock",
                "family_id": "BEV",
                "region": "Europe",
                "factor": 1.5,
                "from": "2026-03",
                "to": "2026-04",
            }
        ),
        never,
    )
    expected = np.full((3, 6), 50.0)
    expected[0, 1:3] = 75.0
    np.testing.assert_allclose(out.demand, expected)
    np.testing.assert_allclose(inputs().demand, 50.0)  # the base inputs are not touched


def test_a_capacity_loss_takes_a_share_of_a_plants_hours_in_its_months():
    out = apply(inputs(), scenario({"kind": "capacity_loss", "plant_id": "P1", "share": 0.5, "from": "2026-06"}), never)
    assert out.hours.loc["P1-L1"].tolist() == [100, 100, 100, 100, 50, 50]
    assert out.hours.loc["P1-L2"].tolist() == [100, 100, 100, 100, 50, 50]
    assert out.hours.loc["P2-L1"].tolist() == [100] * 6


def test_price_and_fx_change_the_eur_price_of_the_series_they_concern():
    out = apply(
        inputs(),
        scenario(
            {"kind": "price_change", "family_id": "SNK", "factor": 1.1},
            {"kind": "fx_shift", "currency": "USD", "factor": 0.8},
        ),
        never,
    )
    np.testing.assert_allclose(out.series["net_price_amount"], [2.0, 2.4, 4.4])
    np.testing.assert_allclose(out.demand, inputs().demand)


def test_a_longer_lead_time_raises_safety_stock_through_the_plans_own_formula():
    from sop.stages.plan import safety_stock

    out = apply(inputs(), scenario({"kind": "lead_time", "days": 21, "location_id": "US1"}), safety_stock)
    assert out.series["lead_time_days"].tolist() == [0, 28, 0]
    expected = safety_stock(0.95, 10.0, np.array([0, 28, 0]))
    np.testing.assert_allclose(out.series["safety_stock_qty"], expected)
    assert out.series["safety_stock_qty"][1] > out.series["safety_stock_qty"][0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("changes: [{kind: lead_time, days: 7}]", "bad.yaml: name: Field required"),
        ("name: x\nchanges:\n  - {kind: flood}", r"change 1 \(flood\): change: Input tag 'flood' .* does not match"),
        (
            "name: x\nchanges:\n  - {kind: demand_shock, family_id: BEV}",
            r"change 1 \(demand_shock\): factor: Field required",
        ),
        (
            "name: x\nchanges:\n  - {kind: fx_shift, currency: USD, factor: 0.9, regoin: EU}",
            r"change 1 \(fx_shift\): regoin: Extra inputs are not permitted",
        ),
        ("name: x\nchanges:\n  - {kind: capacity_loss, share: 0.5}", "needs plant_id or resource_id"),
        (  # a price is per series: months would be silently ignored
            "name: x\nchanges:\n  - {kind: price_change, factor: 1.04, from: 2026-04}",
            r"change 1 \(price_change\): .*price_change applies to the whole horizon .*: drop from and to",
        ),
        (
            "name: x\nchanges:\n  - {kind: lead_time, days: 7}\n  - {kind: demand_shock, factor: 1.1, from: 2026-13}",
            r"change 2 \(demand_shock\): from: Value error, month '2026-13' is not a month written YYYY-MM",
        ),
        (
            "name: x\nchanges:\n  - {kind: demand_shock, factor: lots}",
            r"change 1 \(demand_shock\): factor: Input should be",
        ),
        ("name: x\nchanges:\n  - {kind: capacity_loss, plant_id: P1, share: 1.5}", r"share: Input should be less"),
        ("name: x\ndescripton: typo\nchanges:\n  - {kind: lead_time, days: 7}", "descripton: Extra inputs"),
        ("name: x\nchanges: [", "not valid YAML"),
    ],
)
def test_a_bad_scenario_file_says_which_file_change_and_field(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as error:
        Scenario.load(path)
    assert str(path) in str(error.value)


def test_the_shipped_scenarios_load_and_cover_every_kind():
    scenarios = load_all(PROJECT_ROOT / "scenarios")
    kinds = {change.kind for s in scenarios for change in s.changes}
    assert kinds == {
        "demand_shock", "capacity_loss", "price_change", "fx_shift", "lead_time", "labour_shortage", "supplier_loss",
        "supplier_lead_time", "lane_change", "qualify_plant",
    }  # fmt: skip
    assert all(s.description for s in scenarios)


def test_scenario_names_are_unique(tmp_path):
    for file in ("a.yaml", "b.yaml"):
        (tmp_path / file).write_text("name: same\nchanges: [{kind: lead_time, days: 7}]")
    with pytest.raises(ValueError, match="unique"):
        load_all(Path(tmp_path))


def test_the_scenario_stage_starts_from_the_plan_this_process_solved_and_compares_the_same(archived, tmp_path):
    import shutil

    import duckdb

    from sop.buckets import planning_bucket
    from sop.stages import plan
    from tests.conftest import SMALL

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(archived.warehouse, warehouse)  # the stage rewrites planning tables: not the shared warehouse
    folder = PROJECT_ROOT / "scenarios"
    month = plan.PlanConfig(bucket=planning_bucket("month"))
    comparison = "select * from planning.scenario_comparison where cycle_id = ? order by scenario_name"
    with duckdb.connect(str(warehouse)) as con:
        plan.run(con, SMALL.cycle_id, month)
        after_plan = plan.run_scenarios(con, SMALL.cycle_id, folder, month)
        first = con.execute(comparison, [SMALL.cycle_id]).df()
        plan._solved_base.clear()  # as in a process that did not run the plan stage
        alone = plan.run_scenarios(con, SMALL.cycle_id, folder, month)
        second = con.execute(comparison, [SMALL.cycle_id]).df()
    assert after_plan["base_parts_solved"] == 0
    assert alone["base_parts_solved"] > 0
    pd.testing.assert_frame_equal(first, second)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"kind": "demand_shock", "factor": 1.2, "family_id": "BVE"},
            "change 1 (demand_shock): family_id: unknown 'BVE'",
        ),
        ({"kind": "capacity_loss", "plant_id": "P9", "share": 0.5}, "change 1 (capacity_loss): plant_id: unknown 'P9'"),
        ({"kind": "fx_shift", "currency": "CHF", "factor": 0.9}, "change 1 (fx_shift): currency: unknown 'CHF'"),
        ({"kind": "lead_time", "days": 7, "location_id": "XX1"}, "change 1 (lead_time): location_id: unknown 'XX1'"),
    ],
)
def test_a_change_naming_what_the_plan_does_not_have_is_an_error_not_a_no_op(change, message):
    from sop.planning.scenarios import known_values

    with pytest.raises(ValueError) as error:
        scenario(change).check_references(known_values(inputs()))
    assert message in str(error.value)
    scenario({"kind": "demand_shock", "factor": 1.2, "family_id": "BEV"}).check_references(known_values(inputs()))
