"""Great Expectations suites as blocking asset checks on every raw entity.

An error-level failure stops everything downstream of the entity in the run, publishing included;
warnings are reported and let the cycle go on.
"""

import json

import dagster as dg

from orchestration.resources import WAREHOUSE_POOL, SopHome
from sop.contract import ENTITIES, Entity
from sop.cycles import accepted_months


def _cycle_of(context: dg.AssetCheckExecutionContext) -> str | None:
    """The run's cycle (its partition), or None when a check is run on its own from the UI."""
    return context.run.tags.get("dagster/partition")


def gx_check(entity: Entity) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["raw", entity.name]),
        name=f"gx_{entity.name}_suite",
        blocking=True,
        pool=WAREHOUSE_POOL,
        description=f"Great Expectations suite for {entity.name}: the input contract's rules.",
    )
    def _check(context: dg.AssetCheckExecutionContext, sop: SopHome) -> dg.AssetCheckResult:
        # GX costs seconds to import: only when a check runs, never when the definitions load
        from expectations.report import record, write_html
        from expectations.validate import validate_entity

        cycle = _cycle_of(context)
        with sop.warehouse() as con:
            outcome = validate_entity(con, entity.name, cycle, accepted_months(context.run.tags))
            record(con, outcome, cycle or "adhoc", context.run.run_id)
            page = write_html(con, cycle or "adhoc", sop.paths.quality / (cycle or "adhoc") / "validation.html")
        severity = dg.AssetCheckSeverity.ERROR if outcome.errors else dg.AssetCheckSeverity.WARN
        return dg.AssetCheckResult(
            passed=not outcome.failures,
            severity=severity,
            metadata={
                "expectations": outcome.evaluated,
                "errors": len(outcome.errors),
                "warnings": len(outcome.warnings),
                # expectation arguments hold dates (the cycle window): as text, as in the report
                "failures": dg.MetadataValue.json(json.loads(json.dumps(outcome.failures, default=str))),
                "report": dg.MetadataValue.path(str(page)),
            },
        )

    return _check


gx_checks = [gx_check(e) for e in ENTITIES.values()]
