"""The sample company is realistic and internally consistent, and the same seed gives the same files."""

import numpy as np
import pandas as pd

from sop.sample_company import SampleConfig, generate, write_landing
from tests.conftest import SMALL


def _monthly(df, date_col, qty_col):
    month = pd.to_datetime(df[date_col]).dt.to_period("M")
    return df.assign(month=month).groupby(["sku_id", "location_id", "month"])[qty_col].sum()


def test_inventory_snapshots_agree_with_production_and_shipments(small_frames):
    inv = (
        small_frames["inventory_snapshots"]
        .assign(month=lambda d: pd.to_datetime(d["snapshot_date"]).dt.to_period("M"))
        .set_index(["sku_id", "location_id", "month"])["on_hand_qty"]
    )
    produced = _monthly(small_frames["production"], "production_date", "produced_qty")
    shipped = _monthly(small_frames["sales_orders"], "ship_date", "shipped_qty")
    opening = inv.groupby(level=[0, 1]).shift(1)
    flows = (
        pd.DataFrame({"closing": inv, "opening": opening})
        .join(produced.rename("produced"))
        .join(shipped.rename("shipped"))
        .fillna({"produced": 0, "shipped": 0})
        .dropna(subset=["opening"])
    )
    assert len(flows) > 1000
    balance = flows["opening"] + flows["produced"] - flows["shipped"] - flows["closing"]
    assert (balance == 0).all(), flows[balance != 0].head()
    assert (inv >= 0).all()


def test_production_never_uses_more_hours_than_capacity(small_frames):
    used = (
        small_frames["production"]
        .assign(month=lambda d: pd.to_datetime(d["production_date"]).dt.to_period("M").dt.start_time)
        .groupby(["resource_id", "month"])["run_hours"]
        .sum()
    )
    cap = small_frames["capacity"].set_index(["resource_id", "month"])["available_hours"]
    joined = pd.DataFrame({"used": used}).join(cap.rename("available"), how="left")
    assert joined["available"].notna().all()
    assert (joined["used"] <= joined["available"] + 1e-9).all()
    # the plan is tight somewhere: the disruption or a seasonal peak brings a resource near its limit
    assert (joined["used"] / joined["available"]).max() > 0.85


def test_orders_ship_at_most_what_was_ordered_and_never_before_the_order(small_frames):
    so = small_frames["sales_orders"]
    assert (so["shipped_qty"] <= so["ordered_qty"]).all()
    shipped = so[so["shipped_qty"] > 0]
    assert (pd.to_datetime(shipped["ship_date"]) >= pd.to_datetime(shipped["order_date"])).all()
    assert so["ship_date"].isna().sum() > 0 or (so["shipped_qty"] < so["ordered_qty"]).any()


def test_the_company_has_the_shape_the_contract_promises():
    frames = generate(SampleConfig(seed=3))
    assert frames["products"]["family_id"].nunique() == 5
    assert 150 <= len(frames["products"]) <= 250
    assert frames["capacity"]["plant_id"].nunique() >= 3
    assert frames["locations"]["location_id"].nunique() >= 10
    assert frames["locations"]["currency"].nunique() >= 3
    assert frames["locations"]["region"].nunique() >= 3
    months = pd.to_datetime(frames["sales_orders"]["order_date"]).dt.to_period("M")
    assert months.nunique() >= 36
    products = frames["products"]
    assert products["end_date"].notna().any()  # phase-outs
    assert (pd.to_datetime(products["launch_date"]) > months.min().start_time).any()  # launches in the history
    monthly = _monthly(frames["sales_orders"], "order_date", "ordered_qty")
    per_series = monthly.groupby(level=[0, 1]).agg(["count", "mean"])
    assert (per_series["mean"] < 3).sum() > 10  # intermittent sellers
    # promotions and price changes: the same SKU sells at several prices
    assert frames["sales_orders"].groupby(["sku_id", "location_id"])["unit_price"].nunique().median() > 3
    # the supply disruption: one resource loses most of its hours for two months
    cap = frames["capacity"].pivot(index="month", columns="resource_id", values="available_hours")
    assert ((cap / cap.rolling(5, center=True, min_periods=1).median()) < 0.5).sum().sum() == 2
    assert len(frames["planner_overrides"]) > 0 and len(frames["budget"]) > 0 and len(frames["fx_rates"]) > 0


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    cfg = SampleConfig(n_skus=20, n_locations=10, history_months=24, seed=5)
    a = write_landing(generate(cfg), tmp_path / "a")
    b = write_landing(generate(cfg), tmp_path / "b")
    write_landing(generate(SampleConfig(n_skus=20, n_locations=10, history_months=24, seed=6)), tmp_path / "c")
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.name
    assert (tmp_path / "a" / "sales_orders.csv").read_bytes() != (tmp_path / "c" / "sales_orders.csv").read_bytes()


def test_size_follows_parameters():
    frames = generate(SampleConfig(n_skus=12, n_locations=10, history_months=24, horizon_months=6, seed=1))
    assert len(frames["products"]) == 12
    assert pd.to_datetime(frames["capacity"]["month"]).nunique() == 30
    assert np.isclose(len(frames["inventory_snapshots"]) % 25, 0)  # 24 months + the opening snapshot
    assert SMALL.cycle_id == "2026-01"
