"""The frozen window: the first buckets keep the approved plan's production, purchases and transfers (in the
single-echelon LP and the network LP, whole or in chunks), an unfreeze opens them, and what cannot be kept is a
frozen_break exception naming what changed."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sop.planning import frozen
from sop.planning.network import plan
from sop.planning.network_split import plan_network
from sop.planning.supply_plan import PlanCosts, fenced, solve
from tests.test_network_plan import FINISHED, _with_room_to_spare, random_network
from tests.test_supply_plan import inputs, random_inputs


def log(*unfreezes: str, cycle: str = "2026-02") -> pd.DataFrame:
    return pd.DataFrame(
        {"decision_kind": "unfreeze", "cycle_id": cycle, "change_detail": list(unfreezes)},
        columns=["decision_kind", "cycle_id", "change_detail"],
    )


def test_an_unfreeze_opens_its_months_for_its_sku_or_for_every_item():
    buckets = pd.date_range("2026-02-01", periods=6, freq="MS")
    items = pd.Series(["A", "B", "A"])
    everything = frozen.cells(items, buckets, 3, [])
    assert len(everything) == 6 and set(everything["bucket"]) == {0, 1, 2}  # two items, three buckets
    opened = frozen.unfrozen(log('{"from": "2026-03", "sku_id": "A", "to": "2026-03"}'), "2026-02")
    left = frozen.cells(items, buckets, 3, opened)
    assert sorted(map(tuple, left[["item_id", "bucket"]].to_numpy())) == [("A", 0), ("A", 2), ("B", 0), ("B", 1),
                                                                          ("B", 2)]  # fmt: skip
    all_of_it = frozen.unfrozen(log('{"from": "2026-02", "to": "2026-04"}'), "2026-02")
    assert frozen.cells(items, buckets, 3, all_of_it).empty
    assert frozen.unfrozen(log('{"from": "2026-02", "to": "2026-04"}', cycle="2026-03"), "2026-02") == []
    assert frozen.cells(items, buckets, 0, []).empty


def test_the_single_echelon_plan_keeps_the_frozen_production_even_when_demand_changed():
    costs = PlanCosts()
    approved = solve(inputs([[100, 100, 100], [50, 50, 50]], [40, 40, 40]), costs)
    made = approved.series_plan["planned_supply_qty"].to_numpy().reshape(2, 3)
    now = inputs([[160, 100, 100], [20, 50, 50]], [40, 40, 40])  # demand moved in the frozen first month
    free = solve(now, costs).series_plan["planned_supply_qty"].to_numpy().reshape(2, 3)
    assert not np.allclose(free[:, 0], made[:, 0])  # unfrozen, the plan would change the first month
    wanted = np.full((2, 3), np.nan)
    wanted[:, 0] = made[:, 0]
    kept = solve(fenced(now, wanted, costs), costs)
    planned = kept.series_plan["planned_supply_qty"].to_numpy().reshape(2, 3)
    np.testing.assert_allclose(planned[:, 0], made[:, 0], atol=1e-6)
    assert (kept.resource_plan["planned_hours"] <= kept.resource_plan["available_hours"] * 1.15 + 1e-6).all()


def test_frozen_production_the_hours_no_longer_allow_is_cut_in_proportion_and_reported():
    costs = PlanCosts()
    lost = inputs([[100, 100], [50, 50]], [10, 40])  # the first month's hours fell from 40 to 10
    wanted = np.array([[200.0, np.nan], [100.0, np.nan]])  # 40 hours' worth approved (rates 10 and 5 an hour)
    fence = fenced(lost, wanted, costs)
    result = solve(fence, costs)
    planned = result.series_plan["planned_supply_qty"].to_numpy().reshape(2, 2)[:, 0]
    share = 10 * 1.15 / 40  # regular hours and overtime over what the approved production needs
    np.testing.assert_allclose(planned, wanted[:, 0] * share, rtol=1e-6)
    kept = pd.DataFrame({"block": "production", "item_id": ["A", "B"], "plant_id": "P1", "supplier_id": None,
                         "lane_id": None, "bucket": 0, "qty": wanted[:, 0], "planned_qty": planned})  # fmt: skip
    said = frozen.breaks(kept, lost.buckets, pd.Series({"A": 2.0, "B": 3.0}))
    assert list(said["item_id"]) == ["A", "B"] and set(said["exception_type"]) == {"frozen_break"}
    assert said["size_qty"].tolist() == pytest.approx([200 * (1 - share), 100 * (1 - share)], rel=1e-4)
    assert said["size_amount"].tolist() == pytest.approx([2 * 200 * (1 - share), 3 * 100 * (1 - share)], rel=1e-4)
    assert "production 2026-01-01: approved 200.0, planned 57.5" in said["detail"].iloc[0]
    assert frozen.breaks(kept.assign(planned_qty=kept["qty"]), lost.buckets, pd.Series(dtype=float)).empty


def test_a_frozen_plan_with_random_demand_never_breaks_what_capacity_allows():
    costs = PlanCosts()
    base = random_inputs(3, load=1.0)
    approved = solve(base, costs).series_plan["planned_supply_qty"].to_numpy().reshape(base.demand.shape)
    moved = replace(base, demand=base.demand * np.random.default_rng(1).uniform(0.6, 1.4, base.demand.shape))
    wanted = np.full(base.demand.shape, np.nan)
    wanted[:, :2] = approved[:, :2]
    kept = solve(fenced(moved, wanted, costs), costs).series_plan["planned_supply_qty"].to_numpy()
    np.testing.assert_allclose(kept.reshape(base.demand.shape)[:, :2], approved[:, :2], atol=1e-5)


def _approved_window(net, out, buckets: int):
    """The Network fields keeping ``out``'s production, purchases and transfers of the first buckets."""
    made = out.made[out.made["bucket"] < buckets].groupby(["item_id", "plant_id", "bucket"], as_index=False)["qty"]
    bought = out.bought[out.bought["order_bucket"] < buckets].rename(columns={"order_bucket": "bucket"})
    shipped = out.shipped[out.shipped["ship_bucket"] < buckets].rename(columns={"ship_bucket": "bucket"})
    return {
        "frozen_cells": frozen.cells(
            net.items["item_id"], pd.date_range("2026-01-01", periods=net.buckets, freq="MS"), buckets, []
        ),  # fmt: skip
        "frozen_made": made.sum(),
        "frozen_bought": bought.groupby(["source_id", "bucket"], as_index=False)["qty"].sum(),
        "frozen_shipped": shipped.groupby(["lane_id", "item_id", "bucket"], as_index=False)["qty"].sum(),
    }


@pytest.mark.parametrize("chunks", [1, 2])
def test_the_network_plan_keeps_the_frozen_production_purchases_and_transfers(chunks):
    net = _with_room_to_spare(random_network(5))
    approved = plan(net)
    moved = replace(net, demand=net.demand.assign(qty=net.demand["qty"] * np.where(net.demand["bucket"] < 3, 1.5, 0.7)))
    free = plan_network(moved, chunks=chunks)
    kept = plan_network(replace(moved, **_approved_window(net, approved, 2)), chunks=chunks)

    def first(frame, bucket, keys):
        rows = frame[frame[bucket] < 2]
        return rows.groupby(keys)["qty"].sum().rename("qty")

    for block, bucket, keys in (("made", "bucket", ["item_id", "plant_id", "bucket"]),
                                ("bought", "order_bucket", ["source_id", "order_bucket"]),
                                ("shipped", "ship_bucket", ["lane_id", "item_id", "ship_bucket"])):  # fmt: skip
        was = first(getattr(approved, block), bucket, keys)
        if chunks > 1 and block == "made":
            # in chunks, a shared intermediate's frozen production is kept in each chunk's share of its demand,
            # not of its frozen consumption: kept only roughly, and what moved is a frozen_break (checked below)
            was = was[was.index.get_level_values("item_id").isin(FINISHED)]
        now = first(getattr(kept, block), bucket, keys).reindex(was.index, fill_value=0.0)
        np.testing.assert_allclose(now.to_numpy(), was.to_numpy(), atol=1e-4, err_msg=block)
        extra = first(getattr(kept, block), bucket, keys).drop(was.index, errors="ignore")
        if chunks > 1 and block == "made":
            extra = extra[extra.index.get_level_values("item_id").isin(FINISHED)]
        assert (extra.abs() < 1e-4).all(), block  # nothing new inside the fence
    changed = first(free.made, "bucket", ["item_id", "plant_id", "bucket"])
    assert not np.allclose(changed.reindex(first(approved.made, "bucket", ["item_id", "plant_id", "bucket"]).index,
                                           fill_value=0.0), first(approved.made, "bucket", ["item_id", "plant_id",
                                           "bucket"]), atol=1e-3)  # fmt: skip
    moved_keys = kept.frozen[(kept.frozen["planned_qty"] - kept.frozen["qty"]).abs() > 1e-4]
    assert len(kept.frozen) and set(moved_keys["item_id"]) <= ({"I1"} if chunks > 1 else set())


def test_the_plan_stage_reads_the_window_from_the_newest_approved_plan_before_the_cycle():
    from types import SimpleNamespace

    import duckdb

    from sop.buckets import planning_bucket
    from sop.stages.plan import PlanConfig, _series_breaks, _wanted

    con = duckdb.connect()
    con.execute("create schema decisions")
    con.execute(
        "create table decisions.approved_supply_plan as select * from (values "
        "('2026-01', 'month', 'A', 'X', date '2026-02-01', 120.0), "
        "('2026-01', 'month', 'A', 'X', date '2026-03-01', 90.0), "
        "('2026-01', 'month', 'A', 'X', date '2026-04-01', 70.0), "
        "('2025-12', 'month', 'B', 'X', date '2026-02-01', 5.0), "
        "('2026-02', 'month', 'A', 'X', date '2026-02-01', 1.0)) "
        "as t(cycle_id, planning_bucket, sku_id, location_id, bucket_date, planned_supply_qty)"
    )
    con.execute(
        "create table decisions.decision_log as select 'unfreeze' as decision_kind, '2026-02' as cycle_id, "
        """'{"from": "2026-02", "sku_id": "B", "to": "2026-02"}' as change_detail"""
    )
    now = inputs([[100, 100, 100], [50, 50, 50]], [40, 40, 40])
    now = replace(
        now, buckets=pd.date_range("2026-02-01", periods=3, freq="MS"), series=now.series.assign(plant_id="P1")
    )
    cfg = PlanConfig(bucket=planning_bucket("month"), frozen_buckets=2)
    wanted = _wanted(con, "2026-02", now, cfg)
    # A keeps 2026-01's approved February and March (not 2025-12's, not the cycle's own); B made nothing in the
    # approved plan, so it makes nothing in March, and its February is open
    np.testing.assert_array_equal(wanted, [[120.0, 90.0, np.nan], [np.nan, 0.0, np.nan]])
    assert _wanted(con, "2026-02", now, replace(cfg, frozen_buckets=0)) is None
    assert _wanted(con, "2026-02", now, replace(cfg, bucket=planning_bucket("week"))) is None  # other buckets
    planned = pd.DataFrame({"planned_supply_qty": [100.0, 90.0, 0.0, 7.0, 0.0, 0.0]})
    said = _series_breaks(now, wanted, SimpleNamespace(series_plan=planned))
    assert said[["item_id", "plant_id", "size_qty"]].values.tolist() == [["A", "P1", 20.0]]
    assert "approved 120.0, planned 100.0" in said["detail"][0]
