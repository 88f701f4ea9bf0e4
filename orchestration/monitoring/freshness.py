"""Freshness: what a monthly cycle promises and when. Warnings in the UI (asset health), never blocking.

The schedule plans each month on its 2nd at 06:00 (orchestration/jobs.py), so the month's input files are due
by then, and its published plan by the 3rd at 06:00 (a day to fix and rerun a failed cycle).
"""

from __future__ import annotations

import warnings

import dagster as dg

from sop.contract import ENTITIES
from sop.stages.publish import PUBLISHED

# Dagster 1.13 marks these checks superseded by FreshnessPolicy, but its policies judge an asset as a whole:
# a backfilled 2019 cycle would make the plan look fresh. The checks ask for the latest month's partition.
warnings.filterwarnings("ignore", message=".*freshness_checks.* is superseded", category=dg.SupersessionWarning)

INPUTS_DUE = "0 6 2 * *"
PLAN_DUE = "0 6 3 * *"

# optional inputs (budget, overrides...) may rightly not change in a month: only the required ones are due
input_freshness = dg.build_time_partition_freshness_checks(
    assets=[dg.AssetKey(["raw", e.name]) for e in ENTITIES.values() if not e.optional], deadline_cron=INPUTS_DUE
)
published_freshness = dg.build_time_partition_freshness_checks(
    assets=[dg.AssetKey(["publish", table]) for table in PUBLISHED], deadline_cron=PLAN_DUE
)
freshness_checks = [*input_freshness, *published_freshness]

# evaluates the checks in the background (`make ui` runs the daemon); cycle runs leave them out
freshness_sensor = dg.build_sensor_for_freshness_checks(
    freshness_checks=freshness_checks,
    name="freshness_checks_sensor",
    minimum_interval_seconds=3600,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
