with source as (
    {{ current_landing_rows('planner_overrides', ['override_id']) }}
),

renamed as (
    select
        override_id,
        sku_id,
        location_id,
        cast(date_trunc('month', month) as date) as month_date,
        override_qty,
        planner,
        reason,
        created_at
    from source
)

select * from renamed
