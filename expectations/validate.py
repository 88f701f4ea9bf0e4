"""Run an entity's suite on a data frame through an ephemeral GX context and a validation definition."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import duckdb
import great_expectations as gx
import pandas as pd
from great_expectations.data_context.types.base import ProgressBarsConfig

from expectations import history
from expectations.suites import ERROR, WARNING, build_suite
from sop.contract import ENTITIES
from sop.ingest import current_rows_sql, reference_values

# An entity is too broken to plan on when its quarantine is above both limits: the share alone would block a
# four-row policies file for one bad row, the count alone would let a large file lose a tenth of its rows.
MAX_QUARANTINED_SHARE = 0.01
MAX_QUARANTINED_ROWS = 3
MAX_VOLUME_DRIFT = 0.30  # rows changing more than this against the previous cycle deserve a look


UNIQUE_KEY = ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique")


@dataclass
class Outcome:
    entity: str
    success: bool  # no error-level expectation failed
    evaluated: int
    results: list[dict] = field(default_factory=list)  # one per expectation, passed or not

    @property
    def failures(self) -> list[dict]:
        return [r for r in self.results if not r["success"]]

    @property
    def errors(self) -> list[dict]:
        return [f for f in self.failures if f["severity"] == ERROR]

    @property
    def warnings(self) -> list[dict]:
        return [f for f in self.failures if f["severity"] != ERROR]


@cache
def _context():
    # An ephemeral context: the suites live in code; nothing is written to disk by GX itself.
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def validate(
    entity: str, df: pd.DataFrame, reference_values: dict[str, list[str]] | None = None, cycle_id: str | None = None
) -> Outcome:
    context = _context()
    suite = build_suite(entity, reference_values, cycle_id)
    # GX compares date bounds with date objects, not with datetime64 columns (it fails without a message)
    # an optional column a file leaves out is null everywhere, as ingest stores it
    absent = [c.name for c in ENTITIES[entity].columns if not c.required and c.name not in df.columns]
    df = df.assign(**{c: None for c in absent})
    dates = [c.name for c in ENTITIES[entity].columns if c.type == "DATE" and c.name in df.columns]
    df = df.assign(**{c: pd.to_datetime(df[c]).dt.date for c in dates})
    name = f"{entity}_{id(df)}"
    source = context.data_sources.add_pandas(name)
    batch_definition = source.add_dataframe_asset(name=entity).add_batch_definition_whole_dataframe("all")
    suite.name = name
    suite = context.suites.add(suite)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
    )
    try:
        result = definition.run(batch_parameters={"dataframe": df}, result_format="SUMMARY")
    finally:
        context.validation_definitions.delete(name)
        context.suites.delete(name)
        context.data_sources.delete(name)
    results = []
    for res in result.results:
        cfg = res.expectation_config
        detail = res.result or {}
        results.append(
            {
                "expectation": cfg.type,
                "kwargs": {k: v for k, v in cfg.kwargs.items() if k not in ("value_set", "batch_id")},
                "severity": (cfg.meta or {}).get("severity", ERROR),
                "success": bool(res.success),
                "unexpected_count": detail.get("unexpected_count"),
                "unexpected_sample": [str(v) for v in (detail.get("partial_unexpected_list") or [])[:5]],
                "observed_value": str(detail.get("observed_value", ""))[:200] or None,
                "exception": (res.exception_info or {}).get("exception_message"),
            }
        )
    outcome = Outcome(entity, True, len(results), results)
    outcome.success = not outcome.errors
    return outcome


def validate_entity(
    con: duckdb.DuckDBPyConnection,
    entity_name: str,
    cycle_id: str | None = None,
    accepted_incomplete: frozenset[str] = frozenset(),
) -> Outcome:
    """Validate an entity's current rows in the warehouse: its suite, its master data, its quarantine, and the
    checks against its own history (``expectations.history``; months in ``accepted_incomplete`` are reported
    without blocking)."""
    entity = ENTITIES[entity_name]
    frame = con.sql(current_rows_sql(entity_name)).df()[entity.column_names]
    references = {column: reference_values(con, targets) for column, targets in entity.reference_targets().items()}
    outcome = validate(entity_name, frame, references, cycle_id)
    loaded, quarantined = con.execute(
        "select coalesce(sum(loaded_rows), 0), coalesce(sum(quarantined_rows), 0) from raw._loads "
        "where entity = ? and superseded_at is null",
        [entity_name],
    ).fetchone()
    share = quarantined / max(loaded + quarantined, 1)
    too_many = share > MAX_QUARANTINED_SHARE and quarantined > MAX_QUARANTINED_ROWS
    outcome.results.append(
        history.result(
            f"quarantined_at_most_{MAX_QUARANTINED_SHARE:.0%}_or_{MAX_QUARANTINED_ROWS}_rows",
            not quarantined,
            f"{share:.2%} of rows quarantined (see quarantine.{entity_name})",
            count=int(quarantined),
            severity=ERROR if too_many else WARNING,
            quarantined_rows=int(quarantined),
            loaded_rows=int(loaded),
        )
    )
    outcome.results += history.checks(con, entity_name, cycle_id, accepted_incomplete)
    for r in outcome.results:  # say which keys, in which files and rows
        if r["expectation"] in UNIQUE_KEY and not r["success"]:
            r["unexpected_sample"] = history.duplicate_keys(con, entity)
    if cycle_id:
        outcome.results.append(volume_drift(con, entity_name, cycle_id, len(frame)))
    outcome.evaluated = len(outcome.results)
    outcome.success = not outcome.errors
    return outcome


def volume_drift(con: duckdb.DuckDBPyConnection, entity_name: str, cycle_id: str, rows: int) -> dict:
    """Record this cycle's row count and compare it with the latest earlier cycle's (a warning, never an error:
    a new market or a lost customer moves volumes for good reasons)."""
    con.execute("create schema if not exists quality")
    con.execute(
        "create table if not exists quality.entity_volumes "
        "(cycle_id varchar, entity varchar, row_count bigint, recorded_at timestamp)"
    )
    previous = con.execute(
        "select cycle_id, row_count from quality.entity_volumes where entity = ? and cycle_id < ? "
        "order by cycle_id desc, recorded_at desc limit 1",
        [entity_name, cycle_id],
    ).fetchone()
    con.execute("delete from quality.entity_volumes where entity = ? and cycle_id = ?", [entity_name, cycle_id])
    con.execute("insert into quality.entity_volumes values (?, ?, ?, now())", [cycle_id, entity_name, rows])
    change = (rows / previous[1] - 1) if previous and previous[1] else None
    return history.result(
        f"volume_within_{MAX_VOLUME_DRIFT:.0%}_of_previous_cycle",
        change is None or abs(change) <= MAX_VOLUME_DRIFT,
        "no earlier cycle" if change is None else f"{change:+.1%} rows vs {previous[0]}",
        severity=WARNING,
        rows=rows,
        previous_cycle=previous[0] if previous else None,
        previous_rows=previous[1] if previous else None,
    )
