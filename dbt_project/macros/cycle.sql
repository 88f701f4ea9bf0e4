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

{#- The planning bucket: 'month' (default) or 'week' (ISO weeks, Monday first), from SOP_BUCKET. -#}
{% macro bucket() -%}
    {%- set bucket = env_var('SOP_BUCKET', 'month') -%}
    {%- if bucket not in ('month', 'week') -%}
        {{ exceptions.raise_compiler_error("SOP_BUCKET must be 'month' or 'week', not '" ~ bucket ~ "'") }}
    {%- endif -%}
    {{ return(bucket) }}
{%- endmacro %}

{#- The first day of the bucket a date falls in. -#}
{% macro bucket_start(expression) -%}
    cast(date_trunc('{{ bucket() }}', {{ expression }}) as date)
{%- endmacro %}

{#- The first bucket of the plan: the one the cycle starts in. For weeks it can begin a few days before the
    cycle month; those days are planned, not history, so no bucket of the history is partial. -#}
{% macro first_plan_bucket_date() -%}
    {{ bucket_start(cycle_start_date()) }}
{%- endmacro %}

{#- First day of every `datepart` period ('day', 'week' or 'month') from start_date to end_date (inclusive). -#}
{% macro period_spine(start_date, end_date, datepart) -%}
    {{ return(adapter.dispatch('period_spine')(start_date, end_date, datepart)) }}
{%- endmacro %}

{% macro default__period_spine(start_date, end_date, datepart) -%}
    select cast(period_date as date) as period_date
    from generate_series({{ start_date }}, {{ end_date }}, interval '1 {{ datepart }}') as spine(period_date)
{%- endmacro %}

{% macro spark__period_spine(start_date, end_date, datepart) -%}
    select explode(sequence(cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 {{ datepart }})) as period_date
{%- endmacro %}

{% macro duckdb__period_spine(start_date, end_date, datepart) -%}
    select cast(generate_series as date) as period_date
    from generate_series(cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval 1 {{ datepart }})
{%- endmacro %}

{#- The cycle being planned (YYYY-MM). From the environment, not --vars: a --vars change forces dbt to
    re-parse the whole project, an environment variable only the files that use it. -#}
{% macro cycle_id() -%}
    {{ env_var('SOP_CYCLE_ID', var('cycle_id')) }}
{%- endmacro %}

{#- round(x, digits) for a double: PostgreSQL rounds only numerics, DuckDB rounds doubles directly (its plain
    numeric is DECIMAL(18,3), which would cut digits). -#}
{% macro round_to(expression, digits) -%}
    {{ return(adapter.dispatch('round_to')(expression, digits)) }}
{%- endmacro %}

{% macro default__round_to(expression, digits) -%}
    cast(round(cast({{ expression }} as numeric), {{ digits }}) as {{ double() }})
{%- endmacro %}

{% macro spark__round_to(expression, digits) -%}
    round({{ expression }}, {{ digits }})
{%- endmacro %}

{#- sum(expression) rounded to `digits`, the same on every rerun. Each term becomes a decimal of 10 places
    and decimals add exactly, so the order the engine adds rows in (it varies with threads) cannot move the
    result across a rounding tie: float sums could, and a sum of 4-place amounts rounded to 2 places lands on
    a tie (x.xx5) about once in a hundred rows. -#}
{% macro sum_rounded(expression, digits) -%}
    cast(round({{ exact_sum(expression) }}, {{ digits }}) as {{ double() }})
{%- endmacro %}

{#- A sum that does not depend on the order rows are added in: as a decimal, exactly. For ratios of sums (WAPE,
    bias, utilization): the ratio of two exact sums is the same double in every run, a ratio of float sums
    can land either side of a rounding tie. -#}
{% macro exact_sum(expression) -%}
    sum(cast({{ expression }} as decimal(38, 10)))
{%- endmacro %}

{#- avg() the same way: an exact sum over the count of non-null values. -#}
{% macro exact_avg(expression) -%}
    ({{ exact_sum(expression) }} / nullif(count({{ expression }}), 0))
{%- endmacro %}

{#- A 64-bit float: "double precision" in standard SQL (PostgreSQL, DuckDB), "double" in Spark. -#}
{% macro double() -%}
    {{ return(adapter.dispatch('double')()) }}
{%- endmacro %}

{% macro default__double() -%}
    double precision
{%- endmacro %}

{% macro spark__double() -%}
    double
{%- endmacro %}

{#- A string of any length: "varchar" in PostgreSQL and DuckDB, "string" in Spark (its varchar needs a length). -#}
{% macro text() -%}
    {{ return(adapter.dispatch('text')()) }}
{%- endmacro %}

{% macro default__text() -%}
    varchar
{%- endmacro %}

{% macro spark__text() -%}
    string
{%- endmacro %}

{% macro duckdb__round_to(expression, digits) -%}
    round({{ expression }}, {{ digits }})
{%- endmacro %}
