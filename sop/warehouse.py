"""Small helpers for writing cycle-keyed tables in the DuckDB warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd


def has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """Whether ``schema.name`` exists (a table a stage writes only once it has something to write)."""
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, name]
        ).fetchone()[0]
    )


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), read_only=read_only)


def replace_cycle_rows(con: duckdb.DuckDBPyConnection, table: str, cycle_id: str, frame: pd.DataFrame) -> int:
    """Make ``table`` hold exactly ``frame`` for ``cycle_id`` (idempotent: a rerun replaces, never duplicates).

    The frame's columns define the table on first write; ``cycle_id`` is added as the first column. Columns
    a later version of the code adds are added to the table (earlier cycles read null there).
    """
    schema = table.split(".")[0]
    frame = frame.assign(cycle_id=cycle_id)[["cycle_id", *[c for c in frame.columns if c != "cycle_id"]]]
    con.register("_incoming", frame)
    try:
        con.execute(f"create schema if not exists {schema}")
        con.execute(f"create table if not exists {table} as select * from _incoming limit 0")
        add_new_columns(con, table, "_incoming")
        con.execute("begin")
        con.execute(f"delete from {table} where cycle_id = ?", [cycle_id])
        con.execute(f"insert into {table} by name select * from _incoming")
        con.execute("commit")
    except Exception:
        if con.in_transaction:
            con.execute("rollback")
        raise
    finally:
        con.unregister("_incoming")
    return len(frame)


def add_new_columns(con: duckdb.DuckDBPyConnection, table: str, incoming: str) -> None:
    """Additive schema evolution: columns ``incoming`` has and ``table`` lacks are added, typed as in
    ``incoming``. Earlier rows keep their values; columns the new code no longer writes stay, null from now."""
    have = {r[0] for r in con.execute(f"select column_name from (describe {table})").fetchall()}
    for name, dtype in con.execute(f"select column_name, column_type from (describe {incoming})").fetchall():
        if name not in have:
            con.execute(f'alter table {table} add column "{name}" {dtype}')
