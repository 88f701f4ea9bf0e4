"""dbt models as assets, in three steps: history marts before the forecast; the marts that read what the
forecast wrote (consensus demand, backtest accuracy) before the plan; after the plan, the review marts that
score earlier cycles' archived forecasts and plans against the actuals that arrived since."""

import os
from contextlib import contextmanager

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.partitions import cycle_partitions, one_cycle_per_run
from orchestration.resources import WAREHOUSE_POOL, SopHome
from orchestration.transform.column_metadata import release_warehouse, with_column_metadata
from orchestration.transform.project import dbt_project, translator
from sop.settings import DBT_BUILD, column_metadata_cache


@contextmanager
def cycle_environment(cycle_id: str):
    """Models read the cycle from SOP_CYCLE_ID (see macros/cycle.sql); dbt inherits this process's env.

    Safe because the job runs its steps one at a time in one process (the in-process executor).
    """
    before = os.environ.get("SOP_CYCLE_ID")
    os.environ["SOP_CYCLE_ID"] = cycle_id
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SOP_CYCLE_ID", None)
        else:
            os.environ["SOP_CYCLE_ID"] = before


def dbt_models(select: str, name: str) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=dbt_project().manifest_path,
        project=dbt_project(),
        select=select,
        name=name,
        partitions_def=cycle_partitions,
        dagster_dbt_translator=translator,
        pool=WAREHOUSE_POOL,
        # dagster-dbt would default to one run for a whole partition range
        backfill_policy=one_cycle_per_run,
    )
    def _models(context: dg.AssetExecutionContext, dbt: DbtCliResource, sop: SopHome):
        # One target folder per home, not one per invocation (dagster-dbt's default): each dbt step then
        # re-parses only what changed since the last one instead of the whole project. Steps never overlap:
        # they all run in the warehouse pool.
        with cycle_environment(context.partition_key):
            invocation = dbt.cli(list(DBT_BUILD), context=context, target_path=sop.paths.dbt_target)
            try:
                yield from with_column_metadata(invocation, column_metadata_cache())
            finally:
                release_warehouse(invocation.adapter)

    return _models


dbt_history_models = dbt_models("tag:history", "dbt_history_models")
dbt_post_forecast_models = dbt_models("tag:post_forecast", "dbt_post_forecast_models")
dbt_review_models = dbt_models("tag:review", "dbt_review_models")
