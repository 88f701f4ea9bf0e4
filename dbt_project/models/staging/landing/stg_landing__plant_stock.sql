with source as (
    {{ current_landing_rows('plant_stock', ['item_id', 'plant_id']) }}
),

renamed as (
    select
        item_id,
        plant_id,
        on_hand_qty,
        _source_file as source_file,
        _source_row as source_row
    from source
)

select * from renamed
