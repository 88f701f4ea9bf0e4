-- Each supply source's price in EUR, at its currency's latest rate (the horizon carries the last known rate
-- forward, as the plan's revenue does). EUR needs no rate. A currency with no rate at all stays NULL: the plan
-- refuses it, naming the file and row.
with sources as (
    select * from {{ ref('stg_landing__supply_sources') }}
),

latest_rates as (
    select currency_code, rate_to_eur
    from (
        select
            currency_code,
            rate_to_eur,
            row_number() over (partition by currency_code order by month_date desc) as recency
        from {{ ref('stg_landing__fx_rates') }}
    ) as ranked
    where recency = 1
),

priced as (
    select
        sources.*,
        case
            when sources.currency_code = 'EUR' then sources.unit_price_amount
            else {{ round_to('sources.unit_price_amount * latest_rates.rate_to_eur', 6) }}
        end as unit_price_eur_amount
    from sources
    left join latest_rates on sources.currency_code = latest_rates.currency_code
)

select * from priced
