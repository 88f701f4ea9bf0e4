-- Revenue, cost and margin of what shipped, in EUR (the reporting currency: order lines are converted at
-- their month's average rate upstream), against the budget; per month by family and region, with subtotals
-- per family, per region and in total ('ALL').
with lines as (
    select * from {{ ref('int_sales_orders_converted') }}
),

products as (
    select sku_id, family_id, unit_cost_amount from {{ ref('stg_landing__products') }}
),

locations as (
    select location_id, region from {{ ref('stg_landing__locations') }}
),

budget as (
    select * from {{ ref('stg_landing__budget') }}
    where month_date < {{ cycle_start_date() }}
),

actuals as (
    select
        lines.order_month_date as month_date,
        products.family_id,
        locations.region,
        sum(lines.shipped_qty) as shipped_qty,
        sum(lines.shipped_revenue_amount) as revenue_amount,
        sum(lines.shipped_qty * products.unit_cost_amount) as cost_amount
    from lines
    inner join products on lines.sku_id = products.sku_id
    inner join locations on lines.location_id = locations.location_id
    group by lines.order_month_date, products.family_id, locations.region
),

joined as (
    select
        coalesce(actuals.month_date, budget.month_date) as month_date,
        coalesce(actuals.family_id, budget.family_id) as family_id,
        coalesce(actuals.region, budget.region) as region,
        coalesce(actuals.shipped_qty, 0) as shipped_qty,
        coalesce(actuals.revenue_amount, 0) as revenue_amount,
        coalesce(actuals.cost_amount, 0) as cost_amount,
        budget.budget_qty,
        budget.budget_revenue_amount
    from actuals
    full outer join budget
        on actuals.month_date = budget.month_date
        and actuals.family_id = budget.family_id
        and actuals.region = budget.region
),

rolled_up as (
    select
        month_date,
        coalesce(family_id, 'ALL') as family_id,
        coalesce(region, 'ALL') as region,
        sum(shipped_qty) as shipped_qty,
        {{ sum_rounded('revenue_amount', 4) }} as revenue_amount,
        {{ sum_rounded('cost_amount', 4) }} as cost_amount,
        sum(budget_qty) as budget_qty,
        {{ sum_rounded('budget_revenue_amount', 4) }} as budget_revenue_amount
    from joined
    group by grouping sets ((month_date, family_id, region), (month_date, family_id), (month_date, region), (month_date))
),

kpis as (
    select
        month_date,
        family_id,
        region,
        shipped_qty,
        revenue_amount,
        cost_amount,
        revenue_amount - cost_amount as margin_amount,
        (revenue_amount - cost_amount) / nullif(revenue_amount, 0) as margin_rate,
        budget_qty,
        budget_revenue_amount,
        revenue_amount - budget_revenue_amount as revenue_gap_amount,
        (revenue_amount - budget_revenue_amount) / nullif(budget_revenue_amount, 0) as revenue_gap_rate
    from rolled_up
)

select * from kpis
