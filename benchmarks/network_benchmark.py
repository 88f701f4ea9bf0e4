"""The network LP (sop/planning/network.py) on synthetic networks of 1k and 10k series (SKU x DC), beside the
single-echelon LP on the same demand and machine hours.

    .venv/bin/python -m benchmarks.network_benchmark [--sizes 0.1k,0.3k,1k] [--sample-sizes 1k,10k,100k]

The plan stage's network plan at 1k, 10k and 100k series on the sample company's network
(sop/sample_company/network.py, built as the stage builds it; the whole LP up to 15k series, chunks above:
sop/planning/network_split.py), beside the single-echelon LP of the same series, each size in a fresh process;
at 10k also planned in chunks, against the whole LP's optimum; and on small synthetic networks, constrained and
not, against the sequential heuristic.

Each network: 3 plants with a machine and a crew each, 10 DCs (a lane from every plant, 0-1 bucket transit),
SKUs made at one or two plants, 2-level BOMs (one intermediate per 10 SKUs: postponement), 60 components from
10 suppliers with 1-3 bucket lead times, 18 monthly buckets; sized to meet its demand (hours and supplier
capacity above the expected load, components in stock for the lead times), and once more constrained (crews,
suppliers and component stock short of it). Per size: LP size, seconds (median of the repeats, alternated with
the single-echelon LP on the same demand and machine hours), peak RSS growth, the share of demand lost, the
constrained network's seconds and lost share; up to 1k series, the sequential heuristic's time and how much
more its plan costs on both. Prints a table, writes benchmarks/results/network_benchmark.json.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import resource
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from sop.planning.network import COLUMNS, Network, plan
from sop.planning.network_heuristic import heuristic_plan, plan_cost
from sop.planning.network_split import CHUNK_SERIES, chunk_count, plan_network, series_count
from sop.planning.supply_plan import PlanInputs, solve

RESULTS = Path(__file__).parent / "results"
SIZES = {"0.1k": 10, "0.3k": 30, "1k": 100, "10k": 1000, "100k": 10000}  # SKUs; x 10 DCs = series
# the sequential heuristic is plain Python, one demand at a time: compared up to 1k series (minutes there)
HEURISTIC_SIZES = ("0.1k", "0.3k", "1k")
DCS, PLANTS, T = [f"D{k:02d}" for k in range(10)], ["P1", "P2", "P3"], 18


def synthetic(skus: int, seed: int = 0, constrained: bool = False) -> Network:
    """A network sized to meet its demand (hours, supplier capacity and stock above what the expected demand
    needs, as a company that plans its capacity has), or ``constrained``: crews, suppliers and component stock
    short of it, so that the plan must choose what to lose (where the heuristic's greed costs most)."""
    rng = np.random.default_rng(seed)
    sku = [f"S{k:05d}" for k in range(skus)]
    inter = [f"I{k:04d}" for k in range(max(1, skus // 10))]
    comps = [f"C{k:02d}" for k in range(60)]
    items = pd.DataFrame(
        {
            "item_id": sku + inter + comps,
            "unit_cost": np.concatenate(
                [rng.uniform(3, 9, skus), rng.uniform(1, 3, len(inter)), rng.uniform(0.1, 1, 60)]
            ),
        }
    )
    level = rng.gamma(2.0, 20.0, (skus, len(DCS)))
    season = 1 + 0.2 * np.sin(np.arange(T) / 12 * 2 * np.pi)
    qty = np.round(level[:, :, None] * season[None, None, :] * rng.uniform(0.7, 1.3, (skus, len(DCS), T)))
    s_idx, d_idx, t_idx = np.meshgrid(np.arange(skus), np.arange(len(DCS)), np.arange(T), indexing="ij")
    price = rng.uniform(10, 20, skus)
    demand = pd.DataFrame(
        {
            "item_id": np.array(sku)[s_idx.ravel()],
            "node_id": np.array(DCS)[d_idx.ravel()],
            "bucket": t_idx.ravel(),
            "qty": qty.ravel(),
            "net_price": price[s_idx.ravel()],
        }
    )
    home = rng.integers(0, 3, skus)
    second = rng.random(skus) < 0.4  # 40% of SKUs qualified at a second plant
    rows = [(f"{s}@{PLANTS[h]}", s, PLANTS[h], 0.2) for s, h in zip(sku, home, strict=True)]
    rows += [
        (f"{s}@{PLANTS[(h + 1) % 3]}", s, PLANTS[(h + 1) % 3], 0.35)
        for s, h, x in zip(sku, home, second, strict=True)
        if x
    ]
    # an intermediate is made where its SKUs are finished (a constrained network: at P1 only)
    rows += [(f"{i}@{p}", i, p, 0.1) for i in inter for p in (["P1"] if constrained else PLANTS)]
    routings = pd.DataFrame(rows, columns=["routing_id", "item_id", "plant_id", "cost_per_unit"])
    routing_resources = pd.concat(
        [
            routings.assign(resource_id=routings["plant_id"] + "-M", hours_per_unit=0.01),
            routings.assign(resource_id=routings["plant_id"] + "-crew", hours_per_unit=0.006),
        ]
    )[["routing_id", "resource_id", "hours_per_unit"]]
    load = demand["qty"].sum() / T * 0.01 / 3  # machine hours a plant needs per bucket, on average
    share = {"M": 0.95, "crew": 0.7} if constrained else {"M": 1.25, "crew": 0.8}  # crews: 0.6 of line hours
    resources = pd.DataFrame(
        [(f"{p}-{k}", t, load * share[k], 0.15, 80.0) for p in PLANTS for k in ("M", "crew") for t in range(T)],
        columns=["resource_id", "bucket", "hours", "overtime_share", "overtime_cost_per_hour"],
    )
    parent_of = {s: inter[k // 10] for k, s in enumerate(sku)}
    bom = []
    for r in routings.itertuples():
        if r.item_id.startswith("S"):
            if int(r.item_id[1:]) % 10 < 3:  # postponed: made from its family's intermediate
                bom.append((r.item_id, parent_of[r.item_id], r.plant_id, 1.0))
            for c in rng.choice(comps, 2, replace=False):
                bom.append((r.item_id, c, r.plant_id, float(rng.integers(1, 4))))
        else:
            bom.append((r.item_id, comps[0], r.plant_id, 2.0))
    bom = pd.DataFrame(bom, columns=["parent_id", "component_id", "plant_id", "qty_per"]).assign(
        first_bucket=0, last_bucket=T - 1
    )
    # each component's need per bucket and plant if every SKU were made at its home plant
    per_sku = demand.groupby("item_id")["qty"].sum() / T
    lines = bom[bom["parent_id"].isin(per_sku.index)]
    first = (lines["qty_per"] * lines["parent_id"].map(per_sku)).groupby(lines["component_id"]).sum()
    below = bom[bom["parent_id"].isin(first.index)]  # the intermediates' own components
    need = first.add(
        (below["qty_per"] * below["parent_id"].map(first)).groupby(below["component_id"]).sum(), fill_value=0
    )
    need = need.reindex(comps).fillna(per_sku.sum() / 10) / 3 * (0.8 if constrained else 1.5)
    sources = pd.DataFrame(
        [
            (
                f"{c}-V{v}-{p}",
                c,
                f"V{v}",
                p,
                int(rng.integers(1, 4)),
                float(rng.uniform(0.1, 1.0)),
                0.0,
                float(need[c]),
                k,
            )
            for c in comps
            if c in need
            for k, v in enumerate(rng.choice(10, 2, replace=False))
            for p in PLANTS
        ],
        columns=list(COLUMNS["sources"]),
    )
    lanes = pd.DataFrame(
        [
            (f"{p}>{d}", p, d, int(rng.integers(0, 2)), float(rng.uniform(0.05, 0.3)), np.nan)
            for p in PLANTS
            for d in DCS
        ],
        columns=list(COLUMNS["lanes"]),
    )
    opening = pd.concat(
        [
            demand[demand["bucket"] == 0][["item_id", "node_id", "qty"]].assign(qty=lambda f: f["qty"] * 1.5),
            # components for the lead time: three buckets of need (a constrained network: a fixed 5000)
            pd.DataFrame(
                {
                    "item_id": comps * 3,
                    "node_id": np.repeat(PLANTS, 60),
                    "qty": 5000.0 if constrained else np.tile(need.to_numpy() * 3 / 1.5, 3),
                }
            ),
        ]
    )
    return Network(T, items, demand, routings, routing_resources, resources, bom, sources, lanes, opening)


def single_echelon(net: Network) -> PlanInputs:
    """The same demand and machine hours as today's plan sees them: each series made on its home machine."""
    first = net.routings.drop_duplicates("item_id").set_index("item_id")
    wide = net.demand.pivot_table(index=["item_id", "node_id"], columns="bucket", values="qty").fillna(0)
    keys = wide.index.to_frame(index=False).rename(columns={"item_id": "sku_id", "node_id": "location_id"})
    cost = net.items.set_index("item_id")["unit_cost"]
    price = net.demand.groupby("item_id")["net_price"].first()
    series = keys.assign(
        resource_id=keys["sku_id"].map(first["plant_id"]) + "-M",
        units_per_hour=100.0,
        unit_cost_amount=keys["sku_id"].map(cost),
        net_price_amount=keys["sku_id"].map(price),
        opening_qty=0.0,
        safety_stock_qty=0.0,
    )
    hours = net.resources[net.resources["resource_id"].str.endswith("-M")].pivot(
        index="resource_id", columns="bucket", values="hours"
    )
    return PlanInputs(series, wide.to_numpy(), pd.date_range("2026-01-01", periods=net.buckets, freq="MS"), hours)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(size: str, repeats: int) -> dict:
    net = synthetic(SIZES[size])
    before = _peak_mb()
    network_s, single_s, out = [], [], None
    for _ in range(repeats):  # paired and alternated: this machine's speed drifts within a minute
        started = time.perf_counter()
        out = plan(net)
        network_s.append(time.perf_counter() - started)
        single = single_echelon(net)
        started = time.perf_counter()
        solve(single)
        single_s.append(time.perf_counter() - started)
    peak = round(_peak_mb() - before)
    tight = synthetic(SIZES[size], constrained=True)
    started = time.perf_counter()
    tight_plan = plan(tight)
    tight_s = time.perf_counter() - started
    heuristic = {}
    if size in HEURISTIC_SIZES:
        for name, network, lp in (("", net, out), ("constrained_", tight, tight_plan)):
            started = time.perf_counter()
            sequential = heuristic_plan(network)
            heuristic[f"{name}heuristic_seconds"] = round(time.perf_counter() - started, 1)
            heuristic[f"{name}heuristic_cost_above_lp"] = round(
                plan_cost(network, sequential) / plan_cost(network, lp) - 1, 3
            )
    return {
        "size": size,
        "series": int(net.demand[["item_id", "node_id"]].drop_duplicates().shape[0]),
        "variables": out.variables,
        "constraints": out.constraints,
        "network_seconds": round(statistics.median(network_s), 2),
        "single_echelon_seconds": round(statistics.median(single_s), 2),
        "ratio": round(statistics.median(network_s) / statistics.median(single_s), 1),
        "peak_rss_growth_mb": peak,
        "shortage_share": round(out.short["qty"].sum() / net.demand["qty"].sum(), 4),
        "constrained_seconds": round(tight_s, 2),
        "constrained_shortage_share": round(tight_plan.short["qty"].sum() / tight.demand["qty"].sum(), 4),
        **heuristic,
    }


SAMPLE_SIZES = {"1k": 224, "10k": 2240, "100k": 22400}  # SKUs of the sample company: ~4.5 locations each


def measure_sample(size: str, repeats: int) -> dict:
    """The plan stage's network plan (``plan_network``: the whole LP, or chunks above WHOLE_SERIES series) on
    the sample company's network at ``size`` series, beside its single-echelon LP. Where the whole LP is solved
    (10k), the same network is also planned in chunks of CHUNK_SERIES series, the size 100k is planned in: what
    its chunks cost above the optimum. Run in a fresh process: its peak memory is its own."""
    net_in, inputs, costs = sample_network(SAMPLE_SIZES[size])
    net = net_in.network
    before = _peak_mb()
    network_s, single_s, out = [], [], None
    for _ in range(repeats):  # paired and alternated
        started = time.perf_counter()
        out = plan_network(net, costs)
        network_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        solve(inputs, costs)
        single_s.append(time.perf_counter() - started)
    chunks = chunk_count(net)
    row = {
        "size": f"sample {size}",
        "series": len(inputs.series),
        "method": "whole LP" if chunks == 1 else f"{chunks} chunks",
        "variables": out.variables,
        "constraints": out.constraints,
        "network_seconds": round(statistics.median(network_s), 2),
        "single_echelon_seconds": round(statistics.median(single_s), 2),
        "ratio": round(statistics.median(network_s) / statistics.median(single_s), 1),
        "peak_rss_mb": round(_peak_mb()),
        "peak_rss_growth_mb": round(_peak_mb() - before),
        "shortage_share": round(out.short["qty"].sum() / max(net.demand["qty"].sum(), 1e-9), 4),
    }
    if chunks == 1 and series_count(net) > CHUNK_SERIES:
        k = math.ceil(series_count(net) / CHUNK_SERIES)
        started = time.perf_counter()
        chunked = plan_network(net, costs, chunks=k)
        row |= {
            "chunks": k,
            "chunked_seconds": round(time.perf_counter() - started, 2),
            "chunked_cost_above_whole": round(chunked.objective / out.objective - 1, 5),
        }
    return row


def _in_a_fresh_process(size: str, repeats: int) -> dict:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(measure_sample, size, repeats).result()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="0.1k,0.3k,1k", help="synthetic networks, constrained and not")
    parser.add_argument("--sample-sizes", default="1k,10k,100k", help="the sample company's network")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = []

    path = RESULTS / "network_benchmark.json"
    earlier = json.loads(path.read_text())["rows"] if path.exists() else []

    def record(row: dict) -> None:  # written after each size: a long run killed keeps what it measured
        rows.append(row)
        print(row, flush=True)
        RESULTS.mkdir(exist_ok=True)
        # sizes run now replace theirs; the others keep their last measurement
        now = {r["size"]: r for r in rows}
        kept = [now.pop(r["size"], r) for r in earlier]
        out = {"machine": platform.platform(), "cpus": os.cpu_count(), "repeats": args.repeats,
               "rows": kept + list(now.values())}  # fmt: skip
        path.write_text(json.dumps(out, indent=2) + "\n")

    for size in filter(None, args.sizes.split(",")):
        record(measure(size, args.repeats))
    for size in filter(None, args.sample_sizes.split(",")):
        record(_in_a_fresh_process(size, 1 if size == "100k" else args.repeats))  # 100k: one run of minutes
    columns = list(dict.fromkeys(c for row in rows for c in row))
    print(" | ".join(columns))
    for row in rows:
        print(" | ".join(str(row.get(c, "")) for c in columns))


def sample_network(n_skus: int):
    """The sample company's network (sop/sample_company/network.py) at ``n_skus`` SKUs, as the plan stage builds
    it from the warehouse (``network_plan.build`` on the files' frames, without dbt): its expected demand over
    the horizon, the closing stock of its history at the distribution centres."""
    from sop.buckets import planning_bucket
    from sop.planning.supply_plan import PlanCosts
    from sop.sample_company import SampleConfig, master
    from sop.sample_company import demand as demand_model
    from sop.sample_company import network as network_model
    from sop.sample_company import supply as supply_model
    from sop.stages import network_plan

    cfg = SampleConfig(n_skus=n_skus)
    rng = np.random.default_rng(cfg.seed)
    fams, prods, locs = master.families(rng), master.products(cfg, rng), master.locations(cfg)
    routes = master.routings(cfg, prods, rng)
    master.fx_rates(cfg, rng)
    dem = demand_model.simulate(cfg, prods, locs, fams, rng)
    series = dem.series.merge(routes, on="sku_id", how="left").merge(locs, on="location_id", how="left")
    resources = sorted(routes["resource_id"].unique())
    idx = series["resource_id"].map({r: k for k, r in enumerate(resources)}).to_numpy()
    sup = supply_model.simulate(
        cfg, dem.expected, dem.realized, series["units_per_hour"].to_numpy(), idx, resources, rng
    )
    net = network_model.generate(cfg, prods, locs, routes, series, dem.expected, sup.on_hand[:, -1])
    where = {"source_file": "x.csv", "source_row": 0}
    capacity = pd.concat([sup.capacity.assign(resource_type="machine"), net.capacity], ignore_index=True)
    rows = pd.concat([routes, net.routings], ignore_index=True)
    data = {
        "products": prods.rename(columns={"sku_id": "item_id"})[["item_id", "unit_cost", "family_id"]],
        "items": net.items[["item_id", "unit_cost"]].assign(**where),
        "routing_rows": rows.rename(columns={"sku_id": "item_id"}).assign(cost_per_unit_amount=0.0),
        "capacity": capacity.groupby("resource_id", as_index=False)
        .agg(plant_id=("plant_id", "first"), resource_type=("resource_type", "first"))
        .assign(overtime_share=np.nan, overtime_cost_per_hour=np.nan),
        "types": capacity[["resource_id", "resource_type"]].drop_duplicates(),
        "bom": net.bom.rename(columns={"valid_from": "valid_from_date", "valid_to": "valid_to_date"}).assign(**where),
        "sources": net.supply_sources.rename(
            columns={"unit_price_eur": "unit_price_eur_amount", "currency": "currency_code"}
        ).assign(unit_price_amount=lambda f: f["unit_price_eur_amount"], min_qty_per_month=0.0, **where),
        "locations": locs[["location_id"]],
        "lanes": net.lanes.rename(
            columns={"from_node": "from_node_id", "to_node": "to_node_id", "cost_per_unit": "cost_per_unit_amount"}
        ).assign(**where),
        "plant_stock": net.plant_stock.rename(columns={"plant_id": "node_id", "on_hand_qty": "qty"}),
        "open_supply": net.open_supply.rename(columns={"due_month": "due_month_date"})[
            ["item_id", "node_id", "due_month_date", "qty"]
        ],
    }  # fmt: skip
    h, dates = cfg.history_months, pd.DatetimeIndex(cfg.horizon.start_time)
    price = dem.list_price[:, h] * (1 - dem.discount[:, h])
    keys = series.assign(
        opening_qty=sup.on_hand[:, -1].astype(float),
        safety_stock_qty=0.5 * dem.expected[:, h],
        net_price_amount=price,
        unit_cost_amount=series["sku_id"].map(prods.set_index("sku_id")["unit_cost"]),
    )
    hours = (
        capacity.assign(month=pd.to_datetime(capacity["month"]))
        .pivot_table(index="resource_id", columns="month", values="available_hours", aggfunc="sum")
        .reindex(columns=dates)
        .fillna(0.0)
    )
    inputs = PlanInputs(keys, np.round(dem.expected[:, h:]), dates, hours)
    costs = PlanCosts()
    return network_plan.build(data, inputs, planning_bucket("month"), costs), inputs, costs


if __name__ == "__main__":
    main()
