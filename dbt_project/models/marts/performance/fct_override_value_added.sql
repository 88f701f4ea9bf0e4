-- Did the planners' overrides help? Every override of an earlier cycle whose month now has actuals, scored
-- against the statistical forecast it replaced: value added = the statistical forecast's absolute error - the
-- override's (positive = the override was closer to what was ordered). As of the current cycle: each cycle
-- rescores every override it can, and publishes the table with its own cycle_id.
with consensus as (
    select * from {{ ref('fct_consensus_demand') }}
    where is_overridden and cycle_id < '{{ cycle_id() }}'
),

actuals as (
    select sku_id, location_id, bucket_date, family_id, region, demand_qty
    from {{ ref('fct_demand_history') }}
),

scored as (
    select
        consensus.cycle_id as override_cycle_id,
        consensus.override_id,
        consensus.sku_id,
        consensus.location_id,
        actuals.family_id,
        actuals.region,
        consensus.override_planner,
        consensus.override_reason,
        cast(date_trunc('month', consensus.bucket_date) as date) as month_date,
        count(*) as scored_buckets,
        sum(actuals.demand_qty) as actual_qty,
        sum(consensus.statistical_forecast_qty) as statistical_forecast_qty,
        sum(consensus.consensus_demand_qty) as override_qty,
        sum(abs(consensus.statistical_forecast_qty - actuals.demand_qty)) as statistical_abs_error_qty,
        sum(abs(consensus.consensus_demand_qty - actuals.demand_qty)) as override_abs_error_qty
    from consensus
    inner join actuals
        on consensus.sku_id = actuals.sku_id
        and consensus.location_id = actuals.location_id
        and consensus.bucket_date = actuals.bucket_date
    group by
        consensus.cycle_id,
        consensus.override_id,
        consensus.sku_id,
        consensus.location_id,
        actuals.family_id,
        actuals.region,
        consensus.override_planner,
        consensus.override_reason,
        cast(date_trunc('month', consensus.bucket_date) as date)
),

final as (
    select
        cast('{{ cycle_id() }}' as varchar) as cycle_id,
        cast(override_cycle_id as varchar) as override_cycle_id,
        cast(override_id as varchar) as override_id,
        cast(sku_id as varchar) as sku_id,
        cast(location_id as varchar) as location_id,
        cast(family_id as varchar) as family_id,
        cast(region as varchar) as region,
        cast(override_planner as varchar) as planner,
        cast(override_reason as varchar) as reason,
        cast(month_date as date) as month_date,
        cast(scored_buckets as bigint) as scored_buckets,
        cast({{ round_to('actual_qty', 4) }} as double precision) as actual_qty,
        cast({{ round_to('statistical_forecast_qty', 4) }} as double precision) as statistical_forecast_qty,
        cast({{ round_to('override_qty', 4) }} as double precision) as override_qty,
        cast({{ round_to('statistical_abs_error_qty', 4) }} as double precision) as statistical_abs_error_qty,
        cast({{ round_to('override_abs_error_qty', 4) }} as double precision) as override_abs_error_qty,
        cast({{ round_to('statistical_abs_error_qty - override_abs_error_qty', 4) }} as double precision)
            as value_added_qty,
        override_abs_error_qty < statistical_abs_error_qty as is_improvement
    from scored
)

select * from final
