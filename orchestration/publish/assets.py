"""Publish the cycle's plan to the BI store (a separate DuckDB file, swapped atomically, plus Parquet).

One asset per published table, all written by one step: the store is replaced as a whole, so the tables are
never from different versions. Each carries its columns and their lineage to the warehouse relation it copies.
"""

import dagster as dg

from orchestration.partitions import cycle_partitions, one_cycle_per_run
from orchestration.resources import TRANSIENT_RETRY, WAREHOUSE_POOL, SopHome, final_errors
from sop.cycles import accepted_months
from sop.stages.publish import PUBLISHED, VERSION_COLUMNS

PUBLISH_DESCRIPTION = (
    "In publish/sop.duckdb (versioned by cycle_id and plan_version, newest version per cycle in {table}_latest) "
    "and as Parquet under publish/parquet/{table}. Copies {source} for the cycle."
)


def published_table_metadata(table: str, source: str, columns: list[tuple[str, str, str]]) -> dict:
    """Row-independent metadata of a published table: its columns with their types and descriptions (the
    store's data_dictionary), and each copied column's source column."""
    source_key = dg.AssetKey(source.split("."))
    return {
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name, kind, description=text or None) for name, kind, text in columns]
        ),
        "dagster/column_lineage": dg.TableColumnLineage(
            deps_by_column={
                name: [dg.TableColumnDep(asset_key=source_key, column_name=name)]
                for name, *_ in columns
                if name not in VERSION_COLUMNS
            }
        ),
    }


@dg.multi_asset(
    name="publish",
    specs=[
        dg.AssetSpec(
            ["publish", table],
            description=PUBLISH_DESCRIPTION.format(table=table, source=source),
            deps=[source.split(".")],
            group_name="publish",
            kinds={"duckdb", "parquet"},
            owners=["team:sop"],
        )
        for table, source in PUBLISHED.items()
    ],
    partitions_def=cycle_partitions,
    backfill_policy=one_cycle_per_run,
    pool=WAREHOUSE_POOL,
    retry_policy=TRANSIENT_RETRY,
    can_subset=False,
)
def published_plan(context: dg.AssetExecutionContext, sop: SopHome):
    from sop.stages import publish

    accepted = sorted(accepted_months(context.run.tags))
    with final_errors():
        summary = publish.run(sop.paths, context.partition_key, context.run_id, accepted_incomplete=accepted)
    for table, source in PUBLISHED.items():
        yield dg.MaterializeResult(
            asset_key=["publish", table],
            metadata={
                "dagster/row_count": summary["rows"][table],
                "plan_version": summary["plan_version"],
                "publish_db": dg.MetadataValue.path(summary["publish_db"]),
                **published_table_metadata(table, source, summary["columns"][table]),
            },
        )


@dg.asset(
    key=["publish", "executive_pack"],
    description=(
        "The executive S&OP pack: one self-contained HTML page per published plan version (publish/pack/), with "
        "demand vs supply, projected inventory, the gap to budget, the KPI trend, top exceptions and scenarios."
    ),
    deps=[["publish", table] for table in PUBLISHED],
    group_name="publish",
    kinds={"html"},
    owners=["team:sop"],
    partitions_def=cycle_partitions,
    backfill_policy=one_cycle_per_run,
)
def executive_pack(context: dg.AssetExecutionContext, sop: SopHome) -> dg.MaterializeResult:
    from sop.stages import pack

    summary = pack.run(sop.paths, context.partition_key)
    return dg.MaterializeResult(
        metadata={"path": dg.MetadataValue.path(summary["path"]), "plan_version": summary["plan_version"]}
    )
