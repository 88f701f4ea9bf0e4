-- The S&OP scorecard as of the cycle: the headline KPI of every area for every history month, per family, per
-- region and in total. Each ratio is recomputed from the level's sums (a family's fill rate is its shipped
-- units over its ordered units), never averaged over series. Production KPIs belong to plants, which do not
-- map onto families or regions: they are filled on the total rows only. Plan stability (plan_change_rate) compares
-- plans, not history: it is on the row of the month before the cycle.
{%- set stability_months = 3 %}
with service_buckets as (
    select
        service_level.*,
        cast({{ dbt.date_trunc('month', 'bucket_date') }} as date) as month_date,
        max(bucket_date) over (
            partition by sku_id, location_id, {{ dbt.date_trunc('month', 'bucket_date') }}
        ) as last_bucket_of_month_date
    from {{ ref('fct_service_level') }} as service_level
),

service as (
    -- buckets count toward the month they start in; backorders are a stock: the month's is its last bucket's
    select
        month_date,
        {{ aggregation_level(series=false) }} as aggregation_level,
        {{ level_member('family_id') }} as family_id,
        {{ level_member('region') }} as region,
        sum(ordered_qty) as ordered_qty,
        sum(shipped_qty) as shipped_qty,
        sum(order_lines) as order_lines,
        sum(on_time_in_full_lines) as on_time_in_full_lines,
        sum(case when bucket_date = last_bucket_of_month_date then backorder_qty else 0 end) as backorder_qty,
        sum(case when has_stockout then 1 else 0 end) as stockout_buckets,
        sum(case when ordered_qty > 0 then 1 else 0 end) as buckets_with_orders
    from service_buckets
    group by {{ hierarchy_grouping_sets(['month_date'], series=false) }}
),

inventory_series as (
    select
        health.*,
        products.family_id,
        locations.region
    from {{ ref('fct_inventory_health') }} as health
    inner join {{ ref('stg_landing__products') }} as products on health.sku_id = products.sku_id
    inner join {{ ref('stg_landing__locations') }} as locations on health.location_id = locations.location_id
),

inventory as (
    select
        month_date,
        {{ aggregation_level(series=false) }} as aggregation_level,
        {{ level_member('family_id') }} as family_id,
        {{ level_member('region') }} as region,
        sum(on_hand_qty) as on_hand_qty,
        {{ sum_rounded('inventory_value_amount', 4) }} as inventory_value_amount,
        {{ sum_rounded('avg_daily_shipped_qty', 6) }} as avg_daily_shipped_qty,
        {{ sum_rounded('annual_shipped_cost_amount', 4) }} as annual_shipped_cost_amount,
        {{ sum_rounded('avg_inventory_value_amount', 4) }} as avg_inventory_value_amount,
        {{ sum_rounded('excess_value_amount', 4) }} as excess_value_amount,
        {{ sum_rounded('case when is_obsolete then inventory_value_amount else 0 end', 4) }} as obsolete_value_amount,
        {{ sum_rounded('case when is_slow_mover then inventory_value_amount else 0 end', 4) }}
            as slow_mover_value_amount
    from inventory_series
    group by {{ hierarchy_grouping_sets(['month_date'], series=false) }}
),

finance as (
    select
        month_date,
        case
            when family_id <> 'ALL' then 'family'
            when region <> 'ALL' then 'region'
            else 'total'
        end as aggregation_level,
        family_id,
        region,
        revenue_amount,
        cost_amount,
        margin_amount,
        margin_rate,
        budget_revenue_amount,
        revenue_gap_amount,
        revenue_gap_rate
    from {{ ref('fct_financials_monthly') }}
    where family_id = 'ALL' or region = 'ALL'
),

forecast as (
    -- the consensus demand the plans were built on, scored at lags 1 and 3, and what it added over naive
    select
        cast({{ dbt.date_trunc('month', 'bucket_date') }} as date) as month_date,
        aggregation_level,
        family_id,
        region,
        {{ sum_where("model_name = 'consensus' and forecast_lag = 1", 'abs(forecast_qty - actual_qty)') }}
            / nullif({{ sum_where("model_name = 'consensus' and forecast_lag = 1", 'actual_qty') }}, 0)
            as forecast_wape_lag_1,
        {{ sum_where("model_name = 'consensus' and forecast_lag = 1", 'forecast_qty - actual_qty') }}
            / nullif({{ sum_where("model_name = 'consensus' and forecast_lag = 1", 'actual_qty') }}, 0)
            as forecast_bias_lag_1,
        {{ sum_where("model_name = 'consensus' and forecast_lag = 3", 'abs(forecast_qty - actual_qty)') }}
            / nullif({{ sum_where("model_name = 'consensus' and forecast_lag = 3", 'actual_qty') }}, 0)
            as forecast_wape_lag_3,
        {{ sum_where("model_name = 'naive' and forecast_lag = 1", 'abs(forecast_qty - actual_qty)') }}
            / nullif({{ sum_where("model_name = 'naive' and forecast_lag = 1", 'actual_qty') }}, 0)
            as naive_wape_lag_1
    from {{ ref('fct_forecast_accuracy_by_lag') }}
    where aggregation_level <> 'sku_location' and model_name in ('consensus', 'naive')
    group by {{ dbt.date_trunc('month', 'bucket_date') }}, aggregation_level, family_id, region
),

capacity as (
    select
        month_date,
        {{ round_to(exact_sum('used_hours') ~ ' / nullif(' ~ exact_sum('available_hours') ~ ', 0)', 6) }} as capacity_utilization,
        {{ round_to(exact_sum('standard_hours') ~ ' / nullif(' ~ exact_sum('used_hours') ~ ', 0)', 6) }} as production_efficiency
    from {{ ref('fct_capacity_utilization') }}
    group by month_date
),

attainment as (
    select
        month_date,
        {{ round_to(exact_sum('attained_qty') ~ ' / nullif(' ~ exact_sum('planned_qty') ~ ', 0)', 6) }} as schedule_attainment
    from {{ ref('fct_schedule_attainment') }}
    group by month_date
),

plan_stability as (
    -- how much the supply plan of the horizon's first {{ stability_months }} months moved against the last approved
    -- plan (fct_plan_changes): the changes per family, region and month added up unsigned (one family's rise does
    -- not cancel another's fall), over what the approved plan had there. On the row of the month before the
    -- cycle starts: the scorecard's "now"; null without an approved plan before the cycle.
    select
        {{ aggregation_level(series=false) }} as aggregation_level,
        {{ level_member('family_id') }} as family_id,
        {{ level_member('region') }} as region,
        sum(abs(change_value)) as moved_qty,
        sum(previous_value) as approved_qty
    from {{ ref('fct_plan_changes') }}
    where measure_name = 'supply_qty'
        and month_date >= {{ cycle_start_date() }}
        and month_date < {{ dbt.dateadd('month', stability_months, cycle_start_date()) }}
    group by {{ hierarchy_grouping_sets([], series=false) }}
),

members as (
    select month_date, aggregation_level, family_id, region from service
    union
    select month_date, aggregation_level, family_id, region from inventory
    union
    select month_date, aggregation_level, family_id, region from finance
),

final as (
    select
        cast('{{ cycle_id() }}' as {{ text() }}) as cycle_id,
        cast(members.month_date as date) as month_date,
        cast(members.aggregation_level as {{ text() }}) as aggregation_level,
        cast(members.family_id as {{ text() }}) as family_id,
        cast(members.region as {{ text() }}) as region,
        cast(service.ordered_qty as {{ double() }}) as ordered_qty,
        cast(service.shipped_qty as {{ double() }}) as shipped_qty,
        {{ round_to('cast(service.shipped_qty as ' ~ double() ~ ') / nullif(service.ordered_qty, 0)', 6) }}
            as fill_rate,
        {{ round_to('cast(service.on_time_in_full_lines as ' ~ double() ~ ') / nullif(service.order_lines, 0)', 6) }}
            as on_time_in_full_rate,
        cast(service.backorder_qty as {{ double() }}) as backorder_qty,
        cast(service.stockout_buckets as bigint) as stockout_buckets,
        {{ round_to('cast(service.stockout_buckets as ' ~ double() ~ ') / nullif(service.buckets_with_orders, 0)', 6) }}
            as stockout_bucket_rate,
        cast(inventory.on_hand_qty as {{ double() }}) as on_hand_qty,
        cast(inventory.inventory_value_amount as {{ double() }}) as inventory_value_amount,
        cast({{ round_to('inventory.on_hand_qty / nullif(inventory.avg_daily_shipped_qty, 0)', 6) }} as {{ double() }})
            as days_of_supply,
        cast(
            {{ round_to('inventory.annual_shipped_cost_amount / nullif(inventory.avg_inventory_value_amount, 0)', 6) }}
            as {{ double() }}
        ) as inventory_turns,
        cast(inventory.excess_value_amount as {{ double() }}) as excess_value_amount,
        cast(inventory.obsolete_value_amount as {{ double() }}) as obsolete_value_amount,
        cast(inventory.slow_mover_value_amount as {{ double() }}) as slow_mover_value_amount,
        cast(finance.revenue_amount as {{ double() }}) as revenue_amount,
        cast(finance.cost_amount as {{ double() }}) as cost_amount,
        cast(finance.margin_amount as {{ double() }}) as margin_amount,
        cast(finance.margin_rate as {{ double() }}) as margin_rate,
        cast(finance.budget_revenue_amount as {{ double() }}) as budget_revenue_amount,
        cast(finance.revenue_gap_amount as {{ double() }}) as revenue_gap_amount,
        cast(finance.revenue_gap_rate as {{ double() }}) as revenue_gap_rate,
        cast(forecast.forecast_wape_lag_1 as {{ double() }}) as forecast_wape_lag_1,
        cast(forecast.forecast_bias_lag_1 as {{ double() }}) as forecast_bias_lag_1,
        cast(forecast.forecast_wape_lag_3 as {{ double() }}) as forecast_wape_lag_3,
        cast({{ round_to('forecast.naive_wape_lag_1 - forecast.forecast_wape_lag_1', 6) }} as {{ double() }})
            as forecast_value_added_lag_1,
        cast(case when members.aggregation_level = 'total' then capacity.capacity_utilization end as {{ double() }})
            as capacity_utilization,
        cast(case when members.aggregation_level = 'total' then capacity.production_efficiency end as {{ double() }})
            as production_efficiency,
        cast(case when members.aggregation_level = 'total' then attainment.schedule_attainment end as {{ double() }})
            as schedule_attainment,
        cast(
            {{ round_to('cast(plan_stability.moved_qty as ' ~ double() ~ ') / nullif(plan_stability.approved_qty, 0)', 6) }}
            as {{ double() }}
        ) as plan_change_rate
    from members
    left join service using (month_date, aggregation_level, family_id, region)
    left join inventory using (month_date, aggregation_level, family_id, region)
    left join finance using (month_date, aggregation_level, family_id, region)
    left join forecast using (month_date, aggregation_level, family_id, region)
    left join capacity on members.month_date = capacity.month_date
    left join attainment on members.month_date = attainment.month_date
    left join plan_stability
        on members.aggregation_level = plan_stability.aggregation_level
        and members.family_id = plan_stability.family_id
        and members.region = plan_stability.region
        and members.month_date = {{ dbt.dateadd('month', -1, cycle_start_date()) }}
)

select * from final
