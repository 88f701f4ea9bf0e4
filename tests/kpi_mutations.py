"""Formula mistakes that the dbt unit tests must catch: each is applied alone to a copy of the dbt project,
and the unit tests of the model it touches must then fail.

Run as ``python -m tests.kpi_mutations <project copy> <warehouse>`` (what the test does): one process runs dbt
in-process for every mutation, so each costs a partial parse and a unit test, not a dbt start-up. Prints one
JSON object: the baseline's result and, per mutation, whether the unit tests still passed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

# (model, exact text in its SQL, the mistake): plausible slips, one per KPI formula
MUTATIONS = [
    (
        "fct_service_level",
        "cast(shipped_qty as {{ double() }}) / nullif(ordered_qty, 0) as fill_rate",
        "cast(shipped_qty as {{ double() }}) / nullif(ordered_qty + order_lines, 0) as fill_rate",
    ),
    (
        "fct_service_level",
        "cast(on_time_in_full_lines as {{ double() }}) / nullif(order_lines, 0)",
        "cast(on_time_in_full_lines as {{ double() }}) / nullif(ordered_qty, 0)",
    ),
    ("fct_service_level", "ordered_qty > shipped_qty as has_stockout", "shipped_qty = 0 as has_stockout"),
    (
        "int_sales_orders_backordered",
        "and spine.bucket_date < late_lines.ship_bucket_date",
        "and spine.bucket_date <= late_lines.ship_bucket_date",
    ),
    (
        "int_sales_orders_converted",
        "ordered_qty * unit_price_amount * rate_to_eur as ordered_revenue_amount",
        "ordered_qty * unit_price_amount as ordered_revenue_amount",
    ),
    (
        "int_sales_orders_converted",
        "case when orders.currency_code = 'EUR' then 1.0 else fx.rate_to_eur end",
        "coalesce(fx.rate_to_eur, 1.0)",
    ),
    ("fct_inventory_history", "rows between 2 preceding and current row", "rows between 1 preceding and current row"),
    (
        "fct_inventory_history",
        "on_hand_qty * products.unit_cost_amount as inventory_value_amount",
        "(on_hand_qty + in_transit_qty) * products.unit_cost_amount as inventory_value_amount",
    ),
    (
        "fct_inventory_health",
        "shipped_cost_12m * 12.0 / months_12m as annual_shipped_cost_amount",
        "shipped_cost_12m as annual_shipped_cost_amount",
    ),
    (
        "fct_inventory_health",
        "on_hand_qty - 90 * coalesce(avg_daily_shipped_qty, 0)",
        "on_hand_qty - 60 * coalesce(avg_daily_shipped_qty, 0)",
    ),
    ("fct_inventory_health", "ordered_qty_6m = 0 and months_6m = 6", "ordered_qty_6m = 0"),
    ("fct_inventory_health", "coalesce(inventory_turns, 0) < 2", "coalesce(inventory_turns, 0) < 1"),
    (
        "fct_capacity_utilization",
        "coalesce(used.used_hours, 0) / nullif(capacity.available_hours, 0)",
        "coalesce(used.standard_hours, 0) / nullif(capacity.available_hours, 0)",
    ),
    (
        "fct_capacity_utilization",
        "used.standard_hours / nullif(used.used_hours, 0) as production_efficiency",
        "used.used_hours / nullif(used.standard_hours, 0) as production_efficiency",
    ),
    (
        "fct_schedule_attainment",
        "least(coalesce(produced.produced_qty, produced_at_plant.produced_qty, 0), planned.planned_qty)",
        "coalesce(produced.produced_qty, produced_at_plant.produced_qty, 0)",
    ),
    (
        "fct_financials_monthly",
        "sum(lines.shipped_qty * products.unit_cost_amount) as cost_amount",
        "sum(lines.shipped_qty) * max(products.unit_cost_amount) as cost_amount",
    ),
    (
        "fct_financials_monthly",
        "revenue_amount - budget_revenue_amount as revenue_gap_amount",
        "budget_revenue_amount - revenue_amount as revenue_gap_amount",
    ),
    ("dim_portfolio_segments", "when revenue_share_before < 0.8 then 'A'", "when revenue_share_before < 0.5 then 'A'"),
    ("dim_portfolio_segments", "when demand_cv <= 0.5 then 'X'", "when demand_cv <= 0.2 then 'X'"),
    ("int_forecasts_scored", "+ 1 as integer) as forecast_lag", "+ 0 as integer) as forecast_lag"),
    (
        "int_forecasts_scored",
        "naive_scales.bucket_date = {{ dbt.dateadd(bucket(), -1, 'cycles.first_bucket_date') }}",
        "naive_scales.bucket_date = cycles.first_bucket_date",
    ),
    (
        "fct_forecast_accuracy_by_lag",
        "round_to('abs(forecast_qty - actual_qty) / nullif(actual_qty, 0)', 6) }} as wape",
        "round_to('series_abs_error_qty / nullif(actual_qty, 0)', 6) }} as wape",
    ),
    (
        "fct_forecast_accuracy_by_lag",
        "then abs(forecast_qty - actual_qty) / actual_qty end",
        "then abs(forecast_qty - actual_qty) / forecast_qty end",
    ),
    (
        "fct_forecast_accuracy_by_lag",
        "round_to('(forecast_qty - actual_qty) / nullif(actual_qty, 0)', 6) }} as bias",
        "round_to('(actual_qty - forecast_qty) / nullif(actual_qty, 0)', 6) }} as bias",
    ),
    (
        "fct_forecast_accuracy_by_lag",
        "exact_avg('abs(forecast_qty - actual_qty) / nullif(naive_scale_qty, 0)')",
        "exact_sum('abs(forecast_qty - actual_qty)') ~ ' / nullif(' ~ exact_sum('naive_scale_qty') ~ ', 0)'",
    ),
    (
        "fct_forecast_accuracy_by_lag",
        "order by stages.stage_order) as previous_stage_wape",
        "order by stages.stage_order desc) as previous_stage_wape",
    ),
    ("fct_kpi_scorecard", "        sum(shipped_qty) as shipped_qty,", "        max(shipped_qty) as shipped_qty,"),
    ("fct_kpi_scorecard", "sum_rounded('avg_daily_shipped_qty', 6)", "round_to('avg(avg_daily_shipped_qty)', 6)"),
    ("fct_kpi_scorecard", "then backorder_qty else 0 end", "then backorder_qty else backorder_qty end"),
    # a float sum of 4-place amounts rounded to 2 places: a tie rounds by the order rows were added in
    ("fct_plan_financials", "sum_rounded('revenue_amount', 2)", "round_to('sum(revenue_amount)', 2)"),
    (
        "int_policies_resolved",
        "(case when policies.sku_id is not null then 4 else 0 end)",
        "(case when policies.sku_id is not null then 1 else 0 end)",
    ),
    # an aggregate quantity split within each series instead of across its scope; a percent taken as a factor
    (
        "fct_consensus_demand",
        "over (partition by overrides.override_id), 0)",
        "over (partition by statistical.sku_id), 0)",
    ),
    ("fct_consensus_demand", "(1 + overrides.override_pct / 100.0)", "(overrides.override_pct / 100.0)"),
    # the latest override winning over a more specific one
    (
        "int_overrides_matched",
        "order by scope_specificity desc, created_at desc",
        "order by created_at desc, scope_specificity desc",
    ),
    ("fct_override_audit", "when matched.governed_series < matched.matched_series", "when matched.governed_series < 0"),
]


def _unit_tests_pass(runner, project: Path, model: str) -> bool:
    args = ["test", "--select", f"{model},test_type:unit", "--quiet", "--project-dir", str(project)]
    result = runner.invoke([*args, "--profiles-dir", str(project), "--target-path", str(project / "target")])
    if result.exception is not None:  # a compile error is a caught mistake too, but say so
        print(f"{model}: {result.exception}", file=sys.stderr)
    return bool(result.success)


def main(project: Path, warehouse: str) -> dict:
    from dbt.cli.main import dbtRunner

    os.environ.update(SOP_WAREHOUSE=warehouse, DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    runner = dbtRunner()
    sql_of = {path.stem: path for path in (project / "models").rglob("*.sql")}
    models = sorted({model for model, *_ in MUTATIONS})
    report = {"baseline": {m: _unit_tests_pass(runner, project, m) for m in models}, "mutations": []}
    for model, original, mistake in MUTATIONS:
        path = sql_of[model]
        text = path.read_text()
        applied = original in text
        if applied:
            path.write_text(text.replace(original, mistake, 1))
            still_passes = _unit_tests_pass(runner, project, model)
            path.write_text(text)
        report["mutations"].append(
            {"model": model, "mistake": mistake, "applied": applied, "unit_tests_passed": applied and still_passes}
        )
    return report


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), sys.argv[2])))
