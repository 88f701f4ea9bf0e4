"""The network plan on random small networks: every flow balances, no capacity is exceeded, every lead time is
kept, the BOM is consumed exactly; checked from the plan's own outputs, not from the LP."""

import numpy as np
import pandas as pd
import pytest

from sop.planning.network import COLUMNS, Network, plan
from sop.planning.network_heuristic import heuristic_plan, plan_cost
from sop.planning.network_split import plan_network
from sop.planning.supply_plan import PlanCosts

T = 8
FINISHED = ["F1", "F2", "F3", "F4"]  # F1 and F2 are finished late from one intermediate (postponement)
PLANTS, DCS = ["P1", "P2"], ["D1", "D2", "D3"]


def random_network(seed: int) -> Network:
    rng = np.random.default_rng(seed)
    items = pd.DataFrame(
        {
            "item_id": [*FINISHED, "I1", "C1", "C2", "C3"],
            "unit_cost": [*rng.uniform(4, 9, 4), 3.0, 1.0, 0.5, 0.4],
        }
    )
    demand = pd.DataFrame(
        [
            (sku, dc, t, float(rng.integers(0, 60)), float(rng.uniform(12, 20)))
            for sku in FINISHED
            for dc in DCS
            for t in range(T)
            if rng.random() < 0.8
        ],
        columns=["item_id", "node_id", "bucket", "qty", "net_price"],
    )
    # F1..F4 at either plant (alternates at their own cost), the intermediate at P1 only
    routings = pd.DataFrame(
        [(f"{sku}@{p}", sku, p, float(rng.uniform(0.1, 0.6))) for sku in FINISHED for p in PLANTS]
        + [("I1@P1", "I1", "P1", 0.2)],
        columns=["routing_id", "item_id", "plant_id", "cost_per_unit"],
    )
    routing_resources = pd.concat(
        [
            routings.assign(
                resource_id=routings["plant_id"] + "-M", hours_per_unit=rng.uniform(0.01, 0.03, len(routings))
            ),
            routings.assign(
                resource_id=routings["plant_id"] + "-crew", hours_per_unit=rng.uniform(0.005, 0.02, len(routings))
            ),
        ]
    )[["routing_id", "resource_id", "hours_per_unit"]]
    resources = pd.DataFrame(
        [
            (f"{p}-{kind}", t, float(rng.uniform(2, 6)), 0.15, 80.0)
            for p in PLANTS
            for kind in ("M", "crew")
            for t in range(T)
        ],
        columns=["resource_id", "bucket", "hours", "overtime_share", "overtime_cost_per_hour"],
    )
    bom_lines = [
        ("F1", "I1", 1.0),
        ("F1", "C1", 2.0),
        ("F2", "I1", 1.0),
        ("F2", "C2", 1.0),
        ("F3", "C1", 1.0),
        ("F4", "C2", 2.0),
    ]
    bom = pd.DataFrame(
        [(parent, comp, p, q, 0, T - 1) for parent, comp, q in bom_lines for p in PLANTS]
        + [("I1", "C3", "P1", 3.0, 0, T - 1)],
        columns=["parent_id", "component_id", "plant_id", "qty_per", "first_bucket", "last_bucket"],
    )
    sources = pd.DataFrame(
        [
            (
                f"{c}-{v}-{p}",
                c,
                v,
                p,
                int(rng.integers(1, 3)),
                float(rng.uniform(0.3, 1.2)),
                0.0,
                float(rng.uniform(40, 150)),
                k,
            )
            for c in ("C1", "C2", "C3")
            for k, v in enumerate(("S1", "S2"))
            for p in PLANTS
        ],
        columns=list(COLUMNS["sources"]),
    )
    sources.loc[0, "min_qty"] = 5.0  # a contracted minimum, bought every bucket
    lanes = pd.DataFrame(
        [
            (f"{p}>{d}", p, d, int(rng.integers(0, 2)), float(rng.uniform(0.1, 0.5)), float(rng.uniform(40, 120)))
            for p in PLANTS
            for d in DCS
        ],
        columns=list(COLUMNS["lanes"]),
    )
    opening = pd.DataFrame(
        [(sku, dc, float(rng.integers(0, 30))) for sku in FINISHED for dc in DCS] + [("C1", "P1", 20.0)],
        columns=["item_id", "node_id", "qty"],
    )
    in_transit = pd.DataFrame(
        [("C2", "P2", 0, 15.0), ("F3", "D1", 1, 10.0)], columns=["item_id", "node_id", "bucket", "qty"]
    )
    safety = pd.DataFrame([(sku, dc, 5.0) for sku in FINISHED for dc in DCS], columns=["item_id", "node_id", "qty"])
    return Network(
        T, items, demand, routings, routing_resources, resources, bom, sources, lanes, opening, in_transit, safety
    )


def _sum(frame: pd.DataFrame, keys: list[str], rename: dict | None = None) -> pd.Series:
    frame = frame.rename(columns=rename or {})
    return frame.groupby(keys)["qty"].sum() if len(frame) else pd.Series(dtype=float)


# the whole LP, the same network planned in two chunks (sop/planning/network_split.py), the heuristic
PLANNERS = {"lp": plan, "chunks": lambda net: plan_network(net, chunks=2), "heuristic": heuristic_plan}


@pytest.fixture(scope="module", params=[(seed, planner) for seed in (1, 2, 3) for planner in PLANNERS])
def solved(request):
    """Each random network planned by the LP, in chunks and by the sequential heuristic: all must be feasible."""
    seed, planner = request.param
    net = random_network(seed)
    return net, PLANNERS[planner](net)


def test_every_item_balances_at_every_node_and_bucket(solved):
    net, out = solved
    keys = ["item_id", "node_id", "bucket"]
    stock = out.stock.set_index(keys)["qty"]
    flows = (
        pd.concat(
            [
                _sum(out.made, keys, {"plant_id": "node_id"}),
                _sum(out.bought, keys, {"plant_id": "node_id", "arrival_bucket": "bucket"}),
                _sum(out.shipped, keys, {"to_node": "node_id", "arrival_bucket": "bucket"}),
                _sum(net.in_transit, keys),
                _sum(net.opening.assign(bucket=0), keys),
                -_sum(out.consumed, keys, {"component_id": "item_id", "plant_id": "node_id"}),
                -_sum(out.shipped, keys, {"from_node": "node_id", "ship_bucket": "bucket"}),
                -_sum(net.demand, keys),
                _sum(out.short, keys),
            ]
        )
        .groupby(level=[0, 1, 2])
        .sum()
    )
    flows = flows.reindex(stock.index, fill_value=0.0)
    opening = stock.groupby(level=[0, 1]).shift(1, fill_value=0.0)
    assert np.allclose(stock, opening + flows, atol=1e-6)
    # nothing is lost from view: every flow lands on a node that keeps stock of the item
    assert flows.index.isin(stock.index).all()
    assert (out.stock["qty"] >= -1e-7).all() and (out.short["qty"] >= -1e-7).all()
    assert (out.short.set_index(keys)["qty"] <= net.demand.groupby(keys)["qty"].sum() + 1e-7).all()


def test_no_machine_crew_supplier_or_lane_capacity_is_exceeded(solved):
    net, out = solved
    load = out.made.merge(net.routing_resources, on="routing_id")
    used = (load["qty"] * load["hours_per_unit"]).groupby([load["resource_id"], load["bucket"]]).sum()
    res = out.resources.set_index(["resource_id", "bucket"])
    assert np.allclose(used.reindex(res.index, fill_value=0.0), res["planned_hours"], atol=1e-6)
    share = net.resources.set_index(["resource_id", "bucket"])["overtime_share"]
    assert (res["planned_hours"] <= res["hours"] + res["overtime_hours"] + 1e-6).all()
    assert (res["overtime_hours"] <= share * res["hours"] + 1e-6).all()
    assert {r.split("-")[1] for r in res.index.get_level_values(0)} == {"M", "crew"}  # labour is planned too
    offers = out.bought.merge(net.sources[["source_id", "min_qty", "max_qty"]], on="source_id")
    assert (offers["qty"] <= offers["max_qty"] + 1e-6).all() and (offers["qty"] >= offers["min_qty"] - 1e-6).all()
    per_lane = out.shipped.groupby(["lane_id", "ship_bucket"])["qty"].sum()
    capacity = net.lanes.set_index("lane_id")["capacity"]
    assert (per_lane <= per_lane.index.get_level_values(0).map(capacity) + 1e-6).all()


def test_every_lead_time_and_transit_time_is_kept_exactly(solved):
    net, out = solved
    lead = out.bought.merge(net.sources[["source_id", "lead_time"]], on="source_id")
    assert (lead["arrival_bucket"] == lead["order_bucket"] + lead["lead_time"]).all()
    assert (lead["arrival_bucket"] < net.buckets).all()
    transit = out.shipped.merge(net.lanes[["lane_id", "transit"]], on="lane_id")
    assert (transit["arrival_bucket"] == transit["ship_bucket"] + transit["transit"]).all()
    # a component nobody holds or has on its way cannot be used before its fastest source delivers
    fastest = net.sources.groupby(["item_id", "plant_id"])["lead_time"].min()
    held = set(zip(net.opening["item_id"], net.opening["node_id"], strict=True)) | set(
        zip(net.in_transit["item_id"], net.in_transit["node_id"], strict=True)
    )
    for (item, plant), lead_time in fastest.items():
        if (item, plant) not in held:
            early = out.consumed[
                (out.consumed["component_id"] == item)
                & (out.consumed["plant_id"] == plant)
                & (out.consumed["bucket"] < lead_time)
            ]
            assert (early["qty"] <= 1e-7).all(), (item, plant, early)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_lp_never_costs_more_than_the_sequential_heuristic(seed):
    net = random_network(seed)
    lp, heuristic = plan(net), heuristic_plan(net)
    assert plan_cost(net, lp) == pytest.approx(lp.objective, rel=1e-6)  # one cost, two ways
    assert plan_cost(net, lp) <= plan_cost(net, heuristic) + 1e-6
    assert heuristic.made["qty"].sum() > 0 and heuristic.short["qty"].sum() < net.demand["qty"].sum()  # a real plan


def test_the_bom_is_consumed_exactly_and_the_postponed_intermediate_feeds_both_skus(solved):
    net, out = solved
    parents = out.made.rename(columns={"item_id": "parent_id"}).merge(net.bom, on=["parent_id", "plant_id"])
    expected = (
        (parents["qty"] * parents["qty_per"])
        .groupby([parents["component_id"], parents["plant_id"], parents["bucket"]])
        .sum()
    )
    got = out.consumed.set_index(["component_id", "plant_id", "bucket"])["qty"]
    assert np.allclose(got.reindex(expected.index, fill_value=0.0), expected, atol=1e-6)
    made = out.made.groupby("item_id")["qty"].sum()
    intermediate = out.consumed[out.consumed["component_id"] == "I1"]["qty"].sum()
    assert intermediate == pytest.approx(made.get("F1", 0) + made.get("F2", 0), abs=1e-6)
    assert made.get("I1", 0) > 0  # demand for F1 and F2 is met through it


def _with_room_to_spare(net: Network) -> Network:
    """``net`` with hours, supplier and lane capacity and component stock far above any need."""
    net.resources["hours"] = 1e5
    net.sources["max_qty"] = 1e6
    net.lanes["capacity"] = np.nan
    net.opening = pd.concat(
        [net.opening, pd.DataFrame({"item_id": ["C1", "C2", "C3"] * 2, "node_id": ["P1"] * 3 + ["P2"] * 3, "qty": 1e4})]
    )
    return net


def test_demand_is_met_whenever_the_network_can_and_costs_follow_the_rates():
    """Ample capacity and stock, no lead-time trap: nothing short, and the objective is the plan's own costs."""
    net = _with_room_to_spare(random_network(7))
    net.demand = net.demand[net.demand["bucket"] >= 2]  # transit (at most 1 bucket) can reach every DC in time
    out = plan(net)
    assert out.short["qty"].sum() == pytest.approx(0.0, abs=1e-6)
    costs = PlanCosts()
    unit_cost = net.items.set_index("item_id")["unit_cost"]
    holding = (out.stock["qty"] * out.stock["item_id"].map(unit_cost)).sum() * costs.holding_rate
    routing_cost = out.made.merge(net.routings[["routing_id", "cost_per_unit"]], on="routing_id")
    total = (
        holding
        + out.bought["amount"].sum()
        + out.shipped["cost"].sum()
        + (routing_cost["qty"] * routing_cost["cost_per_unit"]).sum()
        + (out.resources["overtime_hours"] * 80.0).sum()
    )
    below = out.stock.merge(net.safety_stock, on=["item_id", "node_id"], suffixes=("", "_ss"))
    gap = (below["qty_ss"] - below["qty"]).clip(lower=0) * below["item_id"].map(unit_cost) * costs.below_safety_rate
    priority = (out.bought["qty"] * out.bought.merge(net.sources, on="source_id")["priority"] * 1e-6).sum()
    assert out.objective == pytest.approx(total + gap.sum() + priority, rel=1e-6)


def _renamed(net: Network, suffix: str) -> Network:
    """A copy of ``net`` with every id suffixed: the same network, sharing nothing with the original."""
    ids = ("item_id", "node_id", "routing_id", "plant_id", "resource_id", "parent_id", "component_id", "source_id",
           "supplier_id", "lane_id", "from_node", "to_node")  # fmt: skip

    def rename(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(**{c: frame[c].astype(str) + suffix for c in ids if c in frame.columns})

    return Network(net.buckets, *(rename(getattr(net, f)) for f in list(net.__dataclass_fields__)[1:]))


def test_a_network_of_independent_parts_plans_each_part_as_alone():
    """Two networks that share nothing, planned together, are split into their parts and solved apart: the
    objective is the sum of each planned alone, and every production quantity is the one it has alone."""
    one, two = random_network(1), _renamed(random_network(2), "~b")
    both = Network(one.buckets, *(pd.concat([getattr(one, f), getattr(two, f)], ignore_index=True)
                                  for f in list(one.__dataclass_fields__)[1:]))  # fmt: skip
    together, first, second = plan(both), plan(one), plan(two)
    assert together.objective == pytest.approx(first.objective + second.objective, rel=1e-9)
    made = together.made.set_index(["routing_id", "bucket"])["qty"]
    alone = pd.concat([first.made, second.made]).set_index(["routing_id", "bucket"])["qty"]
    assert made.sum() == pytest.approx(alone.sum(), rel=1e-6)
    assert together.variables == first.variables + second.variables


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_network_planned_in_chunks_costs_its_own_plan_and_never_less_than_the_whole_lp(seed):
    """The chunks' plans added up cost what their objectives say, at least the whole LP's optimum; one chunk is
    the whole LP itself."""
    net = random_network(seed)
    whole, chunked = plan(net), plan_network(net, chunks=2)
    assert plan_cost(net, chunked) == pytest.approx(chunked.objective, rel=1e-6)
    assert chunked.objective >= whole.objective - 1e-6
    assert chunked.short["qty"].sum() < net.demand["qty"].sum()  # a real plan
    assert plan_network(net, chunks=1).objective == whole.objective


def test_chunks_of_a_network_with_room_to_spare_plan_what_the_whole_lp_plans():
    """No shared capacity or stock binds: fixed shares cost nothing, the chunks' plan costs the whole optimum."""
    net = _with_room_to_spare(random_network(7))
    assert plan_network(net, chunks=2).objective == pytest.approx(plan(net).objective, rel=1e-9)


def test_a_component_also_sold_is_planned_once_across_chunks():
    """A component with demand of its own (a spare part) is in every chunk: its demand is planned once."""
    net = random_network(3)
    spare = pd.DataFrame({"item_id": "C1", "node_id": "P1", "bucket": range(2, T), "qty": 7.0, "net_price": 2.0})
    net.demand = pd.concat([net.demand, spare], ignore_index=True)
    out = plan_network(net, chunks=2)
    test_every_item_balances_at_every_node_and_bucket((net, out))
    sold = out.short[out.short["item_id"] == "C1"]
    assert len(sold) == T - 2 and (sold["qty"] <= 7.0 + 1e-7).all()
    assert out.objective >= plan(net).objective - 1e-6
