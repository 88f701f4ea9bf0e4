-- Order lines of the history (before the first bucket of the plan), valued in EUR at the month's average rate.
-- EUR is the reporting currency: its lines need no rate row. A line in another currency without a rate for its
-- month gets null amounts, which the not_null tests turn into a failed build (never a silent zero).
with orders as (
    select * from {{ ref('stg_landing__sales_orders') }}
    where order_bucket_date < {{ first_plan_bucket_date() }}
),

fx as (
    select * from {{ ref('stg_landing__fx_rates') }}
),

rated as (
    select
        orders.*,
        case when orders.currency_code = 'EUR' then 1.0 else fx.rate_to_eur end as rate_to_eur
    from orders
    left join fx
        on orders.currency_code = fx.currency_code
        and orders.order_month_date = fx.month_date
),

converted as (
    select
        order_id,
        line_number,
        order_month_date,
        order_bucket_date,
        sku_id,
        location_id,
        currency_code,
        ordered_qty,
        shipped_qty,
        ordered_qty * unit_price_amount as ordered_local_amount,
        ordered_qty * unit_price_amount * rate_to_eur as ordered_revenue_amount,
        shipped_qty * unit_price_amount * rate_to_eur as shipped_revenue_amount,
        shipped_qty = ordered_qty and ship_date <= requested_date as is_on_time_in_full
    from rated
)

select * from converted
