-- Consensus demand of the cycle: the statistical forecast, changed by the planner override that governs each
-- series and month (int_overrides_matched), the demand the supply plan must meet. A percent override scales
-- every bucket it covers; a quantity override is the total for everything it covers (a series, a SKU, a family,
-- a region...), spread over those series and their buckets in proportion to the statistical forecast (evenly
-- where that forecast is zero). Overrides are monthly, as planners think; in weekly buckets a month is the
-- weeks that start in it.
with statistical as (
    select
        forecasts.*,
        cast(date_trunc('month', bucket_date) as date) as month_date
    from {{ source('forecast', 'demand_forecast') }} as forecasts
    -- LightGBM's forecast; for a launching product (no history) its family's launch curve (like_item)
    where cycle_id = '{{ cycle_id() }}' and model_name in ('lightgbm', 'like_item')
),

baseline as (
    select * from {{ source('forecast', 'demand_forecast') }}
    where cycle_id = '{{ cycle_id() }}' and model_name = 'seasonal_naive'
),

overrides as (
    select * from {{ ref('int_overrides_matched') }}
    where is_governing
),

governed as (
    -- each overridden bucket's share of what its override covers (all its series' buckets in the month), by
    -- the statistical forecast, evenly where that forecast is zero: how a quantity set for a family, a region
    -- or a month of weeks comes down to series and buckets
    select
        statistical.sku_id,
        statistical.location_id,
        statistical.bucket_date,
        overrides.override_id,
        overrides.override_level,
        overrides.override_pct,
        overrides.planner,
        overrides.reason,
        case
            when overrides.override_pct is not null
                then {{ round_to("statistical.forecast_qty * (1 + overrides.override_pct / 100.0)", 4) }}
            else {{ round_to(
                "overrides.override_qty * coalesce(statistical.forecast_qty"
                ~ " / nullif(sum(statistical.forecast_qty) over (partition by overrides.override_id), 0),"
                ~ " 1.0 / count(*) over (partition by overrides.override_id))", 4) }}
        end as override_qty
    from statistical
    inner join overrides
        on statistical.sku_id = overrides.sku_id
        and statistical.location_id = overrides.location_id
        and statistical.month_date = overrides.month_date
),

consensus as (
    select
        cast(statistical.cycle_id as {{ text() }}) as cycle_id,
        cast(statistical.sku_id as {{ text() }}) as sku_id,
        cast(statistical.location_id as {{ text() }}) as location_id,
        cast(statistical.bucket_date as date) as bucket_date,
        cast(statistical.model_name as {{ text() }}) as statistical_model_name,
        cast(statistical.forecast_qty as {{ double() }}) as statistical_forecast_qty,
        cast(baseline.forecast_qty as {{ double() }}) as baseline_forecast_qty,
        cast(statistical.p10_qty as {{ double() }}) as statistical_p10_qty,
        cast(statistical.p50_qty as {{ double() }}) as statistical_p50_qty,
        cast(statistical.p90_qty as {{ double() }}) as statistical_p90_qty,
        cast(statistical.ceiling_qty as {{ double() }}) as statistical_ceiling_qty,
        cast(statistical.uncapped_qty as {{ double() }}) as statistical_uncapped_qty,
        coalesce(statistical.is_capped, false) as is_forecast_capped,
        cast(governed.override_qty as {{ double() }}) as override_qty,
        cast(coalesce(governed.override_qty, statistical.forecast_qty) as {{ double() }}) as consensus_demand_qty,
        cast(governed.override_id as {{ text() }}) as override_id,
        cast(governed.planner as {{ text() }}) as override_planner,
        cast(governed.reason as {{ text() }}) as override_reason,
        governed.override_id is not null as is_overridden,
        cast(governed.override_level as {{ text() }}) as override_level,
        cast(governed.override_pct as {{ double() }}) as override_pct
    from statistical
    left join baseline
        on statistical.sku_id = baseline.sku_id
        and statistical.location_id = baseline.location_id
        and statistical.bucket_date = baseline.bucket_date
    left join governed
        on statistical.sku_id = governed.sku_id
        and statistical.location_id = governed.location_id
        and statistical.bucket_date = governed.bucket_date
)

select * from consensus
