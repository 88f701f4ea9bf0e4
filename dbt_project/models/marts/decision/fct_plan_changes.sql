-- What changed since the last approved plan: per family, region and month, each measure of the cycle's plan
-- beside the same month of the newest approved plan of an earlier cycle (decisions.approved_*), and the change
-- attributed to its causes, parts that add up to the change exactly (decimals, rounded once per row):
--   new_actuals      months the approved plan planned that are history now: actual demand and revenue minus
--                    the plan's; for stock, the opening stock now minus what the approved plan projected for it
--   forecast_change  the statistical forecast's change (units; priced at the approved plan's prices)
--   overrides        the change of what overrides added to the forecast (consensus - statistical)
--   capacity_supply  the supply plan's own change: lost demand (shortage) for revenue and margin; for supply the
--                    part its demand's change does not explain (stock build, capacity, materials)
--   fx               the approved plan's sales now at this cycle's exchange rates (rate now / rate then - 1)
--   price            the rest of revenue and margin: net prices and standard costs (and rounding to the cent)
-- Months of the horizon the approved plan did not reach are left out (nothing to compare with).
with approved as (
    {{ optional_source('decisions', 'approved_plan_reconciled', {
        'cycle_id': text(), 'plan_version': dbt.type_int(), 'sku_id': text(), 'location_id': text(),
        'bucket_date': 'date', 'consensus_demand_qty': double(), 'opening_inventory_qty': double(),
        'planned_supply_qty': double(), 'demand_met_qty': double(),
        'shortage_qty': double(), 'closing_inventory_qty': double(),
        'revenue_amount': double(), 'net_price_amount': double(),
        'unit_cost_amount': double()}) }}
),

approved_demand as (
    {{ optional_source('decisions', 'approved_demand_plan', {
        'cycle_id': text(), 'sku_id': text(), 'location_id': text(), 'bucket_date': 'date',
        'statistical_forecast_qty': double()}) }}
),

compared as (
    -- the newest approved cycle before this one (one approved version per cycle)
    select cycle_id, max(plan_version) as plan_version
    from approved
    where cycle_id = (select max(cycle_id) from approved where cycle_id < '{{ cycle_id() }}')
    group by cycle_id
),

plan_now as (
    select * from {{ source('planning', 'plan_reconciled') }}
    where cycle_id = '{{ cycle_id() }}'
),

demand_now as (
    select sku_id, location_id, bucket_date, statistical_forecast_qty
    from {{ ref('fct_consensus_demand') }}
    where cycle_id = '{{ cycle_id() }}'
),

series as (
    select sku_id, location_id, family_id, region, currency_code, net_price_amount, unit_cost_amount
    from {{ ref('dim_sku_locations') }}
),

rates as (
    select currency_code, month_date, rate_to_eur from {{ ref('stg_landing__fx_rates') }}
),

fx as (
    -- each currency's rate as of either cycle (the newest month before it), and the change between them
    select
        rates_now.currency_code,
        rates_now.rate_to_eur / nullif(rates_then.rate_to_eur, 0) - 1 as fx_change_rate
    from (
        select currency_code, rate_to_eur, row_number() over (partition by currency_code order by month_date desc) as n
        from rates where month_date < {{ cycle_start_date() }}
    ) as rates_now
    inner join (
        select rates.currency_code, rates.rate_to_eur,
               row_number() over (partition by rates.currency_code order by rates.month_date desc) as n
        from rates cross join compared
        where rates.month_date < cast(compared.cycle_id || '-01' as date)
    ) as rates_then
        on rates_now.currency_code = rates_then.currency_code and rates_now.n = 1 and rates_then.n = 1
),

plan_then as (
    select
        approved.*,
        approved_demand.statistical_forecast_qty
    from approved
    inner join compared on approved.cycle_id = compared.cycle_id and approved.plan_version = compared.plan_version
    left join approved_demand
        on approved.cycle_id = approved_demand.cycle_id
        and approved.sku_id = approved_demand.sku_id
        and approved.location_id = approved_demand.location_id
        and approved.bucket_date = approved_demand.bucket_date
),

horizon as (
    select
        (select min(bucket_date) from plan_now) as first_bucket_date,
        (select max(bucket_date) from plan_then) as last_compared_bucket_date
),

now_priced as (
    select plan_now.*, demand_now.statistical_forecast_qty as statistical_qty
    from plan_now
    left join demand_now
        on plan_now.sku_id = demand_now.sku_id
        and plan_now.location_id = demand_now.location_id
        and plan_now.bucket_date = demand_now.bucket_date
    cross join horizon
    where plan_now.bucket_date <= horizon.last_compared_bucket_date
),

then_in_horizon as (
    select plan_then.* from plan_then cross join horizon where plan_then.bucket_date >= horizon.first_bucket_date
),

paired as (
    -- every series and bucket either plan has; quantities at 4 decimals (the plans'), exact from here on
    select
        coalesce(n.sku_id, t.sku_id) as sku_id,
        coalesce(n.location_id, t.location_id) as location_id,
        coalesce(n.bucket_date, t.bucket_date) as bucket_date,
        {%- for column, name in [('consensus_demand_qty', 'demand'), ('statistical_qty', 'stat'),
            ('shortage_qty', 'short'), ('demand_met_qty', 'met'), ('planned_supply_qty', 'supply'),
            ('closing_inventory_qty', 'closing'), ('opening_inventory_qty', 'opening')] %}
        cast(coalesce(n.{{ column }}, 0) as decimal(38, 4)) as {{ name }}_now,
        cast(coalesce(t.{{ column if column != 'statistical_qty' else 'statistical_forecast_qty' }}, 0)
            as decimal(38, 4)) as {{ name }}_then,
        {%- endfor %}
        cast(coalesce(n.revenue_amount, 0) as decimal(38, 2)) as revenue_now,
        cast(coalesce(t.revenue_amount, 0) as decimal(38, 2)) as revenue_then,
        cast(coalesce(n.unit_cost_amount, t.unit_cost_amount, s.unit_cost_amount, 0) as decimal(38, 6)) as cost_now,
        cast(coalesce(t.unit_cost_amount, n.unit_cost_amount, s.unit_cost_amount, 0) as decimal(38, 6)) as cost_then,
        cast(coalesce(t.net_price_amount, n.net_price_amount, s.net_price_amount, 0) as decimal(38, 6)) as price_then,
        coalesce(fx.fx_change_rate, 0) as fx_change_rate,
        coalesce(n.bucket_date, t.bucket_date) = (select first_bucket_date from horizon) as is_first_bucket
    from now_priced as n
    full outer join then_in_horizon as t
        on n.sku_id = t.sku_id and n.location_id = t.location_id and n.bucket_date = t.bucket_date
    left join series as s
        on coalesce(n.sku_id, t.sku_id) = s.sku_id and coalesce(n.location_id, t.location_id) = s.location_id
    left join fx on s.currency_code = fx.currency_code
),

series_changes as (
    select
        paired.*,
        stat_now - stat_then as forecast_qty_change,
        (demand_now - stat_now) - (demand_then - stat_then) as override_qty_change,
        case when is_first_bucket then opening_now - opening_then else 0 end as opening_change,
        sum(stat_now - stat_then) over (
            partition by sku_id, location_id order by bucket_date rows between unbounded preceding and current row
        ) as forecast_qty_change_to_date,
        sum((demand_now - stat_now) - (demand_then - stat_then)) over (
            partition by sku_id, location_id order by bucket_date rows between unbounded preceding and current row
        ) as override_qty_change_to_date,
        cast(met_now * price_then * fx_change_rate as decimal(38, 6)) as fx_amount
    from paired
),

actuals as (
    -- months the approved plan planned that are history now
    select sku_id, location_id, bucket_date, demand_qty, revenue_amount
    from {{ ref('fct_demand_history') }}
    where bucket_date >= (select cast(cycle_id || '-01' as date) from compared)
        and bucket_date < {{ cycle_start_date() }}
),

realised as (
    select
        coalesce(a.sku_id, t.sku_id) as sku_id,
        coalesce(a.location_id, t.location_id) as location_id,
        coalesce(a.bucket_date, t.bucket_date) as bucket_date,
        cast(coalesce(t.consensus_demand_qty, 0) as decimal(38, 4)) as demand_then,
        cast(coalesce(a.demand_qty, 0) as decimal(38, 4)) as demand_now,
        cast(coalesce(t.revenue_amount, 0) as decimal(38, 2)) as revenue_then,
        cast(coalesce(a.revenue_amount, 0) as decimal(38, 2)) as revenue_now
    from actuals as a
    full outer join (
        select plan_then.* from plan_then cross join horizon where plan_then.bucket_date < horizon.first_bucket_date
    ) as t
        on a.sku_id = t.sku_id and a.location_id = t.location_id and a.bucket_date = t.bucket_date
    where t.sku_id is not null  -- only what the approved plan planned
),

measures as (
    -- one row per series, bucket and measure: then, now and the parts; every value a decimal of one scale (a
    -- union of decimals of different scales may drop digits)
    {%- set parts = ['previous_value', 'current_value', 'new_actuals_value', 'forecast_change_value',
                     'override_value', 'capacity_supply_value', 'fx_value'] %}
    {%- set rows = [
        ('series_changes', 'demand_qty', ['demand_then', 'demand_now', '0', 'forecast_qty_change',
            'override_qty_change', '0', '0']),
        ('series_changes', 'supply_qty', ['supply_then', 'supply_now', '0', 'forecast_qty_change',
            'override_qty_change', '(supply_now - supply_then) - forecast_qty_change - override_qty_change', '0']),
        ('series_changes', 'stock_qty', ['closing_then', 'closing_now',
            'sum(opening_change) over (partition by sku_id, location_id)',
            '-forecast_qty_change_to_date', '-override_qty_change_to_date',
            '(closing_now - closing_then) - sum(opening_change) over (partition by sku_id, location_id)'
            ~ ' + forecast_qty_change_to_date + override_qty_change_to_date', '0']),
        ('series_changes', 'revenue_amount', ['revenue_then', 'revenue_now', '0',
            'forecast_qty_change * price_then', 'override_qty_change * price_then',
            '-(short_now - short_then) * price_then', 'fx_amount']),
        ('series_changes', 'margin_amount', ['revenue_then - met_then * cost_then', 'revenue_now - met_now * cost_now',
            '0', 'forecast_qty_change * (price_then - cost_then)', 'override_qty_change * (price_then - cost_then)',
            '-(short_now - short_then) * (price_then - cost_then)', 'fx_amount']),
        ('realised', 'demand_qty', ['demand_then', 'demand_now', 'demand_now - demand_then', '0', '0', '0', '0']),
        ('realised', 'revenue_amount', ['revenue_then', 'revenue_now', 'revenue_now - revenue_then', '0', '0', '0',
            '0']),
    ] %}
    {%- for relation, measure, values in rows %}
    select sku_id, location_id, bucket_date, '{{ measure }}' as measure_name,
        {%- for value in values %}
        cast({{ value }} as decimal(38, 6)) as {{ parts[loop.index0] }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

grouped as (
    select
        coalesce(series.family_id, 'UNKNOWN') as family_id,
        coalesce(series.region, 'UNKNOWN') as region,
        cast({{ dbt.date_trunc('month', 'measures.bucket_date') }} as date) as month_date,
        measures.measure_name,
        sum(previous_value) as previous_value,
        sum(current_value) as current_value,
        sum(new_actuals_value) as new_actuals_value,
        sum(forecast_change_value) as forecast_change_value,
        sum(override_value) as override_value,
        sum(capacity_supply_value) as capacity_supply_value,
        sum(fx_value) as fx_value
    from measures
    left join series on measures.sku_id = series.sku_id and measures.location_id = series.location_id
    group by 1, 2, 3, 4
),

rounded as (
    -- units to 4 decimals (exact already), money to cents; price is what the cents leave, so the parts add up
    select
        family_id, region, month_date, measure_name,
        {%- for column in ['previous_value', 'current_value', 'new_actuals_value', 'forecast_change_value',
                           'override_value', 'capacity_supply_value', 'fx_value'] %}
        case
            when measure_name like '%_amount' then cast(round({{ column }}, 2) as decimal(38, 4))
            else cast(round({{ column }}, 4) as decimal(38, 4))
        end as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from grouped
)

select
    cast('{{ cycle_id() }}' as {{ text() }}) as cycle_id,
    cast(compared.cycle_id as {{ text() }}) as compared_cycle_id,
    cast(compared.plan_version as {{ dbt.type_int() }}) as compared_plan_version,
    cast(rounded.family_id as {{ text() }}) as family_id,
    cast(rounded.region as {{ text() }}) as region,
    rounded.month_date,
    cast(rounded.measure_name as {{ text() }}) as measure_name,
    cast(previous_value as decimal(38, 4)) as previous_value,
    cast(current_value as decimal(38, 4)) as current_value,
    cast(current_value - previous_value as decimal(38, 4)) as change_value,
    cast(new_actuals_value as decimal(38, 4)) as new_actuals_value,
    cast(forecast_change_value as decimal(38, 4)) as forecast_change_value,
    cast(override_value as decimal(38, 4)) as override_value,
    cast(capacity_supply_value as decimal(38, 4)) as capacity_supply_value,
    cast(
        (current_value - previous_value) - new_actuals_value - forecast_change_value - override_value
        - capacity_supply_value - fx_value
        as decimal(38, 4)
    ) as price_value,
    cast(fx_value as decimal(38, 4)) as fx_value
from rounded
cross join compared
