with source as (
    {{ current_landing_rows('items', ['item_id']) }}
),

renamed as (
    select
        item_id,
        item_name,
        lower(item_type) as item_type,
        unit_of_measure,
        cast(unit_cost as {{ double() }}) as unit_cost_amount,
        shelf_life_months,
        _source_file as source_file,
        _source_row as source_row
    from source
)

select * from renamed
