"""The statistical forecast: one global LightGBM model beside a seasonal-naive baseline."""

import dagster as dg

from orchestration.partitions import cycle_partitions, one_cycle_per_run
from orchestration.resources import WAREHOUSE_POOL, SopHome

FORECAST_TABLES = {
    "demand_forecast": (
        "Future demand per cycle, model (lightgbm, seasonal_naive, naive), SKU, location and planning bucket; "
        "every cycle is kept: the archive that accuracy by lag scores."
    ),
    "backtest_forecast": "Forecasts of the last held-out history buckets, per model, to score against actuals.",
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["forecast", name],
            description=text,
            group_name="forecast",
            kinds={"lightgbm", "duckdb"},
            owners=["team:demand-planning"],
            deps=[
                ["marts", "fct_demand_history"],
                ["marts", "dim_sku_locations"],
                ["marts", "fct_calendar_events_bucketed"],
            ],
        )
        for name, text in FORECAST_TABLES.items()
    ],
    partitions_def=cycle_partitions,
    backfill_policy=one_cycle_per_run,
    pool=WAREHOUSE_POOL,
)
def demand_forecast(context: dg.AssetExecutionContext, sop: SopHome):
    from sop.stages import forecast  # LightGBM and scikit-learn cost seconds to import

    cycle = context.partition_key
    with sop.warehouse() as con:
        summary = forecast.run(con, cycle, sop.paths.models / cycle)
    wape = {k: dg.MetadataValue.float(round(v, 4)) for k, v in summary["holdout_wape"].items()}
    yield dg.MaterializeResult(
        asset_key=["forecast", "demand_forecast"],
        metadata={
            "dagster/row_count": summary["demand_forecast_rows"],
            "series": summary["series"],
            "bucket": summary["bucket"],
            "horizon_buckets": summary["horizon_buckets"],
            "training_rows": summary["training_rows"],
            "model_dir": dg.MetadataValue.path(summary["model_dir"]),
            **{f"holdout_wape_{k}": v for k, v in wape.items()},
        },
    )
    yield dg.MaterializeResult(
        asset_key=["forecast", "backtest_forecast"],
        metadata={"dagster/row_count": summary["backtest_rows"], **{f"wape_{k}": v for k, v in wape.items()}},
    )
