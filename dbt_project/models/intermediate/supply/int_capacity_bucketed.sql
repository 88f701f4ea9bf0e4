-- Regular hours per resource and planning bucket. Capacity arrives per month; a week gets the hours of its
-- calendar days, each day 1/(days in its month) of that month's hours (a week across a month end takes
-- from both). For monthly buckets this returns the months unchanged. The S&OP meeting's capacity requests
-- (stg_decisions__change_requests) add their extra hours to each month of theirs (open ends: every month).
with landed as (
    select * from {{ ref('stg_landing__capacity') }}
),

requested as (
    select resource_id, extra_hours, from_month_date, to_month_date
    from {{ ref('stg_decisions__change_requests') }}
    where change_kind = 'capacity'
),

extra as (
    select
        landed.resource_id,
        landed.month_date,
        sum(requested.extra_hours) as extra_hours
    from landed
    inner join requested
        on landed.resource_id = requested.resource_id
        and (requested.from_month_date is null or landed.month_date >= requested.from_month_date)
        and (requested.to_month_date is null or landed.month_date <= requested.to_month_date)
    group by landed.resource_id, landed.month_date
),

capacity as (
    select
        landed.plant_id,
        landed.resource_id,
        landed.month_date,
        landed.available_hours + coalesce(extra.extra_hours, 0) as available_hours,
        landed.resource_type,
        landed.overtime_share,
        landed.overtime_cost_per_hour,
        {{ dbt.datediff('landed.month_date', dbt.dateadd('month', 1, 'landed.month_date'), 'day') }}
            as days_in_month
    from landed
    left join extra
        on landed.resource_id = extra.resource_id
        and landed.month_date = extra.month_date
),

days as (
    {{ period_spine(
        "(select min(month_date) from capacity)",
        "(select max(" ~ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'month_date')) ~ ") from capacity)",
        'day'
    ) }}
),

daily as (
    select
        capacity.plant_id,
        capacity.resource_id,
        days.period_date as day_date,
        capacity.available_hours / capacity.days_in_month as available_hours,
        capacity.resource_type,
        capacity.overtime_share,
        capacity.overtime_cost_per_hour
    from capacity
    inner join days
        on days.period_date >= capacity.month_date
        and days.period_date < {{ dbt.dateadd('month', 1, 'capacity.month_date') }}
),

bucketed as (
    select
        plant_id,
        resource_id,
        {{ bucket_start('day_date') }} as bucket_date,
        {{ sum_rounded("available_hours", 4) }} as available_hours,
        count(*) as calendar_days,
        -- a week across a month end with two rules takes the larger: a resource's type is one per file
        max(resource_type) as resource_type,
        max(overtime_share) as overtime_share,
        max(overtime_cost_per_hour) as overtime_cost_per_hour
    from daily
    group by plant_id, resource_id, {{ bucket_start('day_date') }}
)

select * from bucketed
