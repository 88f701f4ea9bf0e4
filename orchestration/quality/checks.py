"""Great Expectations suites as blocking asset checks on every raw entity.

An error-level failure stops everything downstream of the entity in the run, publishing included;
warnings are reported and let the cycle go on.
"""

import dagster as dg

from orchestration.resources import WAREHOUSE_POOL, SopHome
from sop.contract import ENTITIES, Entity
from sop.ingest import current_rows_sql


def gx_check(entity: Entity) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["raw", entity.name]),
        name=f"gx_{entity.name}_suite",
        blocking=True,
        pool=WAREHOUSE_POOL,
        description=f"Great Expectations suite for {entity.name}: the input contract's rules.",
    )
    def _check(sop: SopHome) -> dg.AssetCheckResult:
        from expectations.validate import validate  # GX costs seconds to import: only when a check runs

        with sop.warehouse() as con:
            frame = con.sql(current_rows_sql(entity.name)).df()[entity.column_names]
            references = {
                column: [r[0] for r in con.sql(f"select distinct {col} from ({current_rows_sql(ref)})").fetchall()]
                for column, (ref, col) in entity.references.items()
            }
        outcome = validate(entity.name, frame, references)
        severity = dg.AssetCheckSeverity.ERROR if outcome.errors else dg.AssetCheckSeverity.WARN
        return dg.AssetCheckResult(
            passed=not outcome.failures,
            severity=severity,
            metadata={
                "rows": len(frame),
                "expectations": outcome.evaluated,
                "errors": len(outcome.errors),
                "warnings": len(outcome.warnings),
                "failures": dg.MetadataValue.json(outcome.failures),
            },
        )

    return _check


gx_checks = [gx_check(e) for e in ENTITIES.values()]
