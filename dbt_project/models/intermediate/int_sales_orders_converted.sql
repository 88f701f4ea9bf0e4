-- Order lines of the history (before the first bucket of the plan), valued in EUR at the month's average rate.
with orders as (
    select * from {{ ref('stg_landing__sales_orders') }}
    where order_bucket_date < {{ first_plan_bucket_date() }}
),

fx as (
    select * from {{ ref('stg_landing__fx_rates') }}
),

converted as (
    select
        orders.order_id,
        orders.line_number,
        orders.order_month_date,
        orders.order_bucket_date,
        orders.sku_id,
        orders.location_id,
        orders.ordered_qty,
        orders.shipped_qty,
        orders.ordered_qty * orders.unit_price_amount as ordered_local_amount,
        orders.ordered_qty * orders.unit_price_amount * fx.rate_to_eur as ordered_revenue_amount,
        orders.shipped_qty * orders.unit_price_amount * fx.rate_to_eur as shipped_revenue_amount,
        orders.shipped_qty = orders.ordered_qty
        and orders.ship_date <= orders.requested_date as is_on_time_in_full
    from orders
    left join fx
        on orders.currency_code = fx.currency_code
        and orders.order_month_date = fx.month_date
)

select * from converted
