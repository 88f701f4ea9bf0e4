-- ABC/XYZ segmentation of every series over the last 12 months before the cycle.
-- ABC by revenue: sorted by revenue, a series is A while the revenue before it is under 80% of the total,
-- B under 95%, else C (so the series that crosses 80% is still A). XYZ by demand variability: the
-- coefficient of variation of its demand per bucket, X <= 0.5, Y <= 1.0, Z above (or no demand at all).
with history as (
    select * from {{ ref('fct_demand_history') }}
    where bucket_date >= {{ dbt.dateadd('month', -12, cycle_start_date()) }}
),

per_series as (
    select
        sku_id,
        location_id,
        sum(revenue_amount) as revenue_amount,
        sum(demand_qty) as demand_qty,
        count(*) as buckets,
        avg(demand_qty) as mean_demand_qty,
        stddev_pop(demand_qty) as stddev_demand_qty
    from history
    group by sku_id, location_id
),

ranked as (
    select
        per_series.*,
        coalesce(
            sum(revenue_amount) over (
                order by revenue_amount desc, sku_id, location_id rows between unbounded preceding and 1 preceding
            ),
            0
        ) / nullif(sum(revenue_amount) over (), 0) as revenue_share_before,
        stddev_demand_qty / nullif(mean_demand_qty, 0) as demand_cv
    from per_series
),

segmented as (
    select
        sku_id,
        location_id,
        {{ round_to('revenue_amount', 4) }} as revenue_amount,
        demand_qty,
        buckets,
        demand_cv,
        case
            when revenue_share_before < 0.8 then 'A'
            when revenue_share_before < 0.95 then 'B'
            else 'C'
        end as abc_class,
        case
            when demand_cv <= 0.5 then 'X'
            when demand_cv <= 1.0 then 'Y'
            else 'Z'
        end as xyz_class
    from ranked
)

select
    segmented.*,
    abc_class || xyz_class as segment
from segmented
