"""Run one cycle of the job in this process, recorded in a Dagster instance (the CLI and tests use it)."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg


@dataclass
class CycleRun:
    cycle_id: str
    run_id: str
    success: bool
    failed_steps: list[str]
    skipped_steps: list[str]
    step_seconds: dict[str, float]

    @property
    def published(self) -> bool:
        return self.success and "publish__sop_plan" not in self.skipped_steps


def run_cycle(cycle_id: str, instance: dg.DagsterInstance, log_level: str = "INFO") -> CycleRun:
    from orchestration.definitions import defs

    result = defs.get_job_def("sop_cycle").execute_in_process(
        partition_key=cycle_id,
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
    )
    events = result.all_events
    started = {e.step_key: e.timestamp for e in events if e.event_type_value == "STEP_START"}
    return CycleRun(
        cycle_id,
        result.run_id,
        result.success,
        [e.step_key for e in events if e.is_step_failure],
        [e.step_key for e in events if e.event_type_value == "STEP_SKIPPED"],
        {e.step_key: e.timestamp - started[e.step_key] for e in events if e.event_type_value == "STEP_SUCCESS"},
    )
