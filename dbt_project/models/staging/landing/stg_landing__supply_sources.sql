with source as (
    {{ current_landing_rows('supply_sources', ['item_id', 'supplier_id', 'plant_id']) }}
),

renamed as (
    select
        item_id,
        supplier_id,
        plant_id,
        lead_time_months,
        cast(unit_price as {{ double() }}) as unit_price_amount,
        upper(currency) as currency_code,
        coalesce(min_qty_per_month, 0) as min_qty_per_month,
        max_qty_per_month,
        coalesce(priority, 1) as priority,
        _source_file as source_file,
        _source_row as source_row
    from source
)

select * from renamed
