"""Resources, configured from the environment (SOP_HOME; see sop.settings)."""

from __future__ import annotations

import time
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

# Python steps retry twice, 5 s then 10 s later (with jitter), before a run fails: a PostgreSQL publish
# target restarting or a full disk freed meanwhile. Only what can be transient is retried: a step's
# deterministic errors (final_errors) fail it at once. The dbt steps do not retry: a failed dbt test is not
# transient, and dbt reports which model to look at.
TRANSIENT_RETRY = dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


@contextmanager
def final_errors() -> Iterator[None]:
    """Errors that the same inputs would raise again (a bad scenario file, a cycle with nothing planned, a SQL
    error) fail the step without retries, with their message; I/O errors and a busy warehouse stay retried."""
    try:
        yield
    except (ValueError, LookupError, TypeError, ArithmeticError) as e:
        raise dg.Failure(description=f"{type(e).__name__}: {e}", allow_retries=False) from e
    except duckdb.Error as e:
        if isinstance(e, duckdb.IOException):
            raise
        raise dg.Failure(description=f"{type(e).__name__}: {e}", allow_retries=False) from e


LOCK_WAIT_SECONDS = 120  # how long a step waits for another process's write lock on the warehouse


class SopHome(dg.ConfigurableResource):
    """Everything the pipeline keeps: landing, archive, warehouse, publish store, models."""

    home: str

    @property
    def paths(self) -> Paths:
        return Paths(Path(self.home))

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[SopHome]:
        """The run holds its home's cycle lock from start to end (sop/locks.py): runs of different cycles in one
        home wait for each other instead of taking turns step by step."""
        from sop.locks import one_cycle_at_a_time

        run = context.dagster_run
        who = f"run {run.run_id[:8]} of {run.tags.get('dagster/partition', 'no cycle')}" if run else "a run"

        def waiting(holder: dict) -> None:
            context.log.info(f"{who} waits for {holder.get('who', 'another run')} (pid {holder.get('pid', '?')})")

        with one_cycle_at_a_time(self.paths.home, who, waiting):
            yield self

    @contextmanager
    def warehouse(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection, closed after use: DuckDB allows one writing process at a time."""
        path = self.paths.warehouse
        path.parent.mkdir(parents=True, exist_ok=True)
        con = connect_waiting(path)
        try:
            yield con
        finally:
            con.close()


def connect_waiting(path: Path, wait_seconds: float = LOCK_WAIT_SECONDS) -> duckdb.DuckDBPyConnection:
    """Open the warehouse for writing, waiting with backoff while another process holds its lock (a `dbt
    docs` or a notebook outside Dagster's pool): a busy file is transient, not a failed cycle."""
    waited, pause = 0.0, 0.5
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException as e:
            if "lock" not in str(e).lower() or waited >= wait_seconds:
                raise
            time.sleep(pause)
            waited, pause = waited + pause, min(pause * 2, 10.0)
