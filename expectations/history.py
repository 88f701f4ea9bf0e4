"""Checks that need the history, or another entity, beside the rows: what a row-by-row suite cannot see.

* **completeness**: every month of the history window has rows, and none falls far below its own trailing level
  (a month missing from an extract is not a month without sales);
* **magnitude**: no quantity is orders of magnitude above everything its series did in other months;
* **FX coverage**: every currency a sales line is priced in has a rate for that line's month;
* **duplicate keys**: which keys, in which files and rows.

Each returns a result in the shape ``expectations.validate`` records, with file, row and column (or entity
and month) in its sample. All run in DuckDB over the current rows; only the small aggregates reach Python.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from expectations.suites import ERROR, WARNING
from sop.contract import ENTITIES, REPORTING_CURRENCY, Entity
from sop.ingest import current_rows_sql

# A month with fewer rows than this share of the median of the (up to) twelve months before it is an incomplete
# extract, unless the same month a year earlier was as low (a seasonal business).
LOW_MONTH_SHARE = 0.5
TRAILING_MONTHS = 12
MIN_TRAILING_MONTHS = 3  # fewer months before it give no level to judge a month by
# A quantity this many times above anything its series did in any other month (with MIN_SERIES_MONTHS of them)
# is an extract error (a unit mix-up, an order keyed twice into one line), not demand to plan for.
MAX_TIMES_SERIES_HIGH = 100
MIN_SERIES_MONTHS = 6
SAMPLE = 5


def result(
    expectation: str,
    success: bool,
    observed: str,
    sample: list[str] | None = None,
    count: int | None = None,
    severity: str = ERROR,
    **kwargs,
) -> dict:
    return {
        "expectation": expectation,
        "kwargs": kwargs,
        "severity": severity,
        "success": success,
        "unexpected_count": count,
        "unexpected_sample": (sample or [])[:SAMPLE],
        "observed_value": observed,
        "exception": None,
    }


def _months(first: str, last: str) -> list[str]:
    return [str(p) for p in pd.period_range(first, last, freq="M")] if first <= last else []


def completeness(
    con: duckdb.DuckDBPyConnection, entity: Entity, cycle_id: str, accepted: frozenset[str] = frozenset()
) -> dict | None:
    """Every month from the entity's first to the one before the cycle has rows, and enough of them.

    A month in ``accepted`` (a run's explicit, recorded choice) is reported but does not block."""
    if not entity.window_column:
        return None
    column = entity.window_column
    counts = con.execute(
        f"select strftime({column}, '%Y-%m') as month, count(*) as n from ({current_rows_sql(entity.name)}) "
        f"where {column} < cast(? as date) group by 1 order by 1",
        [f"{cycle_id}-01"],
    ).fetchall()
    if not counts:
        return None  # no history at all: the row-count expectation says so
    rows = dict(counts)
    last = str(pd.Period(cycle_id, freq="M") - 1)
    months = _months(counts[0][0], last)
    problems = {}
    for i, month in enumerate(months):
        n = rows.get(month, 0)
        if n == 0:
            problems[month] = f"{month}: no rows"
            continue
        before = [rows.get(m, 0) for m in months[max(0, i - TRAILING_MONTHS) : i]]
        if len(before) < MIN_TRAILING_MONTHS:
            continue
        level = float(pd.Series(before).median())
        year_ago = rows.get(str(pd.Period(month, freq="M") - 12))
        seasonal_low = year_ago is not None and n >= LOW_MONTH_SHARE * year_ago
        if n < LOW_MONTH_SHARE * level and not seasonal_low:
            problems[month] = f"{month}: {n:,} rows, {n / level:.0%} of the {level:,.0f} of the months before"
    blocking = [m for m in problems if m not in accepted]
    sample = [
        f"{entity.name}: {text}" + (" (accepted by the run)" if m in accepted else "") for m, text in problems.items()
    ]
    observed = (
        f"every month {months[0]}..{last} has rows"
        if not problems
        else f"incomplete month(s) {', '.join(problems)}"
        + (
            f"; accepted by the run: {', '.join(m for m in problems if m in accepted)}"
            if accepted & set(problems)
            else ""
        )
    )
    return result(
        "history_complete_every_month",
        not problems,
        observed,
        sample,
        len(problems),
        ERROR if blocking else WARNING,
        first_month=months[0],
        last_month=last,
        incomplete_months=list(problems),
        accepted_months=sorted(accepted & set(problems)),
    )


def magnitude(con: duckdb.DuckDBPyConnection, entity: Entity) -> dict | None:
    """Rows whose quantity is over MAX_TIMES_SERIES_HIGH times the largest monthly total of their series in any
    other month (series with at least MIN_SERIES_MONTHS other months)."""
    if not (entity.magnitude_column and entity.series_key and entity.window_column):
        return None
    qty, date, series = entity.magnitude_column, entity.window_column, ", ".join(entity.series_key)
    keys = " and ".join(f"r.{k} = m.{k}" for k in entity.series_key)
    rows = con.execute(
        f"""with cur as (select *, date_trunc('month', {date}) as _month from ({current_rows_sql(entity.name)})),
            monthly as (select {series}, _month, sum({qty}) as total from cur group by all),
            others as (
                select {series}, _month, count(*) over (partition by {series}) - 1 as months,
                       greatest(coalesce(max(total) over (w rows between unbounded preceding and 1 preceding), 0),
                                coalesce(max(total) over (w rows between 1 following and unbounded following), 0))
                           as high
                from monthly window w as (partition by {series} order by _month))
            select r._source_file, r._source_row, r.{qty}, m.high
            from cur as r join others as m on {keys} and r._month = m._month
            where m.months >= ? and r.{qty} > ? * greatest(m.high, 1)
            order by r.{qty} desc, r._source_file, r._source_row""",
        [MIN_SERIES_MONTHS, MAX_TIMES_SERIES_HIGH],
    ).fetchall()
    sample = [
        f"{file} row {row}: {qty} = {value:,} ({value / max(high, 1):,.0f}x the series' largest other month, {high:,})"
        for file, row, value, high in rows
    ]
    return result(
        f"{qty}_within_{MAX_TIMES_SERIES_HIGH}x_of_its_series_history",
        not rows,
        f"{len(rows)} row(s) out of proportion to their series" if rows else "every row in proportion",
        sample,
        len(rows),
        column=qty,
    )


def fx_coverage(con: duckdb.DuckDBPyConnection, entity: Entity) -> dict | None:
    """Every currency a priced row uses has a rate to the reporting currency for the row's month."""
    if not entity.priced_in:
        return None
    currency, date = entity.priced_in
    rows = con.execute(
        f"""with cur as ({current_rows_sql(entity.name)}),
                 fx as ({current_rows_sql("fx_rates")})
            select r.{currency}, strftime(r.{date}, '%Y-%m') as month, count(*) as n,
                   min(r._source_file) as file, min(r._source_row) as first_row
            from cur as r
            where r.{currency} <> ? and not exists (
                select 1 from fx where fx.currency = r.{currency} and fx.month = date_trunc('month', r.{date}))
            group by 1, 2 order by 1, 2""",
        [REPORTING_CURRENCY],
    ).fetchall()
    sample = [
        f"{file} row {row} (and {n - 1:,} more): {cur} has no fx_rates row for {m}" for cur, m, n, file, row in rows
    ]
    return result(
        f"every_{currency}_has_an_fx_rate_for_its_month",
        not rows,
        f"{sum(r[2] for r in rows):,} row(s) in {len(rows)} currency-month(s) without a rate"
        if rows
        else "every row has its rate",
        sample,
        sum(r[2] for r in rows),
        column=currency,
    )


def duplicate_keys(con: duckdb.DuckDBPyConnection, entity: Entity) -> list[str]:
    """The first duplicated keys, each with the files and rows that hold it."""
    key = ", ".join(entity.key)
    rows = con.execute(
        f"""select {key}, string_agg(_source_file || ' row ' || _source_row, ', '
                                     order by _source_file, _source_row) as places
            from ({current_rows_sql(entity.name)}) group by all having count(*) > 1
            order by {key} limit ?""",
        [SAMPLE],
    ).fetchall()
    return [", ".join(f"{k}={v}" for k, v in zip(entity.key, r[:-1], strict=True)) + f" in {r[-1]}" for r in rows]


def checks(
    con: duckdb.DuckDBPyConnection, entity_name: str, cycle_id: str | None, accepted: frozenset[str] = frozenset()
) -> list[dict]:
    entity = ENTITIES[entity_name]
    found = [magnitude(con, entity), fx_coverage(con, entity)]
    if cycle_id:
        found.append(completeness(con, entity, cycle_id, accepted))
    return [r for r in found if r is not None]
