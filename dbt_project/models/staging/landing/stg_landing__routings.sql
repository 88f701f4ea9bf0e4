with source as (
    {{ current_landing_rows('routings', ['sku_id', 'plant_id', 'resource_id']) }}
),

renamed as (
    select
        sku_id,
        plant_id,
        resource_id,
        units_per_hour
    from source
)

select * from renamed
