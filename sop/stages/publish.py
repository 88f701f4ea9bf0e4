"""Publish stage: copy the cycle's plan tables out of the warehouse into the BI store, as a new version.

The BI store is a separate DuckDB file that is never written in place: a new file is built beside it (all
earlier versions copied, this one added) and renamed over the old one, so a reader sees either the old
store or the new one, never a half-written table. Parquet copies go to
``parquet/<table>/cycle_id=<cycle>/plan_version=<n>/data.parquet``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import duckdb

from sop.buckets import planning_bucket
from sop.settings import DBT_PROJECT_DIR, Paths
from sop.stages import publish_postgres
from sop.warehouse import add_new_columns

# Columns every published row carries on top of the warehouse relation's columns, and what they mean.
VERSION_COLUMNS = {
    "cycle_id": "Cycle (YYYY-MM) the row was planned in.",
    "plan_version": "Version of the cycle's plan: each publish of a cycle adds one; *_latest views show the newest.",
    "run_id": "Dagster run that published it.",
    "published_at": "When it was published (UTC).",
    "planning_bucket": "Grain of the bucket dates: month or week.",
    "code_version": "Version of the pipeline's code (the open-sop package) that published it.",
    "model_version": "The cycle's forecasting model: first 12 hex digits of the SHA-256 of its LightGBM file.",
}

# published table -> the warehouse relation it copies (rows of the cycle being published)
PUBLISHED = {
    "plan_reconciled": "planning.plan_reconciled",
    "demand_plan": "marts.fct_consensus_demand",
    "supply_plan": "planning.supply_plan",
    "capacity_plan": "planning.capacity_plan",
    "forecast_accuracy": "marts.fct_forecast_accuracy",
    "kpi_scorecard": "marts.fct_kpi_scorecard",  # the KPI trend as of the cycle, for the meeting and BI
    "plan_financials": "marts.fct_plan_financials",
    "plan_exceptions": "marts.fct_plan_exceptions",
    "scenario_comparison": "planning.scenario_comparison",
    "override_value_added": "marts.fct_override_value_added",
    "override_audit": "marts.fct_override_audit",
}
# a plan without problems has no exceptions; every other table empty means the cycle was not planned
# and a cycle may have no overrides to audit, or none from earlier cycles to score
MAY_BE_EMPTY = {"plan_exceptions", "override_value_added", "override_audit"}


def _existing_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_catalog = ? and table_type = 'BASE TABLE'",
        [catalog],
    ).fetchall()
    return {r[0] for r in rows}


def run(paths: Paths, cycle_id: str, run_id: str, bucket: str | None = None) -> dict:
    bucket = planning_bucket(bucket).name
    paths.publish_dir.mkdir(parents=True, exist_ok=True)
    tmp = paths.publish_dir / f".sop.{uuid.uuid4().hex}.duckdb"
    published_at = datetime.now(UTC).replace(tzinfo=None)
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"attach '{paths.warehouse}' as wh (read_only)")
        old = set()
        if paths.publish_db.exists():
            con.execute(f"attach '{paths.publish_db}' as old (read_only)")
            old = _existing_tables(con, "old")
            for table in sorted(old):
                con.execute(f"create table main.{table} as select * from old.main.{table}")
            con.execute("detach old")
        plan_version = 1
        if "publish_log" in old:
            plan_version += con.execute(
                "select coalesce(max(plan_version), 0) from publish_log where cycle_id = ?", [cycle_id]
            ).fetchone()[0]
        counts = {}
        code, model = version("open-sop"), model_version(paths, cycle_id)
        for table, source in PUBLISHED.items():
            select = (
                f"select ? as cycle_id, ? as plan_version, ? as run_id, ? as published_at, ? as planning_bucket, "
                f"cast(? as varchar) as code_version, cast(? as varchar) as model_version, src.* exclude (cycle_id) "
                f"from wh.{source} as src "
                "where src.cycle_id = ?"
            )
            params = [cycle_id, plan_version, run_id, published_at, bucket, code, model, cycle_id]
            if table in old:
                # a newer code version may publish more columns: the table grows, earlier versions read null
                con.execute(f"create or replace temp table _incoming as {select} limit 0", params)
                add_new_columns(con, table, "_incoming")
                con.execute(f"insert into {table} by name {select}", params)
            else:
                con.execute(f"create table {table} as {select}", params)
            counts[table] = con.execute(
                f"select count(*) from {table} where cycle_id = ? and plan_version = ?",
                [cycle_id, plan_version],
            ).fetchone()[0]
            if counts[table] == 0 and table not in MAY_BE_EMPTY:
                raise ValueError(f"publish {cycle_id}: {source} has no rows for the cycle; nothing is published")
            _latest_view(con, table)
        con.execute(
            "create table if not exists publish_log (cycle_id varchar, plan_version integer, run_id varchar, "
            "published_at timestamp, code_version varchar, table_name varchar, row_count bigint)"
        )
        con.execute("alter table publish_log add column if not exists planning_bucket varchar")
        for table, n in counts.items():
            con.execute(
                "insert into publish_log (cycle_id, plan_version, run_id, published_at, code_version, table_name, "
                "row_count, planning_bucket) values (?, ?, ?, ?, ?, ?, ?, ?)",
                [cycle_id, plan_version, run_id, published_at, version("open-sop"), table, n, bucket],
            )
        columns = {
            table: con.execute(f"select column_name, column_type from (describe {table})").fetchall()
            for table in PUBLISHED
        }
        dictionary = data_dictionary(columns, column_descriptions(DBT_PROJECT_DIR / "target" / "manifest.json"))
        con.register("_dictionary", dictionary)
        con.execute("create or replace table data_dictionary as select * from _dictionary")
        con.unregister("_dictionary")
        postgres = publish_postgres.target()
        if postgres:  # before the swap: a failure there leaves every store as it was
            publish_postgres.publish(con, *postgres, list(PUBLISHED), cycle_id, plan_version)
        _write_parquet(con, paths.publish_parquet, cycle_id, plan_version)
        con.execute("detach wh")
        con.execute("checkpoint")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, paths.publish_db)  # atomic on POSIX: readers keep the file they opened
    return {
        "plan_version": plan_version,
        "planning_bucket": bucket,
        "rows": counts,
        "columns": columns,
        "publish_db": str(paths.publish_db),
        "parquet_dir": str(paths.publish_parquet),
    }


def model_version(paths: Paths, cycle_id: str) -> str | None:
    """The cycle's LightGBM model file, by content (None when the cycle has none)."""
    model = paths.models / cycle_id / "lightgbm.txt"
    return hashlib.sha256(model.read_bytes()).hexdigest()[:12] if model.exists() else None


def column_descriptions(manifest_path: Path) -> dict[str, dict[str, str]]:
    """``schema.relation`` -> column -> description, for every dbt model and source (from dbt's manifest)."""
    if not manifest_path.exists():  # `make prepare` writes it; without it the dictionary has types only
        return {}
    manifest = json.loads(manifest_path.read_text())
    relations = {}
    for node in [*manifest["nodes"].values(), *manifest["sources"].values()]:
        if node["resource_type"] in ("model", "source"):
            name = node.get("identifier") or node["name"]
            relations[f"{node['schema']}.{name}"] = {c: spec["description"] for c, spec in node["columns"].items()}
    return relations


def data_dictionary(columns: dict[str, list[tuple[str, str]]], descriptions: dict[str, dict[str, str]]):
    """One row per published table and column: its type, what it means, and the warehouse column it copies."""
    import pandas as pd

    rows = []
    for table, described in columns.items():
        source = PUBLISHED[table]
        for column, dtype in described:
            versioned = column in VERSION_COLUMNS
            text = VERSION_COLUMNS[column] if versioned else descriptions.get(source, {}).get(column, "")
            rows.append((table, column, dtype, text.strip(), None if versioned else f"{source}.{column}"))
    return pd.DataFrame(rows, columns=["table_name", "column_name", "data_type", "description", "source_column"])


def _latest_view(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """``<table>_latest``: the newest version of every cycle, what most BI dashboards want."""
    con.execute(
        f"create or replace view {table}_latest as select * from {table} "
        f"where (cycle_id, plan_version) in (select cycle_id, max(plan_version) from {table} group by cycle_id)"
    )


def _write_parquet(con: duckdb.DuckDBPyConnection, root: Path, cycle_id: str, plan_version: int) -> None:
    for table in PUBLISHED:
        folder = root / table / f"cycle_id={cycle_id}" / f"plan_version={plan_version}"
        staging = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        con.execute(
            f"copy (select * from {table} where cycle_id = ? and plan_version = ?) "
            f"to '{staging / 'data.parquet'}' (format parquet)",
            [cycle_id, plan_version],
        )
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
