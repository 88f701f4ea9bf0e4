"""The three `dbt build` steps of a cycle on the sample company, against DuckDB, parse time apart.

    .venv/bin/python -m benchmarks.dbt_benchmark --repeats 3 [--skus 200] [--bucket month]

Each repeat: a full `dbt parse` into an empty target folder (what a changed project costs), then the cycle's
steps from that parse state, as the pipeline runs them: `dbt build --select tag:history`, the forecast,
`tag:post_forecast`, the plan, `tag:review` (the Python stages are not timed). Wall-clock of the dbt
subprocess, so dbt's own start-up (3-4 s of imports) is included as a cycle pays it. The warehouse is
ingested once; repeats rebuild it in place (every model is idempotent for its cycle). Prints a table and
writes benchmarks/results/dbt_benchmark.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from sop.settings import DBT_PROJECT_DIR, dbt_executable

RESULTS = Path(__file__).parent / "results"
STEPS = ("history", "post_forecast", "review")


def _dbt(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(
        [dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(proc.stdout[-3000:])
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skus", type=int, default=200)
    ap.add_argument("--bucket", default="month")
    args = ap.parse_args()

    import duckdb

    from sop.buckets import planning_bucket
    from sop.contract import ENTITIES
    from sop.ingest import load_entity
    from sop.sample_company import SampleConfig, generate, write_landing
    from sop.stages import forecast, plan

    cfg = SampleConfig(n_skus=args.skus)
    home = Path(tempfile.mkdtemp(prefix="sop-dbt-bench-"))
    write_landing(generate(cfg), home / "landing")
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        rows = sum(r.loaded_rows for e in ENTITIES for r in load_entity(con, e, home / "landing", home / "archive"))
    env = {
        **os.environ,
        "SOP_WAREHOUSE": str(home / "warehouse.duckdb"),
        "SOP_CYCLE_ID": cfg.cycle_id,
        "SOP_BUCKET": args.bucket,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    bucket = planning_bucket(args.bucket)
    # the Python stage that runs after each dbt step in a cycle, on the warehouse it built
    stage_after = {
        "history": lambda con: forecast.run(con, cfg.cycle_id, home / "models", forecast.ForecastConfig(bucket=bucket)),
        "post_forecast": lambda con: plan.run(con, cfg.cycle_id, plan.PlanConfig(bucket=bucket)),
    }
    runs = []
    for _ in range(args.repeats):
        target = home / "target"
        shutil.rmtree(target, ignore_errors=True)
        run = {"parse_s": _dbt(["parse", "--target-path", str(target)], env)}
        for tag in STEPS:
            run[f"{tag}_s"] = _dbt(["build", "--select", f"tag:{tag}", "--target-path", str(target)], env)
            if tag in stage_after:
                with duckdb.connect(str(home / "warehouse.duckdb")) as con:
                    stage_after[tag](con)
        runs.append(run)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        mart_rows = con.execute("select count(*) from marts.fct_demand_history").fetchone()[0]
    shutil.rmtree(home, ignore_errors=True)

    summary = {
        "skus": args.skus,
        "bucket": args.bucket,
        "landing_rows": rows,
        "fct_demand_history_rows": mart_rows,
        "repeats": args.repeats,
        "runs": runs,
        **{f"median_{key}": statistics.median(r[key] for r in runs) for key in runs[0]},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "dbt_benchmark.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"{'step':<34}{'median s':>10}{'runs':>24}")
    for key in runs[0]:
        label = "dbt parse (full, empty target)" if key == "parse_s" else f"dbt build tag:{key[:-2]}"
        values = ", ".join(f"{r[key]:.1f}" for r in runs)
        print(f"{label:<34}{summary['median_' + key]:>10.1f}{values:>24}")
    print(f"{rows:,} landing rows, {mart_rows:,} rows in fct_demand_history ({args.skus} SKUs, {args.bucket}s)")


if __name__ == "__main__":
    main()
