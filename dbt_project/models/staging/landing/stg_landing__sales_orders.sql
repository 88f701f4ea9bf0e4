with source as (
    {{ current_landing_rows('sales_orders', ['order_id', 'line_number']) }}
),

renamed as (
    select
        order_id,
        line_number,
        order_date,
        requested_date,
        ship_date,
        cast(date_trunc('month', order_date) as date) as order_month_date,
        {{ bucket_start('order_date') }} as order_bucket_date,
        sku_id,
        location_id,
        ordered_qty,
        shipped_qty,
        unit_price as unit_price_amount,
        upper(currency) as currency_code,
        _source_file as source_file,
        _source_row as source_row
    from source
)

select * from renamed
