"""Resources, configured from the environment (SOP_HOME; see sop.settings)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from sop.settings import Paths

# Every step that opens the warehouse runs in this pool. DuckDB allows one writing process, and the instance
# limits the pool to one step at a time across all runs (dagster.yaml, see orchestration/instance.py), so
# backfills and multiprocess runs queue on it instead of failing on the file lock.
WAREHOUSE_POOL = "duckdb_warehouse"


class SopHome(dg.ConfigurableResource):
    """Everything the pipeline keeps: landing, archive, warehouse, publish store, models."""

    home: str

    @property
    def paths(self) -> Paths:
        return Paths(Path(self.home))

    @contextmanager
    def warehouse(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection, closed after use: DuckDB allows one writing process at a time."""
        path = self.paths.warehouse
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path))
        try:
            yield con
        finally:
            con.close()
