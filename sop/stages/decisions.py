"""Decisions stage: the meeting's decision files, checked against what was published, into the warehouse (where
the next run takes them in) and into the BI store (plan_status, decision_log, ``<table>_approved`` and
``<table>_current``).

The warehouse keeps, beside the log, a snapshot of every approved version's plan (``decisions.approved_*``,
copied from the store): what the next cycle compares with (plan_changes), keeps in its frozen window and
ages its exceptions against, whatever ran since.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid

import duckdb
import pandas as pd

from sop.decisions import (
    CHANGE_TYPES,
    KNOWN_FIELDS,
    LOG_TYPES,
    STATUS_COLUMNS,
    Filed,
    Published,
    change_requests,
    check,
    load_all,
    log_frame,
    plan_status,
)
from sop.settings import Paths, decisions_dir
from sop.warehouse import has_table

# published table -> the warehouse's snapshot of its approved versions
APPROVED = {
    "plan_reconciled": "decisions.approved_plan_reconciled",
    "demand_plan": "decisions.approved_demand_plan",
    "supply_plan": "decisions.approved_supply_plan",
    "purchase_plan": "decisions.approved_purchase_plan",
    "transfer_plan": "decisions.approved_transfer_plan",
}


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_catalog = current_database()"
        ).fetchall()
    }


def published_state(paths: Paths) -> Published:
    """What the store published (versions, their quality gates, scenarios, exceptions) and the failed runs."""
    state = Published()
    if paths.publish_db.exists():
        with duckdb.connect(str(paths.publish_db), read_only=True) as con:
            have = _tables(con)
            if "publish_log" in have:
                for cycle, version, accepted in con.execute(
                    "select cycle_id, plan_version, max(accepted_incomplete) from publish_log group by 1, 2"
                ).fetchall():
                    gate = f"planned on months accepted as incomplete ({accepted})" if accepted else None
                    state.versions.setdefault(cycle, {})[version] = gate
            for table, attr, column in (
                ("scenario_comparison", "scenarios", "scenario_name"),
                ("plan_exceptions", "exceptions", "exception_id"),
            ):
                if table in have:
                    for cycle, value in con.execute(f"select distinct cycle_id, {column} from {table}").fetchall():
                        getattr(state, attr).setdefault(cycle, set()).add(value)
            for name, (table, column) in KNOWN_FIELDS.items():
                if table in have:
                    query = f"select distinct cycle_id, {column} from {table} where {column} not in ('ALL')"
                    for cycle, value in con.execute(query).fetchall():
                        state.known.setdefault(cycle, {}).setdefault(name, set()).add(str(value))
    if paths.failed_runs_log.exists():
        for line in paths.failed_runs_log.read_text().splitlines():
            if line.strip():
                run = json.loads(line)
                if run.get("job") == "sop_cycle" and run.get("cycle_id"):
                    said = f"run {run['run_id'][:8]} ({run['failed_at']}): {run['message'][:200]}"
                    state.failed_runs.setdefault(run["cycle_id"], []).append(said)
    return state


def checked(paths: Paths) -> list[Filed]:
    """The decision files, each decision checked against the store and the decisions before it."""
    filed = load_all(decisions_dir())
    check(filed, published_state(paths))
    return filed


def run(con: duckdb.DuckDBPyConnection, paths: Paths) -> dict:
    """Check the decision files; write the decision log, plan status and approved snapshots into the warehouse
    ``con``; the store's status tables and views when they changed. What it did, for the asset's metadata."""
    filed = checked(paths)
    log = log_frame(filed)
    con.execute("create schema if not exists decisions")
    write_log(con, "decisions.decision_log", log)
    requests = change_requests(filed)
    write_typed(con, "decisions.change_requests", requests, CHANGE_TYPES)
    snapshot = {}
    status = pd.DataFrame(columns=list(STATUS_COLUMNS))
    if paths.publish_db.exists():
        with duckdb.connect(str(paths.publish_db), read_only=True) as store:
            if "publish_log" in _tables(store):
                status = plan_status(versions(store), log)
                approved = status.loc[status["status"] == "approved", ["cycle_id", "plan_version"]]
                snapshot = _snapshot(con, store, approved)
    _replace(con, "decisions.plan_status", status)
    refreshed = refresh_store(paths, log)
    return {
        "decisions": len(log),
        "change_requests": len(requests),
        "by_kind": log["decision_kind"].value_counts().sort_index().to_dict(),
        "approved_versions": {r.cycle_id: int(r.plan_version) for r in status.itertuples() if r.status == "approved"},
        "snapshot_rows": snapshot,
        "store_refreshed": refreshed,
        "status": status,
    }


def _replace(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    con.register("_frame", frame)
    try:
        con.execute(f"create or replace table {table} as select * from _frame")
    finally:
        con.unregister("_frame")


def write_log(con: duckdb.DuckDBPyConnection, table: str, log: pd.DataFrame) -> None:
    """The decision log as ``table``, typed (LOG_TYPES) whether or not it has decisions."""
    write_typed(con, table, log, LOG_TYPES)


def write_typed(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, types: dict[str, str]) -> None:
    """``frame`` as ``table`` with the column types ``types`` (name -> SQL type), rows or none."""
    columns = ", ".join(f"{name} {kind}" for name, kind in types.items())
    con.register("_frame", frame)
    try:
        con.execute(f"create or replace table {table} ({columns})")
        con.execute(f"insert into {table} by name select * from _frame")
    finally:
        con.unregister("_frame")


def _snapshot(con, store, approved: pd.DataFrame) -> dict[str, int]:
    """Every approved version's rows of the APPROVED tables, from the store into the warehouse."""
    counts = {}
    have = _tables(store)
    store.register("_approved", approved)
    for table, target in APPROVED.items():
        if table not in have:
            continue
        query = f"select t.* from {table} as t semi join _approved using (cycle_id, plan_version)"
        con.register("_rows", store.execute(query).fetch_arrow_table())
        try:
            con.execute(f"create or replace table {target} as select * from _rows")
        finally:
            con.unregister("_rows")
        counts[table] = con.execute(f"select count(*) from {target}").fetchone()[0]
    store.unregister("_approved")
    return counts


def versions(store: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every published version: when, and the scenario it adopted."""
    columns = {r[0] for r in store.execute("select column_name from (describe publish_log)").fetchall()}
    adopted = "max(adopted_scenario)" if "adopted_scenario" in columns else "cast(null as varchar)"
    return store.execute(
        f"select cycle_id, plan_version, min(published_at) as published_at, {adopted} as adopted_scenario "
        "from publish_log group by 1, 2 order by 1, 2"
    ).df()


def write_status(store: duckdb.DuckDBPyConnection, log: pd.DataFrame, tables: list[str]) -> None:
    """plan_status and decision_log in the store, and per published table its ``_approved`` view (the approved
    version of every cycle) and ``_current`` view (the approved version of the newest approved cycle: the
    company's plan, one number per key, to sum without filters)."""
    status = plan_status(versions(store), log)
    store.register("_frame", status)
    store.execute("create or replace table plan_status as select * from _frame")
    store.unregister("_frame")
    write_log(store, "decision_log", log)
    have = _tables(store)
    for table in (t for t in tables if t in have):  # a table a newer code version adds comes with its next publish
        store.execute(
            f"create or replace view {table}_approved as select t.* from {table} as t "
            "semi join (select cycle_id, plan_version from plan_status where status = 'approved') using "
            "(cycle_id, plan_version)"
        )
        store.execute(
            f"create or replace view {table}_current as select t.* from {table} as t "
            "semi join (select cycle_id, plan_version from plan_status where status = 'approved' "
            "order by cycle_id desc limit 1) using (cycle_id, plan_version)"
        )


def _same(store: duckdb.DuckDBPyConnection, log: pd.DataFrame) -> bool:
    """The store already has this log and the status it gives."""
    if not {"plan_status", "decision_log"} <= _tables(store):
        return False
    had_log = store.execute("select * from decision_log").df()
    had_status = store.execute("select * from plan_status").df()
    return _frames_equal(had_log, log) and _frames_equal(had_status, plan_status(versions(store), log))


def _frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Same columns and values, missing values alike (a null read back from the store is None or NaT, the
    frame's may be NaN): an unchanged status never rewrites the store."""

    def text(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.astype(object).where(frame.notna(), None).astype(str).reset_index(drop=True)

    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    return text(a).equals(text(b))


def refresh_store(paths: Paths, log: pd.DataFrame) -> bool:
    """The store's status tables and views from ``log``: a new store built beside it and renamed over it (as a
    publish does), only when they changed. True when it was replaced."""
    from sop.stages.publish import PUBLISHED, STAGING, recover

    if not paths.publish_db.exists():
        return False
    with duckdb.connect(str(paths.publish_db), read_only=True) as store:
        if "publish_log" not in _tables(store) or _same(store, log):
            return False
    recover(paths)
    staging = paths.publish_dir / STAGING / uuid.uuid4().hex
    staging.mkdir(parents=True)
    tmp = staging / "sop.duckdb"
    try:
        shutil.copyfile(paths.publish_db, tmp)
        with duckdb.connect(str(tmp)) as store:
            write_status(store, log, list(PUBLISHED))
            write_status_parquet(store, paths)
            store.execute("checkpoint")
        os.replace(tmp, paths.publish_db)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return True


def write_status_parquet(store: duckdb.DuckDBPyConnection, paths: Paths) -> None:
    """plan_status and decision_log as whole Parquet files (each written beside, then renamed into place)."""
    for table in ("plan_status", "decision_log"):
        folder = paths.publish_parquet / table
        folder.mkdir(parents=True, exist_ok=True)
        part = folder / f".{uuid.uuid4().hex}.parquet"
        store.execute(f"copy (select * from {table}) to $path (format parquet)", {"path": str(part)})
        os.replace(part, folder / "data.parquet")


def empty_log() -> pd.DataFrame:
    return log_frame([])


def recorded_log(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The decision log the decisions step recorded in the warehouse ``con`` (none before the first)."""
    if not has_table(con, "decisions", "decision_log"):
        return empty_log()
    return con.execute("select * from decisions.decision_log").df()
