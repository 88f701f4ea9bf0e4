-- The earlier cycles whose forecasts and plans can be scored now: those in the forecast archive that were
-- planned at the grain being planned today (a home that switched between months and weeks keeps both
-- archives, but a weekly forecast is never paired with monthly actuals). first_bucket_date is the first
-- bucket each cycle planned; its forecasts are lag 1 there.
with archived as (
    select
        cycle_id,
        coalesce(planning_bucket, 'month') as planning_bucket
    from {{ source('forecast', 'demand_forecast') }}
    where cycle_id < '{{ cycle_id() }}'
),

cycles as (
    select
        cycle_id,
        {{ cycle_first_bucket_date('cycle_id') }} as first_bucket_date,
        cast(cycle_id || '-01' as date) as cycle_month_date
    from archived
    group by cycle_id
    having min(planning_bucket) = '{{ bucket() }}' and max(planning_bucket) = '{{ bucket() }}'
)

select * from cycles
