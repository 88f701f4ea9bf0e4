"""One asset per input entity: landing files -> raw.<entity> (idempotent by content hash)."""

import dagster as dg

from orchestration.partitions import cycle_partitions, one_cycle_per_run
from orchestration.resources import WAREHOUSE_POOL, SopHome
from sop.contract import ENTITIES, Entity
from sop.ingest import load_entity


def raw_asset(entity: Entity) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", entity.name],
        group_name="ingest",
        kinds={"duckdb", "python"},
        owners=["team:data-engineering"],
        partitions_def=cycle_partitions,
        backfill_policy=one_cycle_per_run,
        description=f"{entity.description} Loaded from landing/{entity.name}*.csv|parquet; rows that break "
        "the contract go to quarantine.",
        tags={"entity": entity.name},
        # rows are checked against the master data they reference, so that loads first
        deps=[dg.AssetKey(["raw", ref]) for ref in entity.referenced_entities],
        pool=WAREHOUSE_POOL,
    )
    def _asset(context: dg.AssetExecutionContext, sop: SopHome) -> dg.MaterializeResult:
        with sop.warehouse() as con:
            results = load_entity(con, entity.name, sop.paths.landing, sop.paths.archive)
            current = con.execute(
                "select coalesce(sum(loaded_rows), 0) from raw._loads where entity = ? and superseded_at is null",
                [entity.name],
            ).fetchone()[0]
        if not results and not entity.optional:
            raise FileNotFoundError(f"no {entity.name}*.csv or .parquet file in {sop.paths.landing}")
        for r in results:
            if r.skipped:
                what = "already loaded and current, skipped"
            elif r.reverted:
                what = f"loaded before and superseded since: made current again ({r.loaded_rows} rows)"
            else:
                what = f"{r.loaded_rows} rows loaded"
            context.log.info(
                f"{r.file}: {what}" + (f", {r.quarantined_rows} rows quarantined" if r.quarantined_rows else "")
            )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": int(current),
                "files": [r.file for r in results],
                "new_files": sum(not r.skipped and not r.reverted for r in results),
                "reverted_files": [r.file for r in results if r.reverted],
                "quarantined_rows": sum(r.quarantined_rows for r in results),
            }
        )

    return _asset


raw_assets = [raw_asset(e) for e in ENTITIES.values()]
