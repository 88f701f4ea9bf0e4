with source as (
    {{ current_landing_rows('locations', ['location_id']) }}
),

renamed as (
    select
        location_id,
        location_name,
        region,
        upper(country) as country_code,
        upper(currency) as currency_code
    from source
)

select * from renamed
