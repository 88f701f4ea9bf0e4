"""The sample company's supply network: materials, packaging and intermediates, two-level BOMs with one postponed
family, suppliers in several currencies, crews and a mixing line beside the lines, lanes from the plants to the
distribution centres, and the stock and open supply that fill the pipeline when the cycle starts.

Sized from the expected demand of the horizon so that the network can meet it: every capacity (supplier, lane,
crew, mixer) sits above the load the expected demand puts on it, and every lead time is covered by plant stock
and open orders. Random draws come from their own generator: the rest of the sample is the same with or without
the network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sop.sample_company.config import SampleConfig
from sop.sample_company.master import FAMILIES

POSTPONED_FAMILY = "BEV"  # its SKUs are filled from a base made a month ahead on the plant's mixer
PLANT_REGION = {"P1": "Europe", "P2": "North America", "P3": "Asia Pacific"}
NEAR = {("Europe", "United Kingdom")}  # a short crossing: one month like the home region
# suppliers: (id, currency, lead time in months, price factor against the item's standard cost)
SUPPLIERS = [
    ("SUP-ALPHA", "EUR", 1, 1.00),
    ("SUP-BRAVO", "EUR", 2, 0.94),
    ("SUP-CHARLIE", "USD", 1, 1.02),
    ("SUP-DELTA", "USD", 2, 0.92),
    ("SUP-ECHO", "GBP", 1, 1.05),
    ("SUP-FOXTROT", "JPY", 3, 0.88),
    ("SUP-GOLF", "JPY", 1, 1.06),
    ("SUP-HOTEL", "EUR", 3, 0.85),
    ("SUP-INDIA", "USD", 3, 0.90),
    ("SUP-JULIET", "GBP", 2, 0.97),
]
CREW_UNITS_PER_HOUR_FACTOR = 2.5  # a crew hour tends this many line hours' output
MIXER_UNITS_PER_HOUR = 600.0
HEADROOM = 1.25  # capacities above expected load


@dataclass
class NetworkFrames:
    items: pd.DataFrame
    bom: pd.DataFrame
    supply_sources: pd.DataFrame
    lanes: pd.DataFrame
    plant_stock: pd.DataFrame
    open_supply: pd.DataFrame
    routings: pd.DataFrame  # extra routing rows: crews on every finished routing, the mixer for the bases
    capacity: pd.DataFrame  # extra capacity rows over the horizon: crews and the mixer


def generate(cfg: SampleConfig, prods, locs, routes, series, expected, closing_stock) -> NetworkFrames:
    """``closing_stock``: each series' stock at the end of the history."""
    rng = np.random.default_rng(cfg.seed + 1)
    h = cfg.history_months
    horizon = cfg.horizon.start_time
    sku_plant = routes.set_index("sku_id")["plant_id"]
    # expected monthly demand per SKU over the horizon (summed over locations)
    per_sku = (
        pd.DataFrame(expected[:, h:], columns=horizon)
        .assign(sku_id=series["sku_id"].to_numpy())
        .groupby("sku_id")
        .sum()
    )
    per_sku = per_sku.reindex(prods["sku_id"], fill_value=0.0)

    items, bom = _items_and_bom(cfg, prods, sku_plant, rng)
    # component need per plant and month: the BOM exploded over the SKUs' expected demand, two levels
    need = _component_need(bom, per_sku)
    sources = _sources(items, bom, need, rng)
    plant_stock, open_pos = _stock_and_open_orders(cfg, items, sources, need, sku_plant, per_sku)
    lanes, open_transfers = _lanes(cfg, locs, series, expected, closing_stock, sku_plant)
    extra_routes, extra_capacity = _crews_and_mixer(cfg, prods, routes, bom, per_sku)
    return NetworkFrames(
        items=items,
        bom=bom,
        supply_sources=sources,
        lanes=lanes,
        plant_stock=plant_stock,
        open_supply=pd.concat([open_pos, open_transfers], ignore_index=True),
        routings=extra_routes,
        capacity=extra_capacity,
    )


def _items_and_bom(cfg: SampleConfig, prods: pd.DataFrame, sku_plant: pd.Series, rng):
    """Per category an ingredient and a primary pack; per family a carton (replaced half-way through the
    horizon by a new one); a label everyone uses; the postponed family's categories each get a base."""
    rows, lines = [], []
    change = cfg.horizon[len(cfg.horizon) // 2].start_time
    for family, (name, categories) in FAMILIES.items():
        rows += [
            (f"CTN-{family}", f"{name} shipping carton", "packaging", "piece", 0.35, None),
            (f"CTN-{family}-NEW", f"{name} shipping carton, recycled", "packaging", "piece", 0.32, None),
        ]
        for category in categories:
            code = f"{family}-{category[:3].upper()}"
            rows += [
                (f"ING-{code}", f"{category} ingredient", "material", "kg", round(float(rng.uniform(0.8, 3.0)), 2), 12),
                (
                    f"PCK-{code}",
                    f"{category} primary pack",
                    "packaging",
                    "piece",
                    round(float(rng.uniform(0.05, 0.4)), 2),
                    None,
                ),
            ]
            if family == POSTPONED_FAMILY:
                rows.append((f"BASE-{code}", f"{category} base", "intermediate", "l", 0.0, 3))
    rows.append(("LBL-ALL", "Label stock", "packaging", "piece", 0.02, None))
    items = pd.DataFrame(
        rows, columns=["item_id", "item_name", "item_type", "unit_of_measure", "unit_cost", "shelf_life_months"]
    )
    # a base costs its ingredient
    ingredient_cost = items.set_index("item_id")["unit_cost"]
    for product in prods.itertuples():
        code = f"{product.family_id}-{product.category[:3].upper()}"
        plant = sku_plant[product.sku_id]
        size = round(float(rng.uniform(0.2, 1.0)), 3)  # kg (or l of base) per unit
        carton = 1 / 12
        lines += [
            (product.sku_id, f"PCK-{code}", plant, 1.0, None, None),
            (product.sku_id, "LBL-ALL", plant, 1.0, None, None),
            (product.sku_id, f"CTN-{product.family_id}", plant, carton, None, change - pd.offsets.MonthBegin(1)),
            (product.sku_id, f"CTN-{product.family_id}-NEW", plant, carton, change, None),
        ]
        if product.family_id == POSTPONED_FAMILY:
            lines.append((product.sku_id, f"BASE-{code}", plant, size, None, None))
        else:
            lines.append((product.sku_id, f"ING-{code}", plant, size, None, None))
    for family in [POSTPONED_FAMILY]:
        plant = sku_plant[prods.loc[prods["family_id"] == family, "sku_id"].iloc[0]]
        for category in FAMILIES[family][1]:
            code = f"{family}-{category[:3].upper()}"
            lines.append((f"BASE-{code}", f"ING-{code}", plant, 0.8, None, None))  # a litre of base: 0.8 kg
            items.loc[items["item_id"] == f"BASE-{code}", "unit_cost"] = round(0.8 * ingredient_cost[f"ING-{code}"], 2)
    bom = pd.DataFrame(lines, columns=["parent_id", "component_id", "plant_id", "qty_per", "valid_from", "valid_to"])
    return items, bom


def _component_need(bom: pd.DataFrame, per_sku: pd.DataFrame) -> pd.DataFrame:
    """Expected consumption per component, plant and month (ignoring validity: an upper bound per month)."""
    demand = per_sku.stack().rename("qty").reset_index().rename(columns={"sku_id": "parent_id", "level_1": "month"})
    demand.columns = ["parent_id", "month", "qty"]
    level1 = bom.merge(demand, on="parent_id").assign(qty=lambda f: f["qty"] * f["qty_per"])
    level1 = level1.groupby(["component_id", "plant_id", "month"], as_index=False)["qty"].sum()
    level2 = bom.merge(level1.rename(columns={"component_id": "parent_id"}), on=["parent_id", "plant_id"])
    level2 = level2.assign(qty=lambda f: f["qty"] * f["qty_per"])[["component_id", "plant_id", "month", "qty"]]
    return pd.concat([level1, level2]).groupby(["component_id", "plant_id", "month"], as_index=False)["qty"].sum()


def _sources(items: pd.DataFrame, bom: pd.DataFrame, need: pd.DataFrame, rng) -> pd.DataFrame:
    """Each bought item at each plant using it: a main supplier able to deliver above the busiest month's need,
    and for about half of them a second, cheaper or faster one, with less capacity."""
    bought = items[items["item_type"] != "intermediate"]
    peak = need.groupby(["component_id", "plant_id"])["qty"].max()
    cost = items.set_index("item_id")["unit_cost"]
    rows = []
    for item, plant in peak.index:
        if item not in set(bought["item_id"]):
            continue
        chosen = rng.choice(len(SUPPLIERS), 2, replace=False)
        for rank, s in enumerate(chosen[: 1 + int(rng.random() < 0.5)]):
            supplier, currency, lead, factor = SUPPLIERS[s]
            share = HEADROOM * 1.1 if rank == 0 else 0.4
            rows.append(
                (
                    item,
                    supplier,
                    plant,
                    lead,
                    cost[item] * factor,
                    currency,
                    round(float(peak[item, plant] * share)),
                    rank + 1,
                )
            )
    frame = pd.DataFrame(
        rows,
        columns=["item_id", "supplier_id", "plant_id", "lead_time_months", "unit_price_eur", "currency",
                 "max_qty_per_month", "priority"],
    )  # fmt: skip
    return frame


def _stock_and_open_orders(cfg, items, sources, need, sku_plant, per_sku):
    """Plant stock of a month's need of every component, and open orders from the main supplier for each month
    its lead time leaves uncovered; a little finished stock at the plants."""
    first = cfg.horizon.start_time
    main = sources[sources["priority"] == 1].set_index(["item_id", "plant_id"])
    by_month = need.set_index(["component_id", "plant_id", "month"])["qty"]
    stock, orders = [], []
    for item, plant in need.groupby(["component_id", "plant_id"]).groups:
        stock.append((item, plant, int(np.ceil(1.1 * by_month[item, plant, first[0]]))))
        if (item, plant) not in main.index:
            continue
        source = main.loc[(item, plant)]
        # ordered before the cycle: what the months before a new order can arrive consume, and a tenth more
        for m in range(1, int(source["lead_time_months"])):
            due = by_month.get((item, plant, first[m]), 0.0)
            orders.append(
                (f"PO-{cfg.cycle_id}-{len(orders) + 1:04d}", "purchase_order", item, plant, first[m],
                 int(np.ceil(due * 1.1)), source["supplier_id"], None)
            )  # fmt: skip
    fg = [(sku, sku_plant[sku], int(round(0.2 * per_sku.loc[sku].iloc[0]))) for sku in per_sku.index]
    plant_stock = pd.DataFrame(stock + [r for r in fg if r[2] > 0], columns=["item_id", "plant_id", "on_hand_qty"])
    columns = ["supply_id", "supply_type", "item_id", "node_id", "due_month", "qty", "supplier_id", "from_node"]
    return plant_stock, pd.DataFrame(orders, columns=columns)


def _lanes(cfg, locs, series, expected, closing_stock, sku_plant):
    """A lane from every plant to every distribution centre: a month in the plant's region (and across the
    Channel), two overseas, dearer; overseas lanes are capped above their expected flow. Transfers already on
    their way fill the pipeline: what each centre will sell in the months the lane takes."""
    h = cfg.history_months
    first = cfg.horizon.start_time
    peaks = pd.DataFrame(
        {
            "plant_id": series["sku_id"].map(sku_plant),
            "location_id": series["location_id"],
            "qty": expected[:, h:].max(1),
        }
    )
    flow = peaks.groupby(["plant_id", "location_id"])["qty"].sum()
    region = locs.set_index("location_id")["region"]
    rows = []
    for plant, home in PLANT_REGION.items():
        for location in locs["location_id"]:
            near = region[location] == home or (home, region[location]) in NEAR
            capacity = None if near else round(float(flow.get((plant, location), 0.0)) * HEADROOM * 1.2, -1) or None
            rows.append((f"{plant}-{location}", plant, location, 1 if near else 2, 0.12 if near else 0.45, capacity))
    lanes = pd.DataFrame(
        rows, columns=["lane_id", "from_node", "to_node", "transit_months", "cost_per_unit", "capacity_per_month"]
    )
    transit = lanes.set_index(["from_node", "to_node"])["transit_months"]
    transfers = []
    for k, row in enumerate(series.itertuples()):
        plant = sku_plant[row.sku_id]
        for m in range(int(transit[plant, row.location_id])):
            # the first month: what the centre's closing stock leaves short of a tenth over its demand
            qty = int(round(expected[k, h + m] * (1.1 if m == 0 else 1.0) - (closing_stock[k] if m == 0 else 0)))
            if qty > 0:
                transfers.append(
                    (f"TR-{cfg.cycle_id}-{len(transfers) + 1:05d}", "transfer", row.sku_id, row.location_id, first[m],
                     qty, None, plant)
                )  # fmt: skip
    columns = ["supply_id", "supply_type", "item_id", "node_id", "due_month", "qty", "supplier_id", "from_node"]
    return lanes, pd.DataFrame(transfers, columns=columns)


def _crews_and_mixer(cfg, prods, routes, bom, per_sku):
    """A crew per plant on every finished routing, and the postponed family's bases on the plant's mixer; their
    hours above the load the expected demand puts on them (the crews' over the history too)."""
    crew = routes.assign(
        resource_id=routes["plant_id"] + "-CREW",
        units_per_hour=(routes["units_per_hour"] * CREW_UNITS_PER_HOUR_FACTOR).round(1),
    )
    bases = bom[bom["parent_id"].str.startswith("BASE-")][["parent_id", "plant_id"]].drop_duplicates()
    mixer = bases.rename(columns={"parent_id": "sku_id"}).assign(
        resource_id=lambda f: f["plant_id"] + "-MIX", units_per_hour=MIXER_UNITS_PER_HOUR
    )
    extra_routes = pd.concat([crew, mixer], ignore_index=True)[["sku_id", "plant_id", "resource_id", "units_per_hour"]]
    # load per resource and month
    sku_load = per_sku.div(routes.set_index("sku_id")["units_per_hour"] * CREW_UNITS_PER_HOUR_FACTOR, axis=0)
    crew_load = sku_load.groupby(routes.set_index("sku_id")["plant_id"] + "-CREW").sum()
    base_qty = bom[bom["component_id"].str.startswith("BASE-")].merge(
        per_sku.reset_index().rename(columns={"sku_id": "parent_id"}), on="parent_id"
    )
    months = list(cfg.horizon.start_time)
    mix_load = (
        (base_qty[months].mul(base_qty["qty_per"], axis=0) / MIXER_UNITS_PER_HOUR)
        .groupby(base_qty["plant_id"] + "-MIX")
        .sum()
    )
    rows = []
    for loads, kind in ((crew_load, "labour"), (mix_load, "machine")):
        for resource, load in loads.iterrows():
            hours = np.round(load.rolling(3, min_periods=1, center=True).max().to_numpy() * HEADROOM + 10, 0)
            # crews worked the history too (an earlier cycle plans with them); the mixer is new this cycle
            past = list(cfg.history.start_time) if kind == "labour" else []
            hours = np.concatenate([np.full(len(past), float(np.median(hours))), hours])
            rows += [
                (resource.split("-")[0], resource, m, float(x), kind) for m, x in zip(past + months, hours, strict=True)
            ]
    capacity = pd.DataFrame(rows, columns=["plant_id", "resource_id", "month", "available_hours", "resource_type"])
    return extra_routes, capacity
