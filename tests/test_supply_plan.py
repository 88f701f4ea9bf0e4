"""The LP plan respects capacity, balances stock, and only falls short when capacity runs out."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sop.planning.supply_plan import PlanCosts, PlanInputs, solve


def inputs(demand, hours, opening=(0.0, 0.0), safety=(0.0, 0.0), rates=(10.0, 5.0)) -> PlanInputs:
    buckets = pd.date_range("2026-01-01", periods=len(demand[0]), freq="MS")
    series = pd.DataFrame(
        {
            "sku_id": ["A", "B"],
            "location_id": ["X", "X"],
            "resource_id": ["R1", "R1"],
            "units_per_hour": list(rates),
            "unit_cost_amount": [2.0, 3.0],
            "net_price_amount": [5.0, 8.0],
            "opening_qty": list(opening),
            "safety_stock_qty": list(safety),
        }
    )
    return PlanInputs(series, np.array(demand, float), buckets, pd.DataFrame([hours], index=["R1"], columns=buckets))


def check_invariants(inp: PlanInputs, costs: PlanCosts, result) -> pd.DataFrame:
    plan = result.series_plan
    balance = plan["opening_inventory_qty"] + plan["planned_supply_qty"] - plan["demand_met_qty"]
    np.testing.assert_allclose(balance, plan["closing_inventory_qty"], atol=1e-6)
    assert (plan[["planned_supply_qty", "closing_inventory_qty", "shortage_qty"]] >= -1e-9).all().all()
    np.testing.assert_allclose(plan["consensus_demand_qty"] - plan["demand_met_qty"], plan["shortage_qty"], atol=1e-6)
    res = result.resource_plan
    assert (res["planned_hours"] <= res["available_hours"] + res["overtime_hours"] + 1e-6).all()
    assert (res["overtime_hours"] <= costs.overtime_share * res["available_hours"] + 1e-6).all()
    return plan


def test_ample_capacity_meets_all_demand_without_overtime():
    inp = inputs([[100, 120, 80], [50, 50, 50]], hours=[100, 100, 100])
    result = solve(inp)
    plan = check_invariants(inp, PlanCosts(), result)
    assert plan["shortage_qty"].sum() == pytest.approx(0)
    assert result.resource_plan["overtime_hours"].sum() == pytest.approx(0)


def test_tight_capacity_uses_overtime_then_builds_ahead_then_falls_short():
    # overtime (10 EUR/h) is cheaper than the shortage an hour prevents (10 units x 5 x 1.5 EUR)
    costs = PlanCosts(overtime_share=0.1, overtime_cost_per_hour=10.0)
    # 30 hours a month makes 300 of A, 150 of B; month 2 asks for far more than that
    inp = inputs([[100, 600, 0], [0, 100, 0]], hours=[30, 30, 30])
    result = solve(inp, costs)
    plan = check_invariants(inp, costs, result).set_index(["sku_id", "bucket_date"])
    month1 = plan.xs(pd.Timestamp("2026-01-01"), level="bucket_date")
    assert month1.loc["A", "planned_supply_qty"] > 100  # builds ahead of the peak
    assert result.resource_plan["overtime_hours"].sum() > 0
    # a shortage only where demand is not met, and only once capacity is used up
    short = plan[plan["shortage_qty"] > 1e-6]
    assert len(short) > 0 and (short["demand_met_qty"] < short["consensus_demand_qty"]).all()
    used = result.resource_plan["planned_hours"].iloc[:2].sum()
    assert used == pytest.approx(2 * 30 * (1 + costs.overtime_share), rel=1e-6)


def test_opening_stock_is_used_before_production_and_safety_stock_is_held():
    inp = inputs([[50, 50], [0, 0]], hours=[100, 100], opening=(80, 0), safety=(20, 0))
    plan = check_invariants(inp, PlanCosts(), solve(inp)).set_index(["sku_id", "bucket_date"])
    a = plan.loc["A"]
    assert a["planned_supply_qty"].iloc[0] == pytest.approx(0)
    assert (a["closing_inventory_qty"] >= 20 - 1e-6).all()
    assert plan.loc["B", "planned_supply_qty"].sum() == pytest.approx(0)


def test_a_sku_without_a_routing_cannot_be_made():
    inp = inputs([[10, 10], [10, 10]], hours=[100, 100], rates=(10.0, np.nan))
    plan = check_invariants(inp, PlanCosts(), solve(inp)).set_index("sku_id")
    assert plan.loc["B", "planned_supply_qty"].sum() == 0
    assert plan.loc["B", "shortage_qty"].sum() == pytest.approx(20)


def test_safety_stock_grows_with_service_level_error_and_lead_time():
    from sop.stages.plan import safety_stock

    base = safety_stock(0.95, 10.0, 0.0)
    assert base == pytest.approx(16.449, rel=1e-3)
    assert safety_stock(0.99, 10.0, 0.0) > base
    assert safety_stock(0.95, 20.0, 0.0) == pytest.approx(2 * base)
    assert safety_stock(0.95, 10.0, 3 * 30.44) == pytest.approx(2 * base)  # 1 + 3 months: twice the sigma
    # in weeks the lead time counts in weeks: 21 days is 1 + 3 buckets again
    assert safety_stock(0.95, 10.0, 21.0, bucket_days=7.0) == pytest.approx(2 * base)


def test_weekly_buckets_pay_a_week_of_holding_not_a_month():
    from sop.buckets import planning_bucket

    week = PlanCosts().per_bucket(planning_bucket("week").months)
    assert week.holding_rate == pytest.approx(0.02 * 7 / 30.44)
    assert week.below_safety_rate == pytest.approx(0.25 * 7 / 30.44)
    assert (week.shortage_markup, week.overtime_cost_per_hour) == (1.5, 80.0)
    assert PlanCosts().per_bucket(planning_bucket("month").months) == PlanCosts()
    with pytest.raises(ValueError, match="SOP_BUCKET must be one of month, week"):
        planning_bucket("quarter")


def test_buckets_without_any_capacity_are_reported():
    from sop.stages.plan import buckets_without_capacity

    assert buckets_without_capacity(inputs([[1, 1, 1], [1, 1, 1]], hours=[10, 10, 10])) == []
    assert buckets_without_capacity(inputs([[1, 1, 1], [1, 1, 1]], hours=[10, 0, 0])) == ["2026-02-01", "2026-03-01"]


def random_inputs(seed: int, series: int = 12, buckets: int = 12, load: float = 1.0) -> PlanInputs:
    """Seasonal demand on three resources whose regular hours cover ``load`` times the average demand."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2026-01-01", periods=buckets, freq="MS")
    t = np.arange(buckets)
    base = rng.uniform(20, 200, series)[:, None]
    demand = rng.poisson(base * (1 + 0.5 * np.sin(2 * np.pi * (t + rng.integers(0, 12, series)[:, None]) / 12)))
    frame = pd.DataFrame(
        {
            "sku_id": [f"S{i}" for i in range(series)],
            "location_id": "X",
            "resource_id": [f"R{i % 3}" for i in range(series)],
            "units_per_hour": rng.uniform(5, 20, series),
            "unit_cost_amount": rng.uniform(1, 10, series),
            "opening_qty": rng.uniform(0, 50, series),
            "safety_stock_qty": rng.uniform(0, 30, series),
        }
    )
    frame["net_price_amount"] = frame["unit_cost_amount"] * rng.uniform(1.2, 2.5, series)
    need = (demand.mean(axis=1) / frame["units_per_hour"]).groupby(frame["resource_id"]).sum()
    hours = pd.DataFrame(np.repeat((load * need).to_numpy()[:, None], buckets, axis=1), index=need.index, columns=dates)
    return PlanInputs(frame, demand.astype(float), dates, hours)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("load", [0.8, 1.0, 1.3])
def test_the_lp_never_costs_more_than_a_greedy_plan_and_stays_within_capacity(seed, load):
    from sop.planning.greedy import greedy_plan
    from sop.planning.supply_plan import plan_cost

    inp, costs = random_inputs(seed, load=load), PlanCosts()
    result = solve(inp, costs)
    check_invariants(inp, costs, result)
    S, T = inp.demand.shape
    plan = result.series_plan
    lp_stock = plan["closing_inventory_qty"].to_numpy().reshape(S, T)
    lp_short = plan["shortage_qty"].to_numpy().reshape(S, T)
    lp_overtime = result.resource_plan["overtime_hours"].to_numpy().reshape(len(inp.hours), T)
    lp_cost = plan_cost(inp, costs, lp_stock, lp_short, lp_overtime)
    assert lp_cost == pytest.approx(result.objective, rel=1e-6)  # one cost function for both plans

    greedy = greedy_plan(inp, costs)
    rate = inp.series["units_per_hour"].to_numpy()
    used = pd.DataFrame(greedy.production / rate[:, None]).groupby(inp.series["resource_id"].to_numpy()).sum()
    assert (used.to_numpy() <= inp.hours.loc[used.index].to_numpy() + greedy.overtime + 1e-6).all()
    opening = np.column_stack([inp.series["opening_qty"], greedy.stock[:, :-1]])
    np.testing.assert_allclose(opening + greedy.production - (inp.demand - greedy.shortage), greedy.stock, atol=1e-9)
    greedy_cost = plan_cost(inp, costs, greedy.stock, greedy.shortage, greedy.overtime)
    assert lp_cost <= greedy_cost + 1e-6
    if load < 1:  # a peak beyond capacity: building ahead is what the greedy plan cannot do
        assert lp_cost < 0.95 * greedy_cost


def test_a_scenario_started_from_the_base_plan_reaches_the_same_optimum_and_keeps_unchanged_parts():
    inp, costs = random_inputs(3, series=30, load=0.9), PlanCosts()
    base = solve(inp, costs)
    assert sorted(base.parts) == ["R0", "R1", "R2"]  # one LP per resource
    hit = (inp.series["resource_id"] == "R1").to_numpy()
    scenarios = {
        "demand": replace(inp, demand=np.where(hit[:, None], inp.demand * 1.3, inp.demand)),
        "price": replace(inp, series=inp.series.assign(net_price_amount=inp.series["net_price_amount"] * 1.1)),
        "hours": replace(inp, hours=inp.hours.mul(np.where(inp.hours.index == "R1", 0.5, 1.0), axis=0)),
    }
    for name, changed in scenarios.items():
        warm, cold = solve(changed, costs, start=base), solve(changed, costs)
        assert warm.objective == pytest.approx(cold.objective, rel=1e-9), name
        check_invariants(changed, costs, warm)
        if name != "price":  # only R1 changed: R0 and R2 are the base plan's parts, not solved again
            assert warm.parts["R0"] is base.parts["R0"] and warm.parts["R2"] is base.parts["R2"]
            assert warm.parts["R1"] is not base.parts["R1"]
            assert warm.reused == 2
    assert solve(inp, costs, start=base).reused == 3  # the base again: nothing to solve


def test_series_no_resource_can_make_are_planned_apart_and_only_fall_short():
    inp = random_inputs(4, series=9)
    inp.series.loc[[1, 5], "units_per_hour"] = np.nan  # no routing
    inp.series.loc[7, "resource_id"] = "R9"  # a resource without any capacity rows
    result = solve(inp)
    assert sorted(result.parts) == ["", "R0", "R1", "R2"]
    plan = check_invariants(inp, PlanCosts(), result)
    idle = plan["sku_id"].isin(["S1", "S5", "S7"])
    assert plan.loc[idle, "planned_supply_qty"].sum() == 0
    assert plan.loc[~idle, "planned_supply_qty"].sum() > 0


@pytest.mark.parametrize("load", [3.0, 0.7])  # hours to spare: the chunks' plan is the optimum; short: it is not
def test_a_large_part_started_from_its_chunks_reaches_the_same_plan(monkeypatch, load):
    import sop.planning.supply_plan as supply_plan

    inp, costs = random_inputs(5, series=60, load=load), PlanCosts()
    whole = solve(inp, costs)
    monkeypatch.setattr(supply_plan, "CHUNK_SERIES", 6)  # 20 series a resource: four chunks each
    fits = supply_plan._uncapacitated_basis(supply_plan._parts(inp)[0][2], costs) is not None
    assert fits == (load > 1)
    chunked = solve(inp, costs)
    assert chunked.objective == pytest.approx(whole.objective, rel=1e-9)
    check_invariants(inp, costs, chunked)
    np.testing.assert_allclose(chunked.series_plan["demand_met_qty"], whole.series_plan["demand_met_qty"], atol=1e-6)


def test_whole_units_never_drift_from_the_plan_over_a_series_buckets():
    import numpy as np
    import pandas as pd

    from sop.stages.plan import whole_units

    rng = np.random.default_rng(3)
    plan = pd.DataFrame(
        {
            "sku_id": np.repeat(["A", "B", "C"], 12),
            "location_id": "L",
            "bucket_date": np.tile(pd.date_range("2026-01-01", periods=12, freq="MS"), 3),
            "planned_supply_qty": np.round(rng.uniform(0, 7, 36), 4),
        }
    ).sample(frac=1, random_state=1)  # rows in any order
    plan["units"] = whole_units(plan, "planned_supply_qty", ["sku_id", "location_id"])
    for _, series in plan.sort_values("bucket_date").groupby("sku_id"):
        exact, units = series["planned_supply_qty"].cumsum(), series["units"].cumsum()
        assert (np.abs(units - exact) <= 0.5).all()  # from the first bucket to any bucket: the plan, rounded
        assert (series["units"] >= 0).all() and (np.abs(series["units"] - series["planned_supply_qty"]) < 1).all()
    assert plan["units"].dtype == "int64"
