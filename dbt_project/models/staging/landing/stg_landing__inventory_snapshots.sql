with source as (
    {{ current_landing_rows('inventory_snapshots', ['snapshot_date', 'sku_id', 'location_id']) }}
),

renamed as (
    select
        snapshot_date,
        cast(date_trunc('month', snapshot_date) as date) as snapshot_month_date,
        sku_id,
        location_id,
        on_hand_qty,
        coalesce(in_transit_qty, 0) as in_transit_qty
    from source
)

select * from renamed
