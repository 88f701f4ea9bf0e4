"""`make bench`: the full S&OP cycle at growing sizes, stage by stage, direct and through Dagster.

Each size of the sample company runs directly and through Dagster, with each process's peak memory. Prints a
table and writes benchmarks/results/scale_benchmark.json.

    .venv/bin/python -m benchmarks.scale_benchmark [--sizes 1k,10k[,100k]] [--repeats 3]

A size is a number of sku x location series with 36 months of history. A mode whose run is shorter than a
minute is repeated (median of --repeats); a longer one runs once. Every run is a fresh process and SOP_HOME
(benchmarks/cycle_benchmark.py), so imports count as they do for a user.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.cycle_benchmark import RESULTS, measure
from sop.sample_company import SampleConfig
from sop.settings import column_metadata_cache

SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
SERIES_PER_SKU = 4.6  # the sample's assortment over 12 locations (sop/sample_company/demand.py), measured
SHORT_RUN_S = 60
MODES = ("direct", "in_process")


def config_for(series: int) -> SampleConfig:
    return SampleConfig(n_skus=max(10, round(series / SERIES_PER_SKU)), history_months=36)


def run_size(name: str, repeats: int, modes: tuple[str, ...] = MODES, floors: bool = True) -> dict:
    cfg = config_for(SIZES[name])
    runs: dict[str, list[dict]] = {mode: [] for mode in modes}
    for i in range(repeats):
        for mode in runs:  # interleaved: drift in the machine hits both alike
            if i and runs[mode][0]["process_wall_s"] > SHORT_RUN_S:
                continue  # a long run is measured once
            # a fresh checkout's first Dagster cycle parses every model's column lineage once (about 14 s)
            warm = column_metadata_cache().exists()
            with tempfile.TemporaryDirectory() as home:
                runs[mode].append(measure(mode, cfg.n_skus, Path(home), cfg, floors=floors and mode == "direct"))
            runs[mode][-1]["lineage_cache_warm"] = warm
            print(f"{name} {mode} run {i + 1}: {runs[mode][-1]['process_wall_s']:.1f}s", file=sys.stderr)
    median = {
        mode: {
            "runs": len(rs),
            "wall_s": statistics.median(r["process_wall_s"] for r in rs),
            "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in rs),
            "stages_s": {k: statistics.median(r["stages"].get(k, 0.0) for r in rs) for k in rs[0]["stages"]},
            "all_wall_s": [round(r["process_wall_s"], 1) for r in rs],
            "lineage_cache_warm": [r["lineage_cache_warm"] for r in rs],
        }
        for mode, rs in runs.items()
    }
    out = {"skus": cfg.n_skus, "history_months": cfg.history_months, **median}
    if len(median) == len(MODES):
        out["dagster_overhead_s"] = median["in_process"]["wall_s"] - median["direct"]["wall_s"]
    if not (floors and "direct" in runs):
        return out
    peer = [r["floors"]["forecast_peer"] for r in runs["direct"]]
    aggregation = [r["floors"]["duckdb"] for r in runs["direct"]]
    return {
        **out,
        "floors": {
            "forecast_lightgbm_work_ours_s": statistics.median(p["ours_s"] for p in peer),
            "forecast_lightgbm_work_mlforecast_s": statistics.median(p["mlforecast_s"] for p in peer),
            "forecast_ours_vs_mlforecast": statistics.median(p["ours_s"] / p["mlforecast_s"] for p in peer),
            "order_lines": aggregation[0]["order_lines"],
            "duckdb_aggregate_s": statistics.median(a["aggregate_s"] for a in aggregation),
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1k,10k", help="comma-separated: 1k, 10k, 100k")
    ap.add_argument("--repeats", type=int, default=3, help="runs of a size whose cycle is under a minute")
    ap.add_argument("--modes", default=",".join(MODES), help="direct, in_process (through Dagster), or both")
    ap.add_argument("--no-floors", action="store_true", help="skip the mlforecast and DuckDB comparisons")
    args = ap.parse_args()
    modes = tuple(m.strip() for m in args.modes.split(","))
    if set(modes) - set(MODES):
        ap.error(f"--modes: choose from {', '.join(MODES)}")
    sizes = [s.strip() for s in args.sizes.split(",")]
    unknown = set(sizes) - set(SIZES)
    if unknown:
        ap.error(f"unknown size(s) {', '.join(sorted(unknown))}; choose from {', '.join(SIZES)}")
    started = time.perf_counter()
    results = {name: run_size(name, args.repeats, modes, not args.no_floors) for name in sizes}
    print_table(results, sizes)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "scale_benchmark.json"
    # sizes run now replace theirs; the others keep their last measurement
    earlier = json.loads(path.read_text()).get("sizes", {}) if path.exists() else {}
    total = round(time.perf_counter() - started, 1)
    now = {name: {"target_series": SIZES[name], "command_total_s": total, **r} for name, r in results.items()}
    payload = {"cpu_count": os.cpu_count(), "python": platform.python_version(), "sizes": {**earlier, **now}}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\nwritten: {path}")


def print_table(results: dict, sizes: list[str]) -> None:
    first = next(iter(results.values()))
    stages = list(first["direct"]["stages_s"]) if "direct" in first else []
    print(f"\nFull S&OP cycle by size, {os.cpu_count()} cores, seconds (median where repeated)")
    print(f"{'':<30}" + "".join(f"{name:>12}" for name in sizes))
    rows = [(f"direct: {stage}", lambda r, s=stage: r["direct"]["stages_s"][s]) for stage in stages]
    rows += [
        ("direct: whole process", lambda r: r["direct"]["wall_s"]),
        ("Dagster: whole process", lambda r: r["in_process"]["wall_s"]),
        ("Dagster overhead", lambda r: r["dagster_overhead_s"]),
        ("peak RSS direct (MB)", lambda r: r["direct"]["peak_rss_mb"]),
        ("peak RSS Dagster (MB)", lambda r: r["in_process"]["peak_rss_mb"]),
        ("LightGBM work: ours", lambda r: r["floors"]["forecast_lightgbm_work_ours_s"]),
        ("LightGBM work: mlforecast", lambda r: r["floors"]["forecast_lightgbm_work_mlforecast_s"]),
        ("ours / mlforecast", lambda r: r["floors"]["forecast_ours_vs_mlforecast"]),
        ("DuckDB: order lines summed", lambda r: r["floors"]["duckdb_aggregate_s"]),
    ]
    for label, value in rows:
        cells = []
        for n in sizes:
            try:
                cells.append(f"{value(results[n]):>12.2f}")
            except KeyError:  # a mode or the floors not run this time
                cells.append(f"{'-':>12}")
        print(f"{label:<30}" + "".join(cells))


if __name__ == "__main__":
    main()
