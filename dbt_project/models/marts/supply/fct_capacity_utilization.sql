-- Per plant resource and month: hours available and used, utilization, and output against standard rates.
-- Machines only: production receipts book line hours, so a crew's (labour) use has no history to measure.
with capacity as (
    select * from {{ ref('stg_landing__capacity') }}
    where month_date < {{ cycle_start_date() }} and coalesce(resource_type, 'machine') <> 'labour'
),

production as (
    select * from {{ ref('stg_landing__production') }}
),

routings as (
    select * from {{ ref('stg_landing__routings') }}
),

used as (
    select
        production.plant_id,
        production.resource_id,
        production.production_month_date as month_date,
        sum(production.produced_qty) as produced_qty,
        sum(production.run_hours) as used_hours,
        sum(production.produced_qty / routings.units_per_hour) as standard_hours
    from production
    left join routings
        on production.sku_id = routings.sku_id
        and production.plant_id = routings.plant_id
        and production.resource_id = routings.resource_id
    group by production.plant_id, production.resource_id, production.production_month_date
),

kpis as (
    select
        capacity.plant_id,
        capacity.resource_id,
        capacity.month_date,
        capacity.available_hours,
        coalesce(used.used_hours, 0) as used_hours,
        coalesce(used.produced_qty, 0) as produced_qty,
        coalesce(used.standard_hours, 0) as standard_hours,
        coalesce(used.used_hours, 0) / nullif(capacity.available_hours, 0) as capacity_utilization,
        used.standard_hours / nullif(used.used_hours, 0) as production_efficiency
    from capacity
    left join used
        on capacity.plant_id = used.plant_id
        and capacity.resource_id = used.resource_id
        and capacity.month_date = used.month_date
)

select * from kpis
