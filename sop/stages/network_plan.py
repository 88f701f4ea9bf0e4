"""The plan stage on a supply network: the warehouse's network inputs -> ``sop.planning.network.plan`` -> the plan
tables (the single-echelon stage's three, with the same columns, and the material, purchase and transfer plans).

A data set is planned as a network when it has any network file (items, bom, supply_sources, lanes, plant_stock,
open_supply) or a routing that is more than one row (an alternate plant, or a line and a crew). Otherwise the
single-echelon plan runs, unchanged. Months in the files (lead times, transits, due months, validity) are turned
into planning buckets here, once.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from sop.buckets import Bucket
from sop.planning.network import COLUMNS, Network, NetworkPlan
from sop.planning.supply_plan import PlanCosts, PlanInputs, _series_plan

NETWORK_ENTITIES = ("items", "bom", "supply_sources", "lanes", "plant_stock", "open_supply")
TOLERANCE = 1e-6  # solver dust: below it a quantity is zero


class NetworkInputError(ValueError):
    """Network data the plan cannot use, naming the file, row and column."""


def uses_network(con: duckdb.DuckDBPyConnection) -> bool:
    """Any network file, or a routing of more than one row (alternates, several resources)."""
    for entity in NETWORK_ENTITIES:
        if con.execute(f"select count(*) from staging.stg_landing__{entity}").fetchone()[0]:  # noqa: S608 - names are ours
            return True
    return bool(
        con.execute(
            "select count(*) from (select sku_id from staging.stg_landing__routings "
            "group by sku_id having count(*) > 1)"
        ).fetchone()[0]
    )


@dataclass
class NetworkInputs:
    network: Network
    plan_inputs: PlanInputs  # the series the plan reports on (demand, opening stock, safety stock at the DCs)
    bucket_dates: pd.DatetimeIndex
    resource_types: pd.DataFrame  # resource_id, plant_id, resource_type, overtime_cost_per_hour
    primary_resource: pd.DataFrame  # routing_id, resource_id: the line a routing's production is reported on
    sources: pd.DataFrame  # source_id, currency_code, unit_price_amount (its own currency)


def buckets_for_months(months, bucket: Bucket) -> np.ndarray:
    """Whole buckets a span of months takes, never fewer than it is long (a lead time is never shortened)."""
    return np.ceil(np.asarray(months, float) / bucket.months - 1e-9).astype(int)


def _bucket_of(dates: pd.Series, buckets: pd.DatetimeIndex) -> np.ndarray:
    """Index of the bucket a month's first day falls in (before the horizon: -1)."""
    return buckets.searchsorted(pd.to_datetime(dates), side="right") - 1


def _refuse(frame: pd.DataFrame, bad: pd.Series, column: str, why: str) -> None:
    if bad.any():
        rows = frame[bad.to_numpy()].head(5)
        where = "; ".join(
            f"{r.source_file} row {r.source_row}, {column} {getattr(r, column)!r}" for r in rows.itertuples()
        )
        raise NetworkInputError(f"{why}: {where}" + (f" (and {int(bad.sum()) - 5} more)" if bad.sum() > 5 else ""))


# what the network plan reads, in a fixed order (the LP's columns follow it: the same data, the same plan)
QUERIES = {
    "products": (
        "select sku_id as item_id, unit_cost_amount as unit_cost, family_id "
        "from staging.stg_landing__products order by 1"
    ),
    "items": (
        "select item_id, unit_cost_amount as unit_cost, source_file, source_row "
        "from staging.stg_landing__items order by 1"
    ),
    "routing_rows": (
        "select sku_id as item_id, plant_id, resource_id, units_per_hour, cost_per_unit_amount "
        "from staging.stg_landing__routings order by sku_id, plant_id, resource_id"
    ),
    "capacity": (
        "select resource_id, any_value(plant_id) as plant_id, max(resource_type) as resource_type, "
        "max(overtime_share) as overtime_share, max(overtime_cost_per_hour) as overtime_cost_per_hour "
        "from intermediate.int_capacity_bucketed group by resource_id order by resource_id"
    ),
    "types": ("select distinct resource_id, resource_type from intermediate.int_capacity_bucketed order by 1, 2"),
    "bom": (
        "select parent_id, component_id, plant_id, qty_per, valid_from_date, valid_to_date, source_file, source_row "
        "from staging.stg_landing__bom order by parent_id, component_id, plant_id, valid_from_date"
    ),
    "sources": (
        "select item_id, supplier_id, plant_id, lead_time_months, unit_price_amount, unit_price_eur_amount, "
        "currency_code, min_qty_per_month, max_qty_per_month, priority, source_file, source_row "
        "from intermediate.int_supply_sources_priced order by item_id, supplier_id, plant_id"
    ),
    "locations": ("select location_id from staging.stg_landing__locations order by 1"),
    "lanes": (
        "select lane_id, from_node_id, to_node_id, transit_months, cost_per_unit_amount, capacity_per_month, "
        "source_file, source_row from staging.stg_landing__lanes order by lane_id"
    ),
    "plant_stock": (
        "select item_id, plant_id as node_id, on_hand_qty as qty from staging.stg_landing__plant_stock order by 1, 2"
    ),
    "open_supply": (
        "select item_id, node_id, due_month_date, qty from staging.stg_landing__open_supply order by supply_id"
    ),
}


def read(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """The cycle's network data from the warehouse, as the files give it (months, own currencies)."""
    return {name: con.execute(sql).df() for name, sql in QUERIES.items()}  # fixed statements, no input in them


def build(data: dict[str, pd.DataFrame], inputs: PlanInputs, bucket: Bucket, costs: PlanCosts) -> NetworkInputs:
    """The network of the cycle from its ``read`` data: ``inputs`` is the single-echelon stage's view of the
    selling locations (demand, opening and safety stock, hours), after any scenario's changes to it."""
    dates = inputs.buckets
    T = len(dates)
    series = inputs.series

    products = data["products"].copy()
    items = data["items"].copy()
    _refuse(items, items["item_id"].isin(products["item_id"]), "item_id", "an item must not reuse a sku_id")
    all_items = pd.concat([products[["item_id", "unit_cost"]], items[["item_id", "unit_cost"]]], ignore_index=True)

    demand = pd.DataFrame(
        {
            "item_id": np.repeat(series["sku_id"].to_numpy(), T),
            "node_id": np.repeat(series["location_id"].to_numpy(), T),
            "bucket": np.tile(np.arange(T), len(series)),
            "qty": inputs.demand.ravel().astype(float),
            # lost sales are priced as the single-echelon plan prices them
            "net_price": np.repeat(
                np.maximum(series["net_price_amount"].fillna(0), series["unit_cost_amount"].fillna(0)).to_numpy(), T
            ),
        }
    )
    demand = demand[demand["qty"] > 0].reset_index(drop=True)

    routing_rows = data["routing_rows"].copy()
    routing_rows["routing_id"] = routing_rows["item_id"] + "@" + routing_rows["plant_id"]
    routings = routing_rows.groupby(["routing_id", "item_id", "plant_id"], as_index=False).agg(
        cost_per_unit=("cost_per_unit_amount", "sum")
    )
    routing_resources = routing_rows.assign(hours_per_unit=1.0 / routing_rows["units_per_hour"])[
        ["routing_id", "resource_id", "hours_per_unit"]
    ]
    capacity = data["capacity"].copy()
    capacity = capacity.fillna(
        {"overtime_share": costs.overtime_share, "overtime_cost_per_hour": costs.overtime_cost_per_hour}
    )
    hours = inputs.hours.reindex(columns=dates, fill_value=0.0)
    resources = (
        hours.stack()
        .rename("hours")
        .reset_index()
        .set_axis(["resource_id", "bucket_date", "hours"], axis=1)
        .assign(bucket=lambda f: dates.get_indexer(pd.to_datetime(f["bucket_date"])))
        .merge(capacity, on="resource_id", how="left")
    )
    resources = resources[["resource_id", "bucket", "hours", "overtime_share", "overtime_cost_per_hour"]]
    # a routing on a resource with no capacity at all can make nothing: it is left out of the hours (the LP
    # would otherwise make it for free); the capacity plan's missing-capacity warning names those buckets
    known = set(resources["resource_id"])
    unhoused = ~routing_resources["resource_id"].isin(known)
    dead = set(routing_resources.loc[unhoused, "routing_id"])
    routings = routings[~routings["routing_id"].isin(dead)].reset_index(drop=True)
    routing_resources = routing_resources[~routing_resources["routing_id"].isin(dead)].reset_index(drop=True)
    types = data["types"].copy()
    primary = (
        routing_resources.merge(types, on="resource_id", how="left")
        .assign(is_labour=lambda f: f["resource_type"].eq("labour"))
        .sort_values(["routing_id", "is_labour", "resource_id"])
        .drop_duplicates("routing_id")[["routing_id", "resource_id"]]
    )

    bom = data["bom"].copy()
    bom["first_bucket"] = np.where(
        bom["valid_from_date"].isna(), 0, np.maximum(_bucket_of(bom["valid_from_date"], dates), 0)
    )
    # the last bucket starting in the line's last month
    last_month_end = pd.to_datetime(bom["valid_to_date"]) + pd.offsets.MonthEnd(0)
    bom["last_bucket"] = np.where(bom["valid_to_date"].isna(), T - 1, dates.searchsorted(last_month_end, "right") - 1)
    _refuse(bom, ~bom["component_id"].isin(all_items["item_id"]), "component_id", "a BOM component is no item")

    sources = data["sources"].copy()
    _refuse(
        sources, sources["unit_price_eur_amount"].isna(), "currency_code", "no FX rate in fx_rates for the currency"
    )
    sources = sources.assign(
        source_id=sources["supplier_id"] + ":" + sources["item_id"] + "@" + sources["plant_id"],
        lead_time=buckets_for_months(sources["lead_time_months"], bucket),
        unit_price=sources["unit_price_eur_amount"],
        min_qty=sources["min_qty_per_month"] * bucket.months,
        max_qty=sources["max_qty_per_month"] * bucket.months,
    )

    # every plant the files name: one without hours still exists (a lane from it carries its stock)
    plants = set(data["routing_rows"]["plant_id"]) | set(capacity["plant_id"]) | set(sources["plant_id"])
    plants |= set(data["plant_stock"]["node_id"])
    locations = set(data["locations"]["location_id"])
    lanes = data["lanes"].copy()
    _refuse(
        lanes, ~lanes["from_node_id"].isin(plants | locations), "from_node_id", "a lane starts at no plant or location"
    )
    if lanes.empty:
        # no lanes: a plant's production reaches every location at once and for nothing, as in the
        # single-echelon plan
        lanes = pd.DataFrame(
            [
                (f"{p}->{loc}", p, loc, 0, 0.0, np.nan)
                for p in sorted(set(routings["plant_id"]))
                for loc in sorted(locations)
            ],
            columns=["lane_id", "from_node", "to_node", "transit", "cost_per_unit", "capacity"],
        )
    else:
        lanes = pd.DataFrame(
            {
                "lane_id": lanes["lane_id"],
                "from_node": lanes["from_node_id"],
                "to_node": lanes["to_node_id"],
                "transit": buckets_for_months(lanes["transit_months"], bucket),
                "cost_per_unit": lanes["cost_per_unit_amount"],
                "capacity": lanes["capacity_per_month"] * bucket.months,
            }
        )

    opening = pd.concat(
        [
            series[["sku_id", "location_id", "opening_qty"]].set_axis(["item_id", "node_id", "qty"], axis=1),
            data["plant_stock"].copy(),
        ],
        ignore_index=True,
    )
    open_supply = data["open_supply"].copy()
    open_supply["bucket"] = np.maximum(_bucket_of(open_supply["due_month_date"], dates), 0)  # overdue: first bucket
    in_transit = open_supply[open_supply["due_month_date"] <= dates[-1]][["item_id", "node_id", "bucket", "qty"]]
    safety = series[["sku_id", "location_id", "safety_stock_qty"]].set_axis(["item_id", "node_id", "qty"], axis=1)
    safety = safety[safety["qty"] > 0]

    def typed(frame: pd.DataFrame, name: str) -> pd.DataFrame:
        return (
            frame[list(COLUMNS[name])]
            .astype({c: t for c, t in COLUMNS[name].items() if t != "object"})
            .reset_index(drop=True)
        )

    network = Network(
        buckets=T,
        items=all_items,
        demand=demand,
        routings=routings,
        routing_resources=routing_resources,
        resources=resources,
        bom=typed(bom, "bom"),
        sources=typed(sources.fillna({"max_qty": np.inf}), "sources").replace({"max_qty": {np.inf: np.nan}}),
        lanes=typed(lanes, "lanes"),
        opening=typed(opening.astype({"qty": float}), "opening"),
        in_transit=typed(in_transit.astype({"qty": float}), "in_transit"),
        safety_stock=typed(safety, "safety_stock"),
    )
    return NetworkInputs(
        network,
        inputs,
        dates,
        capacity[["resource_id", "plant_id", "resource_type", "overtime_cost_per_hour"]],
        primary,
        sources[["source_id", "currency_code", "unit_price_amount"]],
    )


def _at(frame: pd.DataFrame, dates: pd.DatetimeIndex, column: str = "bucket", to: str = "bucket_date") -> pd.DataFrame:
    return frame.assign(**{to: dates[frame[column].to_numpy(dtype=int)].date})


def tables(net_in: NetworkInputs, result: NetworkPlan) -> dict[str, pd.DataFrame]:
    """The plan tables of a network plan, before rounding."""
    net, inputs, dates = net_in.network, net_in.plan_inputs, net_in.bucket_dates
    S, T = inputs.demand.shape
    series_index = pd.MultiIndex.from_frame(inputs.series[["sku_id", "location_id"]])

    def grid(frame: pd.DataFrame) -> np.ndarray:
        values = frame.rename(columns={"item_id": "sku_id", "node_id": "location_id"}).pivot_table(
            index=["sku_id", "location_id"], columns="bucket", values="qty", aggfunc="sum"
        )
        return values.reindex(index=series_index, columns=range(T)).fillna(0.0).to_numpy()

    stock, short = grid(result.stock), grid(result.short)
    opening = np.column_stack([inputs.series["opening_qty"].to_numpy(float), stock[:, :-1]])
    # what reaches the location's stock in the bucket, net of what it ships on: closing - opening + sold
    supply = stock - opening + (inputs.demand - short)
    series_plan = _series_plan(inputs, supply, stock, short)

    made = result.made.merge(net_in.primary_resource, on="routing_id")  # every routing and bucket, as planned
    hours_per_unit = made.merge(net.routing_resources, on=["routing_id", "resource_id"])["hours_per_unit"]
    supply_plan = (
        _at(made, dates)
        .assign(
            location_id=made["plant_id"],  # production lands in the plant's stock
            planned_supply_qty=made["qty"],
            planned_hours=made["qty"].to_numpy() * hours_per_unit.to_numpy(),
        )
        .rename(columns={"item_id": "sku_id"})[
            ["plant_id", "resource_id", "sku_id", "location_id", "bucket_date", "planned_supply_qty", "planned_hours"]
        ]
    )

    res = result.resources.merge(net_in.resource_types, on="resource_id", how="left")
    capacity_plan = _at(res, dates).assign(
        available_hours=res["hours"],
        overtime_hours=res["overtime_hours"].where(res["overtime_hours"] > TOLERANCE, 0.0),
        overtime_cost_amount=res["overtime_hours"].where(res["overtime_hours"] > TOLERANCE, 0.0)
        * res["overtime_cost_per_hour"],
        capacity_utilization=np.divide(
            res["planned_hours"], res["hours"], out=np.zeros(len(res)), where=res["hours"].to_numpy() > 0
        ),
    )[
        [
            "plant_id",
            "resource_id",
            "resource_type",
            "bucket_date",
            "available_hours",
            "planned_hours",
            "overtime_hours",
            "capacity_utilization",
            "overtime_cost_amount",
        ]
    ]
    material = material_plan(net_in, result)
    return {
        "plan_reconciled": series_plan,
        "supply_plan": supply_plan,
        "capacity_plan": capacity_plan,
        "material_plan": material,
        "network_exceptions": exceptions(net_in, result, material),
        "purchase_plan": purchase_plan(net_in, result),
        "transfer_plan": transfer_plan(net_in, result),
    }


def material_plan(net_in: NetworkInputs, result: NetworkPlan) -> pd.DataFrame:
    """Per bought or intermediate item, plant and bucket: stock in, receipts, production, consumption, stock out;
    and the shortage: what the production the plan could not make would have needed of it, where the item
    itself ran out (no stock left and no more could arrive in time)."""
    net, dates = net_in.network, net_in.bucket_dates
    components = set(net.bom["component_id"])
    keys = ["item_id", "node_id", "bucket"]
    stock = result.stock[result.stock["item_id"].isin(components)]
    frame = stock.rename(columns={"qty": "closing_stock_qty"})

    def per_bucket(part: pd.DataFrame, name: str) -> None:
        nonlocal frame
        summed = part.groupby(keys, as_index=False)["qty"].sum().rename(columns={"qty": name})
        frame = frame.merge(summed, on=keys, how="left")
        frame[name] = frame[name].fillna(0.0)

    bought = result.bought.rename(columns={"plant_id": "node_id"})
    per_bucket(bought.rename(columns={"arrival_bucket": "bucket"}), "purchase_receipts_qty")
    per_bucket(net.in_transit, "open_supply_receipts_qty")
    per_bucket(bought.rename(columns={"order_bucket": "bucket"}), "purchased_qty")
    per_bucket(result.made.rename(columns={"plant_id": "node_id"}), "produced_qty")
    per_bucket(result.consumed.rename(columns={"component_id": "item_id", "plant_id": "node_id"}), "required_qty")
    opening = net.opening.groupby(["item_id", "node_id"])["qty"].sum()
    frame = frame.sort_values(keys).reset_index(drop=True)
    previous = frame.groupby(["item_id", "node_id"])["closing_stock_qty"].shift(1)
    first = frame.set_index(["item_id", "node_id"]).index.map(opening).to_numpy(dtype=float)
    frame["opening_stock_qty"] = previous.fillna(pd.Series(np.nan_to_num(first), index=frame.index))
    frame["received_qty"] = frame.pop("purchase_receipts_qty") + frame.pop("open_supply_receipts_qty")
    frame = frame.merge(_starved(net_in, result), on=keys, how="left")
    frame["shortage_qty"] = frame["shortage_qty"].fillna(0.0)
    frame["starved_skus"] = frame["starved_skus"].fillna("")
    frame["starved_revenue_amount"] = frame["starved_revenue_amount"].fillna(0.0)
    out = _at(frame, dates).rename(columns={"node_id": "plant_id"})
    return out[
        [
            "item_id",
            "plant_id",
            "bucket_date",
            "opening_stock_qty",
            "received_qty",
            "produced_qty",
            "required_qty",
            "closing_stock_qty",
            "purchased_qty",
            "shortage_qty",
            "starved_skus",
            "starved_revenue_amount",
            "shortage_cause",
        ]
    ]


STARVED = ["item_id", "node_id", "bucket", "shortage_qty", "starved_skus", "starved_revenue_amount", "shortage_cause"]


def _net_price(net: Network) -> pd.Series:
    """Net price per item, node and bucket of demand: what lost demand there is worth."""
    return net.demand.groupby(["item_id", "node_id", "bucket"])["net_price"].max().rename("net_price")


def _starved(net_in: NetworkInputs, result: NetworkPlan) -> pd.DataFrame:
    """Component shortages: the lost demand of a SKU, moved back by its lane's transit to the bucket its plant
    would have made it, times what a unit takes of each bought component that ran out there (no stock left, and
    no source able to deliver more then). Intermediates pass the need on to their own components. The cause:
    ``lead_time`` (no order placed now arrives by then), ``supplier_capacity`` (every source that could
    deliver is at its maximum) or ``no_source`` (nothing supplies it at the plant)."""
    net = net_in.network
    keys = ["item_id", "node_id", "bucket"]
    lost = result.short[result.short["qty"] > TOLERANCE]
    if lost.empty or net.bom.empty:
        return pd.DataFrame(columns=STARVED)
    price = _net_price(net)
    lost = lost.join(price, on=keys).assign(revenue=lambda f: f["qty"] * f["net_price"].fillna(0.0))
    # the plants serving each location, and how long the goods take
    routes = net.routings[["item_id", "plant_id"]].drop_duplicates()
    paths = lost.merge(net.lanes, left_on="node_id", right_on="to_node").merge(
        routes, left_on=["item_id", "from_node"], right_on=["item_id", "plant_id"]
    )
    paths = paths.assign(bucket=paths["bucket"] - paths["transit"])
    paths = paths[paths["bucket"] >= 0]
    # a SKU's lost units split evenly over the plants that could have made them (the need, not the blame)
    plants = paths.groupby(["item_id", "node_id", "bucket"])["plant_id"].transform("size")
    paths = paths.assign(qty=paths["qty"] / plants, revenue=paths["revenue"] / plants)
    need = paths.rename(columns={"item_id": "parent_id"})[["parent_id", "plant_id", "bucket", "qty", "revenue"]]

    sources = net.sources.rename(columns={"plant_id": "node_id"})
    bought = result.bought.rename(columns={"plant_id": "node_id", "arrival_bucket": "bucket"})
    bought = bought.merge(net.sources[["source_id", "max_qty"]], on="source_id")
    slack = bought[bought["max_qty"].isna() | (bought["qty"] < bought["max_qty"] - TOLERANCE)]
    stock = result.stock.set_index(keys)["qty"]

    rows, level = [], need.assign(sku=need["parent_id"])
    for _ in range(4):  # BOM levels followed (a SKU, its intermediates, theirs...)
        lines = net.bom.merge(level, on=["parent_id", "plant_id"])
        lines = lines[(lines["bucket"] >= lines["first_bucket"]) & (lines["bucket"] <= lines["last_bucket"])]
        if lines.empty:
            break
        lines = lines.assign(qty=lines["qty"] * lines["qty_per"]).rename(
            columns={"component_id": "item_id", "plant_id": "node_id"}
        )
        made = lines["item_id"].isin(set(net.routings["item_id"]))
        bought_here = lines[~made]
        empty = bought_here.join(stock.rename("stock"), on=keys)["stock"].fillna(0.0) <= TOLERANCE
        could_grow = pd.MultiIndex.from_frame(bought_here[keys]).isin(pd.MultiIndex.from_frame(slack[keys]))
        hit = bought_here[empty.to_numpy() & ~could_grow]
        offered = hit[["item_id", "node_id"]].merge(sources, on=["item_id", "node_id"], how="left")
        lead = offered.groupby(["item_id", "node_id"])["lead_time"].min()
        shortest = hit.join(lead.rename("lead"), on=["item_id", "node_id"])["lead"]
        cause = np.where(
            shortest.isna(), "no_source", np.where(hit["bucket"] < shortest, "lead_time", "supplier_capacity")
        )
        rows.append(hit[[*keys, "qty", "sku", "revenue"]].assign(cause=cause))
        level = lines[made][[*keys, "qty", "sku", "revenue"]].rename(
            columns={"item_id": "parent_id", "node_id": "plant_id"}
        )
    hits = pd.concat(rows) if rows else pd.DataFrame()
    if hits.empty:
        return pd.DataFrame(columns=STARVED)
    return hits.groupby(keys, as_index=False).agg(
        shortage_qty=("qty", "sum"),
        starved_skus=("sku", lambda s: ", ".join(sorted(set(s)))),
        starved_revenue_amount=("revenue", "sum"),
        shortage_cause=("cause", "first"),
    )


def purchase_plan(net_in: NetworkInputs, result: NetworkPlan) -> pd.DataFrame:
    dates = net_in.bucket_dates
    bought = result.bought[result.bought["qty"] > TOLERANCE].merge(net_in.sources, on="source_id")
    out = _at(_at(bought, dates, "order_bucket", "order_bucket_date"), dates, "arrival_bucket", "receipt_bucket_date")
    return out.assign(
        purchase_amount=out["amount"],
        purchase_currency_amount=out["qty"] * out["unit_price_amount"],
    ).rename(columns={"qty": "purchase_qty"})[
        [
            "supplier_id",
            "item_id",
            "plant_id",
            "order_bucket_date",
            "receipt_bucket_date",
            "purchase_qty",
            "currency_code",
            "purchase_currency_amount",
            "purchase_amount",
        ]
    ]


def transfer_plan(net_in: NetworkInputs, result: NetworkPlan) -> pd.DataFrame:
    dates = net_in.bucket_dates
    shipped = result.shipped[result.shipped["qty"] > TOLERANCE]
    out = _at(_at(shipped, dates, "ship_bucket", "ship_bucket_date"), dates, "arrival_bucket", "arrival_bucket_date")
    names = {"item_id": "sku_id", "qty": "transfer_qty", "cost": "transport_amount", "from_node": "from_node_id",
             "to_node": "to_node_id"}  # fmt: skip
    return out.rename(columns=names)[list(NETWORK_TABLES["planning.transfer_plan"])[1:]]


# the network's own tables, typed once: created empty when a data set has no network, so they always publish
NETWORK_TABLES = {
    "planning.material_plan": {
        "cycle_id": "VARCHAR", "item_id": "VARCHAR", "plant_id": "VARCHAR", "bucket_date": "DATE",
        "opening_stock_qty": "DOUBLE", "received_qty": "DOUBLE", "produced_qty": "DOUBLE", "required_qty": "DOUBLE",
        "closing_stock_qty": "DOUBLE", "purchased_qty": "DOUBLE", "shortage_qty": "DOUBLE", "starved_skus": "VARCHAR",
        "starved_revenue_amount": "DOUBLE", "shortage_cause": "VARCHAR",
    },
    "planning.purchase_plan": {
        "cycle_id": "VARCHAR", "supplier_id": "VARCHAR", "item_id": "VARCHAR", "plant_id": "VARCHAR",
        "order_bucket_date": "DATE", "receipt_bucket_date": "DATE", "purchase_qty": "DOUBLE",
        "currency_code": "VARCHAR", "purchase_currency_amount": "DOUBLE", "purchase_amount": "DOUBLE",
    },
    "planning.network_exceptions": {
        "cycle_id": "VARCHAR", "exception_type": "VARCHAR", "item_id": "VARCHAR", "plant_id": "VARCHAR",
        "supplier_id": "VARCHAR", "lane_id": "VARCHAR", "first_bucket_date": "DATE", "buckets_affected": "BIGINT",
        "size_qty": "DOUBLE", "size_amount": "DOUBLE", "detail": "VARCHAR",
    },
    "planning.transfer_plan": {
        "cycle_id": "VARCHAR", "lane_id": "VARCHAR", "from_node_id": "VARCHAR", "to_node_id": "VARCHAR",
        "sku_id": "VARCHAR", "ship_bucket_date": "DATE", "arrival_bucket_date": "DATE", "transfer_qty": "DOUBLE",
        "transport_amount": "DOUBLE",
    },
}  # fmt: skip


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists planning")
    for table, columns in NETWORK_TABLES.items():
        typed = ", ".join(f"{c} {t}" for c, t in columns.items())
        con.execute(f"create table if not exists {table} ({typed})")


# what caused a component to run out -> the exception kind the meeting sees
CAUSE_KINDS = {
    "lead_time": "late_supply",
    "supplier_capacity": "supplier_over_capacity",
    "no_source": "material_shortage",
}
EXCEPTION_COLUMNS = ["exception_type", "item_id", "plant_id", "supplier_id", "lane_id", "first_bucket_date",
                     "buckets_affected", "size_qty", "size_amount", "detail"]  # fmt: skip


def exceptions(net_in: NetworkInputs, result: NetworkPlan, material: pd.DataFrame) -> pd.DataFrame:
    """The network's exceptions, one per item and plant (or lane), each sized in units and in the revenue of the
    demand it starves (net price), and exclusive by cause so that their money adds up:
      late_supply             a component ran out before any order placed now can arrive (within its lead time)
      supplier_over_capacity  a component ran out while every source able to deliver was at its maximum
      material_shortage       a component ran out that nothing supplies at the plant
      lane_over_capacity      a lane shipped its capacity while its destination lost demand of what it carries
    """
    dates = net_in.bucket_dates
    short = material[material["shortage_qty"] > TOLERANCE]
    rows = []
    at_max = _sources_at_max(net_in, result)
    for (cause, item, plant), part in short.groupby(["shortage_cause", "item_id", "plant_id"], sort=True):
        skus = sorted({s for listed in part["starved_skus"] for s in listed.split(", ") if s})
        suppliers = at_max.get((item, plant), []) if cause == "supplier_capacity" else []
        rows.append(
            (
                CAUSE_KINDS[cause], item, plant, ", ".join(suppliers) or None, None, part["bucket_date"].min(),
                len(part), part["shortage_qty"].sum(), part["starved_revenue_amount"].sum(),
                f"starves {', '.join(skus)}",
            )
        )  # fmt: skip
    rows += _lane_exceptions(net_in, result, dates)
    return pd.DataFrame(rows, columns=EXCEPTION_COLUMNS)


def _sources_at_max(net_in: NetworkInputs, result: NetworkPlan) -> dict:
    bought = result.bought.merge(net_in.network.sources[["source_id", "max_qty"]], on="source_id")
    full = bought[bought["max_qty"].notna() & (bought["qty"] >= bought["max_qty"] - TOLERANCE) & (bought["qty"] > 0)]
    return full.groupby(["item_id", "plant_id"])["supplier_id"].agg(lambda s: sorted(set(s))).to_dict()


def _lane_exceptions(net_in: NetworkInputs, result: NetworkPlan, dates) -> list[tuple]:
    net = net_in.network
    capped = net.lanes[net.lanes["capacity"].notna()]
    if capped.empty:
        return []
    shipped = result.shipped.groupby(["lane_id", "ship_bucket", "arrival_bucket"], as_index=False)["qty"].sum()
    full = shipped.merge(capped[["lane_id", "to_node", "capacity"]], on="lane_id")
    full = full[full["qty"] >= full["capacity"] - TOLERANCE]
    price = _net_price(net)
    lost = result.short[result.short["qty"] > TOLERANCE].join(price, on=["item_id", "node_id", "bucket"])
    hit = full.merge(lost, left_on=["to_node", "arrival_bucket"], right_on=["node_id", "bucket"])
    rows = []
    for lane, part in hit.groupby("lane_id", sort=True):
        buckets = sorted(set(part["ship_bucket"]))
        rows.append(
            (
                "lane_over_capacity", None, None, None, lane, dates[buckets[0]].date(), len(buckets),
                part["qty_y"].sum(), (part["qty_y"] * part["net_price"]).sum(),
                f"at its capacity of {part['capacity'].iloc[0]:g} units a bucket while {part['to_node'].iloc[0]} "
                f"loses demand of {part['item_id'].nunique()} SKUs",
            )
        )  # fmt: skip
    return rows


def named(net_in: NetworkInputs) -> dict[str, set]:
    """What a network scenario may name: suppliers, items and lanes."""
    net = net_in.network
    return {
        "supplier_id": set(net.sources["supplier_id"]),
        "item_id": set(net.sources["item_id"]) | set(net.bom["component_id"]),
        "lane_id": set(net.lanes["lane_id"]),
    }


def fingerprint(net: Network) -> str:
    """Everything the network LP is built from, hashed: a cached plan is reused only for the same network."""
    import hashlib

    digest = hashlib.sha256(str(net.buckets).encode())
    for name in ("items", "demand", "routings", "routing_resources", "resources", "bom", "sources", "lanes",
                 "opening", "in_transit", "safety_stock", "source_limits", "lane_limits", "frozen_cells",
                 "frozen_made", "frozen_bought", "frozen_shipped"):  # fmt: skip
        frame = getattr(net, name)
        digest.update(name.encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        digest.update(",".join(frame.columns).encode())
    return digest.hexdigest()
