"""The optional PostgreSQL publish target: the version being published, copied into PostgreSQL in one
transaction, so a BI tool on PostgreSQL sees the whole version or none of it.

Set ``SOP_PUBLISH_POSTGRES`` to a libpq connection string (``host=... port=... dbname=... user=...``); tables
go to the ``sop`` schema (``SOP_PUBLISH_POSTGRES_SCHEMA``). Tables are created on first use, columns a newer
code version adds are added, ``<table>_latest`` views show the newest version of every cycle, and
``publish_log`` and ``data_dictionary`` travel along. Republishing the same version replaces its rows.
"""

from __future__ import annotations

import io
import os

import duckdb

# DuckDB column types -> PostgreSQL's (anything else travels as text)
TYPES = {
    "VARCHAR": "text",
    "DOUBLE": "double precision",
    "FLOAT": "real",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "HUGEINT": "numeric",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "BOOLEAN": "boolean",
}


def target() -> tuple[str, str] | None:
    """(connection string, schema) when a PostgreSQL target is configured."""
    dsn = os.environ.get("SOP_PUBLISH_POSTGRES")
    return (dsn, os.environ.get("SOP_PUBLISH_POSTGRES_SCHEMA", "sop")) if dsn else None


def _pg_type(duckdb_type: str) -> str:
    return "numeric" if duckdb_type.startswith("DECIMAL") else TYPES.get(duckdb_type, "text")


def _copy(cur, store: duckdb.DuckDBPyConnection, schema: str, table: str, where: str, params: list) -> int:
    """Rows of ``table`` matching ``where`` from the DuckDB store into ``schema.table`` (created or widened)."""
    columns = store.execute(f"select column_name, column_type from (describe {table})").fetchall()
    definition = ", ".join(f'"{name}" {_pg_type(kind)}' for name, kind in columns)
    cur.execute(f'create table if not exists {schema}."{table}" ({definition})')
    for name, kind in columns:
        cur.execute(f'alter table {schema}."{table}" add column if not exists "{name}" {_pg_type(kind)}')
    frame = store.execute(f"select * from {table} where {where}", params).df()
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="\\N", date_format="%Y-%m-%d %H:%M:%S.%f")
    buffer.seek(0)
    names = ", ".join(f'"{name}"' for name, _ in columns)
    cur.copy_expert(f"copy {schema}.\"{table}\" ({names}) from stdin with (format csv, null '\\N')", buffer)
    return len(frame)


def publish(store: duckdb.DuckDBPyConnection, dsn: str, schema: str, tables: list[str], cycle_id: str, version: int):
    """Copy version ``version`` of ``cycle_id`` of every table, its publish_log rows and the data dictionary
    from the (not yet swapped in) DuckDB store, in one PostgreSQL transaction."""
    import psycopg2

    counts = {}
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:  # commits on success, rolls back on error
        cur.execute(f"create schema if not exists {schema}")
        version_rows = "cycle_id = ? and plan_version = ?"
        for table in [*tables, "publish_log"]:
            cur.execute("select to_regclass(%s)", [f'{schema}."{table}"'])
            if cur.fetchone()[0] is not None:
                cur.execute(
                    f'delete from {schema}."{table}" where cycle_id = %s and plan_version = %s', [cycle_id, version]
                )
            counts[table] = _copy(cur, store, schema, table, version_rows, [cycle_id, version])
            if table != "publish_log":
                cur.execute(
                    f'create or replace view {schema}."{table}_latest" as select * from {schema}."{table}" '
                    f'where (cycle_id, plan_version) in (select cycle_id, max(plan_version) from {schema}."{table}" '
                    "group by cycle_id)"
                )
        cur.execute(f"drop table if exists {schema}.data_dictionary")
        counts["data_dictionary"] = _copy(cur, store, schema, "data_dictionary", "true", [])
    conn.close()
    return counts
