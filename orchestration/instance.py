"""The Dagster instance's settings under SOP_HOME: one warehouse writer at a time, and no telemetry."""

from __future__ import annotations

from pathlib import Path

INSTANCE_YAML = """\
# Written by open-sop (orchestration/instance.py). Edit freely: it is only written when missing.
concurrency:
  pools:
    # the only pool is duckdb_warehouse: DuckDB takes one writing process at a time
    default_limit: 1
# runs launched from the UI: the daemon fails a run whose worker died and frees the warehouse slot it held
# (runs the CLI starts in process are recovered by the next one: orchestration/run.py)
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  max_resume_run_attempts: 0
  free_slots_after_run_end_seconds: 30
telemetry:
  enabled: false
"""


def ensure_instance_config(dagster_home: Path) -> Path:
    dagster_home.mkdir(parents=True, exist_ok=True)
    path = dagster_home / "dagster.yaml"
    if not path.exists():
        path.write_text(INSTANCE_YAML)
    return path


if __name__ == "__main__":
    import os

    from sop.settings import export_environment

    export_environment()
    print(ensure_instance_config(Path(os.environ["DAGSTER_HOME"])))
