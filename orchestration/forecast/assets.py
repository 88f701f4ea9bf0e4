"""The statistical forecast: one global LightGBM model beside a seasonal-naive baseline."""

import base64
import math
from pathlib import Path

import dagster as dg

from orchestration.partitions import cycle_partitions, one_cycle_per_run
from orchestration.resources import TRANSIENT_RETRY, WAREHOUSE_POOL, SopHome, final_errors

FORECAST_TABLES = {
    "demand_forecast": (
        "Future demand per cycle, model (lightgbm, seasonal_naive, naive), SKU, location and planning bucket, "
        "with P10/P50/P90 for LightGBM; every cycle is kept: the archive that accuracy by lag scores."
    ),
    "backtest_forecast": (
        "Rolling-origin backtest: forecasts of held-out history windows from 3 origins, by LightGBM and every "
        "baseline on the same splits, to score against actuals."
    ),
}


def png_markdown(path: Path, caption: str) -> dg.MarkdownMetadataValue:
    """A chart the UI shows inline: the PNG embedded in markdown (the file stays with the cycle's model)."""
    encoded = base64.b64encode(path.read_bytes()).decode()
    return dg.MetadataValue.md(f"{caption}\n\n![{caption}](data:image/png;base64,{encoded})")


def scoreboard_table(rows: list[dict], label: str = "model_name") -> dg.TableMetadataValue:
    """A backtest table (one row per method, best first; or per demand class) as a table the UI shows."""
    metrics = [k for k in rows[0] if k != label]
    columns = [dg.TableColumn(label, "string"), *(dg.TableColumn(k, "float") for k in metrics)]
    schema = dg.TableSchema(columns=columns)
    # a metric a method has no value for (no series with a scale) is shown empty, not NaN
    clean = [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()} for row in rows]
    return dg.MetadataValue.table(records=[dg.TableRecord(row) for row in clean], schema=schema)


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
    retry_policy=TRANSIENT_RETRY,
)
def demand_forecast(context: dg.AssetExecutionContext, sop: SopHome):
    from sop.stages import forecast  # LightGBM and scikit-learn cost seconds to import

    cycle = context.partition_key
    with final_errors(), sop.warehouse() as con:
        summary = forecast.run(con, cycle, sop.paths.models / cycle)
    wape = {k: dg.MetadataValue.float(round(v, 4)) for k, v in summary["backtest_wape"].items()}
    yield dg.MaterializeResult(
        asset_key=["forecast", "demand_forecast"],
        metadata={
            "dagster/row_count": summary["demand_forecast_rows"],
            "series": summary["series"],
            "bucket": summary["bucket"],
            "horizon_buckets": summary["horizon_buckets"],
            "training_rows": summary["training_rows"],
            "model_dir": dg.MetadataValue.path(summary["model_dir"]),
            "backtest": f"{summary['backtest_origins']} origins x {summary['backtest_window']} buckets",
            "backtest_scoreboard": scoreboard_table(summary["scoreboard"]),
            # WAPE per demand class (smooth, erratic, intermittent, lumpy) and method
            "backtest_by_demand_class": scoreboard_table(summary["wape_by_demand_class"], "demand_class"),
            "launching_series": summary["launching_series"],
            # forecasts cut back to what their history (or peers) make plausible: planners should look at these
            "capped_series": summary["capped_series"]["count"],
            "capped_series_largest": dg.MetadataValue.json(summary["capped_series"]["largest"]),
            # share of the last origin's actuals inside P10-P90 calibrated on the earlier ones (nominal 0.8)
            "interval_coverage_p10_p90": summary["interval_coverage_p10_p90"],
            "forecast_vs_actuals": png_markdown(Path(summary["chart"]), "the three largest series"),
            # where the step's time went: the backtest, and the final model's features, training, prediction
            "seconds": dg.MetadataValue.json({k: round(v, 2) for k, v in summary["seconds"].items()}),
            **{f"backtest_wape_{k}": v for k, v in wape.items()},
        },
    )
    yield dg.MaterializeResult(
        asset_key=["forecast", "backtest_forecast"],
        metadata={"dagster/row_count": summary["backtest_rows"], **{f"wape_{k}": v for k, v in wape.items()}},
    )
