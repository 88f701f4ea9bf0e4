with source as (
    {{ current_landing_rows('open_supply', ['supply_id']) }}
),

renamed as (
    select
        supply_id,
        lower(supply_type) as supply_type,
        item_id,
        node_id,
        cast(date_trunc('month', due_month) as date) as due_month_date,
        qty,
        supplier_id,
        from_node as from_node_id,
        _source_file as source_file,
        _source_row as source_row
    from source
)

select * from renamed
