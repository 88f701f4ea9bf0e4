"""A throwaway PostgreSQL server for tests: Debian's server binaries, run as user `postgres`, on a free
loopback port, with a data directory the test creates and removes."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def pg_bin() -> Path | None:
    """The newest installed server's binaries, or None."""
    return next((d for d in PG_BIN_DIRS if (d / "initdb").exists()), None)


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str

    def env(self, database: str) -> dict[str, str]:
        return {
            "SOP_PG_HOST": self.host,
            "SOP_PG_PORT": str(self.port),
            "SOP_PG_USER": self.user,
            "SOP_PG_DATABASE": database,
        }

    def dsn(self, database: str) -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname={database}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(*args: str) -> subprocess.CompletedProcess:
    # initdb and postgres refuse to run as root
    runner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*runner, *args], check=True, capture_output=True, text=True)


@contextlib.contextmanager
def running_server():
    bin_dir = pg_bin()
    if bin_dir is None:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    root = Path(tempfile.mkdtemp(prefix="sop-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    try:
        _as_postgres(
            str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"
        )
        _as_postgres(
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-l",
            str(root / "server.log"),
            "-o",
            f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        )
        yield Server("127.0.0.1", port, "postgres")
    finally:
        if (data / "postmaster.pid").exists():
            _as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


# DuckDB column types -> PostgreSQL
PG_TYPES = {
    "VARCHAR": "text",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "DOUBLE": "double precision",
    "FLOAT": "real",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "BOOLEAN": "boolean",
    "HUGEINT": "numeric",
}


def copy_schemas(duckdb_path: Path, server: Server, database: str, schemas: list[str]) -> dict[str, int]:
    """Copy every table of ``schemas`` from a DuckDB file into PostgreSQL (CSV through COPY): the tables the
    Python assets write, so dbt can build on PostgreSQL from the same inputs. Returns rows per table."""
    import duckdb
    import psycopg2

    copied = {}
    with duckdb.connect(str(duckdb_path), read_only=True) as src, psycopg2.connect(server.dsn(database)) as pg:
        tables = src.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({', '.join('?' * len(schemas))}) and table_type = 'BASE TABLE' order by 1, 2",
            schemas,
        ).fetchall()
        with pg.cursor() as cur:
            for schema, table in tables:
                columns = src.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
                ddl = ", ".join(
                    f'"{name}" {PG_TYPES.get(dtype, "numeric" if dtype.startswith("DECIMAL") else None)}'
                    for name, dtype in columns
                )
                assert "None" not in ddl, f"no PostgreSQL type for a column of {schema}.{table}: {columns}"
                cur.execute(f"create schema if not exists {schema}")
                cur.execute(f'create table {schema}."{table}" ({ddl})')
                with tempfile.NamedTemporaryFile(suffix=".csv") as f:
                    src.execute(f"copy (select * from {schema}.\"{table}\") to '{f.name}' (format csv, header false)")
                    with open(f.name) as data:
                        cur.copy_expert(f'copy {schema}."{table}" from stdin with (format csv)', data)
                copied[f"{schema}.{table}"] = cur.rowcount
    return copied
