"""Rough-cut supply planning as a linear programme, solved by HiGHS (highspy).

Per series i (sku x location) and bucket t the LP decides production x, closing stock I, unmet demand s
(lost, as in the history) and the shortfall b below safety stock; per resource r and bucket, overtime o:

    minimise   sum holding*I + shortage*s + below_safety*b + overtime*o
    subject to I[i,t] = I[i,t-1] + x[i,t] - (d[i,t] - s[i,t])          (stock balance; I[i,-1] = opening)
               I[i,t] + b[i,t] >= safety_stock[i]
               sum_i x[i,t] / rate[i] <= hours[r,t] + o[r,t]             (capacity, per resource)
               0 <= s <= d,  0 <= o <= overtime_share * hours,  x, I, b >= 0

Shortage costs more than any stock or overtime, so the plan meets demand whenever capacity allows and
spends overtime before it lets demand go unmet.

Series share nothing but their resource's hours, so the LP separates exactly into one LP per resource (and
one for the series no resource can make). Measured at 10k series on 6 resources (benchmarks/plan_benchmark.py):
one LP of 700k variables, 16 s; the parts, 6 s on one thread and 3.4 s on two (HiGHS releases the GIL).
A scenario starts each part from the base plan's optimal basis: a changed price, demand or safety stock
then takes a few hundred simplex iterations instead of ~68,000 (0.1 s instead of 1.3 s a part), and a part
the scenario leaves unchanged is not solved again. A part whose hours changed starts from scratch (below).
A large part starts from its series' capacity-free plans, solved in chunks: at 100k series that is the
optimum whenever the hours suffice (the base plan: 104 s to 40 s).
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import highspy
import numpy as np
import pandas as pd
from highspy._core import _Highs
from scipy import sparse


@dataclass(frozen=True)
class PlanCosts:
    holding_rate: float = 0.02  # share of unit cost per unit and month held
    shortage_markup: float = 1.5  # unmet unit costs its net price times this (lost sale and goodwill)
    below_safety_rate: float = 0.25  # share of unit cost per unit and month below safety stock
    overtime_cost_per_hour: float = 80.0  # EUR
    overtime_share: float = 0.15  # overtime available as a share of regular hours

    def per_bucket(self, months: float) -> PlanCosts:
        """The same costs for buckets ``months`` long: the time-based rates scale, the per-unit ones do not."""
        return replace(self, holding_rate=self.holding_rate * months, below_safety_rate=self.below_safety_rate * months)


@dataclass
class PlanInputs:
    series: pd.DataFrame  # sku_id, location_id, resource_id, units_per_hour, unit_cost_amount,
    #                      net_price_amount, opening_qty, safety_stock_qty
    demand: np.ndarray  # series x buckets, consensus demand
    buckets: pd.DatetimeIndex
    hours: pd.DataFrame  # resource_id x buckets, regular hours available
    # series x buckets: production the frozen window keeps (sop.planning.frozen), NaN where the plan is free
    frozen: np.ndarray | None = None


@dataclass
class PlanResult:
    series_plan: pd.DataFrame  # per series and bucket
    resource_plan: pd.DataFrame  # per resource and bucket
    status: str
    objective: float
    variables: int
    constraints: int
    parts: dict[str, Part]  # per resource ("" for the series no resource makes): a scenario's starting point
    reused: int = 0  # parts taken unchanged from ``start`` instead of solved


@dataclass
class Part:
    """One resource's LP, solved: its values, and what a scenario needs to start from it."""

    prod: np.ndarray  # series x buckets
    stock: np.ndarray
    short: np.ndarray
    overtime: np.ndarray  # 1 x buckets (0 x buckets for the series no resource makes)
    objective: float
    variables: int
    constraints: int
    fingerprint: str  # of everything the LP was built from
    basis: highspy.HighsBasis
    hours: np.ndarray  # the regular hours it was planned with


def solve(
    inp: PlanInputs, costs: PlanCosts = PlanCosts(), workers: int = 2, start: PlanResult | None = None
) -> PlanResult:
    """The plan of least cost, one LP per resource in ``workers`` threads. ``start`` (the base plan, for a
    scenario) gives each part its starting basis and spares the parts that did not change."""
    S, T = inp.demand.shape
    parts = _parts(inp)
    earlier = start.parts if start is not None else {}
    with ThreadPoolExecutor(max(1, workers)) as pool:
        solved = list(pool.map(lambda part: _solve_part(part[2], costs, earlier.get(part[0])), parts))
    prod, stock, short = np.zeros((S, T)), np.zeros((S, T)), np.zeros((S, T))
    overtime = np.zeros((len(inp.hours), T))
    for (_, rows, part_inputs), part in zip(parts, solved, strict=True):
        prod[rows], stock[rows], short[rows] = part.prod, part.stock, part.short
        overtime[inp.hours.index.get_indexer(part_inputs.hours.index)] = part.overtime
    res_idx = inp.series["resource_id"].map({r: k for k, r in enumerate(inp.hours.index)})
    ok = _makeable(inp) & res_idx.notna().to_numpy()
    by_name = {name: part for (name, *_), part in zip(parts, solved, strict=True)}
    return PlanResult(
        _series_plan(inp, prod, stock, short),
        _resource_plan(inp, prod, overtime, res_idx, ok),
        "optimal",
        float(sum(part.objective for part in solved)),
        sum(part.variables for part in solved),
        sum(part.constraints for part in solved),
        by_name,
        sum(part is earlier.get(name) for name, part in by_name.items()),
    )


def _makeable(inp: PlanInputs) -> np.ndarray:
    rate = inp.series["units_per_hour"].to_numpy(float)
    return np.isfinite(rate) & (rate > 0)


def _parts(inp: PlanInputs) -> list[tuple[str, np.ndarray, PlanInputs]]:
    """(resource, rows, inputs) per resource that makes something, then ("", rows, inputs) for the series no
    resource makes (no hours); largest first, so the threads finish together."""
    on = inp.series["resource_id"].where(_makeable(inp) & inp.series["resource_id"].isin(inp.hours.index))
    groups = [(str(r), rows, inp.hours.loc[[r]]) for r, rows in on.groupby(on, dropna=True).indices.items()]
    idle = np.flatnonzero(on.isna().to_numpy())
    if len(idle):
        groups.append(("", idle, inp.hours.iloc[:0]))
    groups.sort(key=lambda group: (-len(group[1]), group[0]))
    return [
        (
            name,
            rows,
            replace(_rows(inp, rows), hours=h),
        )
        for name, rows, h in groups
    ]


def _rows(inp: PlanInputs, rows: np.ndarray) -> PlanInputs:
    """The plan's inputs of some series only."""
    frozen = None if inp.frozen is None else inp.frozen[rows]
    return replace(inp, series=inp.series.iloc[rows].reset_index(drop=True), demand=inp.demand[rows], frozen=frozen)


def _fingerprint(inp: PlanInputs, costs: PlanCosts) -> str:
    """Everything a part's LP is built from, hashed."""
    digest = hashlib.blake2b(repr((costs, inp.hours.index.tolist())).encode(), digest_size=20)
    columns = ("units_per_hour", "unit_cost_amount", "net_price_amount", "opening_qty", "safety_stock_qty")
    frozen = np.zeros(0) if inp.frozen is None else inp.frozen
    for array in (*(inp.series[c].to_numpy(float) for c in columns), inp.demand, inp.hours.to_numpy(float), frozen):
        digest.update(np.ascontiguousarray(array, dtype=float).tobytes())
    return digest.hexdigest()


# Series per chunk when a large part starts from its capacity-free plan (_uncapacitated_basis). Measured at
# 100k series, a 20k-series part: from scratch 37 s; chunks of 2,000 then the whole LP from their basis
# 12 s + 0.7 s (0 iterations); chunks of 500, 8 s + 0.7 s but more LPs to build for a small part.
CHUNK_SERIES = 2_000
_STATUS = {int(status): status for status in highspy.HighsBasisStatus.__members__.values()}


def _uncapacitated_basis(inp: PlanInputs, costs: PlanCosts) -> highspy.HighsBasis | None:
    """A starting basis for a large part: each chunk of series planned as if hours were unlimited (small LPs
    solve far faster than one large one), put together. When that plan fits within the regular hours it is
    the optimum too (capacity rows slack, every reduced cost unchanged) and the whole LP confirms it at once;
    when it does not, None: dual simplex repairing many capacity rows from it was slower than from scratch
    (206 s vs 123 s at 100k series, a plant outage)."""
    S, T = inp.demand.shape
    n, R = S * T, len(inp.hours)
    col, row = np.zeros(4 * n + R * T, np.int8), np.ones(2 * n + R * T, np.int8)  # overtime at 0, capacity basic
    use = np.zeros(T)
    unlimited = pd.DataFrame(1e12, index=inp.hours.index, columns=inp.hours.columns)
    for lo in range(0, S, CHUNK_SERIES):
        rows = np.arange(lo, min(S, lo + CHUNK_SERIES))
        chunk = _rows(inp, rows)
        part = _solve_part(replace(chunk, hours=unlimited), costs)
        rate = chunk.series["units_per_hour"].to_numpy(float)
        use += (part.prod / np.where(_makeable(chunk), rate, np.inf)[:, None]).sum(axis=0)
        # the same layout as _solve_part's: blocks x, I, s, b of columns; balance, safety of rows
        m, at = len(rows) * T, (rows[:, None] * T + np.arange(T)).ravel()
        cols, rws = np.array(part.basis.col_status, np.int8), np.array(part.basis.row_status, np.int8)
        for block in range(4):
            col[block * n + at] = cols[block * m : (block + 1) * m]
        for block in range(2):
            row[block * n + at] = rws[block * m : (block + 1) * m]
    if R and np.any(use > inp.hours.to_numpy(float).sum(axis=0) + 1e-6):
        return None
    basis = highspy.HighsBasis()
    basis.col_status = [_STATUS[v] for v in col.tolist()]
    basis.row_status = [_STATUS[v] for v in row.tolist()]
    basis.valid = True
    return basis


def _solve_part(inp: PlanInputs, costs: PlanCosts, start: Part | None = None) -> Part:
    fingerprint = _fingerprint(inp, costs)
    if start is not None and start.fingerprint == fingerprint:
        return start
    S, T = inp.demand.shape
    resources = list(inp.hours.index)
    R = len(resources)
    n = S * T
    X, I, SH, B, O = 0, n, 2 * n, 3 * n, 4 * n  # offsets of each variable block
    nvar = 4 * n + R * T
    st = np.arange(n).reshape(S, T)  # index of (series, bucket) inside a block

    unit_cost = inp.series["unit_cost_amount"].to_numpy(float)
    price = inp.series["net_price_amount"].to_numpy(float)
    rate = inp.series["units_per_hour"].to_numpy(float)
    makeable = _makeable(inp)
    hours = inp.hours.to_numpy(float)

    c = np.zeros(nvar)
    c[I : I + n] = np.repeat(costs.holding_rate * unit_cost, T)
    c[SH : SH + n] = np.repeat(costs.shortage_markup * np.maximum(price, unit_cost), T)
    c[B : B + n] = np.repeat(costs.below_safety_rate * unit_cost, T)
    c[O:] = costs.overtime_cost_per_hour

    # stock balance: I[t] - I[t-1] - x[t] - s[t] = -d[t]   (opening stock moves to the right-hand side)
    rows = np.concatenate([st.ravel()] * 3 + [st[:, 1:].ravel()])
    cols = np.concatenate([I + st.ravel(), X + st.ravel(), SH + st.ravel(), I + st[:, :-1].ravel()])
    vals = np.concatenate([np.ones(n), -np.ones(n), -np.ones(n), -np.ones(S * (T - 1))])
    A_eq = sparse.csr_matrix((vals, (rows, cols)), shape=(n, nvar))
    b_eq = -inp.demand.astype(float).copy()
    b_eq[:, 0] += inp.series["opening_qty"].to_numpy(float)

    # safety stock: -I - b <= -ss
    safety = inp.series["safety_stock_qty"].to_numpy(float)
    A_ss = sparse.csr_matrix(
        (-np.ones(2 * n), (np.tile(np.arange(n), 2), np.concatenate([I + st.ravel(), B + st.ravel()]))),
        shape=(n, nvar),
    )
    # capacity: sum x / rate - o <= hours, one row per resource and bucket
    res_idx = inp.series["resource_id"].map({r: k for k, r in enumerate(resources)})
    ok = makeable & res_idx.notna().to_numpy()
    si = np.flatnonzero(ok)
    r_of = res_idx.to_numpy()[ok].astype(int)
    cap_rows = (r_of[:, None] * T + np.arange(T)[None, :]).ravel()
    A_cap = sparse.csr_matrix(
        (
            np.concatenate([np.repeat(1.0 / rate[ok], T), -np.ones(R * T)]),
            (
                np.concatenate([cap_rows, np.arange(R * T)]),
                np.concatenate([X + st[si].ravel(), O + np.arange(R * T)]),
            ),
        ),
        shape=(R * T, nvar),
    )
    A_ub = sparse.vstack([A_ss, A_cap]).tocsr()
    b_ub = np.concatenate([-np.repeat(safety, T), hours.ravel()])

    upper = np.full(nvar, highspy.kHighsInf)
    upper[X : X + n] = np.where(np.repeat(makeable & ok, T), highspy.kHighsInf, 0.0)
    upper[SH : SH + n] = inp.demand.ravel()
    upper[O:] = costs.overtime_share * hours.ravel()
    lower = np.zeros(nvar)
    if inp.frozen is not None:  # the frozen window's production, kept (fenced() made it fit the hours)
        held = np.isfinite(inp.frozen.ravel())
        kept = np.where(held, inp.frozen.ravel(), 0.0)
        lower[X : X + n] = np.where(held, np.minimum(kept, upper[X : X + n]), 0.0)
        upper[X : X + n] = np.where(held, lower[X : X + n], upper[X : X + n])
    bounds = np.column_stack([lower, upper])

    # one row block after another: stock balance (equalities), safety stock and capacity (at most)
    A = sparse.vstack([A_eq, A_ub]).tocsc()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = nvar, A.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = c, bounds[:, 0], bounds[:, 1]
    lp.row_lower_ = np.concatenate([b_eq.ravel(), np.full(len(b_ub), -highspy.kHighsInf)])
    lp.row_upper_ = np.concatenate([b_eq.ravel(), b_ub])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
    # the core class: highspy.Highs() prints HiGHS's banner before output_flag can be set (HiGHS issue 2749)
    highs = _Highs()
    highs.setOptionValue("output_flag", False)
    # presolve off: on these LPs it took longer than it saved (2.3 s vs 1.1 s a 2,000-series part)
    highs.setOptionValue("presolve", "off")
    highs.setOptionValue("random_seed", 0)
    highs.passModel(lp)
    # Warm only while the hours are the base's: less capacity leaves the base basis infeasible across many
    # rows, and dual simplex from it took longer than from scratch (100k series, a plant outage on a
    # 20k-series resource: 193 s warm, 123 s cold; a price or demand change: 1-2 s warm, 37+ s cold).
    if start is not None and start.variables == nvar and np.array_equal(start.hours, hours):
        highs.setBasis(start.basis)
    elif S > CHUNK_SERIES and (basis := _uncapacitated_basis(inp, costs)) is not None:
        highs.setBasis(basis)
    highs.run()
    status = highs.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"supply plan LP not solved: {highs.modelStatusToString(status)}")
    v = np.asarray(highs.getSolution().col_value)
    return Part(
        v[X : X + n].reshape(S, T),
        v[I : I + n].reshape(S, T),
        v[SH : SH + n].reshape(S, T),
        v[O:].reshape(R, T),
        float(highs.getInfo().objective_function_value),
        nvar,
        A.shape[0],
        fingerprint,
        highs.getBasis(),
        hours,
    )


def _series_plan(inp: PlanInputs, prod, stock, short) -> pd.DataFrame:
    S, T = inp.demand.shape
    opening = np.column_stack([inp.series["opening_qty"].to_numpy(float), stock[:, :-1]])
    demand = inp.demand.astype(float)
    frame = pd.DataFrame(
        {
            "sku_id": np.repeat(inp.series["sku_id"].to_numpy(), T),
            "location_id": np.repeat(inp.series["location_id"].to_numpy(), T),
            "bucket_date": np.tile(inp.buckets.to_numpy(), S),
            "consensus_demand_qty": demand.ravel(),
            "opening_inventory_qty": opening.ravel(),
            "planned_supply_qty": prod.ravel(),
            "demand_met_qty": (demand - short).ravel(),
            "shortage_qty": short.ravel(),
            "closing_inventory_qty": stock.ravel(),
            "safety_stock_qty": np.repeat(inp.series["safety_stock_qty"].to_numpy(float), T),
        }
    )
    # HiGHS returns values within its tolerances; clean the dust so zero means zero
    num = frame.select_dtypes("number").columns
    frame[num] = frame[num].where(frame[num].abs() > 1e-6, 0.0)
    return frame


def _resource_plan(inp: PlanInputs, prod, overtime, res_idx, ok) -> pd.DataFrame:
    resources = list(inp.hours.index)
    T = len(inp.buckets)
    rate = inp.series["units_per_hour"].to_numpy(float)
    used = np.zeros((len(resources), T))
    np.add.at(used, res_idx.to_numpy()[ok].astype(int), prod[ok] / rate[ok, None])
    hours = inp.hours.to_numpy(float)
    return pd.DataFrame(
        {
            "resource_id": np.repeat(resources, T),
            "bucket_date": np.tile(inp.buckets.to_numpy(), len(resources)),
            "available_hours": hours.ravel(),
            "planned_hours": used.ravel(),
            "overtime_hours": np.where(overtime.ravel() > 1e-6, overtime.ravel(), 0.0),
            "capacity_utilization": np.divide(used, hours, out=np.zeros_like(used), where=hours > 0).ravel(),
        }
    )


def plan_cost(
    inp: PlanInputs, costs: PlanCosts, stock: np.ndarray, shortage: np.ndarray, overtime: np.ndarray
) -> float:
    """The LP's objective for any plan (stock and shortage per series and bucket, overtime hours per resource
    and bucket): holding, shortage, stock below safety stock and overtime, in EUR."""
    unit_cost = inp.series["unit_cost_amount"].to_numpy(float)[:, None]
    price = inp.series["net_price_amount"].to_numpy(float)[:, None]
    below = np.maximum(inp.series["safety_stock_qty"].to_numpy(float)[:, None] - stock, 0.0)
    return float(
        (costs.holding_rate * unit_cost * stock).sum()
        + (costs.shortage_markup * np.maximum(price, unit_cost) * shortage).sum()
        + (costs.below_safety_rate * unit_cost * below).sum()
        + costs.overtime_cost_per_hour * overtime.sum()
    )


def fenced(inp: PlanInputs, wanted: np.ndarray, costs: PlanCosts) -> PlanInputs:
    """``inp`` keeping the production ``wanted`` (series x buckets, NaN where free) as far as the hours allow:
    where a resource's frozen production in a bucket needs more than its regular hours and overtime, every
    frozen series on it is cut in proportion (so the LP stays feasible); a series no resource makes keeps 0."""
    frozen = np.where(np.isfinite(wanted), np.maximum(wanted, 0.0), np.nan)
    makeable = _makeable(inp) & inp.series["resource_id"].isin(inp.hours.index).to_numpy()
    frozen[~makeable] = np.where(np.isfinite(frozen[~makeable]), 0.0, np.nan)
    rate = inp.series["units_per_hour"].to_numpy(float)
    resources = inp.series["resource_id"].to_numpy()
    for k, resource in enumerate(inp.hours.index):
        rows = np.flatnonzero(makeable & (resources == resource))
        if not len(rows):
            continue
        need = np.nansum(frozen[rows] / rate[rows, None], axis=0)
        have = inp.hours.to_numpy(float)[k] * (1 + costs.overtime_share) * (1 - 1e-9)  # within HiGHS's tolerance
        scale = np.where(need > have, have / np.where(need > 0, need, 1.0), 1.0)
        frozen[rows] = frozen[rows] * scale[None, :]
    return replace(inp, frozen=frozen)
