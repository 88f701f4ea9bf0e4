"""Run one cycle of the job in this process, recorded in a Dagster instance (the CLI and tests use it)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field

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
    errors: dict[str, str] = field(default_factory=dict)  # failed step -> what it said

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
    run_config: dict | None = None,
    run_id: str | None = None,
) -> CycleRun:
    """Run a partitioned job (the whole cycle by default) for one cycle, recorded in ``instance``."""
    from sop.cycles import CycleError, parse_cycle, remember_cycle
    from sop.settings import paths

    parse_cycle(cycle_id)  # a one-line error before Dagster resolves anything
    remember_cycle(paths().home, cycle_id)  # before the definitions (and their partitions) first load
    from orchestration.definitions import defs
    from orchestration.partitions import cycle_partitions

    if not cycle_partitions.has_partition_key(cycle_id):
        start = cycle_partitions.get_first_partition_key()
        raise CycleError(f"cycle {cycle_id} is outside {start}..now, the cycles this process loaded: run it anew")

    recover_dead_runs(instance)
    result = defs.resolve_job_def(job_name).execute_in_process(
        partition_key=cycle_id,
        instance=instance,
        raise_on_error=False,
        # which process runs it, so that the next run can tell a killed one from a running one
        tags={**(tags or {}), "sop/host": socket.gethostname(), "sop/pid": str(os.getpid())},
        asset_selection=asset_selection,
        run_id=run_id,
        run_config={**(run_config or {}), "loggers": {"console": {"config": {"log_level": log_level}}}},
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
        {e.step_key: _failure_message(e) for e in events if e.is_step_failure},
    )


def _failure_message(event) -> str:
    """A failed step's own words: a dg.Failure's description, else the error's message."""
    data = event.step_failure_data
    if data.user_failure_data and data.user_failure_data.description:
        return data.user_failure_data.description
    error = data.error
    while error is not None and error.cause is not None and "Error occurred while executing" in error.message:
        error = error.cause
    return error.message.strip() if error else "?"


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():  # runs in this process are sequential: one left "started" is over
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Fail the runs this machine started in process whose process is gone (SIGKILL, a closed terminal, a
    lost container), and free the warehouse pool slot each held: else the next cycle would wait for that
    slot forever. Their steps' work is redone by the rerun (every step rewrites only its cycle)."""
    recovered = []
    host = socket.gethostname()
    unfinished = instance.get_run_records(
        dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING])
    )
    for record in unfinished:
        run = record.dagster_run
        pid = run.tags.get("sop/pid")
        if run.tags.get("sop/host") != host or pid is None or _process_alive(int(pid)):
            continue
        instance.report_run_failed(run, f"its process ({pid}) ended before the run did (killed?); failed on recovery")
        recovered.append(run.run_id)
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        holders = storage.get_concurrency_run_ids()
        for record in instance.get_run_records(dg.RunsFilter(run_ids=list(holders))) if holders else []:
            if record.dagster_run.is_finished:
                storage.free_concurrency_slots_for_run(record.dagster_run.run_id)
    return recovered
