-- The audit of the cycle's planner overrides: for each one, what it covered and what it changed. An override
-- that changed nothing says why (no series in its scope, a month past the horizon, or more specific or later
-- overrides cover all its series), so no planner input disappears without a trace.
with overrides as (
    select * from {{ ref('stg_landing__planner_overrides') }}
    where month_date >= {{ cycle_start_date() }}
),

matched as (
    select
        override_id,
        count(*) as matched_series,
        sum(case when is_governing then 1 else 0 end) as governed_series
    from {{ ref('int_overrides_matched') }}
    group by override_id
),

consensus as (
    select * from {{ ref('fct_consensus_demand') }}
    where cycle_id = '{{ cycle_id() }}'
),

applied as (
    select
        override_id,
        count(*) as governed_buckets,
        {{ sum_rounded('statistical_forecast_qty', 4) }} as statistical_forecast_qty,
        {{ sum_rounded('consensus_demand_qty', 4) }} as consensus_demand_qty
    from consensus
    where is_overridden
    group by override_id
),

horizon as (
    select max(bucket_date) as last_bucket_date from consensus
),

final as (
    select
        cast('{{ cycle_id() }}' as {{ text() }}) as cycle_id,
        cast(overrides.override_id as {{ text() }}) as override_id,
        cast(overrides.override_level as {{ text() }}) as override_level,
        cast(overrides.sku_id as {{ text() }}) as sku_id,
        cast(overrides.location_id as {{ text() }}) as location_id,
        cast(overrides.family_id as {{ text() }}) as family_id,
        cast(overrides.region as {{ text() }}) as region,
        cast(overrides.month_date as date) as month_date,
        cast(overrides.override_qty as {{ double() }}) as override_qty,
        cast(overrides.override_pct as {{ double() }}) as override_pct,
        cast(overrides.planner as {{ text() }}) as planner,
        cast(overrides.reason as {{ text() }}) as reason,
        cast(overrides.created_at as timestamp) as created_at,
        cast(coalesce(matched.matched_series, 0) as bigint) as matched_series,
        cast(coalesce(matched.governed_series, 0) as bigint) as governed_series,
        cast(coalesce(applied.governed_buckets, 0) as bigint) as governed_buckets,
        cast(coalesce(applied.statistical_forecast_qty, 0) as {{ double() }}) as statistical_forecast_qty,
        cast(coalesce(applied.consensus_demand_qty, 0) as {{ double() }}) as consensus_demand_qty,
        cast(
            {{ round_to('coalesce(applied.consensus_demand_qty, 0) - coalesce(applied.statistical_forecast_qty, 0)', 4) }}
            as {{ double() }}
        ) as change_qty,
        cast(
            case
                when coalesce(matched.matched_series, 0) = 0 then 'no series in scope'
                when overrides.month_date > horizon.last_bucket_date then 'after the horizon'
                when matched.governed_series = 0 then 'superseded'
                when matched.governed_series < matched.matched_series then 'partly superseded'
                else 'applied'
            end as {{ text() }}
        ) as status
    from overrides
    cross join horizon
    left join matched on overrides.override_id = matched.override_id
    left join applied on overrides.override_id = applied.override_id
)

select * from final
