"""Run dbt the way the cycle does (a subprocess with the cycle in the environment), against DuckDB or
PostgreSQL, for the dbt tests."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import duckdb

from sop.contract import ENTITIES
from sop.ingest import load_entity
from sop.settings import DBT_PROJECT_DIR, dbt_executable
from tests.conftest import SMALL


def dbt(command: str, select: str, target_path: Path, env: dict[str, str], target: str = "duckdb"):
    """``dbt <command> --select <select>``; returns the process and its run results."""
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
            command,
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
