-- One row per series the cycle plans: every sold (sku, location), and every launching product (recent or
-- upcoming, nothing ordered yet) at each location that sold its family in the last year, where the forecast
-- gives it its family's launch curve. The hierarchy, money and routing the forecast and the plan need.
with sold as (
    select sku_id, location_id, min(bucket_date) as first_bucket_date
    from {{ ref('int_series_buckets_spined') }}
    group by sku_id, location_id
),

products as (
    select * from {{ ref('stg_landing__products') }}
),

family_locations as (
    select distinct products.family_id, orders.location_id
    from {{ ref('int_sales_orders_aggregated') }} as orders
    inner join products on orders.sku_id = products.sku_id
    where orders.bucket_date >= {{ dbt.dateadd('month', -12, cycle_start_date()) }}
),

launching as (
    select products.sku_id, family_locations.location_id, cast(null as date) as first_bucket_date
    from products
    inner join family_locations on products.family_id = family_locations.family_id
    where products.sku_id not in (select sku_id from sold)
        and products.launch_date >= {{ dbt.dateadd('month', -3, cycle_start_date()) }}
        and (products.end_date is null or products.end_date >= {{ cycle_start_date() }})
),

spine as (
    select * from sold
    union all
    select * from launching
),

locations as (
    select * from {{ ref('stg_landing__locations') }}
),

resource_types as (
    select distinct resource_id, resource_type from {{ ref('int_capacity_bucketed') }}
),

routings as (
    -- the SKU's first machine routing: where the single-echelon plan makes it, and the line a network plan
    -- reports its production on (crews are in the capacity plan)
    select *
    from (
        select
            routings.*,
            row_number() over (
                partition by routings.sku_id
                order by coalesce(resource_types.resource_type = 'labour', false), routings.plant_id,
                    routings.resource_id
            ) as routing_rank
        from {{ ref('stg_landing__routings') }} as routings
        left join resource_types on routings.resource_id = resource_types.resource_id
    ) as ranked
    where routing_rank = 1
),

policies as (
    select * from {{ ref('int_policies_resolved') }}
),

recent_prices as (
    -- net realised price over the last three months with shipments, in EUR
    select
        sku_id,
        location_id,
        {{ round_to(exact_sum("shipped_revenue_amount") ~ " / nullif(" ~ exact_sum("shipped_qty") ~ ", 0)", 4) }} as net_price_amount
    from {{ ref('int_sales_orders_aggregated') }}
    where bucket_date >= {{ dbt.dateadd('month', -3, cycle_start_date()) }}
    group by sku_id, location_id
),

joined as (
    select
        spine.sku_id,
        spine.location_id,
        products.family_id,
        products.category,
        locations.region,
        locations.country_code,
        locations.currency_code,
        products.unit_cost_amount,
        products.list_price_amount,
        coalesce(recent_prices.net_price_amount, products.list_price_amount) as net_price_amount,
        products.launch_date,
        products.end_date,
        spine.first_bucket_date,
        spine.first_bucket_date is null as is_launching,
        routings.plant_id,
        routings.resource_id,
        routings.units_per_hour,
        -- without a matching policy: a 95% service level and no lead time beyond the planning bucket
        coalesce(policies.target_service_level, 0.95) as target_service_level,
        coalesce(policies.lead_time_days, 0) as lead_time_days,
        policies.policy_id
    from spine
    inner join products on spine.sku_id = products.sku_id
    inner join locations on spine.location_id = locations.location_id
    left join routings on spine.sku_id = routings.sku_id
    left join policies
        on spine.sku_id = policies.sku_id
        and spine.location_id = policies.location_id
    left join recent_prices
        on spine.sku_id = recent_prices.sku_id
        and spine.location_id = recent_prices.location_id
)

select * from joined
