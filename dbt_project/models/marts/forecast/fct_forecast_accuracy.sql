-- Forecast accuracy per cycle and model, by family and in total (family_id = 'ALL'), on held-out buckets.
-- WAPE = sum |forecast - actual| / sum actual; bias = (sum forecast - sum actual) / sum actual.
with errors as (
    select * from {{ ref('fct_forecast_series_errors') }}
),

aggregated as (
    select
        cycle_id,
        model_name,
        coalesce(family_id, 'ALL') as family_id,
        count(*) as series_count,
        max(evaluated_buckets) as evaluated_buckets,
        {{ round_to("sum(actual_qty)", 6) }} as actual_qty,
        {{ round_to("sum(forecast_qty)", 6) }} as forecast_qty,
        {{ round_to("sum(abs_error_qty)", 6) }} as abs_error_qty
    from errors
    group by grouping sets ((cycle_id, model_name, family_id), (cycle_id, model_name))
),

kpis as (
    select
        cast(cycle_id as varchar) as cycle_id,
        cast(model_name as varchar) as model_name,
        cast(family_id as varchar) as family_id,
        cast(series_count as bigint) as series_count,
        cast(evaluated_buckets as bigint) as evaluated_buckets,
        cast(actual_qty as double precision) as actual_qty,
        cast(forecast_qty as double precision) as forecast_qty,
        cast(abs_error_qty as double precision) as abs_error_qty,
        cast(abs_error_qty / nullif(actual_qty, 0) as double precision) as wape,
        cast((forecast_qty - actual_qty) / nullif(actual_qty, 0) as double precision) as bias
    from aggregated
)

select * from kpis
