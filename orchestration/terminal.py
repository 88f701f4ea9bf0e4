"""What the terminal shows while a run goes: one line per stage, the full logs in a file.

dbt's and Dagster's logs are hundreds of lines a cycle; a user needs to see that each stage finished and how
long it took, and where the details are. So for the length of a run the process's standard output and error
(file descriptors 1 and 2, which the dbt subprocesses inherit) go to a log file, and a thread follows the run's
step events in the Dagster instance to print the stages as they end.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console

# step key -> the stage a user knows it by; the first pattern that matches (prefix or whole key) wins
STAGES = (
    ("decisions", "the meeting's decisions (checked, recorded)"),
    ("raw__", "ingest and validate (contract, Great Expectations)"),
    ("dbt_history_models", "clean history (dbt)"),
    ("demand_forecast", "forecast (LightGBM and baselines, backtested)"),
    ("dbt_post_forecast_models", "consensus demand and accuracy (dbt)"),
    ("supply_plan", "supply plan (HiGHS)"),
    ("planning__", "scenarios"),
    ("dbt_review_models", "financials, KPIs and exceptions (dbt)"),
    ("publish__executive_pack", "executive pack"),
    ("publish", "publish"),
)


def stage_of(step_key: str) -> str:
    for prefix, stage in STAGES:
        if step_key.startswith(prefix):
            return stage
    return step_key


@contextlib.contextmanager
def output_to(log: Path) -> Iterator[Console]:
    """Send everything written to stdout and stderr, by Python or a subprocess, to ``log`` while the block runs;
    yields a console that still writes to the terminal (or to whatever stdout was, e.g. a test's capture)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        real_fds = (sys.stdout.fileno(), sys.stderr.fileno())
    except (AttributeError, OSError, ValueError):  # not a file (a test runner's capture): leave the fds alone
        real_fds = None
    with log.open("a", buffering=1) as sink:
        saved_streams = sys.stdout, sys.stderr
        if real_fds == (1, 2):
            saved_fds = os.dup(1), os.dup(2)
            terminal = os.fdopen(os.dup(saved_fds[0]), "w", buffering=1)
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
        else:
            saved_fds, terminal = None, saved_streams[0]
        sys.stdout = sys.stderr = sink
        try:
            yield Console(file=terminal, highlight=False, soft_wrap=True)
        finally:
            sys.stdout, sys.stderr = saved_streams
            if saved_fds:
                terminal.flush()
                os.dup2(saved_fds[0], 1)
                os.dup2(saved_fds[1], 2)
                for fd in saved_fds:
                    os.close(fd)
                terminal.close()


class StageProgress:
    """Follows a run's step events and prints a line as each stage ends (with a spinner on a terminal)."""

    POLL_SECONDS = 0.5

    def __init__(self, instance, run_id: str, console: Console):
        self.instance, self.run_id, self.console = instance, run_id, console
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._current: tuple[str, float, int, int] | None = None  # stage, started, steps done, steps failed
        self._status = None
        self._last = 0.0  # when the current stage's latest step ended
        self.stage_seconds: dict[str, float] = {}

    def __enter__(self) -> StageProgress:
        self._status = self.console.status("starting the run…")
        self._status.__enter__()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._finish_stage()
        self._status.__exit__(*exc)

    def _follow(self) -> None:
        import dagster as dg

        wanted = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
        cursor = None
        while True:
            stopping = self._stop.wait(self.POLL_SECONDS)
            try:
                while True:  # everything up to now, then wait again
                    page = self.instance.get_records_for_run(self.run_id, cursor=cursor, of_type=wanted, limit=200)
                    for record in page.records:
                        self._on_event(record.event_log_entry)
                    cursor = page.cursor
                    if not page.has_more:
                        break
            except Exception:  # noqa: BLE001 - the run not stored yet; progress must never break the run
                pass
            if stopping:
                return

    def _on_event(self, entry) -> None:
        event = entry.dagster_event
        stage = stage_of(event.step_key or "")
        if event.event_type_value == "STEP_START":
            if self._current is None or self._current[0] != stage:
                self._finish_stage()
                self._current = (stage, entry.timestamp, 0, 0)
                self._status.update(f"{stage}…")
            return
        if self._current and self._current[0] == stage:
            name, started, done, failed = self._current
            self._current = (name, started, done + 1, failed + (event.event_type_value == "STEP_FAILURE"))
            self._last = entry.timestamp

    def _finish_stage(self) -> None:
        if self._current is None:
            return
        stage, started, _, failed = self._current
        seconds = max(self._last - started, 0.0)
        self.stage_seconds[stage] = seconds
        mark = "[red]✗[/red]" if failed else "[green]✓[/green]"
        self.console.print(f"  {mark} {stage:<52} {seconds:6.1f} s")
        self._current = None
