"""Publish the cycle's plan to the BI store (a separate DuckDB file, swapped atomically, plus Parquet)."""

import dagster as dg

from orchestration.partitions import cycle_partitions, one_cycle_per_run
from orchestration.resources import WAREHOUSE_POOL, SopHome
from sop.stages.publish import PUBLISHED


@dg.asset(
    key=["publish", "sop_plan"],
    group_name="publish",
    kinds={"duckdb", "parquet"},
    owners=["team:sop"],
    partitions_def=cycle_partitions,
    backfill_policy=one_cycle_per_run,
    pool=WAREHOUSE_POOL,
    deps=[source.split(".") for source in PUBLISHED.values()],
    description=(
        "The published plan: " + ", ".join(PUBLISHED) + " in publish/sop.duckdb (versioned by cycle_id and "
        "plan_version, with *_latest views) and Parquet under publish/parquet."
    ),
)
def sop_plan(context: dg.AssetExecutionContext, sop: SopHome) -> dg.MaterializeResult:
    from sop.stages import publish

    summary = publish.run(sop.paths, context.partition_key, context.run_id)
    return dg.MaterializeResult(
        metadata={
            "plan_version": summary["plan_version"],
            "publish_db": dg.MetadataValue.path(summary["publish_db"]),
            "parquet_dir": dg.MetadataValue.path(summary["parquet_dir"]),
            **{f"rows_{t}": n for t, n in summary["rows"].items()},
        }
    )
