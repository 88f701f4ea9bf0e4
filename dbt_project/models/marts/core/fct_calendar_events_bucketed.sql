-- Days with at least one known event, per planning bucket (past and future): a forecast feature known in
-- advance.
with events as (
    select * from {{ ref('stg_landing__calendar_events') }}
),

bucketed as (
    select
        {{ bucket_start('event_date') }} as bucket_date,
        count(distinct event_date) as event_days,
        count(*) as events
    from events
    group by {{ bucket_start('event_date') }}
)

select * from bucketed
