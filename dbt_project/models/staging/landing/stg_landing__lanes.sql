with source as (
    {{ current_landing_rows('lanes', ['lane_id']) }}
),

renamed as (
    select
        lane_id,
        from_node as from_node_id,
        to_node as to_node_id,
        transit_months,
        cast(cost_per_unit as {{ double() }}) as cost_per_unit_amount,
        capacity_per_month,
        _source_file as source_file,
        _source_row as source_row
    from source
)

select * from renamed
