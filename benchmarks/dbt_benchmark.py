"""`dbt build` of the history models on the sample company, parse time apart, against DuckDB.

    .venv/bin/python -m benchmarks.dbt_benchmark --repeats 3 [--skus 200] [--bucket month]

Each repeat: a full `dbt parse` into an empty target folder (what a changed project costs), then `dbt build
--select tag:history` from that manifest (what every cycle pays), on a warehouse freshly ingested once.
Wall-clock of the dbt subprocess, so dbt's own start-up (about 2 s of imports) is included as a cycle pays
it. Prints a table and writes benchmarks/results/dbt_benchmark.json.
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

    from sop.contract import ENTITIES
    from sop.ingest import load_entity
    from sop.sample_company import SampleConfig, generate, write_landing

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
    runs = []
    for _ in range(args.repeats):
        target = home / "target"
        shutil.rmtree(target, ignore_errors=True)
        parse = _dbt(["parse", "--target-path", str(target)], env)
        build = _dbt(["build", "--select", "tag:history", "--target-path", str(target)], env)
        runs.append({"parse_s": parse, "build_s": build})
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
        "median_parse_s": statistics.median(r["parse_s"] for r in runs),
        "median_build_s": statistics.median(r["build_s"] for r in runs),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "dbt_benchmark.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"{'step':<32}{'median s':>10}{'runs':>30}")
    for key, label in (("parse_s", "dbt parse (full, empty target)"), ("build_s", "dbt build tag:history")):
        values = ", ".join(f"{r[key]:.1f}" for r in runs)
        print(f"{label:<32}{summary['median_' + key]:>10.1f}{values:>30}")
    print(f"{rows:,} landing rows, {mart_rows:,} rows in fct_demand_history ({args.skus} SKUs, {args.bucket}s)")


if __name__ == "__main__":
    main()
