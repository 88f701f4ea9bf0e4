"""A simple greedy supply plan: the yardstick the LP must beat on the same inputs and costs.

Bucket by bucket, with no look-ahead: every series asks for what brings its stock back to this bucket's
demand plus its safety stock; each resource serves its series in order of shortage cost (dearest first) from
its regular hours, then from overtime where an hour of overtime costs less than the shortage it prevents.
Nothing is built ahead of a peak, which is what a planner filling each month in turn would do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sop.planning.supply_plan import PlanCosts, PlanInputs


@dataclass
class GreedyPlan:
    production: np.ndarray  # series x buckets
    stock: np.ndarray  # closing stock, series x buckets
    shortage: np.ndarray  # unmet demand, series x buckets
    overtime: np.ndarray  # resources x buckets, hours


def greedy_plan(inp: PlanInputs, costs: PlanCosts = PlanCosts()) -> GreedyPlan:
    S, T = inp.demand.shape
    resources = list(inp.hours.index)
    rate = inp.series["units_per_hour"].to_numpy(float)
    resource_of = inp.series["resource_id"].map({r: k for k, r in enumerate(resources)}).to_numpy()
    safety = inp.series["safety_stock_qty"].to_numpy(float)
    shortage_cost = costs.shortage_markup * np.maximum(
        inp.series["net_price_amount"].to_numpy(float), inp.series["unit_cost_amount"].to_numpy(float)
    )
    hours = inp.hours.to_numpy(float)
    production, stock, shortage = np.zeros((S, T)), np.zeros((S, T)), np.zeros((S, T))
    overtime = np.zeros((len(resources), T))
    previous = inp.series["opening_qty"].to_numpy(float).copy()
    for t in range(T):
        demand = inp.demand[:, t].astype(float)
        for r in range(len(resources)):
            regular, extra = hours[r, t], costs.overtime_share * hours[r, t]
            mine = np.flatnonzero((resource_of == r) & np.isfinite(rate) & (rate > 0))
            for i in mine[np.argsort(-shortage_cost[mine], kind="stable")]:
                need = max(demand[i] + safety[i] - previous[i], 0.0)
                made = min(need, regular * rate[i])
                regular -= made / rate[i]
                # overtime only for demand that would otherwise go unmet, and only when it pays
                uncovered = max(demand[i] - previous[i] - made, 0.0)
                if uncovered > 0 and costs.overtime_cost_per_hour < rate[i] * shortage_cost[i]:
                    more = min(uncovered, extra * rate[i])
                    extra -= more / rate[i]
                    overtime[r, t] += more / rate[i]
                    made += more
                production[i, t] = made
        available = previous + production[:, t]
        met = np.minimum(demand, available)
        shortage[:, t] = demand - met
        stock[:, t] = available - met
        previous = stock[:, t]
    return GreedyPlan(production, stock, shortage, overtime)
