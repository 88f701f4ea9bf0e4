"""The supply network as one linear programme: production at plants through BOMs, purchases from suppliers with
their lead times, transfers along lanes with their transit times, stock of every item at every node.

Per item i, node n and bucket t (t = 0..T-1):

    stock[i,n,t] = stock[i,n,t-1] + made[i,n,t] + bought arriving[i,n,t] + shipped arriving[i,n,t]
                   + in transit due[i,n,t] - consumed by the BOM[i,n,t] - shipped out[i,n,t]
                   - (demand[i,n,t] - short[i,n,t])                                     (stock[i,n,-1] = opening)

An order placed in t arrives in t + its source's lead time, a transfer shipped in t in t + its lane's transit:
nothing arrives earlier than that but what is already in transit, and nothing is ordered or shipped that would
arrive after the horizon. A routing makes one item at one plant and takes hours of one or more resources
(machines, crews) per unit; each resource has regular hours and may buy overtime up to a share of them.
Suppliers deliver between a contracted minimum and a maximum per bucket; lanes carry at most their capacity.
Unmet demand at a selling node is lost (as the history shows it), at its net price times a markup.

    minimise  holding x stock value + shortage + below-safety-stock + purchases + transport + production
              + overtime

Costs per bucket; the rates are the single-echelon plan's (``PlanCosts``), so a plan with no network data
costs the same. The model is sparse relations (BOM lines, lanes, routings, sources), so it is built from data
frames: each block of variables is a frame of its keys, each family of rows a frame of (row keys, variable,
coefficient) triplets, joined into one sparse matrix for HiGHS.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import highspy
import numpy as np
import pandas as pd
from highspy._core import _Highs
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from sop.planning.supply_plan import PlanCosts

INF = highspy.kHighsInf
PRIORITY_STEP = 1e-6  # EUR per unit and rank: of two equal offers the lower priority number is bought first


# the optional frames' columns and types, once: their empty defaults, and what callers build them with
COLUMNS = {
    "bom": {"parent_id": "object", "component_id": "object", "plant_id": "object", "qty_per": "float",
            "first_bucket": "int", "last_bucket": "int"},
    "sources": {"source_id": "object", "item_id": "object", "supplier_id": "object", "plant_id": "object",
                "lead_time": "int", "unit_price": "float", "min_qty": "float", "max_qty": "float", "priority": "int"},
    "lanes": {"lane_id": "object", "from_node": "object", "to_node": "object", "transit": "int",
              "cost_per_unit": "float", "capacity": "float"},
    "opening": {"item_id": "object", "node_id": "object", "qty": "float"},
    "in_transit": {"item_id": "object", "node_id": "object", "bucket": "int", "qty": "float"},
    "safety_stock": {"item_id": "object", "node_id": "object", "qty": "float"},
    # limits in some buckets only (a supplier lost for months, a lane closed): receipts of a source arriving in
    # the bucket at most max_qty; shipments on a lane in the bucket at most capacity
    "source_limits": {"source_id": "object", "bucket": "int", "max_qty": "float"},
    "lane_limits": {"lane_id": "object", "bucket": "int", "capacity": "float"},
    # the frozen window (sop.planning.frozen): which items' production, purchases and transfers are kept in which
    # buckets, and the approved plan's quantities there (a key the approved plan has not is kept at zero)
    "frozen_cells": {"item_id": "object", "bucket": "int"},
    "frozen_made": {"item_id": "object", "plant_id": "object", "bucket": "int", "qty": "float"},
    "frozen_bought": {"source_id": "object", "bucket": "int", "qty": "float"},
    "frozen_shipped": {"lane_id": "object", "item_id": "object", "bucket": "int", "qty": "float"},
}  # fmt: skip


def empty(name: str):
    """A dataclass default: the empty frame of ``name``'s columns."""
    return field(default_factory=lambda: pd.DataFrame({c: pd.Series(dtype=t) for c, t in COLUMNS[name].items()}))


@dataclass
class Network:
    """Everything the network plan reads; optional frames may be empty. Buckets are 0..buckets-1."""

    buckets: int
    items: pd.DataFrame  # item_id, unit_cost
    demand: pd.DataFrame  # item_id, node_id, bucket, qty, net_price (selling nodes)
    routings: pd.DataFrame  # routing_id, item_id, plant_id, cost_per_unit
    routing_resources: pd.DataFrame  # routing_id, resource_id, hours_per_unit
    resources: pd.DataFrame  # resource_id, bucket, hours, overtime_share, overtime_cost_per_hour
    bom: pd.DataFrame = empty("bom")
    sources: pd.DataFrame = empty("sources")
    lanes: pd.DataFrame = empty("lanes")
    opening: pd.DataFrame = empty("opening")
    in_transit: pd.DataFrame = empty("in_transit")
    safety_stock: pd.DataFrame = empty("safety_stock")
    source_limits: pd.DataFrame = empty("source_limits")
    lane_limits: pd.DataFrame = empty("lane_limits")
    frozen_cells: pd.DataFrame = empty("frozen_cells")
    frozen_made: pd.DataFrame = empty("frozen_made")
    frozen_bought: pd.DataFrame = empty("frozen_bought")
    frozen_shipped: pd.DataFrame = empty("frozen_shipped")


@dataclass
class NetworkPlan:
    made: pd.DataFrame  # routing_id, item_id, plant_id, bucket, qty
    bought: pd.DataFrame  # source_id, item_id, supplier_id, plant_id, order_bucket, arrival_bucket, qty, amount
    shipped: pd.DataFrame  # lane_id, item_id, from_node, to_node, ship_bucket, arrival_bucket, qty, cost
    stock: pd.DataFrame  # item_id, node_id, bucket, qty
    short: pd.DataFrame  # item_id, node_id, bucket, qty
    consumed: pd.DataFrame  # component_id, plant_id, bucket, qty
    resources: pd.DataFrame  # resource_id, bucket, hours, planned_hours, overtime_hours
    objective: float
    variables: int
    constraints: int
    # the solved parts, by fingerprint: what a scenario's plan (``plan(..., start=this)``) starts from
    parts: dict = field(default_factory=dict, repr=False)
    reused: int = 0  # parts taken unchanged from ``start``
    # the frozen window's keys: block (production, purchase, transfer), their keys, bucket, approved qty and
    # planned_qty (what the plan does there: the approved qty unless keeping it was impossible)
    frozen: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class _Part:
    values: np.ndarray
    objective: float
    structure: str  # the part's shape and sparsity: a basis fits another part of the same structure
    basis: highspy.HighsBasis


def _digest(*arrays) -> str:
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
        digest.update(b"|")
    return digest.hexdigest()


class _Builder:
    """Variables as blocks of keyed frames; rows as triplets joined on their keys."""

    def __init__(self):
        self.lower, self.upper, self.cost = [], [], []
        self.count = 0
        self.rows: list[tuple[pd.DataFrame, np.ndarray, np.ndarray]] = []  # (triplets with row, lo, hi)
        self.row_count = 0

    def variables(self, keys: pd.DataFrame, lower=0.0, upper=INF, cost=0.0) -> pd.DataFrame:
        n = len(keys)
        out = keys.reset_index(drop=True).assign(var=np.arange(self.count, self.count + n))
        self.lower.append(np.broadcast_to(np.asarray(lower, float), n))
        self.upper.append(np.broadcast_to(np.asarray(upper, float), n))
        self.cost.append(np.broadcast_to(np.asarray(cost, float), n))
        self.count += n
        return out

    def constrain(self, rows: pd.DataFrame, on: list[str], terms: list[pd.DataFrame], lower, upper) -> None:
        """One row per line of ``rows`` (its keys ``on``, bounds ``lower``/``upper`` as columns or numbers);
        ``terms``: frames of the keys, ``var`` and ``coef``."""
        rows = rows.reset_index(drop=True)
        ids = rows[on].assign(row=np.arange(self.row_count, self.row_count + len(rows)))
        parts = [t[[*on, "var", "coef"]].merge(ids, on=on, how="inner") for t in terms if len(t)]
        triplets = pd.concat(parts)[["row", "var", "coef"]] if parts else pd.DataFrame(columns=["row", "var", "coef"])
        lo = rows[lower].to_numpy(float) if isinstance(lower, str) else np.full(len(rows), float(lower))
        hi = rows[upper].to_numpy(float) if isinstance(upper, str) else np.full(len(rows), float(upper))
        self.rows.append((triplets, lo, hi))
        self.row_count += len(rows)

    def solve(self, options: dict | None = None, workers: int = 2, start: NetworkPlan | None = None):
        """Solve the LP, one independent part at a time in ``workers`` threads: variables and rows that share no
        coefficient with another part's form their own LP (plants that share no SKU, component, supplier or
        lane), which solves faster than the whole and in parallel (HiGHS releases the GIL). With ``start`` (the
        base plan, for a scenario) a part identical to one of its parts is not solved again, and a part of the
        same shape starts from that part's optimal basis. Returns values, objective, parts, parts reused."""
        triplets = pd.concat([t for t, _, _ in self.rows]) if self.rows else pd.DataFrame(columns=["row", "var"])
        rows, cols = triplets["row"].to_numpy(int), triplets["var"].to_numpy(int)
        matrix = sparse.csc_matrix((triplets["coef"].to_numpy(float), (rows, cols)), shape=(self.row_count, self.count))
        cost = np.concatenate(self.cost) if self.cost else np.zeros(0)
        lower = np.concatenate(self.lower) if self.lower else np.zeros(0)
        upper = np.concatenate(self.upper) if self.upper else np.zeros(0)
        row_lower = np.concatenate([lo for _, lo, _ in self.rows]) if self.rows else np.zeros(0)
        row_upper = np.concatenate([hi for _, _, hi in self.rows]) if self.rows else np.zeros(0)
        col_part, row_part = _parts(matrix, workers)
        values = np.zeros(self.count)

        earlier = start.parts if start is not None else {}
        shapes = {part.structure: part for part in earlier.values()}

        def solve_part(part: int) -> tuple[str, _Part, bool]:
            c, r = np.flatnonzero(col_part == part), np.flatnonzero(row_part == part)
            sub = matrix[:, c][r, :].tocsc()
            structure = _digest(np.array(sub.shape), sub.indptr, sub.indices)
            key = _digest(structure.encode(), sub.data, cost[c], lower[c], upper[c], row_lower[r], row_upper[r])
            if key in earlier:
                solved, reused = earlier[key], True
            else:
                same = shapes.get(structure)
                x, objective, basis = _solve_lp(
                    sub, cost[c], lower[c], upper[c], row_lower[r], row_upper[r], options, same and same.basis
                )
                solved, reused = _Part(x, objective, structure, basis), False
            values[c] = solved.values
            return key, solved, reused

        with ThreadPoolExecutor(max(1, workers)) as pool:
            done = list(pool.map(solve_part, range(int(col_part.max()) + 1 if self.count else 0)))
        parts = {key: part for key, part, _ in done}
        return values, float(sum(p.objective for p in parts.values())), parts, sum(r for *_, r in done)


def _parts(matrix: sparse.csc_matrix, workers: int) -> tuple[np.ndarray, np.ndarray]:
    """Independent parts of the LP: connected components of its rows and columns, packed largest first into
    at most 2 x ``workers`` parts of about equal size (few parts: little overhead, threads kept busy)."""
    n_rows, n_cols = matrix.shape
    graph = sparse.bmat([[None, matrix != 0], [(matrix != 0).T, None]], format="csr")
    _, labels = connected_components(graph, directed=False)
    row_label, col_label = labels[:n_rows], labels[n_rows:]
    sizes = np.bincount(col_label, minlength=labels.max() + 1) + np.bincount(row_label, minlength=labels.max() + 1)
    bins = min(2 * max(1, workers), int((sizes > 0).sum())) or 1
    load, part_of = np.zeros(bins), np.zeros(len(sizes), dtype=int)
    for component in np.argsort(-sizes, kind="stable"):  # deterministic: by size, then by label
        target = int(np.argmin(load))
        part_of[component], load[target] = target, load[target] + sizes[component]
    return part_of[col_label], part_of[row_label]


def _solve_lp(matrix, cost, lower, upper, row_lower, row_upper, options, basis=None):
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = matrix.shape[1], matrix.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lower, upper
    lp.row_lower_, lp.row_upper_ = row_lower, row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = matrix.indptr, matrix.indices, matrix.data
    highs = _Highs()  # the core class: highspy.Highs() prints a banner before output_flag is read
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("random_seed", 0)
    for name, value in (options or {}).items():
        highs.setOptionValue(name, value)
    highs.passModel(lp)
    if basis is not None:
        highs.setBasis(basis)
    highs.run()
    status = highs.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"network plan LP not solved: {highs.modelStatusToString(status)}")
    solution = np.asarray(highs.getSolution().col_value)
    return solution, float(highs.getInfo().objective_function_value), highs.getBasis()


def _times(frame: pd.DataFrame, buckets: int) -> pd.DataFrame:
    return frame.merge(pd.DataFrame({"bucket": np.arange(buckets)}), how="cross")


def stocked_pairs(net: Network) -> pd.DataFrame:
    """(item, node) pairs that can hold stock: where an item is made, bought, held, due, consumed or sold, and
    the nodes lanes carry it through on the way from one of those to a node that consumes or sells it (a
    component never travels to a distribution centre that has no use for it)."""
    seeds = [
        net.routings.rename(columns={"plant_id": "node_id"})[["item_id", "node_id"]],
        net.sources.rename(columns={"plant_id": "node_id"})[["item_id", "node_id"]],
        net.opening[["item_id", "node_id"]],
        net.in_transit[["item_id", "node_id"]],
        net.bom.rename(columns={"component_id": "item_id", "plant_id": "node_id"})[["item_id", "node_id"]],
        net.demand[["item_id", "node_id"]],
    ]
    pairs = pd.concat(seeds).drop_duplicates()
    sinks = pd.concat(seeds[4:]).drop_duplicates()
    lanes = net.lanes[["from_node", "to_node"]].drop_duplicates()
    reached = _closure(pairs, lanes, "from_node", "to_node")  # where the item can get to
    useful = _closure(sinks, lanes, "to_node", "from_node")  # where it can get to a use from
    through = reached.merge(useful, on=["item_id", "node_id"])
    return pd.concat([pairs, through]).drop_duplicates().reset_index(drop=True)


def _closure(pairs: pd.DataFrame, lanes: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    """``pairs`` and every (item, node) lanes lead to from them, following lanes from ``start`` to ``end``."""
    while True:
        step = pairs.merge(lanes, left_on="node_id", right_on=start)[["item_id", end]]
        grown = pd.concat([pairs, step.rename(columns={end: "node_id"})]).drop_duplicates()
        if len(grown) == len(pairs):
            return grown.reset_index(drop=True)
        pairs = grown


def plan(
    net: Network,
    costs: PlanCosts = PlanCosts(),
    options: dict | None = None,
    start: NetworkPlan | None = None,
    workers: int = 2,
) -> NetworkPlan:
    """The least-cost plan of the whole network over ``net.buckets`` buckets; ``start``: a plan of a similar
    network (the base plan, for a scenario) whose unchanged parts are reused and whose bases start the rest;
    ``workers``: threads solving its independent parts."""
    T = net.buckets
    lp = _Builder()
    unit_cost = net.items.set_index("item_id")["unit_cost"]
    pairs = stocked_pairs(net)

    # variables
    stock = lp.variables(
        _times(pairs, T), cost=costs.holding_rate * _times(pairs, T)["item_id"].map(unit_cost).fillna(0).to_numpy()
    )
    demand = net.demand.groupby(["item_id", "node_id", "bucket"], as_index=False).agg(
        qty=("qty", "sum"), net_price=("net_price", "max")
    )
    short = lp.variables(
        demand[["item_id", "node_id", "bucket"]],
        upper=demand["qty"].to_numpy(float),
        cost=costs.shortage_markup * demand["net_price"].to_numpy(float),
    )
    made = lp.variables(
        _times(net.routings[["routing_id", "item_id", "plant_id"]], T),
        cost=_times(net.routings, T)["cost_per_unit"].fillna(0).to_numpy(),
    )
    orders = _times(net.sources, T).assign(arrival=lambda f: f["bucket"] + f["lead_time"])
    orders = orders[orders["arrival"] < T].reset_index(drop=True)
    limits = net.source_limits.groupby(["source_id", "bucket"])["max_qty"].min().rename("limit")
    orders = orders.join(limits, on=["source_id", "arrival"])
    upper = np.fmin(orders["max_qty"].fillna(INF).to_numpy(), orders["limit"].fillna(INF).to_numpy())
    bought = lp.variables(
        orders[["source_id", "item_id", "plant_id", "bucket", "arrival"]],
        lower=np.minimum(orders["min_qty"].fillna(0).to_numpy(), upper),  # a lost supplier owes no minimum
        upper=upper,
        cost=(orders["unit_price"] + PRIORITY_STEP * orders["priority"].fillna(0)).to_numpy(),
    )
    carried = pairs.merge(net.lanes, left_on="node_id", right_on="from_node").merge(
        pairs.rename(columns={"node_id": "to_node"}), on=["item_id", "to_node"]
    )
    moves = _times(carried[["lane_id", "item_id", "from_node", "to_node", "transit", "cost_per_unit"]], T)
    moves = moves.assign(arrival=lambda f: f["bucket"] + f["transit"])
    moves = moves[moves["arrival"] < T].reset_index(drop=True)
    shipped = lp.variables(
        moves[["lane_id", "item_id", "from_node", "to_node", "bucket", "arrival"]],
        cost=moves["cost_per_unit"].fillna(0).to_numpy(),
    )
    res = net.resources.reset_index(drop=True)
    overtime = lp.variables(
        res[["resource_id", "bucket"]],
        upper=(res["overtime_share"].fillna(0) * res["hours"]).to_numpy(),
        cost=res["overtime_cost_per_hour"].fillna(0).to_numpy(),
    )
    ss = net.safety_stock.merge(_times(pairs, T), on=["item_id", "node_id"])
    below = lp.variables(
        ss[["item_id", "node_id", "bucket"]],
        cost=costs.below_safety_rate * ss["item_id"].map(unit_cost).fillna(0).to_numpy(),
    )

    # stock balance of every item at every node in every bucket (equalities, right-hand side: what is given)
    keys = ["item_id", "node_id", "bucket"]
    previous = stock.assign(bucket=stock["bucket"] + 1)
    previous = previous[previous["bucket"] < T]
    bom = _times(net.bom, T)
    bom = bom[(bom["bucket"] >= bom["first_bucket"]) & (bom["bucket"] <= bom["last_bucket"])]
    consumption = bom.merge(
        made.rename(columns={"item_id": "parent_id"}), on=["parent_id", "plant_id", "bucket"]
    ).assign(coef=lambda f: f["qty_per"])
    terms = [
        stock.assign(coef=1.0),
        previous.assign(coef=-1.0),
        made.rename(columns={"plant_id": "node_id"}).assign(coef=-1.0),
        bought.rename(columns={"plant_id": "node_id"}).assign(bucket=bought["arrival"], coef=-1.0),
        shipped.rename(columns={"to_node": "node_id"}).assign(bucket=shipped["arrival"], coef=-1.0),
        consumption.rename(columns={"component_id": "item_id", "plant_id": "node_id"}),
        shipped.rename(columns={"from_node": "node_id"}).assign(coef=1.0),
        short.assign(coef=-1.0),
    ]
    given = _times(pairs, T)
    for frame, sign in ((net.opening.assign(bucket=0), 1.0), (net.in_transit, 1.0), (demand, -1.0)):
        amounts = frame.groupby(keys)["qty"].sum().rename("amount").reset_index()
        given = given.merge(amounts, on=keys, how="left")
        given["rhs"] = given.get("rhs", 0.0) + sign * given.pop("amount").fillna(0.0)
    lp.constrain(given, keys, terms, "rhs", "rhs")

    # stock + shortfall below safety stock >= safety stock
    if len(below):
        ss_rows = ss.assign(lo=ss["qty"].to_numpy(float))
        lp.constrain(ss_rows, keys, [stock.assign(coef=1.0), below.assign(coef=1.0)], "lo", INF)

    # resource hours: sum of hours per unit x units made - overtime <= regular hours
    loads = made.merge(net.routing_resources, on="routing_id").assign(coef=lambda f: f["hours_per_unit"])
    lp.constrain(res, ["resource_id", "bucket"], [loads, overtime.assign(coef=-1.0)], -INF, "hours")

    # lane capacity per bucket shipped
    lane_rows = pd.concat([_times(net.lanes[net.lanes["capacity"].notna()][["lane_id", "capacity"]], T),
                           net.lane_limits[["lane_id", "bucket", "capacity"]]])  # fmt: skip
    if len(lane_rows):
        lane_rows = lane_rows.groupby(["lane_id", "bucket"], as_index=False)["capacity"].min()
        lp.constrain(lane_rows, ["lane_id", "bucket"], [shipped.assign(coef=1.0)], -INF, "capacity")

    frozen = _freeze(lp, net, costs, made, bought, shipped)

    values, objective, parts, reused = lp.solve(options, workers, start)
    value = lambda frame: values[frame["var"].to_numpy()]  # noqa: E731 - one short read per block
    hours_used = (
        loads.assign(planned_hours=value(loads) * loads["coef"])
        .groupby(["resource_id", "bucket"], as_index=False)["planned_hours"]
        .sum()
    )
    return NetworkPlan(
        made=made.assign(qty=value(made)).drop(columns="var"),
        bought=bought.assign(qty=value(bought))
        .merge(net.sources[["source_id", "supplier_id", "unit_price"]], on="source_id")
        .assign(amount=lambda f: f["qty"] * f["unit_price"])
        .rename(columns={"bucket": "order_bucket", "arrival": "arrival_bucket"})
        .drop(columns=["var", "unit_price"]),
        shipped=shipped.assign(qty=value(shipped))
        .merge(net.lanes[["lane_id", "cost_per_unit"]], on="lane_id")
        .assign(cost=lambda f: f["qty"] * f["cost_per_unit"])
        .rename(columns={"bucket": "ship_bucket", "arrival": "arrival_bucket"})
        .drop(columns=["var", "cost_per_unit"]),
        stock=stock.assign(qty=value(stock)).drop(columns="var"),
        short=short.assign(qty=value(short)).drop(columns="var"),
        consumed=consumption.assign(qty=value(consumption) * consumption["coef"])
        .groupby(["component_id", "plant_id", "bucket"], as_index=False)["qty"]
        .sum(),
        resources=res[["resource_id", "bucket", "hours"]]
        .assign(overtime_hours=value(overtime))
        .merge(hours_used, on=["resource_id", "bucket"], how="left")
        .fillna({"planned_hours": 0.0}),
        objective=objective,
        variables=lp.count,
        constraints=lp.row_count,
        parts=parts,
        reused=reused,
        frozen=frozen.assign(planned_qty=[values[v].sum() for v in frozen["vars"]]).drop(columns="vars"),
    )


# A unit of the frozen window changed costs this many times the dearest unit the plan could lose: the plan
# keeps the approved production, purchases and transfers even at the price of a shortage, and changes them only
# where keeping them is impossible (hours, a supplier or a lane lost since), which the exceptions then report.
FROZEN_CHANGE_MARKUP = 2.0


def _freeze(lp: _Builder, net: Network, costs: PlanCosts, made, bought, shipped) -> pd.DataFrame:
    """Rows keeping the frozen window: per key, what the plan makes, buys or ships there plus what it falls
    short of minus what it exceeds equals the approved quantity (zero where the approved plan had none), the
    shortfall and excess priced at FROZEN_CHANGE_MARKUP. Returns the kept keys: block, key columns, bucket,
    approved qty and the plan's variables (``vars``)."""
    columns = ["block", "item_id", "plant_id", "source_id", "lane_id", "bucket", "qty", "vars"]
    if not len(net.frozen_cells):
        return pd.DataFrame(columns=columns)
    dearest = max(
        float(net.demand["net_price"].max()) * costs.shortage_markup if len(net.demand) else 0.0,
        float(net.items["unit_cost"].max()) if len(net.items) else 0.0,
        1.0,
    )
    penalty = FROZEN_CHANGE_MARKUP * dearest
    kept = []
    for block, frame, approved, key in (
        ("production", made, net.frozen_made, ["item_id", "plant_id", "bucket"]),
        ("purchase", bought, net.frozen_bought, ["source_id", "bucket"]),
        ("transfer", shipped, net.frozen_shipped, ["lane_id", "item_id", "bucket"]),
    ):
        held = frame.merge(net.frozen_cells, on=["item_id", "bucket"])
        if not len(held):
            continue
        rows = (
            held.groupby(key, as_index=False)
            .agg(vars=("var", list))
            .merge(approved.groupby(key, as_index=False)["qty"].sum(), on=key, how="left")
            .fillna({"qty": 0.0})
        )
        under = lp.variables(rows[key], cost=penalty)
        over = lp.variables(rows[key], cost=penalty)
        lp.constrain(rows, key, [held.assign(coef=1.0), under.assign(coef=1.0), over.assign(coef=-1.0)], "qty", "qty")
        kept.append(rows.assign(block=block))
    return pd.concat(kept, ignore_index=True).reindex(columns=columns) if kept else pd.DataFrame(columns=columns)
