{%- set statistical_error = 'abs(scored.statistical_forecast_qty - scored.actual_qty)' %}
{%- set override_error = 'abs(scored.override_qty - scored.actual_qty)' %}
-- Did the planners' overrides help? Every override of an earlier cycle whose month now has actuals, scored at
-- the level it was made (the series and buckets it governed, summed) against the statistical forecast it
-- replaced: value added = the statistical forecast's absolute error - the override's (positive = the override
-- was closer to what was ordered). As of the current cycle: each cycle rescores every override it can, and
-- publishes the table with its own cycle_id.
with consensus as (
    select * from {{ ref('fct_consensus_demand') }}
    where is_overridden and cycle_id < '{{ cycle_id() }}'
),

actuals as (
    select sku_id, location_id, bucket_date, demand_qty
    from {{ ref('fct_demand_history') }}
),

audit as (
    select * from {{ ref('fct_override_audit') }}
),

scored as (
    select
        consensus.cycle_id as override_cycle_id,
        consensus.override_id,
        max(consensus.override_level) as override_level,
        max(consensus.override_planner) as override_planner,
        max(consensus.override_reason) as override_reason,
        cast(date_trunc('month', min(consensus.bucket_date)) as date) as month_date,
        count(distinct consensus.sku_id || '|' || consensus.location_id) as scored_series,
        count(*) as scored_buckets,
        {{ sum_rounded('actuals.demand_qty', 4) }} as actual_qty,
        {{ sum_rounded('consensus.statistical_forecast_qty', 4) }} as statistical_forecast_qty,
        {{ sum_rounded('consensus.consensus_demand_qty', 4) }} as override_qty
    from consensus
    inner join actuals
        on consensus.sku_id = actuals.sku_id
        and consensus.location_id = actuals.location_id
        and consensus.bucket_date = actuals.bucket_date
    group by consensus.cycle_id, consensus.override_id
),

final as (
    select
        cast('{{ cycle_id() }}' as {{ text() }}) as cycle_id,
        cast(scored.override_cycle_id as {{ text() }}) as override_cycle_id,
        cast(scored.override_id as {{ text() }}) as override_id,
        cast(coalesce(scored.override_level, 'sku_location') as {{ text() }}) as override_level,
        -- the scope as the planner set it: null where it was left open
        cast(audit.sku_id as {{ text() }}) as sku_id,
        cast(audit.location_id as {{ text() }}) as location_id,
        cast(audit.family_id as {{ text() }}) as family_id,
        cast(audit.region as {{ text() }}) as region,
        cast(scored.override_planner as {{ text() }}) as planner,
        cast(scored.override_reason as {{ text() }}) as reason,
        cast(scored.month_date as date) as month_date,
        cast(scored.scored_series as bigint) as scored_series,
        cast(scored.scored_buckets as bigint) as scored_buckets,
        cast(scored.actual_qty as {{ double() }}) as actual_qty,
        cast(scored.statistical_forecast_qty as {{ double() }}) as statistical_forecast_qty,
        cast(scored.override_qty as {{ double() }}) as override_qty,
        cast({{ round_to(statistical_error, 4) }} as {{ double() }}) as statistical_abs_error_qty,
        cast({{ round_to(override_error, 4) }} as {{ double() }}) as override_abs_error_qty,
        cast({{ round_to(statistical_error ~ ' - ' ~ override_error, 4) }} as {{ double() }}) as value_added_qty,
        {{ override_error }} < {{ statistical_error }} as is_improvement
    from scored
    left join audit
        on scored.override_cycle_id = audit.cycle_id
        and scored.override_id = audit.override_id
)

select * from final
