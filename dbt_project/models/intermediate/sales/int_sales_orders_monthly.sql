-- Units ordered and shipped per series and calendar month, whatever the planning bucket: inventory and
-- finance count in months (snapshots are month-end, budgets monthly).
select
    sku_id,
    location_id,
    order_month_date as month_date,
    sum(ordered_qty) as ordered_qty,
    sum(shipped_qty) as shipped_qty
from {{ ref('int_sales_orders_converted') }}
group by sku_id, location_id, order_month_date
