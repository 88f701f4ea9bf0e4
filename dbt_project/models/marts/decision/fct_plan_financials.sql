-- The cycle's plan in money, per month of the horizon: revenue, cost and margin of the demand the supply plan
-- meets, the revenue its shortages lose, the stock it ends the month with, and the gap to the budget; per
-- family and region, with subtotals per family, per region and in total ('ALL'). EUR throughout: net prices
-- and costs are EUR in dim_sku_locations. A weekly bucket counts in the month it starts in. A network plan adds
-- its freight (per the SKU's family and the receiving location's region, in the month it ships) and its
-- purchases (in the month they arrive; on the total rows only: a component serves several families).
with plan as (
    select * from {{ ref('int_plan_priced') }}
),

budget as (
    select * from {{ ref('stg_landing__budget') }}
),

products as (
    select * from {{ ref('stg_landing__products') }}
),

locations as (
    select * from {{ ref('stg_landing__locations') }}
),

transport as (
    select
        cast(date_trunc('month', transfers.ship_bucket_date) as date) as month_date,
        products.family_id,
        locations.region,
        {{ sum_rounded('transfers.transport_amount', 4) }} as transport_amount
    from {{ source('planning', 'transfer_plan') }} as transfers
    inner join products on transfers.sku_id = products.sku_id
    inner join locations on transfers.to_node_id = locations.location_id
    where transfers.cycle_id = '{{ cycle_id() }}'
    group by cast(date_trunc('month', transfers.ship_bucket_date) as date), products.family_id, locations.region
),

purchases as (
    select
        cast(date_trunc('month', receipt_bucket_date) as date) as month_date,
        {{ sum_rounded('purchase_amount', 2) }} as purchase_amount
    from {{ source('planning', 'purchase_plan') }}
    where cycle_id = '{{ cycle_id() }}'
    group by cast(date_trunc('month', receipt_bucket_date) as date)
),

bucketed as (
    select
        plan.*,
        cast(date_trunc('month', plan.bucket_date) as date) as month_date,
        -- the month's closing stock is its last bucket's
        plan.bucket_date = max(plan.bucket_date) over (
            partition by plan.sku_id, plan.location_id, date_trunc('month', plan.bucket_date)
        ) as closes_month
    from plan
),

monthly as (
    select
        month_date,
        family_id,
        region,
        -- summed exactly and rounded (sum_rounded): a rerun adds rows in another order
        {{ sum_rounded('consensus_demand_qty', 4) }} as demand_qty,
        {{ sum_rounded('demand_met_qty', 4) }} as planned_sales_qty,
        {{ sum_rounded('shortage_qty', 4) }} as shortage_qty,
        {{ sum_rounded('demand_met_qty * net_price_amount', 4) }} as revenue_amount,
        {{ sum_rounded('demand_met_qty * unit_cost_amount', 4) }} as cost_amount,
        {{ sum_rounded('shortage_qty * net_price_amount', 4) }} as lost_revenue_amount,
        {{ sum_rounded('case when closes_month then closing_inventory_qty * unit_cost_amount else 0 end', 4) }}
            as inventory_value_amount
    from bucketed
    group by month_date, family_id, region
),

with_budget as (
    select
        monthly.*,
        budget.budget_qty,
        budget.budget_revenue_amount,
        coalesce(transport.transport_amount, 0) as transport_amount
    from monthly
    left join budget
        on monthly.month_date = budget.month_date
        and monthly.family_id = budget.family_id
        and monthly.region = budget.region
    left join transport
        on monthly.month_date = transport.month_date
        and monthly.family_id = transport.family_id
        and monthly.region = transport.region
),

rolled_up as (
    select
        month_date,
        {{ aggregation_level(series=false) }} as aggregation_level,
        {{ level_member('family_id') }} as family_id,
        {{ level_member('region') }} as region,
        {{ sum_rounded('demand_qty', 4) }} as demand_qty,
        {{ sum_rounded('planned_sales_qty', 4) }} as planned_sales_qty,
        {{ sum_rounded('shortage_qty', 4) }} as shortage_qty,
        {{ sum_rounded('revenue_amount', 2) }} as revenue_amount,
        {{ sum_rounded('cost_amount', 2) }} as cost_amount,
        {{ sum_rounded('lost_revenue_amount', 2) }} as lost_revenue_amount,
        {{ sum_rounded('inventory_value_amount', 2) }} as inventory_value_amount,
        {{ sum_rounded('transport_amount', 2) }} as transport_amount,
        sum(budget_qty) as budget_qty,
        {{ sum_rounded('budget_revenue_amount', 2) }} as budget_revenue_amount
    from with_budget
    group by {{ hierarchy_grouping_sets(['month_date'], series=false) }}
),

final as (
    select
        cast('{{ cycle_id() }}' as {{ text() }}) as cycle_id,
        cast(rolled_up.month_date as date) as month_date,
        cast(aggregation_level as {{ text() }}) as aggregation_level,
        cast(family_id as {{ text() }}) as family_id,
        cast(region as {{ text() }}) as region,
        cast(demand_qty as {{ double() }}) as demand_qty,
        cast(planned_sales_qty as {{ double() }}) as planned_sales_qty,
        cast(shortage_qty as {{ double() }}) as shortage_qty,
        cast(revenue_amount as {{ double() }}) as revenue_amount,
        cast(cost_amount as {{ double() }}) as cost_amount,
        cast({{ round_to('revenue_amount - cost_amount', 2) }} as {{ double() }}) as margin_amount,
        cast({{ round_to('(revenue_amount - cost_amount) / nullif(revenue_amount, 0)', 6) }} as {{ double() }})
            as margin_rate,
        cast(lost_revenue_amount as {{ double() }}) as lost_revenue_amount,
        cast(inventory_value_amount as {{ double() }}) as inventory_value_amount,
        cast(budget_qty as {{ double() }}) as budget_qty,
        cast(budget_revenue_amount as {{ double() }}) as budget_revenue_amount,
        cast({{ round_to('revenue_amount - budget_revenue_amount', 2) }} as {{ double() }}) as revenue_gap_amount,
        cast({{ round_to('(revenue_amount - budget_revenue_amount) / nullif(budget_revenue_amount, 0)', 6) }}
            as {{ double() }}) as revenue_gap_rate,
        cast(transport_amount as {{ double() }}) as transport_amount,
        cast(
            case when aggregation_level = 'total' then coalesce(purchases.purchase_amount, 0) end as {{ double() }}
        ) as purchase_amount
    from rolled_up
    left join purchases on rolled_up.month_date = purchases.month_date
)

select * from final
