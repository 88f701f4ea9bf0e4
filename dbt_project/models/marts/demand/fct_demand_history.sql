-- Demand per series and planning bucket with zeros where nothing was ordered: the forecast's training data.
with spine as (
    select * from {{ ref('int_series_buckets_spined') }}
),

aggregated as (
    select * from {{ ref('int_sales_orders_aggregated') }}
),

series as (
    select sku_id, location_id, family_id, region from {{ ref('dim_sku_locations') }}
),

filled as (
    select
        spine.sku_id,
        spine.location_id,
        spine.bucket_date,
        series.family_id,
        series.region,
        coalesce(aggregated.ordered_qty, 0) as demand_qty,
        coalesce(aggregated.shipped_qty, 0) as shipped_qty,
        coalesce(aggregated.ordered_qty, 0) - coalesce(aggregated.shipped_qty, 0) as lost_qty,
        coalesce(aggregated.shipped_revenue_amount, 0) as revenue_amount,
        aggregated.unit_price_amount
    from spine
    inner join series
        on spine.sku_id = series.sku_id
        and spine.location_id = series.location_id
    left join aggregated
        on spine.sku_id = aggregated.sku_id
        and spine.location_id = aggregated.location_id
        and spine.bucket_date = aggregated.bucket_date
)

select * from filled
