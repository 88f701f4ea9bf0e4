"""The supply-plan LP at the sample company's size and at 10x its SKUs, against the greedy plan.

    .venv/bin/python -m benchmarks.plan_benchmark [--warehouse var/warehouse.duckdb] [--cycle 2026-01]
                                                  [--scales 1 10] [--repeats 3]

Reads the plan inputs of a cycle the warehouse has planned (run `make demo` first): consensus demand,
routings, stock, safety stock and capacity. Scale k copies every series k times (as k times the SKUs, each
made on the same resources) and gives every resource k times its hours, so the problem stays as tight. For
each scale: the LP's size, HiGHS's solve time (median of the repeats, the matrix build included) and peak
memory growth, and the greedy plan's time and cost on the same inputs. Prints a table, writes
benchmarks/results/plan_benchmark.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from sop.planning.greedy import greedy_plan
from sop.planning.supply_plan import PlanCosts, PlanInputs, plan_cost, solve
from sop.stages.plan import load_inputs

RESULTS = Path(__file__).parent / "results"


def scaled(inp: PlanInputs, k: int) -> PlanInputs:
    """``k`` copies of every series (SKU ids suffixed) and ``k`` times every resource's hours."""
    if k == 1:
        return inp
    series = pd.concat(
        [inp.series.assign(sku_id=inp.series["sku_id"] + f"~{copy}") for copy in range(k)], ignore_index=True
    )
    return PlanInputs(series, np.tile(inp.demand, (k, 1)), inp.buckets, inp.hours * k)


def _costs(inp: PlanInputs, result, costs: PlanCosts) -> float:
    S, T = inp.demand.shape
    plan, res = result.series_plan, result.resource_plan
    return plan_cost(
        inp,
        costs,
        plan["closing_inventory_qty"].to_numpy().reshape(S, T),
        plan["shortage_qty"].to_numpy().reshape(S, T),
        res["overtime_hours"].to_numpy().reshape(len(inp.hours), T),
    )


def measure(inp: PlanInputs, repeats: int) -> dict:
    costs = PlanCosts()
    seconds, result = [], None
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(repeats):
        started = time.perf_counter()
        result = solve(inp, costs)
        seconds.append(time.perf_counter() - started)
    started = time.perf_counter()
    greedy = greedy_plan(inp, costs)
    greedy_seconds = time.perf_counter() - started
    lp_cost = _costs(inp, result, costs)
    greedy_cost = plan_cost(inp, costs, greedy.stock, greedy.shortage, greedy.overtime)
    return {
        "series": int(inp.demand.shape[0]),
        "buckets": int(inp.demand.shape[1]),
        "resources": int(len(inp.hours)),
        "variables": result.variables,
        "constraints": result.constraints,
        "lp_seconds_median": round(statistics.median(seconds), 3),
        "lp_seconds_all": [round(s, 3) for s in seconds],
        "peak_rss_growth_mb": round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024, 1),
        "lp_cost_eur": round(lp_cost, 2),
        "greedy_seconds": round(greedy_seconds, 3),
        "greedy_cost_eur": round(greedy_cost, 2),
        "lp_cost_vs_greedy": round(lp_cost / greedy_cost, 4),
        "lp_fill_rate": round(1 - result.series_plan["shortage_qty"].sum() / inp.demand.sum(), 4),
        "greedy_fill_rate": round(1 - greedy.shortage.sum() / inp.demand.sum(), 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--warehouse", type=Path, default=Path(__file__).resolve().parents[1] / "var" / "warehouse.duckdb")
    ap.add_argument("--cycle", default="2026-01")
    ap.add_argument("--scales", nargs="+", type=int, default=[1, 10])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    with duckdb.connect(str(args.warehouse), read_only=True) as con:
        base = load_inputs(con, args.cycle)
    results = {f"{k}x": measure(scaled(base, k), args.repeats) for k in args.scales}
    print(
        f"{'scale':<6}{'series':>8}{'variables':>11}{'constraints':>13}{'LP s':>8}{'+RSS MB':>9}"
        f"{'greedy s':>10}{'LP/greedy cost':>16}{'fill LP':>9}{'fill greedy':>13}"
    )
    for k, r in results.items():
        print(
            f"{k:<6}{r['series']:>8}{r['variables']:>11,}{r['constraints']:>13,}{r['lp_seconds_median']:>8.2f}"
            f"{r['peak_rss_growth_mb']:>9.0f}{r['greedy_seconds']:>10.2f}{r['lp_cost_vs_greedy']:>16.3f}"
            f"{r['lp_fill_rate']:>9.3f}{r['greedy_fill_rate']:>13.3f}"
        )
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "plan_benchmark.json"
    machine = {"cpus": os.cpu_count(), "python": platform.python_version()}
    path.write_text(json.dumps({"cycle": args.cycle, "results": results, "machine": machine}, indent=2) + "\n")
    print(f"written: {path}")


if __name__ == "__main__":
    main()
