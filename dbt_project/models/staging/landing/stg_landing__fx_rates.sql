with source as (
    {{ current_landing_rows('fx_rates', ['month', 'currency']) }}
),

renamed as (
    select
        cast(date_trunc('month', month) as date) as month_date,
        upper(currency) as currency_code,
        rate_to_eur
    from source
)

select * from renamed
