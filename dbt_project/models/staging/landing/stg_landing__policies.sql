with source as (
    {{ current_landing_rows('policies', ['policy_id']) }}
),

renamed as (
    select
        policy_id,
        family_id,
        sku_id,
        location_id,
        target_service_level,
        lead_time_days
    from source
)

select * from renamed
