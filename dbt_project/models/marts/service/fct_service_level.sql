-- Customer service per series and planning bucket, every bucket of the series' history (zero-demand buckets
-- included, with null rates): fill rate (units), on-time-in-full (order lines), backorders at the bucket's
-- end and stockout buckets.
with spine as (
    select * from {{ ref('int_series_buckets_spined') }}
),

series as (
    select sku_id, location_id, family_id, region from {{ ref('dim_sku_locations') }}
),

orders as (
    select * from {{ ref('int_sales_orders_aggregated') }}
),

backorders as (
    select * from {{ ref('int_sales_orders_backordered') }}
),

joined as (
    select
        spine.sku_id,
        spine.location_id,
        spine.bucket_date,
        series.family_id,
        series.region,
        coalesce(orders.ordered_qty, 0) as ordered_qty,
        coalesce(orders.shipped_qty, 0) as shipped_qty,
        coalesce(orders.order_lines, 0) as order_lines,
        coalesce(orders.on_time_in_full_lines, 0) as on_time_in_full_lines,
        coalesce(backorders.backorder_qty, 0) as backorder_qty,
        coalesce(backorders.backorder_lines, 0) as backorder_lines
    from spine
    inner join series
        on spine.sku_id = series.sku_id
        and spine.location_id = series.location_id
    left join orders
        on spine.sku_id = orders.sku_id
        and spine.location_id = orders.location_id
        and spine.bucket_date = orders.bucket_date
    left join backorders
        on spine.sku_id = backorders.sku_id
        and spine.location_id = backorders.location_id
        and spine.bucket_date = backorders.bucket_date
),

kpis as (
    select
        sku_id,
        location_id,
        bucket_date,
        family_id,
        region,
        ordered_qty,
        shipped_qty,
        ordered_qty - shipped_qty as unfilled_qty,
        cast(shipped_qty as {{ double() }}) / nullif(ordered_qty, 0) as fill_rate,
        order_lines,
        on_time_in_full_lines,
        cast(on_time_in_full_lines as {{ double() }}) / nullif(order_lines, 0) as on_time_in_full_rate,
        backorder_qty,
        backorder_lines,
        ordered_qty > shipped_qty as has_stockout
    from joined
)

select * from kpis
