-- Inventory health per series and month-end: turns, excess, obsolete and slow-moving stock.
-- turns = cost of units shipped over the trailing 12 months / average stock value over those month-ends
-- (annualised while a series has fewer than 12); excess = stock above 90 days of supply at the trailing
-- 3-month shipment rate; obsolete = stock with no orders over the trailing 6 months, or of a SKU past its
-- end date; slow mover = stock turning fewer than 2 times a year that is not obsolete.
with stock as (
    select * from {{ ref('fct_inventory_history') }}
),

demand as (
    select * from {{ ref('int_sales_orders_monthly') }}
),

products as (
    select sku_id, unit_cost_amount, end_date from {{ ref('stg_landing__products') }}
),

windowed as (
    select
        stock.sku_id,
        stock.location_id,
        stock.month_date,
        stock.on_hand_qty,
        stock.inventory_value_amount,
        stock.avg_daily_shipped_qty,
        products.end_date,
        sum(coalesce(demand.shipped_qty, 0) * products.unit_cost_amount) over trailing_12 as shipped_cost_12m,
        avg(stock.inventory_value_amount) over trailing_12 as avg_inventory_value_12m,
        count(*) over trailing_12 as months_12m,
        sum(coalesce(demand.ordered_qty, 0)) over trailing_6 as ordered_qty_6m,
        count(*) over trailing_6 as months_6m
    from stock
    inner join products on stock.sku_id = products.sku_id
    left join demand
        on stock.sku_id = demand.sku_id
        and stock.location_id = demand.location_id
        and stock.month_date = demand.month_date
    window
        trailing_12 as (
            partition by stock.sku_id, stock.location_id order by stock.month_date
            rows between 11 preceding and current row
        ),
        trailing_6 as (
            partition by stock.sku_id, stock.location_id order by stock.month_date
            rows between 5 preceding and current row
        )
),

health as (
    select
        sku_id,
        location_id,
        month_date,
        on_hand_qty,
        inventory_value_amount,
        avg_daily_shipped_qty,
        shipped_cost_12m * 12.0 / months_12m as annual_shipped_cost_amount,
        avg_inventory_value_12m as avg_inventory_value_amount,
        {{ round_to("greatest(on_hand_qty - 90 * coalesce(avg_daily_shipped_qty, 0), 0)", 4) }} as excess_qty,
        on_hand_qty > 0
        and (ordered_qty_6m = 0 and months_6m = 6 or coalesce(end_date < month_date, false)) as is_obsolete
    from windowed
),

turned as (
    select
        health.*,
        annual_shipped_cost_amount / nullif(avg_inventory_value_amount, 0) as inventory_turns
    from health
),

flagged as (
    select
        turned.*,
        excess_qty * (inventory_value_amount / nullif(on_hand_qty, 0)) as excess_value_amount,
        on_hand_qty > 0 and not is_obsolete and coalesce(inventory_turns, 0) < 2 as is_slow_mover
    from turned
)

select * from flagged
