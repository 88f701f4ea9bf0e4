-- Backtest errors per cycle, model and series, over the held-out months: the grain safety stock reads.
with backtest as (
    select * from {{ source('forecast', 'backtest_forecast') }}
),

actuals as (
    select sku_id, location_id, month_date, family_id, region, demand_qty
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
        and backtest.month_date = actuals.month_date
),

per_series as (
    select
        cycle_id,
        model_name,
        sku_id,
        location_id,
        family_id,
        region,
        count(*) as evaluated_months,
        sum(actual_qty) as actual_qty,
        sum(forecast_qty) as forecast_qty,
        sum(abs(forecast_qty - actual_qty)) as abs_error_qty,
        sqrt(avg((forecast_qty - actual_qty) * (forecast_qty - actual_qty))) as rmse_qty
    from paired
    group by cycle_id, model_name, sku_id, location_id, family_id, region
)

select * from per_series
