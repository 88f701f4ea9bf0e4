"""Small helpers for writing cycle-keyed tables in the DuckDB warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), read_only=read_only)


def replace_cycle_rows(con: duckdb.DuckDBPyConnection, table: str, cycle_id: str, frame: pd.DataFrame) -> int:
    """Make ``table`` hold exactly ``frame`` for ``cycle_id`` (idempotent: a rerun replaces, never duplicates).

    The frame's columns define the table on first write; ``cycle_id`` is added as the first column.
    """
    schema = table.split(".")[0]
    frame = frame.assign(cycle_id=cycle_id)[["cycle_id", *[c for c in frame.columns if c != "cycle_id"]]]
    con.register("_incoming", frame)
    try:
        con.execute(f"create schema if not exists {schema}")
        con.execute(f"create table if not exists {table} as select * from _incoming limit 0")
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
