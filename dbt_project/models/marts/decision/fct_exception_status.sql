-- Exceptions across cycles: each problem of the cycle's plan keeps its identity from one cycle to the next (its
-- exception_id names its kind and subject, e.g. shortage:SKU0001@LOC01), with a status:
--   new        first seen this cycle
--   open       listed by the cycle before too, and not accepted
--   accepted   an accept_exception decision covers it (its owner, due date; until the due date has passed)
--   recurring  seen in an earlier cycle, gone in the one before, back now
--   resolved   listed by the cycle before, gone now (one row, with the decision that answered it, if any)
-- age_in_cycles counts the cycles in a row it has been listed (1 = this one). Every cycle's rows are kept, so
-- the next cycle ages its exceptions against this one (a rerun replaces only its own cycle).
with exceptions as (
    select * from {{ ref('fct_plan_exceptions') }}
),

decisions as (
    {{ optional_source('decisions', 'decision_log', {
        'decision_id': text(), 'cycle_id': text(), 'decision_kind': text(), 'exception_id': text(),
        'owner': text(), 'due_date': 'date', 'decided_at': dbt.type_timestamp()}) }}
),

earlier as (
    {%- if is_incremental() %}
    select cycle_id, exception_id, exception_type, severity, priority, size_amount, first_bucket_date,
           lifecycle_status, first_seen_cycle_id, age_in_cycles, owner, due_date, decision_id
    from {{ this }}
    where cycle_id < '{{ cycle_id() }}'
    {%- else %}
    select
        cast(null as {{ text() }}) as cycle_id, cast(null as {{ text() }}) as exception_id,
        cast(null as {{ text() }}) as exception_type, cast(null as {{ text() }}) as severity,
        cast(null as {{ dbt.type_bigint() }}) as priority, cast(null as {{ double() }}) as size_amount,
        cast(null as date) as first_bucket_date, cast(null as {{ text() }}) as lifecycle_status,
        cast(null as {{ text() }}) as first_seen_cycle_id, cast(null as {{ dbt.type_bigint() }}) as age_in_cycles,
        cast(null as {{ text() }}) as owner, cast(null as date) as due_date, cast(null as {{ text() }}) as decision_id
    where 1 = 0
    {%- endif %}
),

previous as (
    -- what the cycle before listed (its resolved rows were gone already)
    select * from earlier
    where cycle_id = (select max(cycle_id) from earlier) and lifecycle_status <> 'resolved'
),

seen_before as (
    select distinct exception_id from earlier where lifecycle_status <> 'resolved'
),

accepted as (
    -- the latest acceptance made up to this cycle that is not past its due date
    select * from (
        select
            decisions.*,
            row_number() over (partition by exception_id order by decided_at desc, decision_id desc) as newest
        from decisions
        where decision_kind = 'accept_exception'
            and cycle_id <= '{{ cycle_id() }}'
            and due_date >= {{ cycle_start_date() }}
    ) as ranked
    where newest = 1
),

answered as (
    -- the latest decision of an earlier cycle that named the exception (accepted it, or asked for a change)
    select * from (
        select
            decisions.*,
            row_number() over (partition by exception_id order by decided_at desc, decision_id desc) as newest
        from decisions
        where exception_id is not null and cycle_id < '{{ cycle_id() }}'
    ) as ranked
    where newest = 1
),

listed as (
    select
        exceptions.cycle_id,
        exceptions.exception_id,
        exceptions.exception_type,
        exceptions.severity,
        exceptions.priority,
        exceptions.size_amount,
        exceptions.first_bucket_date,
        case
            when accepted.decision_id is not null then 'accepted'
            when previous.exception_id is not null then 'open'
            when seen_before.exception_id is not null then 'recurring'
            else 'new'
        end as lifecycle_status,
        coalesce(previous.first_seen_cycle_id, exceptions.cycle_id) as first_seen_cycle_id,
        coalesce(previous.age_in_cycles, 0) + 1 as age_in_cycles,
        accepted.owner,
        accepted.due_date,
        accepted.decision_id
    from exceptions
    left join previous on exceptions.exception_id = previous.exception_id
    left join seen_before on exceptions.exception_id = seen_before.exception_id
    left join accepted on exceptions.exception_id = accepted.exception_id
),

resolved as (
    select
        '{{ cycle_id() }}' as cycle_id,
        previous.exception_id,
        previous.exception_type,
        previous.severity,
        previous.priority,
        previous.size_amount,
        previous.first_bucket_date,
        'resolved' as lifecycle_status,
        previous.first_seen_cycle_id,
        previous.age_in_cycles,
        coalesce(answered.owner, previous.owner) as owner,
        coalesce(answered.due_date, previous.due_date) as due_date,
        coalesce(answered.decision_id, previous.decision_id) as decision_id
    from previous
    left join exceptions on previous.exception_id = exceptions.exception_id
    left join answered on previous.exception_id = answered.exception_id
    where exceptions.exception_id is null
),

statuses as (
    select * from listed
    union all
    select * from resolved
)

select
    cast(cycle_id as {{ text() }}) as cycle_id,
    cast(exception_id as {{ text() }}) as exception_id,
    cast(exception_type as {{ text() }}) as exception_type,
    cast(severity as {{ text() }}) as severity,
    cast(priority as {{ dbt.type_bigint() }}) as priority,
    cast(size_amount as {{ double() }}) as size_amount,
    cast(first_bucket_date as date) as first_bucket_date,
    cast(lifecycle_status as {{ text() }}) as lifecycle_status,
    cast(first_seen_cycle_id as {{ text() }}) as first_seen_cycle_id,
    cast(age_in_cycles as {{ dbt.type_bigint() }}) as age_in_cycles,
    cast(owner as {{ text() }}) as owner,
    cast(due_date as date) as due_date,
    cast(decision_id as {{ text() }}) as decision_id
from statuses
