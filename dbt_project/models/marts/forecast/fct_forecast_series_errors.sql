-- Backtest errors per cycle, model and series, over the held-out buckets: the grain safety stock reads.
with backtest as (
    select * from {{ source('forecast', 'backtest_forecast') }}
),

actuals as (
    select sku_id, location_id, bucket_date, family_id, region, demand_qty
    from {{ ref('fct_demand_history') }}
),

paired as (
    select
        backtest.cycle_id,
        backtest.model_name,
        backtest.sku_id,
        backtest.location_id,
        actuals.family_id,
        actuals.region,
        backtest.forecast_qty,
        actuals.demand_qty as actual_qty
    from backtest
    inner join actuals
        on backtest.sku_id = actuals.sku_id
        and backtest.location_id = actuals.location_id
        and backtest.bucket_date = actuals.bucket_date
),

per_series as (
    select
        cycle_id,
        model_name,
        sku_id,
        location_id,
        family_id,
        region,
        count(*) as evaluated_buckets,
        {{ sum_rounded("actual_qty", 6) }} as actual_qty,
        {{ sum_rounded("forecast_qty", 6) }} as forecast_qty,
        {{ sum_rounded("abs(forecast_qty - actual_qty)", 6) }} as abs_error_qty,
        {{ round_to("sqrt(" ~ exact_avg("(forecast_qty - actual_qty) * (forecast_qty - actual_qty)") ~ ")", 6) }} as rmse_qty
    from paired
    group by cycle_id, model_name, sku_id, location_id, family_id, region
)

select * from per_series
