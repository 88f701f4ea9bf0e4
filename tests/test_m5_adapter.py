"""The M5 subset becomes the input contract, and `sop demo --data m5` plans and publishes it."""

import duckdb
import pandas as pd
import pytest

from expectations.validate import validate
from sop.adapters import SHARED_DATA
from tests.conftest import run_demo

M5 = SHARED_DATA / "m5_subset"
pytestmark = pytest.mark.skipif(not M5.exists(), reason=f"the M5 subset is not at {M5}")


@pytest.fixture(scope="module")
def frames():
    from sop.adapters.m5 import convert

    return convert(M5)


def test_every_converted_entity_passes_its_suite(frames):
    for entity, frame in frames.items():
        outcome = validate(entity, frame)
        assert outcome.success and not outcome.failures, (entity, outcome.failures)


def test_whole_months_only_and_every_sale_is_kept(frames):
    orders = frames["sales_orders"]
    months = orders["order_date"].dt.to_period("M")
    assert (str(months.min()), str(months.max()), months.nunique()) == ("2011-02", "2016-03", 62)
    raw = pd.read_csv(M5 / "tiny_m5_sales_train_validation.csv")
    calendar = pd.read_csv(M5 / "calendar.csv", usecols=["date", "d"]).set_index("d")["date"]
    whole = [d for d in raw.columns if d.startswith("d_") and "2011-02-01" <= calendar[d] < "2016-04-01"]
    assert orders["ordered_qty"].sum() == raw[whole].to_numpy().sum()
    assert orders["unit_price"].notna().all() and (orders["unit_price"] > 0).all()


def test_stock_balances_with_the_replenishment_assumption(frames):
    inv = frames["inventory_snapshots"]
    per_series = inv.groupby(["sku_id", "location_id"])["on_hand_qty"].nunique()
    assert (per_series == 1).all()  # produced = sold each month, so stock stays at its opening
    produced = frames["production"]["produced_qty"].sum()
    assert produced == frames["sales_orders"]["shipped_qty"].sum()


@pytest.mark.slow
def test_the_m5_demo_publishes_a_plan(tmp_path):
    stdout = run_demo("m5", tmp_path / "m5")
    assert "Cycle 2016-04 published as plan_version 1" in stdout
    pack = tmp_path / "m5" / "publish" / "pack" / "2016-04_v1.html"
    assert f"Executive pack:   {pack}" in stdout and pack.exists()
    assert "series (sku x location): LightGBM" in stdout  # the summary's verdict, per level
    with duckdb.connect(str(tmp_path / "m5" / "publish" / "sop.duckdb"), read_only=True) as con:
        rows = con.execute("select count(*), count(distinct sku_id || location_id) from plan_reconciled").fetchone()
        total = "select model_name, series_wape from forecast_accuracy where aggregation_level = 'total'"
        wape = dict(con.execute(total).fetchall())
    assert rows == (280 * 18, 280)
    assert wape["lightgbm"] < wape["seasonal_naive"]
