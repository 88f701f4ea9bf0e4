-- Monthly demand per series with zeros where nothing was ordered: the forecast's training data.
with spine as (
    select * from {{ ref('int_series_months_spined') }}
),

monthly as (
    select * from {{ ref('int_sales_orders_aggregated_monthly') }}
),

series as (
    select sku_id, location_id, family_id, region from {{ ref('dim_sku_locations') }}
),

filled as (
    select
        spine.sku_id,
        spine.location_id,
        spine.month_date,
        series.family_id,
        series.region,
        coalesce(monthly.ordered_qty, 0) as demand_qty,
        coalesce(monthly.shipped_qty, 0) as shipped_qty,
        coalesce(monthly.ordered_qty, 0) - coalesce(monthly.shipped_qty, 0) as lost_qty,
        coalesce(monthly.shipped_revenue_amount, 0) as revenue_amount,
        monthly.unit_price_amount
    from spine
    inner join series
        on spine.sku_id = series.sku_id
        and spine.location_id = series.location_id
    left join monthly
        on spine.sku_id = monthly.sku_id
        and spine.location_id = monthly.location_id
        and spine.month_date = monthly.month_date
)

select * from filled
