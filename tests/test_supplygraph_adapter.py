"""SupplyGraph's raw wide files become the input contract, each of its traps handled as documented."""

import duckdb
import numpy as np
import pandas as pd
import pytest

from expectations.validate import validate
from sop.adapters import SHARED_DATA
from tests.conftest import run_demo

SG = SHARED_DATA / "supplygraph"
UNIT = SG / "Raw Dataset/Homogenoeus/Temporal Data/Unit"
pytestmark = pytest.mark.skipif(not SG.exists(), reason=f"SupplyGraph is not at {SG}")


@pytest.fixture(scope="module")
def frames():
    from sop.adapters.supplygraph import convert

    return convert(SG)


@pytest.fixture(scope="module")
def raw_orders():
    raw = pd.read_csv(UNIT / "Sales Order.csv", parse_dates=["Date"]).set_index("Date")
    return raw[raw.index < "2023-08-01"]


def test_every_converted_entity_passes_its_suite(frames):
    for entity, frame in frames.items():
        outcome = validate(entity, frame)
        assert outcome.success and not outcome.failures, (entity, outcome.failures)


def test_the_duplicated_product_column_is_its_own_sku(frames, raw_orders):
    orders = frames["sales_orders"].groupby("sku_id")["ordered_qty"].sum()
    assert {"POP001L12P", "POP001L12P-B"} <= set(orders.index) and len(orders) <= 41
    assert orders["POP001L12P-B"] == raw_orders["POP001L12P.1"].round().sum()
    assert orders["POP001L12P"] != orders["POP001L12P-B"]


def test_rounding_fractional_units_keeps_totals(frames, raw_orders):
    raw_total = raw_orders.to_numpy().sum()
    assert abs(frames["sales_orders"]["ordered_qty"].sum() / raw_total - 1) < 1e-4


def test_deliveries_fill_orders_first_in_first_out(frames):
    so = frames["sales_orders"]
    delivered = pd.read_csv(UNIT / "Delivery To distributor.csv", parse_dates=["Date"]).set_index("Date")
    delivered = delivered[delivered.index < "2023-08-01"].round().sum().rename({"POP001L12P.1": "POP001L12P-B"})
    per_sku = so.groupby("sku_id")[["ordered_qty", "shipped_qty"]].sum()
    expected = np.minimum(per_sku["ordered_qty"], delivered.reindex(per_sku.index))
    assert (per_sku["shipped_qty"] == expected).all()
    shipped = so[so["shipped_qty"] > 0]
    assert (shipped["ship_date"] >= shipped["order_date"]).all()
    # within a product, a later line is never served before an earlier one is full
    for _, lines in so.sort_values("order_date").groupby("sku_id"):
        partial = np.flatnonzero(lines["shipped_qty"].to_numpy() < lines["ordered_qty"].to_numpy())
        if len(partial):
            assert (lines["shipped_qty"].to_numpy()[partial[0] + 1 :] == 0).all()


def test_derived_stock_balances_and_starts_as_low_as_it_can(frames):
    """Storage stock moves with factory issues in and deliveries out, from the lowest opening that never goes
    negative; the plants keep what they made and did not issue, and a lane from each carries it on."""
    inv = frames["inventory_snapshots"].pivot(index="snapshot_date", columns="sku_id", values="on_hand_qty")
    issued = pd.read_csv(SG / "Raw Dataset/Homogenoeus/Temporal Data/Unit/Factory Issue.csv", parse_dates=["Date"])
    issued = issued.set_index("Date").rename(columns={"POP001L12P.1": "POP001L12P-B"}).round().astype("int64")
    issued = issued.groupby(issued.index.to_period("M")).sum()
    so = frames["sales_orders"].dropna(subset=["ship_date"])
    out = so.groupby([so["ship_date"].dt.to_period("M"), "sku_id"])["shipped_qty"].sum().unstack(fill_value=0)
    months = inv.index[1:].to_period("M")
    flow = issued.reindex(index=months, columns=inv.columns, fill_value=0) - out.reindex(
        index=months, columns=inv.columns, fill_value=0
    )
    np.testing.assert_array_equal(inv.to_numpy()[1:] - inv.to_numpy()[:-1], flow.to_numpy())
    assert (inv >= 0).all().all() and (inv.min() == 0).all()
    plants = set(frames["routings"]["plant_id"])
    assert set(frames["lanes"]["from_node"]) == plants and set(frames["lanes"]["to_node"]) == {"BD"}
    stock = frames["plant_stock"]
    assert (stock["on_hand_qty"] > 0).all() and set(stock["plant_id"]) <= plants


@pytest.mark.slow
def test_the_supplygraph_demo_plans_and_publishes_in_weeks(tmp_path):
    stdout = run_demo("supplygraph", tmp_path / "sg")
    assert "Cycle 2023-08 published as plan_version 1" in stdout and "planned in weeks" in stdout
    with duckdb.connect(str(tmp_path / "sg" / "publish" / "sop.duckdb"), read_only=True) as con:
        series, weeks, first, bucket = con.execute(
            "select count(distinct sku_id), count(distinct bucket_date), min(bucket_date), min(planning_bucket) "
            "from plan_reconciled"
        ).fetchone()
        weekdays = con.execute("select distinct dayofweek(bucket_date) from capacity_plan").fetchall()
    # 26 ISO weeks from the week the cycle (Tuesday 1 August 2023) starts in
    assert series >= 40 and weeks == 26 and bucket == "week" and str(first) == "2023-07-31"
    assert weekdays == [(1,)]  # Mondays
    with duckdb.connect(str(tmp_path / "sg" / "warehouse.duckdb"), read_only=True) as con:
        start, end, buckets = con.execute(
            "select min(bucket_date), max(bucket_date), count(distinct bucket_date) from marts.fct_demand_history"
        ).fetchone()
    # the data starts on Sunday 1 January: that one-day week would be a false dip, so history starts on the
    # Monday after, and ends with the last whole week before the plan's first
    assert (str(start), str(end), buckets) == ("2023-01-02", "2023-07-24", 30)


def test_every_product_has_one_group_and_subgroup_from_the_node_table(frames):
    nodes = pd.read_csv(SG / "Raw Dataset/Homogenoeus/Nodes/Node Types (Product Group and Subgroup).csv")
    group = nodes.drop_duplicates("Node").set_index("Node")
    products = frames["products"].set_index("sku_id")
    master = products.index.str.removesuffix("-B")
    assert products["family_id"].map(type).eq(str).all() and products["category"].map(type).eq(str).all()
    assert (products["family_id"].to_numpy() == group.loc[master, "Group"].to_numpy()).all()
    assert (products["category"].to_numpy() == group.loc[master, "Sub-Group"].to_numpy()).all()
