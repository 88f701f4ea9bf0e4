-- The cycle's supply plan per series and bucket with what money and rollups need: family, region, standard
-- cost and net price (EUR). The prices and costs are the plan's own (the master data's, or an adopted
-- scenario's price and FX changes): every money number of the plan is the plan's. Earlier cycles' plans stay in
-- the archive, not here.
with plan as (
    select * from {{ source('planning', 'plan_reconciled') }}
    where cycle_id = '{{ cycle_id() }}'
),

series as (
    select sku_id, location_id, family_id, region
    from {{ ref('dim_sku_locations') }}
),

priced as (
    select
        plan.cycle_id,
        plan.sku_id,
        plan.location_id,
        plan.bucket_date,
        series.family_id,
        series.region,
        plan.unit_cost_amount,
        plan.net_price_amount,
        plan.consensus_demand_qty,
        plan.demand_met_qty,
        plan.shortage_qty,
        plan.closing_inventory_qty,
        plan.safety_stock_qty
    from plan
    inner join series
        on plan.sku_id = series.sku_id
        and plan.location_id = series.location_id
)

select * from priced
