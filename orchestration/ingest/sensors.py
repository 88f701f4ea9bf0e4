"""Landing-zone sensor: new or changed files trigger ingestion (and validation) for their cycle."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import dagster as dg

from orchestration.partitions import cycle_partitions
from sop.contract import ENTITIES
from sop.ingest import landing_files
from sop.settings import paths

SETTLE_SECONDS = 10  # a file still being copied changes size or mtime; wait until it has been quiet this long
CYCLE_IN_NAME = re.compile(r"_(\d{4}-\d{2})(?:\D|$)")


def file_cycle(path: Path, default: str) -> str:
    """``sales_orders_2026-02.csv`` belongs to cycle 2026-02; a name without a month, to the current cycle."""
    match = CYCLE_IN_NAME.search(path.stem)
    return match.group(1) if match else default


def changed_files(landing: Path, seen: dict[str, str], now: float) -> tuple[dict[str, list[Path]], dict[str, str]]:
    """Settled landing files that are new or changed since ``seen``, grouped by entity."""
    changed, signatures = {}, dict(seen)
    for entity in ENTITIES:
        for path in landing_files(landing, entity):
            stat = path.stat()
            if now - stat.st_mtime < SETTLE_SECONDS:
                continue
            signature = f"{stat.st_mtime_ns}:{stat.st_size}"
            if seen.get(path.name) != signature:
                changed.setdefault(entity, []).append(path)
                signatures[path.name] = signature
    return changed, signatures


def build_landing_sensor(job: dg.UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    @dg.sensor(
        job=job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Starts an ingest-and-validate run for each cycle whose landing files are new or changed "
        "since the sensor first ran (files already there then are left to the cycle runs).",
    )
    def landing_files_sensor(context: dg.SensorEvaluationContext):
        landing = paths().landing
        if not landing.exists():
            return dg.SkipReason(f"no landing folder at {landing}")
        if context.cursor is None:
            # files already there when the sensor first runs (a demo's, a cycle's) are not new: a cycle loads
            # them; only files that arrive or change from now on start runs
            _, baseline = changed_files(landing, {}, float("inf"))
            return dg.SensorResult(
                skip_reason=f"{len(baseline)} file(s) already in {landing}: only new or changed files start runs",
                cursor=json.dumps(baseline, sort_keys=True),
            )
        seen = json.loads(context.cursor)
        changed, signatures = changed_files(landing, seen, time.time())
        if not changed:
            return dg.SkipReason("no new or changed landing files")
        current = cycle_partitions.get_last_partition_key()
        by_cycle: dict[str, list[Path]] = {}
        for files in changed.values():
            for path in files:
                by_cycle.setdefault(file_cycle(path, current), []).append(path)
        requests = [
            dg.RunRequest(
                run_key=f"{cycle}:" + ",".join(f"{p.name}@{signatures[p.name]}" for p in sorted(files)),
                partition_key=cycle,
                tags={"sop/trigger": "landing", "sop/files": ",".join(sorted(p.name for p in files))[:200]},
            )
            for cycle, files in sorted(by_cycle.items())
        ]
        return dg.SensorResult(run_requests=requests, cursor=json.dumps(signatures, sort_keys=True))

    return landing_files_sensor
