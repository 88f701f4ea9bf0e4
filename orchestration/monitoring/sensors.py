"""Failed runs: a clear log line and a record, whatever job failed and however it was started."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from sop.settings import paths


def failure_record(run: dg.DagsterRun, message: str, failed_steps: list[str]) -> dict:
    return {
        "failed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_id": run.run_id,
        "job": run.job_name,
        "cycle_id": run.tags.get("dagster/partition"),
        "failed_steps": failed_steps,
        "message": message,
        "tags": {k: v for k, v in run.tags.items() if k.startswith("sop/")},
    }


def record_failed_run(log: Path, record: dict) -> bool:
    """Append a failed run's record to the log once: the CLI records the runs it started as they end, the sensor
    (when `make ui` runs the daemon) every failed run, so either may come second."""
    log.parent.mkdir(parents=True, exist_ok=True)
    if log.exists() and any(json.loads(line).get("run_id") == record["run_id"] for line in log.open() if line.strip()):
        return False
    with log.open("a") as f:
        f.write(json.dumps(record, sort_keys=True) + "\n")
    return True


@dg.run_failure_sensor(
    name="failed_runs_sensor",
    monitor_all_code_locations=False,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Records every failed run in $SOP_HOME/logs/failed_runs.jsonl and logs one line naming the cycle, "
    "the failed steps and the error.",
)
def failed_runs_sensor(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    failed_steps = sorted({e.step_key for e in context.get_step_failure_events() if e.step_key})
    message = context.failure_event.message or "run failed"
    record = failure_record(run, message, failed_steps)
    log = paths().failed_runs_log
    record_failed_run(log, record)
    context.log.error(
        f"S&OP run {run.run_id[:8]} ({run.job_name}, cycle {record['cycle_id'] or '-'}) failed"
        f" in {', '.join(failed_steps) or 'no step'}: {message} (recorded in {log})"
    )
