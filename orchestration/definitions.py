"""The code location: composes each domain's definitions and applies the cross-cutting choices."""

import dagster as dg

from sop.settings import DBT_PROJECT_DIR, dbt_executable, export_environment

export_environment()  # before anything reads SOP_HOME / SOP_WAREHOUSE (dbt's profile does)

from orchestration.decisions.assets import decisions  # noqa: E402
from orchestration.forecast.assets import demand_forecast  # noqa: E402
from orchestration.ingest.assets import raw_assets  # noqa: E402
from orchestration.ingest.sensors import build_landing_sensor  # noqa: E402
from orchestration.jobs import (  # noqa: E402
    landing_ingest,
    monthly_cycle_schedule,
    record_decisions,
    scenario_trial,
    sop_cycle,
)
from orchestration.monitoring.freshness import freshness_checks, freshness_sensor  # noqa: E402
from orchestration.monitoring.sensors import failed_runs_sensor  # noqa: E402
from orchestration.plan.assets import scenario_comparison, scenario_trials, supply_plan  # noqa: E402
from orchestration.publish.assets import executive_pack, published_plan  # noqa: E402
from orchestration.quality.assets import quarantine, validation_results  # noqa: E402
from orchestration.quality.checks import gx_checks  # noqa: E402
from orchestration.resources import SopHome  # noqa: E402
from orchestration.transform.assets import (  # noqa: E402
    dbt_history_models,
    dbt_post_forecast_models,
    dbt_review_models,
)
from orchestration.transform.project import VenvDbtCliResource  # noqa: E402

# Written by every ingest asset; declared so the dbt sources that read it sit in the ingest group.
load_log = dg.AssetSpec(
    ["raw", "load_log"],
    group_name="ingest",
    kinds={"duckdb"},
    owners=["team:data-engineering"],
    description="One row per loaded landing file version: hash, archive path, rows loaded and quarantined.",
)

defs = dg.Definitions(
    assets=[
        load_log,
        *raw_assets,
        validation_results,
        quarantine,
        dbt_history_models,
        decisions,
        demand_forecast,
        dbt_post_forecast_models,
        supply_plan,
        scenario_comparison,
        scenario_trials,
        dbt_review_models,
        published_plan,
        executive_pack,
    ],
    asset_checks=[*gx_checks, freshness_checks],
    jobs=[sop_cycle, landing_ingest, scenario_trial, record_decisions],
    schedules=[monthly_cycle_schedule],
    sensors=[build_landing_sensor(landing_ingest), failed_runs_sensor, freshness_sensor],
    resources={
        "sop": SopHome(home=dg.EnvVar("SOP_HOME")),
        "dbt": VenvDbtCliResource(
            project_dir=str(DBT_PROJECT_DIR),
            profiles_dir=str(DBT_PROJECT_DIR),
            dbt_executable=dbt_executable(),
        ),
    },
    executor=dg.in_process_executor,
)
