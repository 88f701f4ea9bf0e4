-- Consensus demand of the cycle: the statistical forecast, replaced by a planner's override where one exists
-- (the latest override per series and month wins). The demand the supply plan must meet.
-- Overrides are monthly, as planners think; in weekly buckets a month's override is spread over the weeks
-- that start in it, in proportion to the statistical forecast (evenly where that forecast is zero).
with statistical as (
    select
        forecasts.*,
        cast(date_trunc('month', bucket_date) as date) as month_date
    from {{ source('forecast', 'demand_forecast') }} as forecasts
    -- LightGBM's forecast; for a launching product (no history) its family's launch curve (like_item)
    where cycle_id = '{{ cycle_id() }}' and model_name in ('lightgbm', 'like_item')
),

baseline as (
    select * from {{ source('forecast', 'demand_forecast') }}
    where cycle_id = '{{ cycle_id() }}' and model_name = 'seasonal_naive'
),

overrides as (
    select *
    from (
        select
            overrides.*,
            row_number() over (
                partition by sku_id, location_id, month_date order by created_at desc, override_id desc
            ) as override_rank
        from {{ ref('stg_landing__planner_overrides') }} as overrides
        where month_date >= {{ cycle_start_date() }}
    ) as ranked
    where override_rank = 1
),

shares as (
    -- each bucket's share of its month (1 for monthly buckets)
    select
        sku_id,
        location_id,
        bucket_date,
        coalesce(
            forecast_qty / nullif(sum(forecast_qty) over (partition by sku_id, location_id, month_date), 0),
            1.0 / count(*) over (partition by sku_id, location_id, month_date)
        ) as share_of_month
    from statistical
),

consensus as (
    select
        cast(statistical.cycle_id as varchar) as cycle_id,
        cast(statistical.sku_id as varchar) as sku_id,
        cast(statistical.location_id as varchar) as location_id,
        cast(statistical.bucket_date as date) as bucket_date,
        cast(statistical.model_name as varchar) as statistical_model_name,
        cast(statistical.forecast_qty as double precision) as statistical_forecast_qty,
        cast(baseline.forecast_qty as double precision) as baseline_forecast_qty,
        cast(statistical.p10_qty as double precision) as statistical_p10_qty,
        cast(statistical.p50_qty as double precision) as statistical_p50_qty,
        cast(statistical.p90_qty as double precision) as statistical_p90_qty,
        cast({{ round_to("overrides.override_qty * shares.share_of_month", 4) }} as double precision) as override_qty,
        cast(
            coalesce({{ round_to("overrides.override_qty * shares.share_of_month", 4) }}, statistical.forecast_qty) as double precision
        ) as consensus_demand_qty,
        cast(overrides.override_id as varchar) as override_id,
        cast(overrides.planner as varchar) as override_planner,
        cast(overrides.reason as varchar) as override_reason,
        overrides.override_id is not null as is_overridden
    from statistical
    inner join shares
        on statistical.sku_id = shares.sku_id
        and statistical.location_id = shares.location_id
        and statistical.bucket_date = shares.bucket_date
    left join baseline
        on statistical.sku_id = baseline.sku_id
        and statistical.location_id = baseline.location_id
        and statistical.bucket_date = baseline.bucket_date
    left join overrides
        on statistical.sku_id = overrides.sku_id
        and statistical.location_id = overrides.location_id
        and statistical.month_date = overrides.month_date
)

select * from consensus
