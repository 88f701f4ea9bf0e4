"""One cycle at a time per SOP_HOME, across processes.

The warehouse's marts are tables rebuilt for whichever cycle runs, so two runs of different cycles taking turns
step by step would build one cycle's forecast on the other's history. Dagster's pool serializes steps, not
runs; this lock serializes runs. It is taken by the CLI before the Dagster instance is opened (two processes
creating a new home's instance at once race on its tables) and by the SopHome resource for every run, which
covers runs that the UI, a schedule or a sensor launch. A waiting run sleeps between tries (no busy wait),
and the lock is reentrant within a process, so the CLI and the resource can both hold it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from filelock import FileLock, Timeout

POLL_SECONDS = 0.5  # a waiting run checks twice a second and sleeps in between


@cache
def _lock(path: str) -> FileLock:
    # one object per path and process: filelock counts re-acquisitions on it (a second object would block)
    return FileLock(path, thread_local=False)


def holder(home: Path) -> dict:
    """Who holds the home's lock, as it wrote down (empty when unknown)."""
    try:
        return json.loads((home / ".cycle.lock.json").read_text())
    except (OSError, ValueError):
        return {}


@contextmanager
def one_cycle_at_a_time(home: Path, who: str, on_wait: Callable[[dict], None] | None = None) -> Iterator[None]:
    """Hold the home's cycle lock for the block; ``on_wait`` is told who holds it when this has to wait."""
    home.mkdir(parents=True, exist_ok=True)
    lock = _lock(str(home / ".cycle.lock"))
    first = not lock.is_locked
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if on_wait:
            on_wait(holder(home))
        lock.acquire(poll_interval=POLL_SECONDS)
    try:
        if first:
            (home / ".cycle.lock.json").write_text(json.dumps({"who": who, "pid": os.getpid(), "since": time.time()}))
        yield
    finally:
        lock.release()


@contextmanager
def opening_instance(home: Path) -> Iterator[None]:
    """Held while a process opens (and, in a new home, creates) the Dagster instance: two processes creating
    its SQLite tables at once fail ("table runs already exists"). Short, and apart from the cycle lock, so that
    `sop status` never waits for a running cycle."""
    home.mkdir(parents=True, exist_ok=True)
    with _lock(str(home / ".instance.lock")):
        yield
