"""Run dbt the way the cycle does (a subprocess with the cycle in the environment), against DuckDB or
PostgreSQL, for the dbt tests; and whole cycles of dbt and the Python stages, without Dagster."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb

from sop.contract import ENTITIES
from sop.ingest import load_entity
from sop.settings import DBT_PROJECT_DIR, dbt_executable
from tests.conftest import SMALL


def dbt(
    command: str, select: str, target_path: Path, env: dict[str, str], target: str = "duckdb", extra: list[str] = ()
):
    """``dbt <command> --select <select>`` (cycle SMALL's unless env sets SOP_CYCLE_ID); returns the process and
    its run results."""
    env = {
        **os.environ,
        "SOP_CYCLE_ID": SMALL.cycle_id,
        "SOP_BUCKET": "month",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **env,
    }
    proc = subprocess.run(
        [
            dbt_executable(),
            *command.split(),
            "--select",
            select,
            "--target",
            target,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target_path),
            *extra,
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    results_file = target_path / "run_results.json"
    results = json.loads(results_file.read_text())["results"] if results_file.exists() else []
    return proc, results


def land(home: Path, frames) -> Path:
    """The small company written to a landing folder and ingested into a new DuckDB warehouse."""
    from sop.sample_company import write_landing

    write_landing(frames, home / "landing")
    warehouse = home / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        for entity in ENTITIES:
            load_entity(con, entity, home / "landing", home / "archive")
    return warehouse


def build_history(home: Path, frames, bucket: str):
    """Land the small company and `dbt build` the history models in ``bucket``s, as the cycle does."""
    warehouse = land(home, frames)
    proc, results = dbt(
        "build", "tag:history", home / "target", {"SOP_WAREHOUSE": str(warehouse), "SOP_BUCKET": bucket}
    )
    return proc, results, warehouse


@dataclass
class Built:
    warehouse: Path
    steps: list[tuple[str, subprocess.CompletedProcess, list[dict]]]  # (cycle and tag, process, results)

    @property
    def failures(self) -> list[str]:
        return [f"{step}: {proc.stdout[-3000:]}" for step, proc, _ in self.steps if proc.returncode != 0]

    @property
    def results(self) -> list[dict]:
        return [r for *_, results in self.steps for r in results]


def build_cycles(home: Path, frames, cycles: list[str]) -> Built:
    """Land the small company, then run each cycle's dbt steps and Python stages in order, as the job does
    (history, forecast, post_forecast, plan, review), in monthly buckets: the forecast and plan archives then
    hold every cycle, and the last cycle's review marts score the earlier ones."""
    from sop.buckets import planning_bucket
    from sop.stages import forecast, plan

    month = planning_bucket("month")
    warehouse = land(home, frames)
    steps = []

    def step(cycle: str, tag: str) -> None:
        env = {"SOP_WAREHOUSE": str(warehouse), "SOP_CYCLE_ID": cycle}
        steps.append((f"{cycle} {tag}", *dbt("build", f"tag:{tag}", home / "target" / cycle / tag, env)))

    for cycle in cycles:
        step(cycle, "history")
        with duckdb.connect(str(warehouse)) as con:
            forecast.run(con, cycle, home / "models" / cycle, forecast.ForecastConfig(bucket=month))
        step(cycle, "post_forecast")
        with duckdb.connect(str(warehouse)) as con:
            plan.run(con, cycle, plan.PlanConfig(bucket=month))
        step(cycle, "review")
    return Built(warehouse, steps)
