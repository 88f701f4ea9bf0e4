with source as (
    {{ current_landing_rows('bom', ['parent_id', 'component_id', 'plant_id', 'valid_from']) }}
),

renamed as (
    select
        -- one id per line: its key, an empty valid_from spelled as such (a key column may be empty)
        parent_id || '|' || component_id || '|' || plant_id || '|' || coalesce(cast(valid_from as {{ dbt.type_string() }}), 'always')
            as bom_line_id,
        parent_id,
        component_id,
        plant_id,
        qty_per,
        cast(date_trunc('month', valid_from) as date) as valid_from_date,
        cast(date_trunc('month', valid_to) as date) as valid_to_date,
        _source_file as source_file,
        _source_row as source_row
    from source
)

select * from renamed
