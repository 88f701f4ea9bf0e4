-- What the S&OP meeting must look at in the cycle's plan: one row per problem and what it concerns, with its
-- size in units (hours for capacity) and EUR, the horizon bucket where it first bites and how many buckets it
-- lasts, and a severity. Kinds:
--   shortage            demand the plan cannot meet (EUR: lost revenue at net price)
--   below_safety_stock  closing stock under safety stock (size: the largest gap; EUR at standard cost)
--   excess              closing stock above safety stock plus the next 3 buckets' demand (largest; at cost)
--   capacity_overload   a resource planned beyond its regular hours, on overtime (EUR: overtime cost)
--   budget_gap          a family's planned revenue more than 5% under budget in a month (EUR: the gap)
--   forecast_capped     LightGBM's forecast ran past the series' plausible ceiling and was cut back (size: the
--                       largest cut; EUR at net price): check the series' history and the consensus
--   late_supply, supplier_over_capacity, material_shortage, lane_over_capacity
--                       a network plan's causes of lost demand, per component and plant or per lane, sized and
--                       classified by the plan stage (planning.network_exceptions; sop/stages/network_plan.py):
--                       units short, EUR of the demand they starve
--   frozen_break        the frozen window's approved production, purchases or transfers the plan had to change
--                       (hours, a supplier or a lane lost since the approval; sop/planning/frozen.py), per item
--                       and plant or per lane: units changed, EUR at standard cost
-- Severity, against the cycle's planned revenue R: high if EUR >= 0.5% of R, or >= 0.1% of R and it bites in
-- the first two buckets (too late to react); medium if >= 0.1% of R, or for a shortage whose family's
-- shortages add up to that (many small shortages are one supply problem); low otherwise.
-- Priority (1 first) orders the meeting's list: severity, then the kind by consequence (lost sales, the
-- capacity that causes them, service at risk, revenue against budget, a forecast cut back, stock in excess),
-- then EUR, then the id (a stable order for equal sizes).
{%- set excess_cover_buckets = 3 %}
{%- set budget_gap_tolerance = 0.05 %}

with plan as (
    select * from {{ ref('int_plan_priced') }}
),

capacity as (
    select * from {{ source('planning', 'capacity_plan') }}
    where cycle_id = '{{ cycle_id() }}'
),

financials as (
    select * from {{ ref('fct_plan_financials') }}
),

network as (
    select * from {{ source('planning', 'network_exceptions') }}
    where cycle_id = '{{ cycle_id() }}'
),

capped as (
    select * from {{ ref('fct_consensus_demand') }}
    where cycle_id = '{{ cycle_id() }}' and is_forecast_capped
),

horizon as (
    select bucket_date, row_number() over (order by bucket_date) as bucket_number
    from (select distinct bucket_date from plan) as buckets
),

series_buckets as (
    select
        plan.*,
        sum(plan.consensus_demand_qty) over next_buckets as cover_demand_qty,
        count(*) over next_buckets as cover_buckets
    from plan
    window next_buckets as (
        partition by plan.sku_id, plan.location_id
        order by plan.bucket_date
        rows between 1 following and {{ excess_cover_buckets }} following
    )
),

series_problems as (
    select 'shortage' as exception_type, sku_id, location_id, family_id, region, bucket_date,
        shortage_qty as size_qty, shortage_qty * net_price_amount as size_amount
    from series_buckets
    where shortage_qty > 0.0001
    union all
    select 'below_safety_stock', sku_id, location_id, family_id, region, bucket_date,
        safety_stock_qty - closing_inventory_qty, (safety_stock_qty - closing_inventory_qty) * unit_cost_amount
    from series_buckets
    where closing_inventory_qty < safety_stock_qty - 0.0001
    union all
    select 'excess', sku_id, location_id, family_id, region, bucket_date,
        closing_inventory_qty - safety_stock_qty - cover_demand_qty,
        (closing_inventory_qty - safety_stock_qty - cover_demand_qty) * unit_cost_amount
    from series_buckets
    where cover_buckets = {{ excess_cover_buckets }}
        and closing_inventory_qty > safety_stock_qty + cover_demand_qty + 0.0001
    union all
    select 'forecast_capped', series_buckets.sku_id, series_buckets.location_id, family_id, region,
        series_buckets.bucket_date,
        capped.statistical_uncapped_qty - capped.statistical_forecast_qty,
        (capped.statistical_uncapped_qty - capped.statistical_forecast_qty) * net_price_amount
    from series_buckets
    inner join capped
        on series_buckets.sku_id = capped.sku_id
        and series_buckets.location_id = capped.location_id
        and series_buckets.bucket_date = capped.bucket_date
),

series_exceptions as (
    select
        exception_type,
        sku_id,
        location_id,
        cast(null as {{ text() }}) as resource_id,
        family_id,
        region,
        min(bucket_date) as first_bucket_date,
        count(*) as buckets_affected,
        -- a shortage adds up over the buckets; a stock gap or excess is a level: its worst bucket
        case when exception_type = 'shortage' then sum(size_qty) else max(size_qty) end as size_qty,
        'units' as size_unit,
        case when exception_type = 'shortage' then sum(size_amount) else max(size_amount) end as size_amount,
        cast(null as {{ text() }}) as item_id,
        cast(null as {{ text() }}) as plant_id,
        cast(null as {{ text() }}) as supplier_id,
        cast(null as {{ text() }}) as lane_id,
        cast(null as {{ text() }}) as detail
    from series_problems
    group by exception_type, sku_id, location_id, family_id, region
),

capacity_exceptions as (
    select
        'capacity_overload' as exception_type,
        cast(null as {{ text() }}) as sku_id,
        cast(null as {{ text() }}) as location_id,
        resource_id,
        cast(null as {{ text() }}) as family_id,
        cast(null as {{ text() }}) as region,
        min(bucket_date) as first_bucket_date,
        count(*) as buckets_affected,
        sum(overtime_hours) as size_qty,
        'hours' as size_unit,
        sum(overtime_cost_amount) as size_amount,
        cast(null as {{ text() }}) as item_id,
        cast(null as {{ text() }}) as plant_id,
        cast(null as {{ text() }}) as supplier_id,
        cast(null as {{ text() }}) as lane_id,
        cast(null as {{ text() }}) as detail
    from capacity
    where overtime_hours > 0.0001
    group by resource_id
),

budget_exceptions as (
    select
        'budget_gap' as exception_type,
        cast(null as {{ text() }}) as sku_id,
        cast(null as {{ text() }}) as location_id,
        cast(null as {{ text() }}) as resource_id,
        family_id,
        cast(null as {{ text() }}) as region,
        min(month_date) as first_bucket_date,
        count(*) as buckets_affected,
        sum(budget_qty - planned_sales_qty) as size_qty,
        'units' as size_unit,
        -sum(revenue_gap_amount) as size_amount,
        cast(null as {{ text() }}) as item_id,
        cast(null as {{ text() }}) as plant_id,
        cast(null as {{ text() }}) as supplier_id,
        cast(null as {{ text() }}) as lane_id,
        cast(null as {{ text() }}) as detail
    from financials
    where aggregation_level = 'family' and revenue_gap_rate < -{{ budget_gap_tolerance }}
    group by family_id
),

network_exceptions as (
    select
        exception_type,
        cast(null as {{ text() }}) as sku_id,
        cast(null as {{ text() }}) as location_id,
        cast(null as {{ text() }}) as resource_id,
        cast(null as {{ text() }}) as family_id,
        cast(null as {{ text() }}) as region,
        first_bucket_date,
        buckets_affected,
        size_qty,
        'units' as size_unit,
        size_amount,
        item_id,
        plant_id,
        supplier_id,
        lane_id,
        detail
    from network
),

exceptions as (
    select * from series_exceptions
    union all
    select * from capacity_exceptions
    union all
    select * from budget_exceptions
    union all
    select * from network_exceptions
),

planned_revenue as (
    select sum(revenue_amount) as revenue_amount from financials where aggregation_level = 'total'
),

family_shortages as (
    select family_id, sum(size_amount) as family_shortage_amount
    from exceptions
    where exception_type = 'shortage'
    group by family_id
),

rated as (
    select
        exceptions.*,
        horizon.bucket_number as first_bucket_number,
        case
            when exceptions.size_amount >= 0.005 * planned_revenue.revenue_amount then 'high'
            when exceptions.size_amount >= 0.001 * planned_revenue.revenue_amount and horizon.bucket_number <= 2
                then 'high'
            when exceptions.size_amount >= 0.001 * planned_revenue.revenue_amount then 'medium'
            when exceptions.exception_type = 'shortage'
                and family_shortages.family_shortage_amount >= 0.001 * planned_revenue.revenue_amount
                then 'medium'
            else 'low'
        end as severity
    from exceptions
    cross join planned_revenue
    left join horizon on exceptions.first_bucket_date = horizon.bucket_date
    left join family_shortages
        on exceptions.exception_type = 'shortage' and exceptions.family_id = family_shortages.family_id
),

ranked as (
    select
        rated.*,
        row_number() over (
            order by
                case severity when 'high' then 1 when 'medium' then 2 else 3 end,
                case exception_type
                    when 'shortage' then 1
                    when 'capacity_overload' then 2
                    when 'late_supply' then 2
                    when 'supplier_over_capacity' then 2
                    when 'material_shortage' then 2
                    when 'lane_over_capacity' then 2
                    when 'frozen_break' then 2
                    when 'below_safety_stock' then 3
                    when 'budget_gap' then 4
                    when 'forecast_capped' then 5
                    else 6
                end,
                size_amount desc,
                exception_type || ':' || coalesce(resource_id, lane_id, item_id || '@' || plant_id, sku_id || '@' || location_id, family_id)
        ) as priority
    from rated
),

final as (
    select
        cast('{{ cycle_id() }}' as {{ text() }}) as cycle_id,
        cast(
            exception_type || ':' || coalesce(resource_id, lane_id, item_id || '@' || plant_id, sku_id || '@' || location_id, family_id) as {{ text() }}
        ) as exception_id,
        cast(exception_type as {{ text() }}) as exception_type,
        cast(severity as {{ text() }}) as severity,
        cast(priority as bigint) as priority,
        cast(sku_id as {{ text() }}) as sku_id,
        cast(location_id as {{ text() }}) as location_id,
        cast(resource_id as {{ text() }}) as resource_id,
        cast(family_id as {{ text() }}) as family_id,
        cast(region as {{ text() }}) as region,
        cast(first_bucket_date as date) as first_bucket_date,
        cast(buckets_affected as bigint) as buckets_affected,
        cast({{ round_to('size_qty', 4) }} as {{ double() }}) as size_qty,
        cast(size_unit as {{ text() }}) as size_unit,
        cast({{ round_to('size_amount', 2) }} as {{ double() }}) as size_amount,
        cast(item_id as {{ text() }}) as item_id,
        cast(plant_id as {{ text() }}) as plant_id,
        cast(supplier_id as {{ text() }}) as supplier_id,
        cast(lane_id as {{ text() }}) as lane_id,
        cast(detail as {{ text() }}) as detail
    from ranked
)

select * from final
