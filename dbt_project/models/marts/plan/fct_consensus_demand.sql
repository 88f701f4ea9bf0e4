-- Consensus demand of the cycle: the statistical forecast, replaced by a planner's override where one exists
-- (the latest override per series and month wins). The demand the supply plan must meet.
with statistical as (
    select * from {{ source('forecast', 'demand_forecast') }}
    where cycle_id = '{{ cycle_id() }}' and model_name = 'lightgbm'
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

consensus as (
    select
        cast(statistical.cycle_id as varchar) as cycle_id,
        cast(statistical.sku_id as varchar) as sku_id,
        cast(statistical.location_id as varchar) as location_id,
        cast(statistical.month_date as date) as month_date,
        cast(statistical.forecast_qty as double) as statistical_forecast_qty,
        cast(baseline.forecast_qty as double) as baseline_forecast_qty,
        cast(overrides.override_qty as double) as override_qty,
        cast(coalesce(overrides.override_qty, statistical.forecast_qty) as double) as consensus_demand_qty,
        cast(overrides.override_id as varchar) as override_id,
        cast(overrides.planner as varchar) as override_planner,
        cast(overrides.reason as varchar) as override_reason,
        overrides.override_id is not null as is_overridden
    from statistical
    left join baseline
        on statistical.sku_id = baseline.sku_id
        and statistical.location_id = baseline.location_id
        and statistical.month_date = baseline.month_date
    left join overrides
        on statistical.sku_id = overrides.sku_id
        and statistical.location_id = overrides.location_id
        and statistical.month_date = overrides.month_date
)

select * from consensus
