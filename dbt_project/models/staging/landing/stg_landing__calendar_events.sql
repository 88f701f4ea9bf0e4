with source as (
    {{ current_landing_rows('calendar_events', ['event_date', 'event_name']) }}
),

renamed as (
    select
        event_date,
        cast(date_trunc('month', event_date) as date) as event_month_date,
        event_name,
        event_type
    from source
)

select * from renamed
