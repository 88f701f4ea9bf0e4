{#- KPIs roll up the product-location hierarchy the same way everywhere: per series (sku x location), per
    family, per region and in total. `hierarchy_grouping_sets(by)` groups by the columns in `by` at each level;
    `aggregation_level()` names the level of a row; `level_member(column)` shows 'ALL' where a row sums over
    that column. -#}
{% macro hierarchy_grouping_sets(by, series=true) -%}
    grouping sets (
        {%- if series %}
        ({{ (by + ['sku_id', 'location_id', 'family_id', 'region']) | join(', ') }}),
        {%- endif %}
        ({{ (by + ['family_id']) | join(', ') }}),
        ({{ (by + ['region']) | join(', ') }}),
        ({{ by | join(', ') }})
    )
{%- endmacro %}

{% macro aggregation_level(series=true) -%}
    case
        {%- if series %}
        when grouping(sku_id) = 0 then 'sku_location'
        {%- endif %}
        when grouping(family_id) = 0 then 'family'
        when grouping(region) = 0 then 'region'
        else 'total'
    end
{%- endmacro %}

{% macro level_member(column) -%}
    case when grouping({{ column }}) = 1 then 'ALL' else {{ column }} end
{%- endmacro %}

{#- The first bucket a cycle plans, from its id (YYYY-MM): the bucket its first day falls in. -#}
{% macro cycle_first_bucket_date(cycle_id_expression) -%}
    {{ bucket_start("cast(" ~ cycle_id_expression ~ " || '-01' as date)") }}
{%- endmacro %}


{#- A sum over the rows that match `condition`, rounded the same on every rerun (sum_rounded). -#}
{% macro sum_where(condition, expression, digits=4) -%}
    {{ sum_rounded('case when ' ~ condition ~ ' then ' ~ expression ~ ' end', digits) }}
{%- endmacro %}

{#- The columns that name a row's hierarchy member under hierarchy_grouping_sets: its level, and each of
    sku_id, location_id, family_id, region ('ALL' where the level sums over it). -#}
{% macro hierarchy_member_columns() -%}
    {{ aggregation_level() }} as aggregation_level,
        {{ level_member('sku_id') }} as sku_id,
        {{ level_member('location_id') }} as location_id,
        {{ level_member('family_id') }} as family_id,
        {{ level_member('region') }} as region
{%- endmacro %}
