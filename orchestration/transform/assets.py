"""dbt models as assets, in two steps around the forecast: history marts first, then the marts that read
what the forecast wrote (forecast accuracy, consensus demand)."""


import json

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.partitions import cycle_partitions
from orchestration.transform.project import dbt_project, translator


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    # the cycle decides which months are history; models read it as var('cycle_id')
    args = ["build", "--vars", json.dumps({"cycle_id": context.partition_key})]
    yield from dbt.cli(args, context=context).stream()


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    select="tag:history",
    name="dbt_history_models",
    partitions_def=cycle_partitions,
    dagster_dbt_translator=translator,
)
def dbt_history_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from _build(context, dbt)


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    select="tag:post_forecast",
    name="dbt_post_forecast_models",
    partitions_def=cycle_partitions,
    dagster_dbt_translator=translator,
)
def dbt_post_forecast_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from _build(context, dbt)
