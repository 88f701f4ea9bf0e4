with source as (
    {{ current_landing_rows('routings', ['sku_id', 'plant_id', 'resource_id']) }}
),

renamed as (
    select
        sku_id,
        plant_id,
        resource_id,
        units_per_hour,
        cast(coalesce(cost_per_unit, 0) as {{ double() }}) as cost_per_unit_amount
    from source
)

select * from renamed
