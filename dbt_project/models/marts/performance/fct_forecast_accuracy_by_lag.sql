-- Forecast accuracy of archived forecasts at the lags the S&OP meeting watches, per forecast cycle, model and
-- lag, for every series and rolled up per family, per region and in total; with the value each stage of the
-- forecasting process adds over the one before it (naive -> statistical -> LightGBM -> consensus).
-- An aggregate level is scored as the planners see it: its forecast is the sum of its series' forecasts.
{#- one scored target: the same forecast cycle, lag and hierarchy member, whatever the model -#}
{%- set same_target = 'kpis.cycle_id, kpis.forecast_lag, kpis.aggregation_level, kpis.sku_id, kpis.location_id, '
    ~ 'kpis.family_id, kpis.region' %}

with scored as (
    select * from {{ ref('int_forecasts_scored') }}
    where forecast_lag in ({{ var('accuracy_lags') | join(', ') }})
),

stages as (
    select * from {{ ref('forecast_stages') }}
),

rolled_up as (
    select
        cycle_id,
        model_name,
        forecast_lag,
        bucket_date,
        {{ hierarchy_member_columns() }},
        count(*) as series_count,
        {{ sum_rounded('actual_qty', 4) }} as actual_qty,
        {{ sum_rounded('forecast_qty', 4) }} as forecast_qty,
        {{ sum_rounded('abs(forecast_qty - actual_qty)', 4) }} as series_abs_error_qty,
        {{ round_to(exact_avg('case when actual_qty > 0 then abs(forecast_qty - actual_qty) / actual_qty end'), 6) }} as mape,
        {{ round_to(exact_avg('abs(forecast_qty - actual_qty) / nullif(naive_scale_qty, 0)'), 6) }} as mase
    from scored
    group by {{ hierarchy_grouping_sets(['cycle_id', 'model_name', 'forecast_lag', 'bucket_date']) }}
),

kpis as (
    select
        rolled_up.*,
        {{ round_to('abs(forecast_qty - actual_qty) / nullif(actual_qty, 0)', 6) }} as wape,
        {{ round_to('series_abs_error_qty / nullif(actual_qty, 0)', 6) }} as series_wape,
        {{ round_to('(forecast_qty - actual_qty) / nullif(actual_qty, 0)', 6) }} as bias
    from rolled_up
),

staged as (
    select
        kpis.*,
        stages.stage_order,
        stages.stage_name,
        max(case when stages.stage_order = 1 then kpis.wape end) over same_target as naive_wape,
        lag(kpis.wape) over (partition by {{ same_target }} order by stages.stage_order) as previous_stage_wape
    from kpis
    inner join stages on kpis.model_name = stages.model_name
    window same_target as (partition by {{ same_target }})
),

final as (
    select
        cast(cycle_id as {{ text() }}) as forecast_cycle_id,
        cast(model_name as {{ text() }}) as model_name,
        cast(stage_name as {{ text() }}) as stage_name,
        cast(stage_order as integer) as stage_order,
        cast(forecast_lag as integer) as forecast_lag,
        cast(bucket_date as date) as bucket_date,
        cast(aggregation_level as {{ text() }}) as aggregation_level,
        cast(sku_id as {{ text() }}) as sku_id,
        cast(location_id as {{ text() }}) as location_id,
        cast(family_id as {{ text() }}) as family_id,
        cast(region as {{ text() }}) as region,
        cast(series_count as bigint) as series_count,
        cast(actual_qty as {{ double() }}) as actual_qty,
        cast(forecast_qty as {{ double() }}) as forecast_qty,
        cast(series_abs_error_qty as {{ double() }}) as series_abs_error_qty,
        cast(wape as {{ double() }}) as wape,
        cast(series_wape as {{ double() }}) as series_wape,
        cast(mape as {{ double() }}) as mape,
        cast(bias as {{ double() }}) as bias,
        cast(mase as {{ double() }}) as mase,
        cast({{ round_to('naive_wape - wape', 6) }} as {{ double() }}) as fva_wape_vs_naive,
        cast({{ round_to('previous_stage_wape - wape', 6) }} as {{ double() }}) as fva_wape_vs_previous_stage
    from staged
)

select * from final
