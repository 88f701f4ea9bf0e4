-- Order lines summed per series and planning bucket (month, or ISO week).
-- Money sums are rounded: parallel float sums differ in the last bits between runs, and reruns must match.
with lines as (
    select * from {{ ref('int_sales_orders_converted') }}
),

aggregated as (
    select
        sku_id,
        location_id,
        order_bucket_date as bucket_date,
        sum(ordered_qty) as ordered_qty,
        sum(shipped_qty) as shipped_qty,
        {{ round_to(exact_sum("ordered_local_amount") ~ " / nullif(" ~ exact_sum("ordered_qty") ~ ", 0)", 4) }} as unit_price_amount,
        {{ sum_rounded("ordered_revenue_amount", 4) }} as ordered_revenue_amount,
        {{ sum_rounded("shipped_revenue_amount", 4) }} as shipped_revenue_amount,
        count(*) as order_lines,
        sum(case when is_on_time_in_full then 1 else 0 end) as on_time_in_full_lines
    from lines
    group by sku_id, location_id, order_bucket_date
)

select * from aggregated
