-- Which series each of the cycle's planner overrides covers, and which override governs each series and month.
-- An override covers every forecast series that matches all of its scope columns (an empty one matches
-- anything). Where several cover a series in a month, the most specific scope wins (a SKU before a location
-- before a family before a region), then the later one: a planner can set a family's month and still correct
-- one SKU in it. The S&OP meeting's override requests (stg_decisions__change_requests) are overrides like the
-- planners' file's, made by who asked for them when the meeting decided: a later request outranks an earlier
-- override of the same scope.
with planner_overrides as (
    select
        override_id, sku_id, location_id, family_id, region, month_date, override_qty, override_pct,
        override_level, scope_specificity, planner, reason, created_at
    from {{ ref('stg_landing__planner_overrides') }}
),

requested as (
    select * from {{ ref('stg_decisions__change_requests') }}
    where change_kind = 'override'
),

requested_overrides as (
    select
        {{ dbt.concat(["'decision:'", 'decision_id']) }} as override_id,
        sku_id,
        location_id,
        family_id,
        region,
        month_date,
        override_qty,
        override_pct,
        {{ override_scope() }},
        decided_by as planner,
        reason,
        decided_at as created_at
    from requested
),

overrides as (
    select * from planner_overrides
    where month_date >= {{ cycle_start_date() }}
    union all
    select * from requested_overrides
    where month_date >= {{ cycle_start_date() }}
),

series as (
    select distinct
        forecasts.sku_id,
        forecasts.location_id,
        dims.family_id,
        dims.region
    from {{ source('forecast', 'demand_forecast') }} as forecasts
    inner join {{ ref('dim_sku_locations') }} as dims
        on forecasts.sku_id = dims.sku_id
        and forecasts.location_id = dims.location_id
    where forecasts.cycle_id = '{{ cycle_id() }}' and forecasts.model_name in ('lightgbm', 'like_item')
),

matched as (
    select
        overrides.override_id,
        overrides.month_date,
        series.sku_id,
        series.location_id,
        overrides.override_level,
        overrides.scope_specificity,
        overrides.override_qty,
        overrides.override_pct,
        overrides.planner,
        overrides.reason,
        overrides.created_at
    from overrides
    inner join series
        on (overrides.sku_id is null or overrides.sku_id = series.sku_id)
        and (overrides.location_id is null or overrides.location_id = series.location_id)
        and (overrides.family_id is null or overrides.family_id = series.family_id)
        and (overrides.region is null or overrides.region = series.region)
),

ranked as (
    select
        matched.*,
        row_number() over (
            partition by sku_id, location_id, month_date
            order by scope_specificity desc, created_at desc, override_id desc
        ) = 1 as is_governing
    from matched
)

select * from ranked
