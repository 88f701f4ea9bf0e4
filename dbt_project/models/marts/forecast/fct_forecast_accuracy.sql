-- Backtest accuracy per cycle and method on its rolling-origin windows (every method on the same ones), for
-- every series and rolled up per family, per region and in total. An aggregate is scored on its own series:
-- the sum of its members' forecasts (bottom-up, so every level is coherent with the series-level forecast)
-- against the sum of their actuals, scaled by that aggregate's own one-step naive error (RMSSE).
{#- one hierarchy member of one cycle's backtest -#}
{%- set member = 'aggregation_level, sku_id, location_id, family_id, region' %}

with backtest as (
    select * from {{ source('forecast', 'backtest_forecast') }}
    where cutoff_date is not null
),

history as (
    select sku_id, location_id, family_id, region, bucket_date, demand_qty
    from {{ ref('fct_demand_history') }}
),

paired as (
    select
        backtest.cycle_id,
        backtest.model_name,
        backtest.cutoff_date,
        backtest.bucket_date,
        backtest.sku_id,
        backtest.location_id,
        history.family_id,
        history.region,
        backtest.forecast_qty,
        history.demand_qty as actual_qty,
        -- the intervals of the last origin, calibrated on the earlier ones (LightGBM only)
        backtest.p10_qty is not null as has_interval,
        case when history.demand_qty between backtest.p10_qty and backtest.p90_qty then 1 else 0 end as covered,
        (
            {{ pinball('history.demand_qty', 'backtest.p10_qty', 0.1) }}
            + {{ pinball('history.demand_qty', 'backtest.p50_qty', 0.5) }}
            + {{ pinball('history.demand_qty', 'backtest.p90_qty', 0.9) }}
        ) as pinball_qty  -- of the three quantiles together; divided by 3 once summed
    from backtest
    inner join history
        on backtest.sku_id = history.sku_id
        and backtest.location_id = history.location_id
        and backtest.bucket_date = history.bucket_date
),

-- every level's own series, per origin and bucket
members as (
    select
        cycle_id,
        model_name,
        cutoff_date,
        bucket_date,
        {{ hierarchy_member_columns() }},
        count(*) as series_count,
        -- rounded wherever floats are summed: DuckDB may add them in another order on a rerun
        {{ sum_rounded('actual_qty', 4) }} as actual_qty,
        {{ sum_rounded('forecast_qty', 4) }} as forecast_qty,
        {{ sum_rounded('abs(forecast_qty - actual_qty)', 4) }} as series_abs_error_qty,
        sum(case when has_interval then 1 else 0 end) as interval_rows,
        sum(case when has_interval then covered else 0 end) as covered_rows,
        -- 6 digits: a quantile's share of a 4-digit error has 5, so no engine rounds a half differently
        {{ sum_rounded('pinball_qty', 6) }} as pinball_qty
    from paired
    group by {{ hierarchy_grouping_sets(['cycle_id', 'model_name', 'cutoff_date', 'bucket_date']) }}
),

-- the same levels' history, for the naive scale of each origin
history_members as (
    select
        bucket_date,
        {{ hierarchy_member_columns() }},
        {{ sum_rounded('demand_qty', 4) }} as demand_qty
    from history
    group by {{ hierarchy_grouping_sets(['bucket_date']) }}
),

naive_steps as (
    select
        history_members.*,
        demand_qty - lag(demand_qty) over (partition by {{ member }} order by bucket_date) as step_qty
    from history_members
),

origins as (
    select distinct cycle_id, cutoff_date from backtest
),

-- mean squared one-step naive error of each member's history up to each origin (RMSSE's denominator)
scales as (
    select
        origins.cycle_id,
        origins.cutoff_date,
        naive_steps.aggregation_level,
        naive_steps.sku_id,
        naive_steps.location_id,
        naive_steps.family_id,
        naive_steps.region,
        {{ round_to(exact_avg('naive_steps.step_qty * naive_steps.step_qty'), 4) }} as naive_mse
    from origins
    inner join naive_steps on naive_steps.bucket_date <= origins.cutoff_date
    group by
        origins.cycle_id,
        origins.cutoff_date,
        naive_steps.aggregation_level,
        naive_steps.sku_id,
        naive_steps.location_id,
        naive_steps.family_id,
        naive_steps.region
),

per_origin as (
    select
        members.cycle_id,
        members.model_name,
        members.cutoff_date,
        members.aggregation_level,
        members.sku_id,
        members.location_id,
        members.family_id,
        members.region,
        max(members.series_count) as series_count,
        count(*) as evaluated_buckets,
        {{ sum_rounded('members.actual_qty', 4) }} as actual_qty,
        {{ sum_rounded('members.forecast_qty', 4) }} as forecast_qty,
        {{ sum_rounded('abs(members.forecast_qty - members.actual_qty)', 4) }} as abs_error_qty,
        {{ sum_rounded('members.series_abs_error_qty', 4) }} as series_abs_error_qty,
        {{ round_to('sqrt(' ~ exact_avg('(members.forecast_qty - members.actual_qty) * (members.forecast_qty - members.actual_qty)')
            ~ ' / nullif(max(scales.naive_mse), 0))', 6) }} as rmsse,
        sum(members.interval_rows) as interval_rows,
        sum(members.covered_rows) as covered_rows,
        {{ sum_rounded('members.pinball_qty', 6) }} as pinball_qty
    from members
    left join scales
        on members.cycle_id = scales.cycle_id
        and members.cutoff_date = scales.cutoff_date
        and members.aggregation_level = scales.aggregation_level
        and members.sku_id = scales.sku_id
        and members.location_id = scales.location_id
        and members.family_id = scales.family_id
        and members.region = scales.region
    group by
        members.cycle_id,
        members.model_name,
        members.cutoff_date,
        members.aggregation_level,
        members.sku_id,
        members.location_id,
        members.family_id,
        members.region
),

scored as (
    select
        cycle_id,
        model_name,
        aggregation_level,
        sku_id,
        location_id,
        family_id,
        region,
        max(series_count) as series_count,
        count(*) as origins,
        sum(evaluated_buckets) as evaluated_buckets,
        {{ sum_rounded('actual_qty', 4) }} as actual_qty,
        {{ sum_rounded('forecast_qty', 4) }} as forecast_qty,
        {{ sum_rounded('abs_error_qty', 4) }} as abs_error_qty,
        {{ round_to(exact_sum('abs_error_qty') ~ ' / nullif(' ~ exact_sum('actual_qty') ~ ', 0)', 6) }} as wape,
        {{ round_to(exact_sum('series_abs_error_qty') ~ ' / nullif(' ~ exact_sum('actual_qty') ~ ', 0)', 6) }} as series_wape,
        {{ round_to('(' ~ exact_sum('forecast_qty') ~ ' - ' ~ exact_sum('actual_qty') ~ ') / nullif(' ~ exact_sum('actual_qty') ~ ', 0)', 6) }} as bias,
        {{ round_to(exact_sum('rmsse') ~ ' / nullif(count(rmsse), 0)', 6) }} as rmsse,
        sum(interval_rows) as interval_rows,
        {{ round_to('sum(covered_rows) / nullif(sum(interval_rows), 0)', 6) }} as interval_coverage_p10_p90,
        {{ round_to(exact_sum('pinball_qty') ~ ' / nullif(3 * sum(interval_rows), 0)', 6) }} as pinball_loss_qty
    from per_origin
    group by cycle_id, model_name, {{ member }}
),

final as (
    select
        cast(cycle_id as {{ text() }}) as cycle_id,
        cast(model_name as {{ text() }}) as model_name,
        cast(aggregation_level as {{ text() }}) as aggregation_level,
        cast(sku_id as {{ text() }}) as sku_id,
        cast(location_id as {{ text() }}) as location_id,
        cast(family_id as {{ text() }}) as family_id,
        cast(region as {{ text() }}) as region,
        cast(series_count as bigint) as series_count,
        cast(origins as bigint) as origins,
        cast(evaluated_buckets as bigint) as evaluated_buckets,
        cast(actual_qty as {{ double() }}) as actual_qty,
        cast(forecast_qty as {{ double() }}) as forecast_qty,
        cast(abs_error_qty as {{ double() }}) as abs_error_qty,
        cast(wape as {{ double() }}) as wape,
        cast(series_wape as {{ double() }}) as series_wape,
        cast(bias as {{ double() }}) as bias,
        cast(rmsse as {{ double() }}) as rmsse,
        cast({{ round_to(
            "max(case when model_name = 'seasonal_naive' then wape end) over (partition by cycle_id, " ~ member ~ ") - wape",
            6) }} as {{ double() }}) as fva_wape_vs_seasonal_naive,
        cast(interval_rows as bigint) as interval_rows,
        cast(interval_coverage_p10_p90 as {{ double() }}) as interval_coverage_p10_p90,
        cast(pinball_loss_qty as {{ double() }}) as pinball_loss_qty
    from scored
)

select * from final
