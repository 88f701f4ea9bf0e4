"""Freshness: did the cycle being planned get its inputs and its published plan? Warnings, never blocking.

The cycle being planned is the newest cycle a run was started for (by hand, `sop`, or the schedule); while the
monthly schedule is on, it is at least the month whose due date has passed: each month's input files are due
on its 2nd at 06:00, when the schedule plans it, and its published plan on the 3rd at 06:00 (a day to fix and
rerun a failed cycle). So a demo planned on past data is judged on its own cycle, not on today's month, and a
backfilled 2019 cycle never makes this month's plan look fresh.

Dagster's own time-partition freshness checks judge the latest month by the clock and are evaluated by runs
their sensor launches; these are evaluated inside the sensor (no runs) and can be run from the UI as well.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dagster as dg

from sop.contract import ENTITIES
from sop.stages.publish import PUBLISHED

CHECK_NAME = "freshness_check"
SCHEDULE_NAME = "sop_cycle_schedule"
CYCLE_JOB = "sop_cycle"


@dataclass(frozen=True)
class Due:
    """When in its month a cycle's data is due."""

    day: int
    hour: int

    def at(self, cycle: str) -> datetime:
        start = datetime.strptime(cycle, "%Y-%m").replace(tzinfo=UTC)
        return start + timedelta(days=self.day - 1, hours=self.hour)

    def latest_due_cycle(self, now: datetime) -> str:
        """The newest cycle whose due time has passed at ``now``."""
        month = now.strftime("%Y-%m")
        if now >= self.at(month):
            return month
        return (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


INPUTS_DUE = Due(day=2, hour=6)  # the schedule plans each month then (orchestration/jobs.py)
PLAN_DUE = Due(day=3, hour=6)

# optional inputs (budget, overrides...) may rightly not change in a month: only the required ones are due
INPUT_ASSETS = [dg.AssetKey(["raw", e.name]) for e in ENTITIES.values() if not e.optional]
PUBLISHED_ASSETS = [dg.AssetKey(["publish", table]) for table in PUBLISHED]
DUE = {**dict.fromkeys(INPUT_ASSETS, INPUTS_DUE), **dict.fromkeys(PUBLISHED_ASSETS, PLAN_DUE)}


def _newest_started_cycle(instance: dg.DagsterInstance) -> str | None:
    records = instance.get_run_records(dg.RunsFilter(job_name=CYCLE_JOB), limit=200)
    cycles = [r.dagster_run.tags.get("dagster/partition") for r in records]
    return max((c for c in cycles if c), default=None)


def _schedule_running(instance: dg.DagsterInstance) -> bool:
    from dagster._core.scheduler.instigation import InstigatorStatus, InstigatorType

    if instance.schedule_storage is None:  # an ephemeral instance: no schedules
        return False
    states = instance.all_instigator_state(instigator_type=InstigatorType.SCHEDULE)
    return any(s.instigator_name == SCHEDULE_NAME and s.status == InstigatorStatus.RUNNING for s in states)


def planned_cycles(instance: dg.DagsterInstance, now: datetime) -> dict[dg.AssetKey, str | None]:
    """Each due asset's cycle being planned (the runs and the schedule read once for all of them)."""
    started = _newest_started_cycle(instance)
    if not _schedule_running(instance):
        return dict.fromkeys(DUE, started)
    return {key: max(filter(None, [started, due.latest_due_cycle(now)])) for key, due in DUE.items()}


def evaluate(instance: dg.DagsterInstance, now: datetime | None = None) -> list[dg.AssetCheckEvaluation]:
    """Each due asset's freshness for the cycle being planned (nothing before the first cycle run)."""
    now = now or datetime.now(UTC)
    evaluations = []
    for key, cycle in planned_cycles(instance, now).items():
        due = DUE[key]
        if cycle is None:
            continue
        done = instance.get_materialized_partitions(key)
        newest = max(done, default="none")
        passed = cycle in done
        evaluations.append(
            dg.AssetCheckEvaluation(
                asset_key=key,
                check_name=CHECK_NAME,
                passed=passed,
                severity=dg.AssetCheckSeverity.WARN,
                partition=cycle,
                description=(
                    f"cycle {cycle}: materialized"
                    if passed
                    else f"cycle {cycle}: not materialized (due {due.at(cycle):%Y-%m-%d %H:%M} UTC; newest: {newest})"
                ),
                metadata={"cycle": cycle, "due_at": due.at(cycle).isoformat(), "newest_cycle": newest},
            )
        )
    return evaluations


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=key,
            description=f"Is the cycle being planned materialized? Due on day {due.day} of its month, {due.hour}:00.",
        )
        for key, due in DUE.items()
    ],
    can_subset=True,
)
def freshness_checks(context: dg.AssetCheckExecutionContext):
    """Run from the UI: the same verdicts the sensor reports."""
    verdicts = {e.asset_key: e for e in evaluate(context.instance)}
    for check_key in context.selected_asset_check_keys:
        verdict = verdicts.get(check_key.asset_key)
        yield dg.AssetCheckResult(
            asset_key=check_key.asset_key,
            check_name=CHECK_NAME,
            passed=verdict.passed if verdict else True,
            severity=dg.AssetCheckSeverity.WARN,
            description=verdict.description if verdict else "no cycle has been run yet: nothing is due",
            metadata=verdict.metadata if verdict else {},
        )


@dg.sensor(
    name="freshness_checks_sensor",
    minimum_interval_seconds=600,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Reports the freshness checks of the cycle being planned (no runs are launched).",
)
def freshness_sensor(context: dg.SensorEvaluationContext):
    evaluations = evaluate(context.instance)
    if not evaluations:
        return dg.SkipReason("no cycle has been run yet: nothing is due")
    # a verdict is reported when it changes (the cursor keeps the last ones), not every ten minutes
    said = json.loads(context.cursor) if context.cursor else {}
    now = {e.asset_key.to_user_string(): f"{e.partition}:{e.passed}" for e in evaluations}
    changed = [e for e in evaluations if said.get(e.asset_key.to_user_string()) != now[e.asset_key.to_user_string()]]
    if not changed:
        return dg.SkipReason("no freshness verdict changed")
    return dg.SensorResult(asset_events=changed, cursor=json.dumps(now, sort_keys=True))
