with source as (
    {{ current_landing_rows('planner_overrides', ['override_id']) }}
),

renamed as (
    select
        override_id,
        sku_id,
        location_id,
        family_id,
        region,
        cast(date_trunc('month', month) as date) as month_date,
        override_qty,
        override_pct,
        -- the scope's name, and how specific it is: a SKU before a location before a family before a region
        {{ override_scope() }},
        planner,
        reason,
        created_at
    from source
)

select * from renamed
