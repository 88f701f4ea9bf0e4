-- Customer service per series and planning bucket: fill rate (units) and on-time-in-full (order lines).
with aggregated as (
    select * from {{ ref('int_sales_orders_aggregated') }}
),

kpis as (
    select
        sku_id,
        location_id,
        bucket_date,
        ordered_qty,
        shipped_qty,
        ordered_qty - shipped_qty as unfilled_qty,
        cast(shipped_qty as double precision) / nullif(ordered_qty, 0) as fill_rate,
        order_lines,
        on_time_in_full_lines,
        cast(on_time_in_full_lines as double precision) / nullif(order_lines, 0) as on_time_in_full_rate,
        ordered_qty > shipped_qty as had_stockout
    from aggregated
)

select * from kpis
