with source as (
    {{ current_landing_rows('products', ['sku_id']) }}
),

renamed as (
    select
        sku_id,
        sku_name,
        family_id,
        category,
        cast(unit_cost as {{ double() }}) as unit_cost_amount,
        cast(list_price as {{ double() }}) as list_price_amount,
        launch_date,
        end_date,
        _source_file as source_file
    from source
)

select * from renamed
