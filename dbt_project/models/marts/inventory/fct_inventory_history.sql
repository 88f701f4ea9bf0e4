-- Month-end stock per series: units, value at standard cost, and days of supply at the recent shipment rate.
with snapshots as (
    select * from {{ ref('stg_landing__inventory_snapshots') }}
    where snapshot_date < {{ cycle_start_date() }}
),

demand as (
    select * from {{ ref('int_sales_orders_monthly') }}
),

products as (
    select sku_id, unit_cost_amount from {{ ref('stg_landing__products') }}
),

windowed as (
    -- shipments and calendar days of the snapshot month and the two before it
    select
        snapshots.sku_id,
        snapshots.location_id,
        snapshots.snapshot_month_date as month_date,
        snapshots.on_hand_qty,
        snapshots.in_transit_qty,
        sum(coalesce(demand.shipped_qty, 0)) over trailing_3 as shipped_qty_3m,
        sum(extract(day from {{ dbt.last_day('snapshots.snapshot_month_date', 'month') }})) over trailing_3 as days_3m
    from snapshots
    left join demand
        on snapshots.sku_id = demand.sku_id
        and snapshots.location_id = demand.location_id
        and snapshots.snapshot_month_date = demand.month_date
    window trailing_3 as (
        partition by snapshots.sku_id, snapshots.location_id
        order by snapshots.snapshot_month_date
        rows between 2 preceding and current row
    )
),

kpis as (
    select
        windowed.sku_id,
        windowed.location_id,
        windowed.month_date,
        windowed.on_hand_qty,
        windowed.in_transit_qty,
        windowed.on_hand_qty * products.unit_cost_amount as inventory_value_amount,
        cast(windowed.shipped_qty_3m as {{ double() }}) / windowed.days_3m as avg_daily_shipped_qty,
        windowed.on_hand_qty / nullif(cast(windowed.shipped_qty_3m as {{ double() }}) / windowed.days_3m, 0)
            as days_of_supply
    from windowed
    inner join products on windowed.sku_id = products.sku_id
)

select * from kpis
