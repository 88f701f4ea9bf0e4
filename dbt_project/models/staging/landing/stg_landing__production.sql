with source as (
    {{ current_landing_rows('production', ['production_date', 'plant_id', 'resource_id', 'sku_id', 'location_id']) }}
),

renamed as (
    select
        production_date,
        cast(date_trunc('month', production_date) as date) as production_month_date,
        {{ bucket_start('production_date') }} as production_bucket_date,
        plant_id,
        resource_id,
        sku_id,
        location_id,
        produced_qty,
        run_hours
    from source
)

select * from renamed
