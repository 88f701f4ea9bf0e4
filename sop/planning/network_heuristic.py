"""A sequential plan of the same network, the way an MRP-style planner builds one: the LP's yardstick.

Demands are planned one at a time, earliest bucket first and, within a bucket, the dearest first (in the
spirit of frePPLe's constrained planner, without its search). Each takes what the selling node has; then
what a plant can ship there in time along the cheapest lane (its stock, else production as late as possible
within the routing's hours and the components it can get); components come from stock, else from the
cheapest supplier whose lead time still allows it, else from making an intermediate. What cannot be had is
lost. Every quantity respects the same capacities and lead times as the LP, so its cost (``plan_cost``) is an
upper bound the LP must beat.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from sop.planning.network import Network, NetworkPlan, stocked_pairs
from sop.planning.supply_plan import PlanCosts

EPS = 1e-9


class _State:
    def __init__(self, net: Network):
        T = self.T = net.buckets
        self.net = net
        # projected stock at the end of each bucket if nothing more is taken: what is available to promise
        self.avail: dict[tuple[str, str], np.ndarray] = defaultdict(lambda: np.zeros(T))
        for r in net.opening.itertuples():
            self.avail[(r.item_id, r.node_id)] += r.qty
        for r in net.in_transit.itertuples():
            self.avail[(r.item_id, r.node_id)][r.bucket :] += r.qty
        self.hours = {
            (r.resource_id, r.bucket): r.hours * (1 + (r.overtime_share or 0)) for r in net.resources.itertuples()
        }
        self.regular = {(r.resource_id, r.bucket): r.hours for r in net.resources.itertuples()}
        self.used: dict[tuple[str, int], float] = defaultdict(float)
        self.lane_left = {
            (r.lane_id, t): (np.inf if pd.isna(r.capacity) else r.capacity)
            for r in net.lanes.itertuples()
            for t in range(T)
        }
        self.source_left = {
            (r.source_id, t): (np.inf if pd.isna(r.max_qty) else r.max_qty)
            for r in net.sources.itertuples()
            for t in range(T)
        }
        self.made, self.bought, self.shipped = defaultdict(float), defaultdict(float), defaultdict(float)
        self.routings = {k: g for k, g in net.routings.sort_values("cost_per_unit").groupby(["item_id", "plant_id"])}
        self.steps = net.routing_resources.groupby("routing_id")
        self.bom = net.bom.groupby(["parent_id", "plant_id"])
        self.sources = {
            k: g for k, g in net.sources.sort_values(["unit_price", "priority"]).groupby(["item_id", "plant_id"])
        }
        self.lanes_to = {k: g for k, g in net.lanes.sort_values("cost_per_unit").groupby("to_node")}

    def take(self, item: str, node: str, t: int, qty: float) -> float:
        """Take up to ``qty`` from the stock at ``node`` in bucket ``t`` without breaking a later promise."""
        stock = self.avail[(item, node)]
        got = max(0.0, min(qty, stock[t:].min()))
        stock[t:] -= got
        return got

    def put(self, item: str, node: str, t: int, qty: float) -> None:
        self.avail[(item, node)][t:] += qty

    def buy_minimums(self) -> None:
        for r in self.net.sources.itertuples():
            for t in range(self.T - r.lead_time):
                if r.min_qty and r.min_qty > 0:
                    self._order(r, t, r.min_qty)

    def _order(self, src, order: int, qty: float) -> None:
        self.source_left[(src.source_id, order)] -= qty
        self.bought[(src.source_id, order)] += qty
        self.put(src.item_id, src.plant_id, order + src.lead_time, qty)

    def supply(self, item: str, plant: str, t: int, qty: float, depth: int = 0) -> float:
        """Up to ``qty`` of ``item`` at ``plant`` by the end of bucket ``t``: stock, purchases, production."""
        got = self.take(item, plant, t, qty)
        for src in self.sources.get((item, plant), pd.DataFrame()).itertuples():
            for order in range(t - src.lead_time, -1, -1):  # the latest order that still arrives in time
                if got >= qty - EPS:
                    break
                q = min(qty - got, self.source_left[(src.source_id, order)])
                if q > EPS:
                    self._order(src, order, q)
                    got += self.take(item, plant, t, q)
        if got < qty - EPS and depth < 5:
            got += self.make(item, plant, t, qty - got, depth + 1)
        return got

    def make(self, item: str, plant: str, t: int, qty: float, depth: int) -> float:
        """Produce up to ``qty`` at ``plant`` in buckets t, t-1, ... (latest first), within hours and parts."""
        got = 0.0
        for routing in self.routings.get((item, plant), pd.DataFrame()).itertuples():
            steps = self.steps.get_group(routing.routing_id) if routing.routing_id in self.steps.groups else None
            for b in range(t, -1, -1):
                if got >= qty - EPS:
                    return got
                q = self._hours_allow(steps, b, qty - got)
                lines = self.bom.get_group((item, plant)) if (item, plant) in self.bom.groups else pd.DataFrame()
                lines = lines[(lines["first_bucket"] <= b) & (lines["last_bucket"] >= b)] if len(lines) else lines
                for line in lines.itertuples():  # as many as the scarcest part allows
                    q = min(q, self._available(line.component_id, plant, b, q * line.qty_per, depth) / line.qty_per)
                taken = self._take_parts(lines, plant, b, q, depth)
                q = min(taken, self._hours_allow(steps, b, taken))  # making the parts may have used the hours
                for line in lines.itertuples():  # parts taken beyond that go back to stock
                    self.put(line.component_id, plant, b, (taken - q) * line.qty_per)
                if q <= EPS:
                    continue
                if steps is not None:
                    for s in steps.itertuples():
                        self.used[(s.resource_id, b)] += q * s.hours_per_unit
                self.made[(routing.routing_id, b)] += q
                self.put(item, plant, b, q)
                got += self.take(item, plant, t, q)
        return got

    def _hours_allow(self, steps: pd.DataFrame | None, b: int, q: float) -> float:
        """The most of ``q`` units the routing's resources have hours left for in bucket ``b``."""
        for s in steps.itertuples() if steps is not None else ():
            if s.hours_per_unit > 0:
                left = self.hours.get((s.resource_id, b), 0.0) - self.used[(s.resource_id, b)]
                q = min(q, max(0.0, left) / s.hours_per_unit)
        return q

    def _take_parts(self, lines: pd.DataFrame, plant: str, b: int, q: float, depth: int) -> float:
        """Take every part of ``q`` units; when parts compete (one supplier, one intermediate's hours), fewer."""
        for _ in range(4):
            if q <= EPS or not len(lines):
                return q
            saved = self._save()
            ratio = 1.0
            for line in lines.itertuples():
                need = q * line.qty_per
                ratio = min(ratio, self.supply(line.component_id, plant, b, need, depth) / need)
            if ratio >= 1 - 1e-9:
                return q
            self._restore(saved)
            q *= ratio * (1 - 1e-9)
        return 0.0

    def _save(self) -> tuple:
        return (
            {k: v.copy() for k, v in self.avail.items()},
            dict(self.used),
            dict(self.source_left),
            dict(self.made),
            dict(self.bought),
        )

    def _restore(self, saved: tuple) -> None:
        self.avail = defaultdict(lambda: np.zeros(self.T), saved[0])
        self.used = defaultdict(float, saved[1])
        self.source_left = saved[2]
        self.made, self.bought = defaultdict(float, saved[3]), defaultdict(float, saved[4])

    def _available(self, item: str, plant: str, t: int, qty: float, depth: int) -> float:
        """How much of ``qty`` could be had, tried on the state and undone."""
        saved = self._save()
        got = self.supply(item, plant, t, qty, depth)
        self._restore(saved)
        return got


def heuristic_plan(net: Network) -> NetworkPlan:
    """A feasible plan of ``net`` built one demand at a time (module docstring)."""
    state = _State(net)
    state.buy_minimums()
    short = []
    for d in net.demand.sort_values(["bucket", "net_price"], ascending=[True, False]).itertuples():
        need = d.qty - state.take(d.item_id, d.node_id, d.bucket, d.qty)
        for lane in state.lanes_to.get(d.node_id, pd.DataFrame()).itertuples():
            ship = d.bucket - lane.transit
            if need <= EPS or ship < 0:
                continue
            q = min(need, state.lane_left[(lane.lane_id, ship)])
            q = state.supply(d.item_id, lane.from_node, ship, q) if q > EPS else 0.0
            if q > EPS:
                state.lane_left[(lane.lane_id, ship)] -= q
                state.shipped[(lane.lane_id, d.item_id, ship)] += q
                need -= q
        short.append((d.item_id, d.node_id, d.bucket, max(need, 0.0)))
    return _as_plan(net, state, short)


def _as_plan(net: Network, state: _State, short: list) -> NetworkPlan:
    T, keys = net.buckets, ["item_id", "node_id", "bucket"]
    routings = net.routings.set_index("routing_id")
    made = pd.DataFrame(
        [(r, routings.at[r, "item_id"], routings.at[r, "plant_id"], b, q) for (r, b), q in state.made.items()],
        columns=["routing_id", "item_id", "plant_id", "bucket", "qty"],
    )
    sources = net.sources.set_index("source_id")
    bought = pd.DataFrame(
        [
            (
                s,
                sources.at[s, "item_id"],
                sources.at[s, "supplier_id"],
                sources.at[s, "plant_id"],
                o,
                o + sources.at[s, "lead_time"],
                q,
                q * sources.at[s, "unit_price"],
            )
            for (s, o), q in state.bought.items()
        ],
        columns=["source_id", "item_id", "supplier_id", "plant_id", "order_bucket", "arrival_bucket", "qty", "amount"],
    )
    lanes = net.lanes.set_index("lane_id")
    shipped = pd.DataFrame(
        [
            (
                ln,
                i,
                lanes.at[ln, "from_node"],
                lanes.at[ln, "to_node"],
                b,
                b + lanes.at[ln, "transit"],
                q,
                q * lanes.at[ln, "cost_per_unit"],
            )
            for (ln, i, b), q in state.shipped.items()
        ],
        columns=["lane_id", "item_id", "from_node", "to_node", "ship_bucket", "arrival_bucket", "qty", "cost"],
    )
    bom = made.rename(columns={"item_id": "parent_id"}).merge(net.bom, on=["parent_id", "plant_id"])
    bom = bom[(bom["bucket"] >= bom["first_bucket"]) & (bom["bucket"] <= bom["last_bucket"])]
    consumed = (
        bom.assign(qty=bom["qty"] * bom["qty_per"])
        .groupby(["component_id", "plant_id", "bucket"], as_index=False)["qty"]
        .sum()
    )
    pairs = stocked_pairs(net).merge(pd.DataFrame({"bucket": np.arange(T)}), how="cross")
    stock = pairs.assign(
        qty=[
            float(state.avail[(i, n)][b]) if (i, n) in state.avail else 0.0
            for i, n, b in pairs[keys].itertuples(index=False)
        ]
    )
    resources = net.resources[["resource_id", "bucket", "hours"]].assign(
        planned_hours=[
            state.used.get((r, b), 0.0)
            for r, b in zip(net.resources["resource_id"], net.resources["bucket"], strict=True)
        ]
    )
    resources["overtime_hours"] = (resources["planned_hours"] - resources["hours"]).clip(lower=0)
    short = pd.DataFrame(short, columns=keys + ["qty"]).groupby(keys, as_index=False)["qty"].sum()
    return NetworkPlan(made, bought, shipped, stock, short, consumed, resources, np.nan, 0, 0)


def plan_cost(net: Network, out: NetworkPlan, costs: PlanCosts = PlanCosts()) -> float:
    """What a plan of ``net`` costs at the LP's rates: holding, shortage, below safety stock, purchases,
    transport, production and overtime (the objective the LP minimises)."""
    unit_cost = net.items.set_index("item_id")["unit_cost"]
    holding = costs.holding_rate * (out.stock["qty"] * out.stock["item_id"].map(unit_cost).fillna(0)).sum()
    price = net.demand.groupby(["item_id", "node_id", "bucket"])["net_price"].max()
    lost = out.short.set_index(["item_id", "node_id", "bucket"])["qty"]
    shortage = costs.shortage_markup * (lost * price.reindex(lost.index)).sum()
    ss = out.stock.merge(net.safety_stock, on=["item_id", "node_id"], suffixes=("", "_ss"))
    below = costs.below_safety_rate * ((ss["qty_ss"] - ss["qty"]).clip(lower=0) * ss["item_id"].map(unit_cost)).sum()
    making = out.made.merge(net.routings[["routing_id", "cost_per_unit"]], on="routing_id")
    overtime = out.resources.merge(
        net.resources[["resource_id", "bucket", "overtime_cost_per_hour"]], on=["resource_id", "bucket"]
    )
    return float(
        holding
        + shortage
        + below
        + out.bought["amount"].sum()
        + out.shipped["cost"].sum()
        + (making["qty"] * making["cost_per_unit"].fillna(0)).sum()
        + (overtime["overtime_hours"] * overtime["overtime_cost_per_hour"].fillna(0)).sum()
    )
