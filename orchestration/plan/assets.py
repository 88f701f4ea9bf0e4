"""The capacity-feasible supply plan (an LP) and its reconciliation with consensus demand."""

from pathlib import Path

import dagster as dg
from pydantic import Field

from orchestration.partitions import cycle_partitions, one_cycle_per_run
from orchestration.resources import TRANSIENT_RETRY, WAREHOUSE_POOL, SopHome, final_errors

PLAN_TABLES = {
    "plan_reconciled": "Per SKU, location and bucket: consensus demand, supply, projected stock, shortage, revenue.",
    "supply_plan": "Planned production per plant resource, SKU, location and planning bucket, with the hours it takes.",
    "capacity_plan": "Per resource (line or crew) and planning bucket: available, planned and overtime hours, and "
    "utilization.",
    "material_plan": "Per component, plant and bucket of a network plan: stock, receipts, production, consumption, "
    "orders and shortage (with the SKUs it starves).",
    "purchase_plan": "Per supplier, item, plant and order bucket of a network plan: receipt bucket, units, money.",
    "transfer_plan": "Per lane, SKU and ship bucket of a network plan: arrival bucket, units and freight.",
    "network_exceptions": "A network plan's causes of lost demand (late supply, supplier or lane at capacity, "
    "material shortage), sized in units and EUR; plan_exceptions rates and ranks them.",
}
PLAN_INPUTS = [
    ["decisions", "decision_log"],  # an adopted scenario, what the frozen window may change
    ["decisions", "approved_supply_plan"],  # the frozen window's production, purchases and transfers
    ["decisions", "approved_purchase_plan"],
    ["decisions", "approved_transfer_plan"],
    ["staging", "stg_decisions__change_requests"],  # expedites (overrides and capacity come through dbt)
    ["marts", "fct_consensus_demand"],
    ["marts", "fct_forecast_series_errors"],
    ["marts", "fct_inventory_history"],
    ["marts", "dim_sku_locations"],
    ["intermediate", "int_capacity_bucketed"],
    ["intermediate", "int_supply_sources_priced"],
    *(
        ["staging", f"stg_landing__{name}"]
        for name in ("routings", "items", "bom", "lanes", "plant_stock", "open_supply")
    ),
]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["planning", name],
            description=text,
            group_name="plan",
            kinds={"highs", "duckdb"},
            owners=["team:supply-planning"],
            deps=PLAN_INPUTS,
        )
        for name, text in PLAN_TABLES.items()
    ],
    partitions_def=cycle_partitions,
    backfill_policy=one_cycle_per_run,
    pool=WAREHOUSE_POOL,
    retry_policy=TRANSIENT_RETRY,
)
def supply_plan(context: dg.AssetExecutionContext, sop: SopHome):
    from sop.stages import plan

    with final_errors(), sop.warehouse() as con:
        summary = plan.run(con, context.partition_key)
    context.log.info(
        f"LP: {summary['lp_variables']} variables, {summary['lp_constraints']} constraints, "
        f"objective {summary['lp_objective']}"
    )
    if summary["buckets_without_capacity"]:
        context.log.warning(
            f"no capacity in the landing data for the {summary['bucket']}s starting "
            + ", ".join(summary["buckets_without_capacity"])
            + ": the plan can produce nothing then (extend capacity.csv over the horizon)"
        )
    for name in PLAN_TABLES:
        yield dg.MaterializeResult(
            asset_key=["planning", name],
            metadata={"dagster/row_count": summary[f"{name}_rows"]}
            | ({k: v for k, v in summary.items() if not k.endswith("_rows")} if name == "plan_reconciled" else {}),
        )


# what the cycle's scenario comparison and `sop scenario`'s trials share: both plan scenario files with the
# base plan's LP, after the plan
SCENARIO_ASSET = {
    "kinds": {"highs", "duckdb"},
    "owners": ["team:supply-planning"],
    "deps": [["planning", name] for name in PLAN_TABLES],
    "partitions_def": cycle_partitions,
    "backfill_policy": one_cycle_per_run,
    "pool": WAREHOUSE_POOL,
}


def _scenario_result(summary: dict) -> dg.MaterializeResult:
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": summary["scenario_comparison_rows"],
            "scenarios": ", ".join(summary["scenarios"]),
            # scenarios naming what this data set does not have: not planned, and why
            "scenarios_left_out": dg.MetadataValue.json(summary["scenarios_left_out"]),
            "comparison": dg.MetadataValue.md(summary["markdown"]),
        }
    )


@dg.asset(
    key=["planning", "scenario_comparison"],
    description=(
        "What-if scenarios (scenarios/*.yaml: demand shocks, capacity loss, price and FX changes, longer lead "
        "times) planned with the same LP as the base plan, side by side with it: revenue, margin, fill rate, "
        "inventory value, utilization, shortages."
    ),
    group_name="plan",
    retry_policy=TRANSIENT_RETRY,
    **SCENARIO_ASSET,
)
def scenario_comparison(context: dg.AssetExecutionContext, sop: SopHome) -> dg.MaterializeResult:
    from sop.settings import scenarios_dir
    from sop.stages import plan

    with final_errors(), sop.warehouse() as con:
        summary = plan.run_scenarios(con, context.partition_key, scenarios_dir())
    for reason in summary["scenarios_left_out"].values():
        context.log.warning(f"scenario left out of the comparison: {reason}")
    return _scenario_result(summary)


class ScenarioTrialConfig(dg.Config):
    folder: str = Field(description="Folder of the scenario files (*.yaml) to plan against the cycle's base plan.")


@dg.asset(
    key=["planning", "scenario_trials"],
    description=(
        "What-if scenarios tried with `sop scenario` against a cycle's base plan, outside the cycle: "
        "planning.scenario_trials, one set of rows per run (run_id). Never published, and never part of the cycle: "
        "the cycle's own scenario_comparison and its published tables stay as they were."
    ),
    group_name="what_if",  # beside the cycle's groups, not in them: no cycle step plans it
    **SCENARIO_ASSET,
)
def scenario_trials(context: dg.AssetExecutionContext, config: ScenarioTrialConfig, sop: SopHome):
    from sop.stages import plan

    with final_errors(), sop.warehouse() as con:
        summary = plan.run_scenarios(con, context.partition_key, Path(config.folder), trial_run_id=context.run_id)
    return _scenario_result(summary)
