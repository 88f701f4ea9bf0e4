with source as (
    {{ current_landing_rows('capacity', ['plant_id', 'resource_id', 'month']) }}
),

renamed as (
    select
        plant_id,
        resource_id,
        cast(date_trunc('month', month) as date) as month_date,
        available_hours,
        coalesce(lower(resource_type), 'machine') as resource_type,
        overtime_share,
        overtime_cost_per_hour
    from source
)

select * from renamed
