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
        concat_ws(
            '_',
            case when sku_id is not null then 'sku' end,
            case when location_id is not null then 'location' end,
            case when family_id is not null then 'family' end,
            case when region is not null then 'region' end
        ) as override_level,
        8 * cast(sku_id is not null as integer)
        + 4 * cast(location_id is not null as integer)
        + 2 * cast(family_id is not null as integer)
        + cast(region is not null as integer) as scope_specificity,
        planner,
        reason,
        created_at
    from source
)

select * from renamed
