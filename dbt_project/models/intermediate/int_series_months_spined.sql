-- Every month of every (sku, location) series, from its first order or receipt up to the month before the
-- cycle, so that months without orders exist as zeros instead of gaps.
with orders as (
    select sku_id, location_id, min(order_month_date) as first_month_date
    from {{ ref('stg_landing__sales_orders') }}
    group by sku_id, location_id
),

receipts as (
    select sku_id, location_id, min(production_month_date) as first_month_date
    from {{ ref('stg_landing__production') }}
    group by sku_id, location_id
),

series as (
    select sku_id, location_id, min(first_month_date) as first_month_date
    from (
        select * from orders
        union all
        select * from receipts
    ) as activity
    group by sku_id, location_id
),

months as (
    {{ month_spine(
        "(select min(first_month_date) from series)",
        dbt.dateadd('month', -1, cycle_start_date())
    ) }}
),

spined as (
    select
        series.sku_id,
        series.location_id,
        months.month_date
    from series
    inner join months
        on months.month_date >= series.first_month_date
)

select * from spined
