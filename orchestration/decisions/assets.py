"""The S&OP meeting's decisions (decision files; `sop decide`, `sop approve`), checked and recorded: upstream of the
plan (an adopted scenario, change requests, the frozen window) and of the review marts (exceptions' status, what
changed since the last approved plan)."""

import dagster as dg

from orchestration.partitions import cycle_partitions, one_cycle_per_run
from orchestration.resources import TRANSIENT_RETRY, WAREHOUSE_POOL, SopHome, final_errors
from sop.stages.decisions import APPROVED

DECISION_TABLES = {
    "decision_log": "Every decision of the decision files (who, when, why), checked against the BI store.",
    "change_requests": "The change requests (override, capacity, expedite), one typed row each: what the next "
    "runs take in.",
    "plan_status": "Each published version's status: proposed, approved, sent_back or superseded.",
    **{
        target.split(".")[1]: f"The {table} rows of every approved version, copied from the BI store."
        for table, target in APPROVED.items()
    },
}


@dg.multi_asset(
    name="decisions",
    specs=[
        dg.AssetSpec(
            ["decisions", name],
            description=text,
            group_name="decisions",
            kinds={"yaml", "duckdb"},
            owners=["team:sop"],
        )  # fmt: skip
        for name, text in DECISION_TABLES.items()
    ],
    partitions_def=cycle_partitions,
    backfill_policy=one_cycle_per_run,
    pool=WAREHOUSE_POOL,
    retry_policy=TRANSIENT_RETRY,
    can_subset=False,
)
def decisions(context: dg.AssetExecutionContext, sop: SopHome):
    from sop.stages import decisions as stage

    with final_errors(), sop.warehouse() as con:
        summary = stage.run(con, sop.paths)
    status = summary["status"]
    shown = status[status["cycle_id"] >= context.partition_key].head(20) if len(status) else status
    for name in DECISION_TABLES:
        metadata = {}
        if name == "decision_log":
            metadata = {
                "decisions": summary["decisions"],
                "by_kind": dg.MetadataValue.json(summary["by_kind"]),
                "approved_versions": dg.MetadataValue.json(summary["approved_versions"]),
                "store_refreshed": summary["store_refreshed"],
            }
        elif name == "change_requests":
            metadata = {"dagster/row_count": summary["change_requests"]}
        elif name == "plan_status":
            metadata = {"plan_status": dg.MetadataValue.md(shown.to_markdown(index=False) if len(shown) else "none")}
        elif name.startswith("approved_"):
            metadata = {"dagster/row_count": summary["snapshot_rows"].get(name.removeprefix("approved_"), 0)}
        yield dg.MaterializeResult(asset_key=["decisions", name], metadata=metadata)
