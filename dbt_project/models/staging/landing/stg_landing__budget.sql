with source as (
    {{ current_landing_rows('budget', ['month', 'family_id', 'region']) }}
),

renamed as (
    select
        cast(date_trunc('month', month) as date) as month_date,
        family_id,
        region,
        budget_qty,
        budget_revenue as budget_revenue_amount
    from source
)

select * from renamed
