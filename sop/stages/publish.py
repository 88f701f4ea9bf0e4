"""Publish stage: copy the cycle's plan tables out of the warehouse into the BI store, as a new version.

The BI store is a separate DuckDB file that is never written in place: a new file is built beside it (all
earlier versions copied, this one added) and renamed over the old one, so a reader sees either the old
store or the new one, never a half-written table. Parquet copies go to
``parquet/<table>/cycle_id=<cycle>/plan_version=<n>/data.parquet``, each version's folder renamed into place
after the store has the version. Everything a publish writes first goes to one staging folder beside the store
(``publish/.staging/<id>``): a killed or failed publish leaves only that, and the next publish completes it
(the store has its version) or removes it (the store does not).
"""

from __future__ import annotations

import contextlib
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
from sop.stages import decisions, publish_postgres
from sop.warehouse import add_new_columns, has_table

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
    "material_plan": "planning.material_plan",
    "purchase_plan": "planning.purchase_plan",
    "transfer_plan": "planning.transfer_plan",
    "forecast_accuracy": "marts.fct_forecast_accuracy",
    "kpi_scorecard": "marts.fct_kpi_scorecard",  # the KPI trend as of the cycle, for the meeting and BI
    "plan_financials": "marts.fct_plan_financials",
    "plan_exceptions": "marts.fct_plan_exceptions",
    "scenario_comparison": "planning.scenario_comparison",
    "override_value_added": "marts.fct_override_value_added",
    "override_audit": "marts.fct_override_audit",
    "plan_changes": "marts.fct_plan_changes",  # against the last approved plan, attributed to causes
    "exception_status": "marts.fct_exception_status",  # exceptions across cycles: status, owner, age
}
# a plan without problems has no exceptions; every other table empty means the cycle was not planned
# and a cycle may have no overrides to audit, or none from earlier cycles to score; a data set without a supply
# network has no material, purchase or transfer plan; a cycle before the first approval has no approved plan to
# compare with
MAY_BE_EMPTY = {"plan_exceptions", "override_value_added", "override_audit", "material_plan", "purchase_plan",
                "transfer_plan", "plan_changes", "exception_status"}  # fmt: skip


def _existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_catalog = current_database() "
        "and table_type = 'BASE TABLE'"
    ).fetchall()
    return {r[0] for r in rows}


def run(
    paths: Paths, cycle_id: str, run_id: str, bucket: str | None = None, accepted_incomplete: list[str] | tuple = ()
) -> dict:
    """Publish the cycle's tables as its next version. ``accepted_incomplete``: the months the run accepted as
    incomplete (recorded in publish_log beside every table's row count)."""
    bucket = planning_bucket(bucket).name
    recover(paths)
    paths.publish_dir.mkdir(parents=True, exist_ok=True)
    # everything of this publish is made inside one folder beside the store, outside every table folder, so a
    # reader globbing the Parquet never meets a half-written file and a failure removes one folder
    staging = paths.publish_dir / STAGING / uuid.uuid4().hex
    staging.mkdir(parents=True)
    tmp = staging / "sop.duckdb"
    published_at = datetime.now(UTC).replace(tzinfo=None)
    try:
        if paths.publish_db.exists():  # earlier versions as they are, byte for byte; this one is added
            shutil.copyfile(paths.publish_db, tmp)
        with duckdb.connect(str(tmp)) as con, duckdb.connect(str(paths.warehouse), read_only=True) as wh:
            summary = _build(con, wh, paths, cycle_id, run_id, published_at, bucket, list(accepted_incomplete))
            postgres = publish_postgres.target()
            if postgres:  # before the swap: a failure there leaves every store as it was
                publish_postgres.publish(con, *postgres, list(PUBLISHED), cycle_id, summary["plan_version"])
            _write_parquet(con, staging / "parquet", cycle_id, summary["plan_version"])
            decisions.write_status_parquet(con, paths)
            con.execute("checkpoint")
        (staging / MARKER).write_text(json.dumps({"cycle_id": cycle_id, "plan_version": summary["plan_version"]}))
    except BaseException:
        _remove(staging)
        raise
    os.replace(tmp, paths.publish_db)  # the commit point, atomic on POSIX: readers keep the file they opened
    _move_parquet_into_place(staging, paths.publish_parquet)
    _remove(staging)
    return {**summary, "publish_db": str(paths.publish_db), "parquet_dir": str(paths.publish_parquet)}


def _build(con, wh, paths: Paths, cycle_id: str, run_id: str, published_at, bucket: str, accepted: list[str]) -> dict:
    """Add the cycle's next version of every table to the store ``con``, read from the warehouse ``wh``."""
    old = _existing_tables(con)
    plan_version = 1
    if "publish_log" in old:
        plan_version += con.execute(
            "select coalesce(max(plan_version), 0) from publish_log where cycle_id = ?", [cycle_id]
        ).fetchone()[0]
    counts = {}
    code, model = version("open-sop"), model_version(paths, cycle_id)
    for table, source in PUBLISHED.items():
        # streamed from the warehouse's own read-only connection: no path is ever part of the SQL text
        query = f"select * from {source} where cycle_id = ?"
        con.register("_shape", wh.execute(query + " limit 0", [cycle_id]).fetch_arrow_table())
        con.register("_rows", wh.execute(query, [cycle_id]).fetch_record_batch())
        select = (
            "select ? as cycle_id, ? as plan_version, ? as run_id, ? as published_at, ? as planning_bucket, "
            "cast(? as varchar) as code_version, cast(? as varchar) as model_version, src.* exclude (cycle_id) "
            "from {rows} as src"
        )
        params = [cycle_id, plan_version, run_id, published_at, bucket, code, model]
        if table in old:
            # a newer code version may publish more columns: the table grows, earlier versions read null
            con.execute(f"create or replace temp table _incoming as {select.format(rows='_shape')}", params)
            add_new_columns(con, table, "_incoming")
            con.execute(f"insert into {table} by name {select.format(rows='_rows')}", params)
        else:
            con.execute(f"create table {table} as {select.format(rows='_rows')}", params)
        con.unregister("_rows")
        con.unregister("_shape")
        counts[table] = con.execute(
            f"select count(*) from {table} where cycle_id = ? and plan_version = ?", [cycle_id, plan_version]
        ).fetchone()[0]
        if counts[table] == 0 and table not in MAY_BE_EMPTY:
            raise ValueError(f"publish {cycle_id}: {source} has no rows for the cycle; nothing is published")
        _latest_view(con, table)
    con.execute(
        "create table if not exists publish_log (cycle_id varchar, plan_version integer, run_id varchar, "
        "published_at timestamp, code_version varchar, table_name varchar, row_count bigint)"
    )
    con.execute("alter table publish_log add column if not exists planning_bucket varchar")
    con.execute("alter table publish_log add column if not exists accepted_incomplete varchar")
    con.execute("alter table publish_log add column if not exists adopted_scenario varchar")
    adopted = adopted_scenario(wh, cycle_id)
    for table, n in counts.items():
        con.execute(
            "insert into publish_log (cycle_id, plan_version, run_id, published_at, code_version, table_name, "
            "row_count, planning_bucket, accepted_incomplete, adopted_scenario) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [cycle_id, plan_version, run_id, published_at, code, table, n, bucket, ",".join(accepted) or None, adopted],
        )
    # the new version is proposed; earlier decisions keep their verdicts (plan_status, decision_log, the views)
    decisions.write_status(con, decisions.recorded_log(wh), list(PUBLISHED))
    columns = {
        table: con.execute(f"select column_name, column_type from (describe {table})").fetchall() for table in PUBLISHED
    }
    dictionary = data_dictionary(columns, column_descriptions(DBT_PROJECT_DIR / "target" / "manifest.json"))
    con.register("_dictionary", dictionary)
    con.execute("create or replace table data_dictionary as select * from _dictionary")
    con.unregister("_dictionary")
    described = {
        table: [(r.column_name, r.data_type, r.description) for r in rows.itertuples()]
        for table, rows in dictionary.groupby("table_name", sort=False)
    }
    # each table's columns as the data dictionary has them: name, type, description
    return {"plan_version": plan_version, "planning_bucket": bucket, "rows": counts, "columns": described}


def adopted_scenario(wh: duckdb.DuckDBPyConnection, cycle_id: str) -> str | None:
    """The scenario whose plan the cycle's plan stage made (planning.adopted_scenario), if any."""
    if not has_table(wh, "planning", "adopted_scenario"):
        return None
    row = wh.execute("select scenario_name from planning.adopted_scenario where cycle_id = ?", [cycle_id]).fetchone()
    return row[0] if row else None


STAGING = ".staging"
MARKER = "version.json"  # written last into a staging folder: the publish got as far as the swap


def recover(paths: Paths) -> list[str]:
    """Finish or undo what a killed or failed publish left: a staging folder whose version the store has is
    moved into place (the kill came after the swap); any other is removed, with its temporary store and WAL.
    Also removes what earlier versions of this code left (temporary stores and ``.tmp`` folders)."""
    done = []
    root = paths.publish_dir / STAGING
    published = set()
    if paths.publish_db.exists() and root.exists() and any(root.iterdir()):
        with duckdb.connect(str(paths.publish_db), read_only=True) as con:
            if "publish_log" in _existing_tables(con):
                published = set(con.execute("select distinct cycle_id, plan_version from publish_log").fetchall())
    for folder in sorted(root.iterdir()) if root.exists() else []:
        marker = folder / MARKER
        meta = json.loads(marker.read_text()) if marker.exists() else None
        if meta and (meta["cycle_id"], meta["plan_version"]) in published:
            _move_parquet_into_place(folder, paths.publish_parquet)
            done.append(f"completed {meta['cycle_id']} v{meta['plan_version']}")
        else:
            done.append(f"removed {folder.name}")
        _remove(folder)
    for leftover in [*paths.publish_dir.glob(".sop.*.duckdb*"), *paths.publish_parquet.glob("*/*/plan_version=*.tmp")]:
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
        done.append(f"removed {leftover.name}")
    return done


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
    """The version's rows per table, into ``root/<table>/cycle_id=<c>/plan_version=<n>/data.parquet``. The
    files leave out cycle_id and plan_version: the folder names carry them (hive partitioning), and a column
    in both makes pyarrow refuse the folder."""
    for table in PUBLISHED:
        folder = root / table / f"cycle_id={cycle_id}" / f"plan_version={plan_version}"
        folder.mkdir(parents=True)
        con.execute(
            f"copy (select * exclude (cycle_id, plan_version) from {table} "
            "where cycle_id = $cycle and plan_version = $version) to $path (format parquet)",
            {"cycle": cycle_id, "version": plan_version, "path": str(folder / "data.parquet")},
        )


def _remove(staging: Path) -> None:
    """A staging folder, and the staging root once it is empty: nothing is left that a reader would notice."""
    shutil.rmtree(staging, ignore_errors=True)
    with contextlib.suppress(OSError):  # another publish's folder is still there, or it is already gone
        staging.parent.rmdir()


def _move_parquet_into_place(staging: Path, root: Path) -> None:
    """Each table's new version folder renamed into its table folder (one rename each, same file system):
    a reader sees a version's file whole or not at all. Folders already moved are skipped (recovery)."""
    for folder in sorted((staging / "parquet").glob("*/cycle_id=*/plan_version=*")):
        target = root / folder.relative_to(staging / "parquet")
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():  # a republish of a version the store never kept: the store's wins
            shutil.rmtree(target)
        folder.rename(target)
