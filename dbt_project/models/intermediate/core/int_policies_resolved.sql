-- The policy of every series: of the rows whose non-null scope matches it, the most specific wins
-- (sku > location > family, so sku+location beats sku, which beats family+location, ...).
with series as (
    select distinct spine.sku_id, spine.location_id, products.family_id
    from {{ ref('int_series_buckets_spined') }} as spine
    inner join {{ ref('stg_landing__products') }} as products on spine.sku_id = products.sku_id
),

policies as (
    select * from {{ ref('stg_landing__policies') }}
),

matched as (
    select
        series.sku_id,
        series.location_id,
        policies.policy_id,
        policies.target_service_level,
        policies.lead_time_days,
        row_number() over (
            partition by series.sku_id, series.location_id
            order by
                (case when policies.sku_id is not null then 4 else 0 end)
                + (case when policies.location_id is not null then 2 else 0 end)
                + (case when policies.family_id is not null then 1 else 0 end) desc,
                policies.policy_id
        ) as match_rank
    from series
    inner join policies
        on (policies.sku_id is null or policies.sku_id = series.sku_id)
        and (policies.location_id is null or policies.location_id = series.location_id)
        and (policies.family_id is null or policies.family_id = series.family_id)
),

resolved as (
    select sku_id, location_id, policy_id, target_service_level, lead_time_days
    from matched
    where match_rank = 1
)

select * from resolved
