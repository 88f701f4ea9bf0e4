"""Time one S&OP cycle on the sample company: through Dagster (in-process and multiprocess executors) and as
direct library calls, each from an empty SOP_HOME, in fresh processes. Prints a table, writes JSON.

    .venv/bin/python -m benchmarks.cycle_benchmark --repeats 3 [--skus 200] [--multiprocess]

Each measurement runs in its own process (`_worker`), so import costs count as they do for a user, and
peak memory is that process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def _direct(cycle: str) -> dict:
    """The cycle's stages called directly, in the job's order: what Dagster adds is the difference."""
    import duckdb

    from expectations.report import record, write_html
    from expectations.validate import validate_entity
    from sop.contract import ENTITIES
    from sop.ingest import load_entity
    from sop.settings import DBT_BUILD, DBT_PROJECT_DIR, dbt_executable, export_environment, scenarios_dir
    from sop.stages import forecast, pack, plan, publish

    paths = export_environment()
    os.environ["SOP_CYCLE_ID"] = cycle
    stages: dict[str, float] = {}

    def timed(name, fn):
        t = time.perf_counter()
        out = fn()
        stages[name] = stages.get(name, 0.0) + time.perf_counter() - t
        return out

    def dbt(select):
        cmd = [
            dbt_executable(),
            *DBT_BUILD,
            "--select",
            select,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--quiet",
        ]
        subprocess.run(cmd, check=True)

    with duckdb.connect(str(paths.warehouse)) as con:
        for e in ENTITIES:
            timed("ingest", lambda e=e: load_entity(con, e, paths.landing, paths.archive))
        for e in ENTITIES:  # as the Dagster asset checks do (orchestration/quality/checks.py)

            def check(e=e):
                record(con, validate_entity(con, e, cycle), cycle, "direct")
                write_html(con, cycle, paths.quality / cycle / "validation.html")

            timed("validate", check)
    timed("dbt_history", lambda: dbt("tag:history"))
    with duckdb.connect(str(paths.warehouse)) as con:
        summary = timed("forecast", lambda: forecast.run(con, cycle, paths.models / cycle))
    stages.update({f"forecast: {part}": sec for part, sec in summary["seconds"].items()})
    timed("dbt_post_forecast", lambda: dbt("tag:post_forecast"))
    with duckdb.connect(str(paths.warehouse)) as con:
        timed("plan", lambda: plan.run(con, cycle))
        timed("scenarios", lambda: plan.run_scenarios(con, cycle, scenarios_dir()))
    timed("dbt_review", lambda: dbt("tag:review"))
    timed("publish", lambda: publish.run(paths, cycle, "direct"))
    timed("executive_pack", lambda: pack.run(paths, cycle))
    return stages


def _dagster(cycle: str, executor: str) -> dict:
    import dagster as dg

    from sop.settings import export_environment

    export_environment()
    if executor == "in_process":
        from orchestration.run import run_cycle

        with dg.DagsterInstance.ephemeral() as instance:
            run = run_cycle(cycle, instance, log_level="ERROR")
        assert run.published, run.failed_steps
        return run.step_seconds
    with tempfile.TemporaryDirectory() as home:
        # the multiprocess executor needs a persistent instance to hand steps to child processes
        from orchestration.instance import ensure_instance_config

        os.environ["DAGSTER_HOME"] = home
        ensure_instance_config(Path(home))
        with dg.DagsterInstance.get() as instance:
            result = dg.execute_job(
                dg.reconstructable(multiprocess_job),
                instance=instance,
                tags={"dagster/partition": cycle},
                run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
            )
            assert result.success
            stats = instance.get_run_step_stats(result.run_id)
            return {s.step_key: s.end_time - s.start_time for s in stats if s.end_time and s.start_time}


def multiprocess_job():
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.partitions import cycle_partitions

    job = dg.define_asset_job(
        "sop_cycle_multiprocess",
        selection=dg.AssetSelection.all(),
        partitions_def=cycle_partitions,
        executor_def=dg.multiprocess_executor,
    )
    return dg.Definitions.merge(defs, dg.Definitions(jobs=[job])).resolve_job_def("sop_cycle_multiprocess")


def _worker(mode: str, cycle: str, floors: bool = False) -> None:
    started = time.perf_counter()
    stages = _direct(cycle) if mode == "direct" else _dagster(cycle, mode)
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {"wall_s": wall, "peak_rss_mb": peak_mb, "stages": stages}
    if floors:  # after the cycle and its peak memory, on the warehouse it left (benchmarks/floors.py)
        import duckdb

        from benchmarks.floors import measure as measure_floors
        from sop.settings import paths

        floors_started = time.perf_counter()
        with duckdb.connect(str(paths().warehouse)) as con:
            out["floors"] = measure_floors(con)
        out["floors_s"] = time.perf_counter() - floors_started  # not the cycle's: measure() takes it off
    print(json.dumps(out))


def measure(mode: str, skus: int, home: Path, cfg=None, floors: bool = False) -> dict:
    """One cycle of the sample company (``skus`` SKUs, or ``cfg``) in a fresh process and SOP_HOME; with
    ``floors``, then what its stages are measured against (benchmarks/floors.py)."""
    from sop.sample_company import SampleConfig, generate, write_landing

    cfg = cfg or SampleConfig(n_skus=skus)
    env = {**os.environ, "SOP_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("SOP_WAREHOUSE", None)
    write_landing(generate(cfg), home / "landing")
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.cycle_benchmark", "--worker", mode, cfg.cycle_id]
        + (["--floors"] if floors else []),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    process_wall = time.perf_counter() - started
    if out.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{out.stderr[-4000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = process_wall - result.get("floors_s", 0.0)  # with interpreter start and imports
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skus", type=int, default=200)
    ap.add_argument("--multiprocess", action="store_true", help="also time the multiprocess executor (once)")
    ap.add_argument("--worker", nargs=2, metavar=("MODE", "CYCLE"), help=argparse.SUPPRESS)
    ap.add_argument("--floors", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        _worker(*args.worker, floors=args.floors)
        return

    modes = {"in_process": args.repeats, "direct": args.repeats}
    if args.multiprocess:
        modes["multiprocess"] = 1
    runs: dict[str, list[dict]] = {m: [] for m in modes}
    for i in range(args.repeats):
        for mode, n in modes.items():  # interleaved, so drift in the machine hits every mode alike
            if i < n:
                with tempfile.TemporaryDirectory() as home:
                    runs[mode].append(measure(mode, args.skus, Path(home)))
                    print(f"{mode} run {i + 1}: {runs[mode][-1]['process_wall_s']:.1f}s", file=sys.stderr)

    summary = {
        mode: {
            "runs": len(rs),
            "median_process_wall_s": statistics.median(r["process_wall_s"] for r in rs),
            "median_peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in rs),
            "median_stage_s": {k: statistics.median(r["stages"].get(k, 0.0) for r in rs) for k in rs[0]["stages"]},
            "all_process_wall_s": [round(r["process_wall_s"], 2) for r in rs],
        }
        for mode, rs in runs.items()
    }
    base = summary["direct"]["median_process_wall_s"]
    print(
        f"\nS&OP cycle on the sample company ({args.skus} SKUs), medians of {args.repeats} runs, {os.cpu_count()} cores"
    )
    print(f"{'mode':<14}{'wall (s)':>10}{'vs direct':>11}{'peak RSS (MB)':>15}   runs (s)")
    for mode, s in summary.items():
        print(
            f"{mode:<14}{s['median_process_wall_s']:>10.1f}{s['median_process_wall_s'] / base:>10.2f}x"
            f"{s['median_peak_rss_mb']:>15.0f}   {s['all_process_wall_s']}"
        )
    print("\nDagster steps (in_process, median s):")
    for step, sec in sorted(summary["in_process"]["median_stage_s"].items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {step:<48}{sec:>7.2f}")
    print("Direct stages (median s):", {k: round(v, 2) for k, v in summary["direct"]["median_stage_s"].items()})
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "cycle_benchmark.json"
    path.write_text(
        json.dumps(
            {
                "skus": args.skus,
                "repeats": args.repeats,
                "cpu_count": os.cpu_count(),
                "python": platform.python_version(),
                "summary": summary,
            },
            indent=2,
        )
    )
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
