-- Schedule attainment: how much of the production each cycle planned for its own first month was made, per
-- plant resource. Per SKU, location and planning bucket of that month, only production up to the plan counts
-- (making more of one SKU does not make up for missing another): attained = min(produced, planned).
with cycles as (
    select * from {{ ref('int_cycles_archived') }}
),

planned as (
    select
        plan.cycle_id,
        cycles.cycle_month_date as month_date,
        plan.plant_id,
        plan.resource_id,
        plan.sku_id,
        plan.location_id,
        plan.bucket_date,
        sum(plan.planned_supply_qty) as planned_qty
    from {{ source('planning', 'supply_plan') }} as plan
    inner join cycles
        on plan.cycle_id = cycles.cycle_id
        and {{ dbt.date_trunc('month', 'plan.bucket_date') }} = cycles.cycle_month_date
    -- receipts are of products: an intermediate a network plan makes has none to be scored against
    where plan.sku_id in (select sku_id from {{ ref('stg_landing__products') }})
    group by
        plan.cycle_id, cycles.cycle_month_date, plan.plant_id, plan.resource_id, plan.sku_id, plan.location_id,
        plan.bucket_date
),

produced as (
    select
        plant_id,
        resource_id,
        sku_id,
        location_id,
        production_bucket_date as bucket_date,
        cast(sum(produced_qty) as {{ double() }}) as produced_qty
    from {{ ref('stg_landing__production') }}
    where production_bucket_date < {{ first_plan_bucket_date() }}
    group by plant_id, resource_id, sku_id, location_id, production_bucket_date
),

produced_at_plant as (
    -- a network plan makes into the plant's stock (its location_id is the plant): receipts count per SKU
    select plant_id, resource_id, sku_id, bucket_date, sum(produced_qty) as produced_qty
    from produced
    group by plant_id, resource_id, sku_id, bucket_date
),

compared as (
    -- production of a SKU the plan did not schedule that month counts as produced, never as attained
    select
        planned.cycle_id,
        planned.month_date,
        planned.plant_id,
        planned.resource_id,
        planned.planned_qty,
        coalesce(produced.produced_qty, produced_at_plant.produced_qty, 0) as produced_qty,
        least(coalesce(produced.produced_qty, produced_at_plant.produced_qty, 0), planned.planned_qty)
            as attained_qty
    from planned
    left join produced
        on planned.plant_id = produced.plant_id
        and planned.resource_id = produced.resource_id
        and planned.sku_id = produced.sku_id
        and planned.location_id = produced.location_id
        and planned.bucket_date = produced.bucket_date
    left join produced_at_plant
        on planned.location_id = planned.plant_id
        and planned.plant_id = produced_at_plant.plant_id
        and planned.resource_id = produced_at_plant.resource_id
        and planned.sku_id = produced_at_plant.sku_id
        and planned.bucket_date = produced_at_plant.bucket_date
),

per_resource as (
    select
        cycle_id as plan_cycle_id,
        month_date,
        plant_id,
        resource_id,
        {{ sum_rounded('planned_qty', 4) }} as planned_qty,
        {{ sum_rounded('attained_qty', 4) }} as attained_qty
    from compared
    group by cycle_id, month_date, plant_id, resource_id
    -- nothing planned, nothing to attain (a line the plan left idle that month)
    having sum(planned_qty) > 0
),

produced_per_resource as (
    select
        produced.plant_id,
        produced.resource_id,
        cycles.cycle_id,
        sum(produced.produced_qty) as produced_qty
    from produced
    inner join cycles
        on {{ dbt.date_trunc('month', 'produced.bucket_date') }} = cycles.cycle_month_date
    group by produced.plant_id, produced.resource_id, cycles.cycle_id
),

final as (
    select
        per_resource.plan_cycle_id,
        per_resource.month_date,
        per_resource.plant_id,
        per_resource.resource_id,
        per_resource.planned_qty,
        coalesce(produced_per_resource.produced_qty, 0) as produced_qty,
        per_resource.attained_qty,
        per_resource.attained_qty / nullif(per_resource.planned_qty, 0) as schedule_attainment,
        coalesce(produced_per_resource.produced_qty, 0) / nullif(per_resource.planned_qty, 0) as production_to_plan_ratio
    from per_resource
    left join produced_per_resource
        on per_resource.plant_id = produced_per_resource.plant_id
        and per_resource.resource_id = produced_per_resource.resource_id
        and per_resource.plan_cycle_id = produced_per_resource.cycle_id
)

select * from final
