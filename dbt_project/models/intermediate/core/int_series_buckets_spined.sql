-- Every bucket of every (sku, location) series, from its first order or receipt up to the bucket before the
-- plan, so that buckets without orders exist as zeros instead of gaps.
-- The spine starts at the first bucket the data covers (nearly) whole: a data set that begins late in a
-- bucket (M5 on 29 January, SupplyGraph on a Sunday) would otherwise show a false dip in its first bucket.
with orders as (
    select sku_id, location_id, min(order_date) as first_date
    from {{ ref('stg_landing__sales_orders') }}
    group by sku_id, location_id
),

receipts as (
    select sku_id, location_id, min(production_date) as first_date
    from {{ ref('stg_landing__production') }}
    group by sku_id, location_id
),

series as (
    select sku_id, location_id, {{ bucket_start('min(first_date)') }} as first_bucket_date
    from (
        select * from orders
        union all
        select * from receipts
    ) as activity
    group by sku_id, location_id
),

data_start as (
    select
        first_date,
        {{ bucket_start('first_date') }} as first_bucket_date
    from (select min(first_date) as first_date from (select first_date from orders union all select first_date from receipts) as dates) as earliest
),

complete_start as (
    -- the first bucket counts when the data starts within its first quarter
    select
        case
            when {{ dbt.datediff('first_bucket_date', 'first_date', 'day') }}
                < {{ 2 if bucket() == 'week' else 8 }} then first_bucket_date
            else cast({{ dbt.dateadd(bucket(), 1, 'first_bucket_date') }} as date)
        end as spine_start_date
    from data_start
),

buckets as (
    {{ period_spine(
        "(select spine_start_date from complete_start)",
        dbt.dateadd(bucket(), -1, first_plan_bucket_date()),
        bucket()
    ) }}
),

spined as (
    select
        series.sku_id,
        series.location_id,
        buckets.period_date as bucket_date
    from series
    inner join buckets
        on buckets.period_date >= series.first_bucket_date
)

select * from spined
