-- Every archived forecast of an earlier cycle whose bucket now has an actual, with the series' naive scale as
-- it stood when the forecast was made. forecast_lag = the horizon step in planning buckets: 1 for the first
-- bucket the cycle planned, k for the k-th. Models: those the forecast stage archives, and the consensus.
with cycles as (
    select * from {{ ref('int_cycles_archived') }}
),

forecasts as (
    -- a launching product's like-item forecast is its machine-learning stage (consensus starts from it; its
    -- baselines are zero: nothing to repeat), so every stage is scored on the same series
    select
        cycle_id,
        case when model_name = 'like_item' then 'lightgbm' else model_name end as model_name,
        sku_id,
        location_id,
        bucket_date,
        forecast_qty
    from {{ source('forecast', 'demand_forecast') }}
    where cycle_id < '{{ cycle_id() }}'
),

consensus as (
    select
        cycle_id,
        'consensus' as model_name,
        sku_id,
        location_id,
        bucket_date,
        consensus_demand_qty as forecast_qty
    from {{ ref('fct_consensus_demand') }}
    where cycle_id < '{{ cycle_id() }}'
),

archived as (
    select cycle_id, model_name, sku_id, location_id, bucket_date, forecast_qty from forecasts
    union all
    select cycle_id, model_name, sku_id, location_id, bucket_date, forecast_qty from consensus
),

actuals as (
    select sku_id, location_id, bucket_date, family_id, region, demand_qty
    from {{ ref('fct_demand_history') }}
),

naive_errors as (
    select
        sku_id,
        location_id,
        bucket_date,
        cast(abs(demand_qty - lag(demand_qty) over (partition by sku_id, location_id order by bucket_date))
            as {{ double() }}) as naive_abs_error_qty
    from actuals
),

naive_scales as (
    -- the mean one-step naive error over the history up to each bucket: MASE's scale as of that bucket
    select
        sku_id,
        location_id,
        bucket_date,
        avg(naive_abs_error_qty) over (
            partition by sku_id, location_id order by bucket_date rows between unbounded preceding and current row
        ) as naive_scale_qty
    from naive_errors
),

scored as (
    select
        archived.cycle_id,
        archived.model_name,
        archived.sku_id,
        archived.location_id,
        actuals.family_id,
        actuals.region,
        archived.bucket_date,
        cast({{ dbt.datediff('cycles.first_bucket_date', 'archived.bucket_date', bucket()) }} + 1 as integer) as forecast_lag,
        archived.forecast_qty,
        actuals.demand_qty as actual_qty,
        naive_scales.naive_scale_qty
    from archived
    inner join cycles on archived.cycle_id = cycles.cycle_id
    inner join actuals
        on archived.sku_id = actuals.sku_id
        and archived.location_id = actuals.location_id
        and archived.bucket_date = actuals.bucket_date
    left join naive_scales
        on archived.sku_id = naive_scales.sku_id
        and archived.location_id = naive_scales.location_id
        and naive_scales.bucket_date = {{ dbt.dateadd(bucket(), -1, 'cycles.first_bucket_date') }}
)

select * from scored
