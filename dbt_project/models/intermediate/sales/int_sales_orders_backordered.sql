-- Backorders per series at the end of each planning bucket: units past their requested date that had not
-- shipped by the bucket's last day (they shipped in a later bucket). A line is counted at the end of every
-- bucket from the one its requested date falls in up to the one before it shipped. Units never shipped are
-- lost sales, not backorders (the contract: unfilled quantity is lost).
with late_lines as (
    select
        sku_id,
        location_id,
        shipped_qty,
        {{ bucket_start('requested_date') }} as due_bucket_date,
        {{ bucket_start('ship_date') }} as ship_bucket_date
    from {{ ref('stg_landing__sales_orders') }}
    where order_bucket_date < {{ first_plan_bucket_date() }}
        and shipped_qty > 0
        and {{ bucket_start('ship_date') }} > {{ bucket_start('requested_date') }}
),

spine as (
    select * from {{ ref('int_series_buckets_spined') }}
),

backordered as (
    select
        spine.sku_id,
        spine.location_id,
        spine.bucket_date,
        sum(late_lines.shipped_qty) as backorder_qty,
        count(*) as backorder_lines
    from spine
    inner join late_lines
        on spine.sku_id = late_lines.sku_id
        and spine.location_id = late_lines.location_id
        and spine.bucket_date >= late_lines.due_bucket_date
        and spine.bucket_date < late_lines.ship_bucket_date
    group by spine.sku_id, spine.location_id, spine.bucket_date
)

select * from backordered
