"""The M5 (Walmart) subset -> the input contract, in monthly buckets.

What M5 has: daily unit sales of 28 items at 10 stores (d_1..d_1913, 2011-01-29..2016-04-24), weekly sell
prices, and the calendar with events. What it does not have, and what this adapter assumes instead:

* Sales are recorded sales, not orders: ordered = shipped = sold (no stockouts are visible).
* One order line per item, store and day with sales, dated that day, at that week's sell price (USD).
* Products: family = M5 category, category = department; list price = the item's median sell price;
  standard cost = 60% of it (M5 has no costs); launched on the first day the item sold anywhere.
* Supply: one notional plant `M5` with one resource per category, 100 units per hour; hours available
  every month = 130% of the busiest history month of that resource, also over the horizon.
* Production replenishes exactly what sold in the month, so month-end stock stays at its opening level:
  one average month of sales per item and store (M5 has no inventory).
* FX: a constant 0.90 EUR per USD. Policies: 95% target service level and a 7-day lead time for all.
* No budget and no planner overrides (both optional in the contract). Events come from M5's calendar
  (event_name_1 and _2), which runs to 2016-06-19: later horizon months have no known events.
* Partial months are dropped: January 2011 (3 days) and April 2016, whose cycle (2016-04) is the one planned,
  from the 62 whole months February 2011 - March 2016.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

RATE_UNITS_PER_HOUR = 100.0
HEADROOM = 1.3
USD_TO_EUR = 0.90
HORIZON_MONTHS = 18


def convert(source: Path) -> dict[str, pd.DataFrame]:
    sales = pd.read_csv(source / "tiny_m5_sales_train_validation.csv")
    full_calendar = pd.read_csv(source / "calendar.csv")
    calendar = full_calendar[["date", "wm_yr_wk", "d"]]
    prices = pd.read_csv(source / "tiny_m5_sell_prices.csv")

    days = [c for c in sales.columns if c.startswith("d_")]
    long = sales.melt(id_vars=["item_id", "store_id"], value_vars=days, var_name="d", value_name="qty")
    long = long[long["qty"] > 0].merge(calendar, on="d")
    long["date"] = pd.to_datetime(long["date"])
    # whole months only: the partial last month is the cycle's own month, the partial first one is dropped
    cycle = pd.Period(long["date"].max(), freq="M")
    first = pd.Period(long["date"].min(), freq="M") + 1
    long = long[(long["date"] >= first.start_time) & (long["date"] < cycle.start_time)]
    long = long.merge(prices, on=["store_id", "item_id", "wm_yr_wk"], how="left")
    # a sale in a week without a listed price: use the item's price at that store in the nearest week
    long["sell_price"] = long.groupby(["store_id", "item_id"])["sell_price"].transform(lambda s: s.ffill().bfill())
    long["month"] = long["date"].dt.to_period("M")

    items = sales[["item_id", "dept_id", "cat_id"]].drop_duplicates("item_id")
    price = prices.groupby("item_id")["sell_price"].median()
    first_sale = long.groupby("item_id")["date"].min()
    products = pd.DataFrame(
        {
            "sku_id": items["item_id"],
            "sku_name": items["item_id"].str.replace("_", " ").str.title(),
            "family_id": items["cat_id"],
            "category": items["dept_id"],
            "unit_cost": (items["item_id"].map(price) * 0.6).round(2),
            "list_price": items["item_id"].map(price).round(2),
            "launch_date": items["item_id"].map(first_sale),
            "end_date": pd.NaT,
        }
    )
    stores = sales[["store_id", "state_id"]].drop_duplicates()
    locations = pd.DataFrame(
        {
            "location_id": stores["store_id"],
            "location_name": "Walmart store " + stores["store_id"],
            "region": stores["state_id"],
            "country": "US",
            "currency": "USD",
        }
    )
    long = long.sort_values(["store_id", "date", "item_id"])
    sales_orders = pd.DataFrame(
        {
            "order_id": "M5-" + long["store_id"] + "-" + long["date"].dt.strftime("%Y%m%d"),
            "line_number": long.groupby(["store_id", "date"]).cumcount() + 1,
            "order_date": long["date"],
            "requested_date": long["date"],
            "ship_date": long["date"],
            "sku_id": long["item_id"],
            "location_id": long["store_id"],
            "ordered_qty": long["qty"].astype(np.int64),
            "shipped_qty": long["qty"].astype(np.int64),
            "unit_price": long["sell_price"].round(2),
            "currency": "USD",
        }
    )
    routings = pd.DataFrame(
        {
            "sku_id": items["item_id"],
            "plant_id": "M5",
            "resource_id": "M5-" + items["cat_id"],
            "units_per_hour": RATE_UNITS_PER_HOUR,
        }
    )
    monthly = long.groupby(["item_id", "store_id", "month"], as_index=False)["qty"].sum()
    monthly = monthly.merge(routings, left_on="item_id", right_on="sku_id")
    production = pd.DataFrame(
        {
            "production_date": monthly["month"].dt.start_time,
            "plant_id": monthly["plant_id"],
            "resource_id": monthly["resource_id"],
            "sku_id": monthly["item_id"],
            "location_id": monthly["store_id"],
            "produced_qty": monthly["qty"].astype(np.int64),
            "run_hours": (monthly["qty"] / RATE_UNITS_PER_HOUR).round(2),
        }
    )
    months = pd.period_range(long["month"].min(), cycle + HORIZON_MONTHS - 1, freq="M")
    busiest = production.groupby(["resource_id", "production_date"])["run_hours"].sum().groupby(level=0).max()
    capacity = pd.DataFrame(
        [("M5", r, m.start_time, round(float(h) * HEADROOM, 0)) for r, h in busiest.items() for m in months],
        columns=["plant_id", "resource_id", "month", "available_hours"],
    )
    history = pd.period_range(long["month"].min(), cycle - 1, freq="M")
    cover = monthly.groupby(["item_id", "store_id"])["qty"].sum() / len(history)
    snapshots = [(h - 1).end_time.normalize() for h in history[:1]] + list(history.end_time.normalize())
    inventory = pd.DataFrame(
        [(d, item, store, int(np.ceil(c))) for (item, store), c in cover.items() for d in snapshots],
        columns=["snapshot_date", "sku_id", "location_id", "on_hand_qty"],
    )
    fx = pd.DataFrame({"month": months.start_time, "currency": "USD", "rate_to_eur": USD_TO_EUR})
    policies = pd.DataFrame(
        [("M5-DEFAULT", None, None, None, 0.95, 7.0)],
        columns=["policy_id", "family_id", "sku_id", "location_id", "target_service_level", "lead_time_days"],
    )
    events = pd.concat(
        [
            full_calendar[["date", f"event_name_{k}", f"event_type_{k}"]].set_axis(
                ["event_date", "event_name", "event_type"], axis=1
            )
            for k in (1, 2)
        ]
    ).dropna(subset=["event_name"])
    events["event_date"] = pd.to_datetime(events["event_date"])
    return {
        "calendar_events": events.sort_values(["event_date", "event_name"]).reset_index(drop=True),
        "products": products,
        "locations": locations,
        "routings": routings,
        "capacity": capacity,
        "sales_orders": sales_orders,
        "production": production,
        "inventory_snapshots": inventory,
        "fx_rates": fx,
        "policies": policies,
    }
