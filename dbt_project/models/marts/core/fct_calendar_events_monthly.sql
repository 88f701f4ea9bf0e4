-- Days with at least one known event, per month (past and future): a forecast feature known in advance.
with events as (
    select * from {{ ref('stg_landing__calendar_events') }}
),

monthly as (
    select
        event_month_date as month_date,
        count(distinct event_date) as event_days,
        count(*) as events
    from events
    group by event_month_date
)

select * from monthly
