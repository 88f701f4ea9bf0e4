{#- A source table a Python stage writes only once there is something to write (the meeting's decisions, the
    approved plans): its rows when it exists, else no rows of the given columns (name -> type), so that a
    warehouse before its first decision builds the same models. A column the table lacks (copied from a version
    published before a newer code version added it) reads null. -#}
{% macro optional_source(source_name, table_name, columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set found = adapter.get_relation(relation.database, relation.schema, relation.identifier) if execute else none -%}
    {%- if found is not none -%}
        {%- set have = adapter.get_columns_in_relation(found) | map(attribute='name') | map('lower') | list -%}
        select
        {%- for name, type in columns.items() %}
            {{ name if name in have else 'cast(null as ' ~ type ~ ') as ' ~ name }}{{ ',' if not loop.last }}
        {%- endfor %}
        from {{ relation }}
    {%- else -%}
        select
        {%- for name, type in columns.items() %}
            cast(null as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
        where 1 = 0
    {%- endif -%}
{%- endmacro %}
