{#- The first day of the cycle month: history is everything strictly before it. -#}
{% macro cycle_start_date() -%}
    cast('{{ cycle_id() }}-01' as date)
{%- endmacro %}

{#- Rows of a landing table from the current version of each file, one per key (the latest load wins). -#}
{% macro current_landing_rows(entity, key_columns) -%}
    select *
    from (
        select
            landed.*,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by landed._loaded_at desc, landed._source_row desc
            ) as row_rank
        from {{ source('landing', entity) }} as landed
        where landed._content_hash in (
            select content_hash from {{ source('landing', 'load_log') }}
            where entity = '{{ entity }}' and superseded_at is null
        )
    ) as ranked
    where row_rank = 1
{%- endmacro %}

{#- First day of every month from start_date to end_date (inclusive). -#}
{% macro month_spine(start_date, end_date) -%}
    {{ return(adapter.dispatch('month_spine')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__month_spine(start_date, end_date) -%}
    select cast(month_date as date) as month_date
    from generate_series({{ start_date }}, {{ end_date }}, interval '1 month') as spine(month_date)
{%- endmacro %}

{% macro duckdb__month_spine(start_date, end_date) -%}
    select cast(generate_series as date) as month_date
    from generate_series(cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval 1 month)
{%- endmacro %}

{#- The cycle being planned (YYYY-MM). From the environment, not --vars: a --vars change forces dbt to
    re-parse the whole project, an environment variable only the files that use it. -#}
{% macro cycle_id() -%}
    {{ env_var('SOP_CYCLE_ID', var('cycle_id')) }}
{%- endmacro %}
