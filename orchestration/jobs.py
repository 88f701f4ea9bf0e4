from __future__ import annotations

import dagster as dg

from orchestration.monitoring.freshness import INPUTS_DUE, SCHEDULE_NAME, freshness_checks
from orchestration.partitions import cycle_partitions

# Every asset and its data checks; the freshness checks ask whether the latest cycle arrived on time, which is
# the freshness sensor's question, not a step of a cycle (a backfilled past cycle would fail them all).
# Scenario trials (`sop scenario`) are planned on demand against a cycle that already ran, never as its step.
TRIALS = dg.AssetSelection.assets(["planning", "scenario_trials"])
DECISIONS = dg.AssetSelection.groups("decisions")
PACK = dg.AssetSelection.assets(["publish", "executive_pack"])
CYCLE_SELECTION = dg.AssetSelection.all() - dg.AssetSelection.checks(freshness_checks) - TRIALS


def _monthly_job(name: str, selection: dg.AssetSelection, description: str) -> dg.UnresolvedAssetJobDefinition:
    """A job over one cycle (partition). In-process on purpose: the default multiprocess executor starts a
    process per step that re-imports the code location (seconds each, ~30 steps), and DuckDB takes one writer
    anyway."""
    return dg.define_asset_job(
        name,
        selection=selection,
        partitions_def=cycle_partitions,
        executor_def=dg.in_process_executor,
        description=description,
    )


# The whole cycle for one month.
sop_cycle = _monthly_job(
    "sop_cycle", CYCLE_SELECTION, "One monthly S&OP cycle: ingest, validate, transform, forecast, plan, publish."
)

# When a month's inputs are due (its 2nd, 06:00), plan the month that just started from the data up to its eve.
monthly_cycle_schedule = dg.build_schedule_from_partitioned_job(
    sop_cycle, name=SCHEDULE_NAME, hour_of_day=INPUTS_DUE.hour, day_of_month=INPUTS_DUE.day
)

# Ingest and validate only: what a landing file triggers. Planning runs by schedule or on demand.
landing_ingest = _monthly_job(
    "landing_ingest",
    dg.AssetSelection.groups("ingest") - dg.AssetSelection.checks(freshness_checks),
    "Load new landing files into raw tables and validate them (GX checks), for one cycle.",
)

# What-if scenario files tried against a cycle's base plan (`sop scenario`): its own job, so its runs are never
# taken for cycle runs (sop status lists sop_cycle's), and its own table (planning.scenario_trials).
scenario_trial = _monthly_job(
    "scenario_trial",
    TRIALS,
    "Plan scenario files against a cycle's base plan, outside the cycle (nothing is published).",
)

# The meeting's decisions recorded (`sop decide`, `sop approve`): checked, into the warehouse and the BI store's
# plan_status, decision_log and views, without planning anything (the cycle's run takes them in too).
# The pack is made again: its agenda shows the decisions and the version's status.
record_decisions = _monthly_job(
    "record_decisions",
    DECISIONS | PACK,
    "Check and record the S&OP meeting's decision files: plan status, decision log, approved views.",
)
