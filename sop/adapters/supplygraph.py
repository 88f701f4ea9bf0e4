"""SupplyGraph (a real FMCG manufacturer, Bangladesh, 2023-01-01 .. 2023-08-09) -> the input contract.

The raw wide files are read as they are (41 product columns of daily values per measure). What the data has,
what it lacks, and what this adapter does about each trap:

* Orders and deliveries: `Sales Order.csv` is demand, `Delivery To distributor.csv` what shipped. They do not
  match day by day (backlog), so deliveries fill each product's open order quantity first-in, first-out: a
  line's shipped quantity is what deliveries covered of it, its ship date the day they covered it in full (or
  the last delivery that touched it). Deliveries beyond all orders are dropped (the totals reconcile to ~1.3%).
* Fractional units (about 18% of cells): rounded to whole units per cell, so every flow balances in integers.
* Fridays are the weekend (near-zero days): kept as they are; monthly buckets absorb them.
* `POP001L12P` appears twice with different series: the second column becomes SKU `POP001L12P-B`, with the
  same group and plant as the first.
* One market: a single location `BD` (national distribution: the storage locations' flows are not split by
  location in the data, so they are one node).
* The network: production at the plants, `Factory Issue.csv` as transfers from each plant into storage (one
  lane per plant, no transit or freight the data can tell), deliveries to distributors as the demand met. The
  storage stock is issued - delivered, the plants' produced - issued, each from the smallest opening that
  keeps it non-negative; the plants' stock at the end of the history is the plan's plant stock.
* Master data: group -> family, sub-group -> category; each product is made at the plant it is listed under
  most often (products are listed under up to 13 plants), on one resource per plant.
* No prices or costs: money is notional, 1 EUR per unit sold and 0.60 EUR cost, so revenue counts units.
* No inventory levels: stock at `BD` = opening + issued - delivered, snapshotted at each month end (see the
  network above).
* No capacity: 2,000 units per hour (so no month needs more hours than it has), and each resource gets
  130% of its busiest month's hours, also over the horizon.
* Partial months: August 2023 (9 days) is the month of the cycle planned, 2023-08, from January - July.
* Planned in weekly buckets (ISO weeks): 30 whole weeks of history instead of 7 months. The week of Sunday
  1 January has one day of data and is left out; the week of Monday 31 July is the plan's first.
* No calendar: the two Eid holidays of 2023, which empty the order book for most of a week, are added as
  calendar events (three days each around Eid al-Fitr, 22 April, and Eid al-Adha, 29 June; public dates,
  not from the data set). The horizon (to January 2024) holds no Eid.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

TEMPORAL = Path("Raw Dataset/Homogenoeus/Temporal Data/Unit")
NODES = Path("Raw Dataset/Homogenoeus/Nodes")
RATE_UNITS_PER_HOUR = 2000.0
HEADROOM = 1.3
HORIZON_MONTHS = 18
LOCATION = "BD"
EID_DAYS = {
    "Eid al-Fitr": ("2023-04-21", "2023-04-23"),
    "Eid al-Adha": ("2023-06-28", "2023-06-30"),
}


def _wide(source: Path, name: str) -> pd.DataFrame:
    """Date x product, whole units; the duplicated product column gets its own SKU."""
    frame = pd.read_csv(source / TEMPORAL / name, parse_dates=["Date"]).set_index("Date")
    frame.columns = [c.replace("POP001L12P.1", "POP001L12P-B") for c in frame.columns]
    return frame.round().astype(np.int64)


def _fifo_lines(orders: pd.Series, deliveries: pd.Series, sku: str) -> pd.DataFrame:
    """Order lines of one product, shipped first-in, first-out by the deliveries."""
    lines = orders[orders > 0]
    cum_ordered = lines.cumsum().to_numpy()
    before = cum_ordered - lines.to_numpy()
    cum_delivered = deliveries.cumsum()
    total = int(cum_delivered.iloc[-1]) if len(cum_delivered) else 0
    shipped = np.clip(total - before, 0, lines.to_numpy())
    # the day deliveries first covered the whole line, else the last delivery that covered part of it
    full = np.searchsorted(cum_delivered.to_numpy(), cum_ordered, side="left")
    part = np.searchsorted(cum_delivered.to_numpy(), before, side="right")
    day = np.where(full < len(cum_delivered), full, np.minimum(part, len(cum_delivered) - 1))
    # deliveries can run ahead of orders: a line covered before it was placed shipped the day it was placed
    covered = np.maximum(cum_delivered.index.to_numpy()[day], lines.index.to_numpy())
    ship_date = np.where(shipped > 0, covered, np.datetime64("NaT"))
    return pd.DataFrame(
        {
            "order_date": lines.index,
            "sku_id": sku,
            "ordered_qty": lines.to_numpy(),
            "shipped_qty": shipped,
            "ship_date": ship_date,
        }
    )


def convert(source: Path) -> dict[str, pd.DataFrame]:
    orders, deliveries, produced, issued = (
        _wide(source, n)
        for n in ("Sales Order.csv", "Delivery To distributor.csv", "Production .csv", "Factory Issue.csv")
    )
    cycle = pd.Period(orders.index.max(), freq="M")  # the partial last month is the cycle's own month
    history = pd.period_range(orders.index.min(), cycle - 1, freq="M")
    keep = orders.index < cycle.start_time
    orders, deliveries, produced, issued = orders[keep], deliveries[keep], produced[keep], issued[keep]
    skus = list(orders.columns)

    # the node table lists POP001L12P twice (identical rows): one row per product, or lookups return a Series
    groups = pd.read_csv(source / NODES / "Node Types (Product Group and Subgroup).csv").drop_duplicates("Node")
    groups = groups.set_index("Node", verify_integrity=True)
    plants = pd.read_csv(source / NODES / "Nodes Type (Plant & Storage).csv")
    plant_of = plants.groupby("Node")["Plant"].agg(lambda p: p.value_counts().sort_index().idxmax())

    def master(sku: str) -> str:
        return sku.removesuffix("-B")

    products = pd.DataFrame(
        {
            "sku_id": skus,
            "sku_name": [f"SupplyGraph {s}" for s in skus],
            "family_id": [groups.loc[master(s), "Group"] for s in skus],
            "category": [groups.loc[master(s), "Sub-Group"] for s in skus],
            "unit_cost": 0.6,
            "list_price": 1.0,
            "launch_date": orders.index.min(),
            "end_date": pd.NaT,
        }
    )
    routings = pd.DataFrame(
        {
            "sku_id": skus,
            "plant_id": [f"P{plant_of[master(s)]}" for s in skus],
            "resource_id": [f"P{plant_of[master(s)]}-L1" for s in skus],
            "units_per_hour": RATE_UNITS_PER_HOUR,
        }
    )
    lines = pd.concat([_fifo_lines(orders[s], deliveries[s], s) for s in skus], ignore_index=True)
    lines = lines.sort_values(["order_date", "sku_id"], kind="stable").reset_index(drop=True)
    sales_orders = pd.DataFrame(
        {
            "order_id": "SG-" + lines["order_date"].dt.strftime("%Y%m%d"),
            "line_number": lines.groupby("order_date").cumcount() + 1,
            "order_date": lines["order_date"],
            "requested_date": lines["order_date"],
            "ship_date": lines["ship_date"],
            "sku_id": lines["sku_id"],
            "location_id": LOCATION,
            "ordered_qty": lines["ordered_qty"],
            "shipped_qty": lines["shipped_qty"],
            "unit_price": 1.0,
            "currency": "EUR",
        }
    )
    made = produced.stack().rename("qty").reset_index().rename(columns={"level_1": "sku_id"})
    made = made[made["qty"] > 0].merge(routings, on="sku_id")
    production = pd.DataFrame(
        {
            "production_date": made["Date"],
            "plant_id": made["plant_id"],
            "resource_id": made["resource_id"],
            "sku_id": made["sku_id"],
            "location_id": LOCATION,
            "produced_qty": made["qty"],
            "run_hours": (made["qty"] / RATE_UNITS_PER_HOUR).round(2),
        }
    )
    # the storage network's stock moves with factory issues in and shipments out (by ship date); the plants'
    # with production in and factory issues out; each opening is the smallest that keeps its stock >= 0
    shipped = (
        sales_orders.dropna(subset=["ship_date"])
        .groupby([sales_orders["ship_date"].dt.to_period("M"), "sku_id"])["shipped_qty"]
        .sum()
    )

    def monthly(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.groupby(frame.index.to_period("M")).sum().reindex(index=history, columns=skus, fill_value=0)

    flow = monthly(issued) - shipped.unstack(fill_value=0).reindex(index=history, columns=skus, fill_value=0)
    opening = (-flow.cumsum().min()).clip(lower=0)
    closing = flow.cumsum() + opening
    at_plant = monthly(produced) - monthly(issued)
    plant_closing = at_plant.cumsum().iloc[-1] + (-at_plant.cumsum().min()).clip(lower=0)
    ends = [(history[0] - 1).end_time.normalize(), *history.end_time.normalize()]
    levels = pd.concat([opening.to_frame().T, closing], ignore_index=True)
    inventory = pd.DataFrame(
        [(ends[i], sku, LOCATION, int(levels.iloc[i][sku])) for i in range(len(ends)) for sku in skus],
        columns=["snapshot_date", "sku_id", "location_id", "on_hand_qty"],
    )
    months = pd.period_range(history[0], cycle + HORIZON_MONTHS - 1, freq="M")
    busiest = (
        production.groupby(["resource_id", production["production_date"].dt.to_period("M")])["run_hours"]
        .sum()
        .groupby(level=0)
        .max()
    )
    capacity = pd.DataFrame(
        [(r.split("-")[0], r, m.start_time, round(float(h) * HEADROOM, 0)) for r, h in busiest.items() for m in months],
        columns=["plant_id", "resource_id", "month", "available_hours"],
    )
    plant_of_sku = routings.set_index("sku_id")["plant_id"]
    plant_stock = pd.DataFrame(
        {"item_id": skus, "plant_id": plant_of_sku.loc[skus].to_numpy(), "on_hand_qty": plant_closing[skus].to_numpy()}
    )
    # factory issues move goods from a plant into the storage network: a lane from each plant, no time or freight
    # the data can tell (issues and deliveries fall within days of each other)
    lanes = pd.DataFrame(
        [(f"{p}-{LOCATION}", p, LOCATION, 0, 0.0, None) for p in sorted(set(routings["plant_id"]))],
        columns=["lane_id", "from_node", "to_node", "transit_months", "cost_per_unit", "capacity_per_month"],
    )
    return {
        "products": products,
        "plant_stock": plant_stock[plant_stock["on_hand_qty"] > 0].reset_index(drop=True),
        "lanes": lanes,
        "locations": pd.DataFrame(
            [(LOCATION, "Bangladesh national distribution", "Bangladesh", "BD", "EUR")],
            columns=["location_id", "location_name", "region", "country", "currency"],
        ),
        "routings": routings,
        "capacity": capacity,
        "sales_orders": sales_orders,
        "production": production,
        "inventory_snapshots": inventory,
        "fx_rates": pd.DataFrame({"month": months.start_time, "currency": "EUR", "rate_to_eur": 1.0}),
        "calendar_events": pd.DataFrame(
            [
                (day, name, "holiday")
                for name, (first, last) in EID_DAYS.items()
                for day in pd.date_range(first, last, freq="D")
            ],
            columns=["event_date", "event_name", "event_type"],
        ),
        "policies": pd.DataFrame(
            [("SG-DEFAULT", None, None, None, 0.95, 7.0)],
            columns=["policy_id", "family_id", "sku_id", "location_id", "target_service_level", "lead_time_days"],
        ),
    }
