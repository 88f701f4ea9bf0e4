"""A network too large for one LP, planned in chunks of its finished items (as SAP IBP's optimizer decomposes
a large model by product): the chunks' LPs are small, and many small LPs solve far faster than one large one.

Every finished item (one no BOM consumes) belongs to one chunk with all of its series; every shared item (a
component, an intermediate) is in every chunk with a share of all that is shared: each resource's hours in each
bucket, each supplier's and each lane's capacity in each bucket, supplier minimums, and the opening stock,
stock in transit and safety stock of shared items. A thing's shares add up to it, so the chunks' plans added
together are a plan of the whole network that balances every item at every node and bucket and keeps within
every capacity, at the sum of their costs: never below the whole LP's optimum, above it by what fixed shares
keep from moving (measured against the whole LP in benchmarks/network_benchmark.py).

Chunks are dealt round-robin from the finished items sorted by the resources they are made on (then by id, not
by demand: a scenario that changes demand keeps the base's chunks and starts each from its basis), so that
each is a miniature of the whole. The first shares follow need: each chunk's demand exploded through
routings and BOMs to each resource, each shared item at each plant and each lane. Then the capacity a chunk
left unused goes to the chunks that used all of theirs, and those are planned again: every chunk keeps at
least what it used, so its first plan still fits and no chunk's plan can cost more than before.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import pandas as pd

from sop.planning.network import INF, Network, NetworkPlan, plan
from sop.planning.supply_plan import PlanCosts

# Up to this many series (sold item x node) the whole network is one LP, solved exactly: the sample company's
# network at 10k series takes 14 s. Above it, chunks of about CHUNK_SERIES series: at 100k series 17 chunks of
# 6,000 took 130 s, 34 of 3,000 103 s, 68 of 1,500 99 s, each halving costing 0.02-0.04% more.
WHOLE_SERIES = 15_000
CHUNK_SERIES = 3_000
EXPLOSION_LEVELS = 20  # BOM levels exploded for the shares (deeper ones share as the demand does)

# the keys of each plan frame: chunks' rows with the same keys are added up
PLAN_KEYS = {
    "made": ["routing_id", "item_id", "plant_id", "bucket"],
    "bought": ["source_id", "item_id", "supplier_id", "plant_id", "order_bucket", "arrival_bucket"],
    "shipped": ["lane_id", "item_id", "from_node", "to_node", "ship_bucket", "arrival_bucket"],
    "stock": ["item_id", "node_id", "bucket"],
    "short": ["item_id", "node_id", "bucket"],
    "consumed": ["component_id", "plant_id", "bucket"],
}


def series_count(net: Network) -> int:
    return len(net.demand[["item_id", "node_id"]].drop_duplicates())


def chunk_count(net: Network) -> int:
    """1 (the whole LP) up to WHOLE_SERIES series, else enough chunks of about CHUNK_SERIES series."""
    series = series_count(net)
    return 1 if series <= WHOLE_SERIES else math.ceil(series / CHUNK_SERIES)


def plan_network(
    net: Network,
    costs: PlanCosts = PlanCosts(),
    options: dict | None = None,
    start: NetworkPlan | None = None,
    chunks: int | None = None,
) -> NetworkPlan:
    """The network's plan: its whole LP when it is small enough, else planned in ``chunks`` (by default
    ``chunk_count``); ``start`` as in ``network.plan`` (each chunk reuses the parts of ``start`` it matches)."""
    chunks = chunk_count(net) if chunks is None else chunks
    owner = _owners(net, chunks)
    if owner.nunique() <= 1:
        return plan(net, costs, options, start)
    split = _Split(net, owner)
    plans = split.solve(range(split.chunks), costs, options, lambda k: start)
    # a chunk planned again starts from its first plan's basis: only some capacities moved
    plans.update(split.solve(split.reallocate(plans), costs, options, plans.get))
    return _combined(net, [plans[k] for k in range(split.chunks)])


def _owners(net: Network, chunks: int) -> pd.Series:
    """Finished item -> its chunk: dealt round-robin from the items sorted by the resources that make them, then
    by id, so each chunk holds a like share of every kind of item. Not by demand: at 100k series a demand
    scenario then keeps the base's chunks and starts each from its basis (68.6 s instead of 187 s, both beside
    another job on the machine), and the base costs no more (208.28M against 208.29M EUR)."""
    components = set(net.bom["component_id"])
    finished = pd.Index(
        pd.concat(
            [
                net.demand["item_id"],
                net.routings["item_id"],
                net.opening["item_id"],
                net.in_transit["item_id"],
                net.safety_stock["item_id"],
            ]
        ).unique()  # fmt: skip
    )
    finished = finished[~finished.isin(components)]
    made_on = net.routings[["routing_id", "item_id"]].merge(net.routing_resources, on="routing_id")
    kind = made_on.groupby("item_id")["resource_id"].agg(lambda r: "|".join(sorted(set(r))))
    order = pd.DataFrame({"item_id": finished, "kind": kind.reindex(finished).fillna("").to_numpy()})
    order = order.sort_values(["kind", "item_id"], kind="stable")
    return pd.Series(np.arange(len(order)) % max(1, chunks), index=order["item_id"].to_numpy(), name="chunk")


class _Split:
    """The chunks' shares and allocations, and each chunk's network built from them."""

    def __init__(self, net: Network, owner: pd.Series):
        self.net, self.owner = net, owner
        self.chunks = int(owner.max()) + 1
        need = _needs(net, owner)
        by_demand = need["demand"].groupby("chunk")["qty"].sum().reindex(range(self.chunks)).fillna(0)
        fallback = by_demand / by_demand.sum() if by_demand.sum() > 0 else pd.Series(1 / self.chunks, by_demand.index)
        shared_pairs = pd.concat(
            [f[["item_id", "node_id"]] for f in (net.opening, net.in_transit, net.safety_stock)]
        ).drop_duplicates()
        shared_pairs = shared_pairs[~shared_pairs["item_id"].isin(owner.index)]
        self.pair_share = _share(need["pairs"], shared_pairs, ["item_id", "node_id"], fallback)
        source_keys = net.sources[["source_id", "item_id", "plant_id"]]
        source_share = _share(
            need["pairs"].rename(columns={"node_id": "plant_id"}), source_keys, ["item_id", "plant_id"], fallback
        )
        self.source_share = source_share[["source_id", "chunk", "share"]]
        # the frozen window's production of a shared item (an intermediate) is kept in each chunk's share of it
        made_keys = net.frozen_made[~net.frozen_made["item_id"].isin(owner.index)][["item_id", "plant_id"]]
        self.made_share = _share(
            need["pairs"].rename(columns={"node_id": "plant_id"}), made_keys.drop_duplicates(), ["item_id", "plant_id"],
            fallback,
        )  # fmt: skip
        lanes = net.lanes[["lane_id", "to_node"]].rename(columns={"to_node": "node_id"})
        self.lane_share = _share(need["nodes"], lanes, ["node_id"], fallback)[["lane_id", "chunk", "share"]]
        resources = net.resources[["resource_id"]].drop_duplicates()
        self.resource_share = _share(need["resources"], resources, ["resource_id"], fallback)
        self.alloc = {name: self._first(name) for name in ("hours", "sources", "lanes")}

    # capacities: the whole network's per key and bucket, then each chunk's share of it
    def _first(self, name: str) -> pd.DataFrame:
        net, T = self.net, self.net.buckets
        if name == "hours":
            cap = net.resources[["resource_id", "bucket", "hours"]].rename(columns={"hours": "cap"})
            return cap.merge(self.resource_share, on="resource_id").assign(cap=lambda f: f["cap"] * f["share"])
        if name == "sources":
            # an order placed in t arrives in t + lead time: at most max_qty, and at most the limit of its arrival
            cap = net.sources[["source_id", "lead_time", "max_qty"]].merge(
                pd.DataFrame({"bucket": np.arange(T)}), how="cross"
            )
            cap = cap[cap["bucket"] >= cap["lead_time"]]
            limits = net.source_limits.groupby(["source_id", "bucket"])["max_qty"].min().rename("limit")
            cap = cap.join(limits, on=["source_id", "bucket"])
            cap = cap.assign(cap=np.fmin(cap["max_qty"].fillna(INF), cap["limit"].fillna(INF)))
            cap, share = cap[cap["cap"] < INF][["source_id", "bucket", "cap"]], self.source_share
            return cap.merge(share, on="source_id").assign(cap=lambda f: f["cap"] * f["share"])
        lanes = net.lanes[net.lanes["capacity"].notna()][["lane_id", "capacity"]]
        cap = pd.concat([lanes.merge(pd.DataFrame({"bucket": np.arange(T)}), how="cross"),
                         net.lane_limits[["lane_id", "bucket", "capacity"]]])  # fmt: skip
        cap = cap.groupby(["lane_id", "bucket"], as_index=False)["capacity"].min().rename(columns={"capacity": "cap"})
        return cap.merge(self.lane_share, on="lane_id").assign(cap=lambda f: f["cap"] * f["share"])

    def network(self, k: int) -> Network:
        """Chunk ``k``: its finished items whole, every shared item with chunk k's share of what is shared."""
        net, owner = self.net, self.owner
        theirs = owner.index[owner.to_numpy() != k]

        def own(frame: pd.DataFrame, column: str = "item_id") -> pd.DataFrame:
            return frame[~frame[column].isin(theirs)]

        def given(frame: pd.DataFrame) -> pd.DataFrame:
            frame = own(frame).merge(
                self.pair_share[self.pair_share["chunk"] == k], on=["item_id", "node_id"], how="left"
            )
            return frame.assign(qty=frame["qty"] * frame["share"].fillna(1.0)).drop(columns=["chunk", "share"])

        def at(name: str) -> pd.DataFrame:
            alloc = self.alloc[name]
            return alloc[alloc["chunk"] == k]

        routings = own(net.routings)
        hours = at("hours")[["resource_id", "bucket", "cap"]].rename(columns={"cap": "hours"})
        minimum = net.sources.merge(self.source_share[self.source_share["chunk"] == k], on="source_id", how="left")
        return replace(
            net,
            # an item both sold and consumed (a spare part) is shared: its demand is planned in chunk 0 alone
            demand=own(net.demand) if k == 0 else net.demand[net.demand["item_id"].isin(owner.index[owner == k])],
            routings=routings,
            routing_resources=net.routing_resources[net.routing_resources["routing_id"].isin(routings["routing_id"])],
            resources=net.resources.drop(columns="hours").merge(hours, on=["resource_id", "bucket"]),
            bom=own(net.bom, "parent_id"),
            sources=minimum.assign(min_qty=minimum["min_qty"] * minimum["share"].fillna(0), max_qty=np.nan).drop(
                columns=["chunk", "share"]
            ),
            source_limits=at("sources")[["source_id", "bucket", "cap"]].rename(columns={"cap": "max_qty"}),
            lanes=net.lanes.assign(capacity=np.nan),
            lane_limits=at("lanes")[["lane_id", "bucket", "cap"]].rename(columns={"cap": "capacity"}),
            opening=given(net.opening),
            in_transit=given(net.in_transit),
            safety_stock=given(net.safety_stock),
            # the frozen window: finished items whole, a shared item's production and a shared source's purchases in
            # the chunk's share
            frozen_made=own(net.frozen_made)
            .merge(self.made_share[self.made_share["chunk"] == k], on=["item_id", "plant_id"], how="left")
            .pipe(lambda f: f.assign(qty=f["qty"] * f["share"].fillna(1.0)))
            .drop(columns=["chunk", "share"]),
            frozen_shipped=own(net.frozen_shipped),
            frozen_bought=net.frozen_bought.merge(
                self.source_share[self.source_share["chunk"] == k], on="source_id", how="left"
            )
            .pipe(lambda f: f.assign(qty=f["qty"] * f["share"].fillna(0)))
            .drop(columns=["chunk", "share"]),  # fmt: skip
        )

    def solve(self, chunks, costs, options, start) -> dict[int, NetworkPlan]:
        """Chunks ``chunks`` planned, each from the plan ``start(k)`` (None: from scratch)."""
        chunks = list(chunks)
        # two chunks at a time, one thread each (HiGHS releases the GIL while it solves)
        with ThreadPoolExecutor(2) as pool:
            plans = list(pool.map(lambda k: plan(self.network(k), costs, options, start(k), workers=1), chunks))
        return dict(zip(chunks, plans, strict=True))

    def reallocate(self, plans: dict[int, NetworkPlan]) -> list[int]:
        """Capacity a chunk left unused (in a bucket) goes to the chunks that used all of theirs, in proportion
        to their shares; a chunk that left some unused keeps what it used. Returns the chunks that gained."""
        used = {
            "hours": [p.resources.assign(used=p.resources["planned_hours"] - p.resources["overtime_hours"])
                      [["resource_id", "bucket", "used"]] for p in plans.values()],
            "sources": [p.bought.groupby(["source_id", "arrival_bucket"], as_index=False)["qty"].sum()
                        .set_axis(["source_id", "bucket", "used"], axis=1) for p in plans.values()],
            "lanes": [p.shipped.groupby(["lane_id", "ship_bucket"], as_index=False)["qty"].sum()
                      .set_axis(["lane_id", "bucket", "used"], axis=1) for p in plans.values()],
        }  # fmt: skip
        grown = set()
        for name, alloc in self.alloc.items():
            keys = [c for c in alloc.columns if c not in ("chunk", "cap", "share")]
            usage = pd.concat([u.assign(chunk=k) for k, u in zip(plans, used[name], strict=True)])
            frame = alloc.merge(usage, on=[*keys, "chunk"], how="left").fillna({"used": 0.0})
            full = frame["used"] >= frame["cap"] - 1e-6 * np.maximum(1.0, frame["cap"])
            spare = (frame["cap"] - frame["used"]).where(~full, 0.0)
            pool = spare.groupby([frame[c] for c in keys]).transform("sum")
            taker = frame["cap"].where(full, 0.0)
            takers = taker.groupby([frame[c] for c in keys]).transform("sum")
            gain = np.where(full & (takers > 0), pool * taker / takers.where(takers > 0, 1.0), 0.0)
            movable = takers.to_numpy() > 0  # nothing moves where no chunk used all of its share
            frame["cap"] = np.where(movable & ~full, frame["used"], frame["cap"] + gain)
            grown |= set(frame.loc[gain > 1e-9 * np.maximum(1.0, frame["cap"]), "chunk"].astype(int))
            self.alloc[name] = frame.drop(columns="used")
        return sorted(grown)


def _needs(net: Network, owner: pd.Series) -> dict[str, pd.DataFrame]:
    """Each chunk's demand exploded through routings (split evenly between an item's routings) and BOM lines
    (weighted by the share of the horizon they are valid): per resource, per shared item and node, per node."""
    T = max(1, net.buckets)
    demand = net.demand[net.demand["item_id"].isin(owner.index)]
    demand = (
        demand.assign(chunk=demand["item_id"].map(owner))
        .groupby(["item_id", "node_id", "chunk"], as_index=False)["qty"]
        .sum()
    )
    per_item = demand.groupby(["item_id", "chunk"], as_index=False)["qty"].sum()
    routes = net.routings[["routing_id", "item_id", "plant_id"]]
    ways = routes.groupby("item_id")["routing_id"].transform("count")
    routes = routes.assign(split=1.0 / ways)
    bom = net.bom.assign(
        weight=(np.minimum(net.bom["last_bucket"], T - 1) - np.maximum(net.bom["first_bucket"], 0) + 1).clip(lower=0)
        / T
    )
    made = per_item.merge(routes, on="item_id").assign(qty=lambda f: f["qty"] * f["split"])
    all_made, pairs = [made], []
    for _ in range(EXPLOSION_LEVELS):
        lines = made.merge(bom, left_on=["item_id", "plant_id"], right_on=["parent_id", "plant_id"])
        if lines.empty:
            break
        wanted = (
            lines.assign(qty=lines["qty"] * lines["qty_per"] * lines["weight"])
            .groupby(["component_id", "plant_id", "chunk"], as_index=False)["qty"]
            .sum()
            .rename(columns={"component_id": "item_id", "plant_id": "node_id"})
        )
        pairs.append(wanted)
        made = (
            wanted.groupby(["item_id", "chunk"], as_index=False)["qty"].sum().merge(routes, on="item_id")
            .assign(qty=lambda f: f["qty"] * f["split"])
        )  # fmt: skip
        all_made.append(made)
    made = pd.concat(all_made)
    resources = (
        made.merge(net.routing_resources, on="routing_id")
        .assign(qty=lambda f: f["qty"] * f["hours_per_unit"])
        .groupby(["resource_id", "chunk"], as_index=False)["qty"]
        .sum()
    )
    pairs = pd.concat(pairs) if pairs else pd.DataFrame(columns=["item_id", "node_id", "chunk", "qty"])
    pairs = pairs.groupby(["item_id", "node_id", "chunk"], as_index=False)["qty"].sum()
    nodes = pd.concat([demand, pairs]).groupby(["node_id", "chunk"], as_index=False)["qty"].sum()
    return {"demand": demand, "resources": resources, "pairs": pairs, "nodes": nodes}


def _share(need: pd.DataFrame, keys: pd.DataFrame, on: list[str], fallback: pd.Series) -> pd.DataFrame:
    """Every row of ``keys`` x every chunk with the chunk's share of the need on ``on`` (all chunks' shares of
    a row add up to 1); a row nobody needs shares as ``fallback`` (the chunks' shares of demand)."""
    chunks = pd.DataFrame({"chunk": fallback.index.to_numpy(), "fallback": fallback.to_numpy()})
    grid = keys.merge(chunks, how="cross")
    grid = grid.merge(need[[*on, "chunk", "qty"]], on=[*on, "chunk"], how="left").fillna({"qty": 0.0})
    total = grid.groupby(list(keys.columns))["qty"].transform("sum")
    share = np.where(total > 0, grid["qty"] / total.where(total > 0, 1.0), grid["fallback"])
    return grid.drop(columns=["qty", "fallback"]).assign(share=share)


def _combined(net: Network, plans: list[NetworkPlan]) -> NetworkPlan:
    """The chunks' plans added up: a plan of the whole network."""

    def added(name: str) -> pd.DataFrame:
        frames = [getattr(p, name) for p in plans]
        keys = PLAN_KEYS[name]
        values = [c for c in frames[0].columns if c not in keys]
        return pd.concat(frames).groupby(keys, as_index=False, sort=True)[values].sum()

    hours = (
        pd.concat([p.resources for p in plans])
        .groupby(["resource_id", "bucket"], as_index=False)[["planned_hours", "overtime_hours"]]
        .sum()
    )
    resources = net.resources[["resource_id", "bucket", "hours"]].merge(hours, on=["resource_id", "bucket"], how="left")
    return NetworkPlan(
        **{name: added(name) for name in PLAN_KEYS},
        resources=resources.fillna({"planned_hours": 0.0, "overtime_hours": 0.0}),
        objective=float(sum(p.objective for p in plans)),
        variables=sum(p.variables for p in plans),
        constraints=sum(p.constraints for p in plans),
        parts={key: part for p in plans for key, part in p.parts.items()},
        reused=sum(p.reused for p in plans),
        frozen=_frozen_added([p.frozen for p in plans]),
    )


def _frozen_added(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The chunks' frozen-window keys added up (a shared component's purchases are kept in every chunk's share)."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame()
    keys = ["block", "item_id", "plant_id", "source_id", "lane_id", "bucket"]
    return pd.concat(frames).groupby(keys, as_index=False, dropna=False, sort=True)[["qty", "planned_qty"]].sum()
