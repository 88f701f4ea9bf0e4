{#- An override's scope, from which of sku_id, location_id, family_id and region it sets: its name (sku_location is
    one series, family_region a family in a region) and how specific it is (8 for a SKU + 4 for a location + 2 for a
    family + 1 for a region: where overrides overlap, the higher wins). One rule for the planners' file and the
    meeting's override requests. -#}
{% macro override_scope() -%}
        concat_ws(
            '_',
            case when sku_id is not null then 'sku' end,
            case when location_id is not null then 'location' end,
            case when family_id is not null then 'family' end,
            case when region is not null then 'region' end
        ) as override_level,
        8 * cast(sku_id is not null as integer)
        + 4 * cast(location_id is not null as integer)
        + 2 * cast(family_id is not null as integer)
        + cast(region is not null as integer) as scope_specificity
{%- endmacro %}
