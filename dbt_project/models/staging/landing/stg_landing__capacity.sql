with source as (
    {{ current_landing_rows('capacity', ['plant_id', 'resource_id', 'month']) }}
),

renamed as (
    select
        plant_id,
        resource_id,
        cast(date_trunc('month', month) as date) as month_date,
        available_hours
    from source
)

select * from renamed
