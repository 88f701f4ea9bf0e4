"""A scenario's changes to the supply network itself (suppliers, lanes, qualified plants), on a built ``Network``.

Series changes (demand, prices, FX, lead-time safety stock, capacity and labour) are applied to the plan inputs
the network is built from (``sop.planning.scenarios.apply``); these are what only a network has. Months are
turned into buckets with the same rules as the network's files (``month_buckets``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from sop.planning.network import Network
from sop.planning.scenarios import NETWORK_KINDS, LaneChange, QualifyPlant, Scenario, SupplierLeadTime, SupplierLoss


def needs_network(scenario: Scenario) -> bool:
    return any(isinstance(change, NETWORK_KINDS) for change in scenario.changes)


def apply_network(net: Network, scenario: Scenario, when, lead_buckets, families: pd.Series) -> Network:
    """``net`` with the scenario's network changes, in order. ``when(change)``: the buckets (a boolean array)
    its months cover; ``lead_buckets(months)``: whole buckets for months; ``families``: sku_id -> family_id."""
    for change in scenario.changes:
        if isinstance(change, SupplierLoss):
            net = _supplier_loss(net, change, when(change))
        elif isinstance(change, SupplierLeadTime):
            hit = _of_supplier(net.sources, change)
            sources = net.sources.copy()
            sources.loc[hit, "lead_time"] = np.maximum(
                sources.loc[hit, "lead_time"] + int(np.sign(change.months)) * lead_buckets(abs(change.months)), 0
            )
            net = replace(net, sources=sources)
        elif isinstance(change, LaneChange):
            net = _lane_change(net, change, when(change), lead_buckets)
        elif isinstance(change, QualifyPlant):
            net = _qualify(net, change, families)
    return net


def _of_supplier(sources: pd.DataFrame, change) -> np.ndarray:
    hit = sources["supplier_id"] == change.supplier_id
    if change.item_id:
        hit &= sources["item_id"] == change.item_id
    return hit.to_numpy()


def _supplier_loss(net: Network, change: SupplierLoss, buckets: np.ndarray) -> Network:
    sources = net.sources[_of_supplier(net.sources, change)]
    unlimited = sources["max_qty"].isna()
    if change.share < 1 and unlimited.any():
        raise ValueError(
            f"supplier_loss of {change.share:.0%} for {change.supplier_id}: it has no maximum to lose a share of "
            f"({', '.join(sources.loc[unlimited, 'item_id'])}); give max_qty_per_month or lose it whole (share: 1)"
        )
    at = np.flatnonzero(buckets)
    limits = sources[["source_id", "max_qty"]].merge(pd.DataFrame({"bucket": at}), how="cross")
    limits["max_qty"] = limits["max_qty"].fillna(0.0) * (1 - change.share)
    return replace(net, source_limits=pd.concat([net.source_limits, limits], ignore_index=True))


def _lane_change(net: Network, change: LaneChange, buckets: np.ndarray, lead_buckets) -> Network:
    lanes = net.lanes.copy()
    hit = (lanes["lane_id"] == change.lane_id).to_numpy()
    if change.extra_transit_months:
        lanes.loc[hit, "transit"] += lead_buckets(change.extra_transit_months)
    limits = net.lane_limits
    if change.closed or change.capacity_factor is not None:
        factor = 0.0 if change.closed else change.capacity_factor
        rows = lanes.loc[hit, ["lane_id", "capacity"]].merge(
            pd.DataFrame({"bucket": np.flatnonzero(buckets)}), how="cross"
        )
        if factor > 0 and rows["capacity"].isna().any():
            raise ValueError(f"lane_change of {change.lane_id}: it has no capacity to scale; close it or give one")
        rows["capacity"] = rows["capacity"].fillna(0.0) * factor
        limits = pd.concat([limits, rows], ignore_index=True)
    return replace(net, lanes=lanes, lane_limits=limits)


def _qualify(net: Network, change: QualifyPlant, families: pd.Series) -> Network:
    """New routings at the qualified plant for the SKUs in scope, with their BOM lines and their components'
    sources copied from the plant each is made at (or ``from_plant``)."""
    made = net.routings
    skus = families.index[families == change.family_id] if change.family_id else pd.Index([change.sku_id])
    old = made[made["item_id"].isin(skus) & (made["plant_id"] != change.plant_id)]
    if change.from_plant:
        old = old[old["plant_id"] == change.from_plant]
    old = old.drop_duplicates("item_id")  # one routing to copy per SKU
    if old.empty:
        raise ValueError(
            f"qualify_plant: no routing of {change.family_id or change.sku_id} to copy to {change.plant_id}"
        )
    new_id = old["item_id"] + "@" + change.plant_id
    routings = pd.concat([made, old.assign(routing_id=new_id.to_numpy(), plant_id=change.plant_id)], ignore_index=True)
    rr = net.routing_resources.merge(old[["routing_id"]], on="routing_id")
    line_hours = rr.groupby("routing_id")["hours_per_unit"].min()  # the line: the fewest hours per unit
    renamed = dict(zip(old["routing_id"], new_id, strict=True))
    added = [pd.DataFrame({"routing_id": [renamed[r] for r in line_hours.index], "resource_id": change.resource_id,
                           "hours_per_unit": (line_hours / change.rate_factor).to_numpy()})]  # fmt: skip
    if change.crew_id:
        crew_hours = rr.groupby("routing_id")["hours_per_unit"].max()
        added.append(pd.DataFrame({"routing_id": [renamed[r] for r in crew_hours.index], "resource_id": change.crew_id,
                                   "hours_per_unit": (crew_hours / change.rate_factor).to_numpy()}))  # fmt: skip
    # the BOM at the new plant, its levels below (intermediates made there too, if routed), and the suppliers
    bom = net.bom.merge(
        old[["item_id", "plant_id"]].rename(columns={"item_id": "parent_id"}), on=["parent_id", "plant_id"]
    )
    bom = bom.assign(plant_id=change.plant_id)
    have = set(zip(net.bom["parent_id"], net.bom["component_id"], net.bom["plant_id"], strict=True))
    bom = bom[[(p, c, change.plant_id) not in have for p, c in zip(bom["parent_id"], bom["component_id"], strict=True)]]
    components = set(bom["component_id"])
    from_plants = set(old["plant_id"])
    sources = net.sources[net.sources["item_id"].isin(components) & net.sources["plant_id"].isin(from_plants)]
    sources = sources.drop_duplicates(["item_id", "supplier_id"])
    sources = sources[
        ~sources["item_id"].isin(set(net.sources.loc[net.sources["plant_id"] == change.plant_id, "item_id"]))
    ]
    sources = sources.assign(
        plant_id=change.plant_id, source_id=lambda f: f["supplier_id"] + ":" + f["item_id"] + "@" + change.plant_id
    )
    reachable = set(sources["item_id"]) | set(net.sources.loc[net.sources["plant_id"] == change.plant_id, "item_id"])
    reachable |= set(made.loc[made["plant_id"] == change.plant_id, "item_id"])
    missing = sorted(components - reachable)
    if missing:  # the plant could never make them: the scenario would change nothing, silently
        raise ValueError(
            f"qualify_plant: {change.plant_id} can neither buy nor make {', '.join(missing[:5])}, which the "
            f"BOMs of {change.family_id or change.sku_id} need there"
        )
    return replace(
        net,
        routings=routings,
        routing_resources=pd.concat([net.routing_resources, *added], ignore_index=True),
        bom=pd.concat([net.bom, bom], ignore_index=True),
        sources=pd.concat([net.sources, sources], ignore_index=True),
    )
