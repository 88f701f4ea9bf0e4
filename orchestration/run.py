"""Run one cycle of the job in this process, recorded in a Dagster instance (the CLI and tests use it)."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

PUBLISH_STEP = "publish"


@dataclass
class CycleRun:
    cycle_id: str
    run_id: str
    success: bool
    succeeded_steps: list[str]
    failed_steps: list[str]  # a failed blocking check shows here too: its step fails, downstream does not run
    step_seconds: dict[str, float]

    @property
    def published(self) -> bool:
        return PUBLISH_STEP in self.succeeded_steps

    @property
    def failed_checks(self) -> list[str]:
        return [s for s in self.failed_steps if s.endswith("_suite")]


def run_cycle(
    cycle_id: str,
    instance: dg.DagsterInstance,
    log_level: str = "INFO",
    job_name: str = "sop_cycle",
    tags: dict[str, str] | None = None,
    asset_selection: list[dg.AssetKey] | None = None,
) -> CycleRun:
    """Run a partitioned job (the whole cycle by default) for one cycle, recorded in ``instance``."""
    from orchestration.definitions import defs

    result = defs.resolve_job_def(job_name).execute_in_process(
        partition_key=cycle_id,
        instance=instance,
        raise_on_error=False,
        tags=tags,
        asset_selection=asset_selection,
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
    )
    events = result.all_events
    stats = instance.get_run_step_stats(result.run_id)
    return CycleRun(
        cycle_id,
        result.run_id,
        result.success,
        [e.step_key for e in events if e.event_type_value == "STEP_SUCCESS"],
        [e.step_key for e in events if e.is_step_failure],
        {s.step_key: s.end_time - s.start_time for s in stats if s.end_time and s.start_time},
    )
