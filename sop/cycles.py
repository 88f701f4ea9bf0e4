"""The cycle id, ``YYYY-MM``: checked at every entry (CLI, partitions, scenario and decision files) before any
work starts, and the run tags that qualify a cycle's run."""

from __future__ import annotations

import contextlib
import os
import re
from datetime import date
from pathlib import Path

CYCLE_FORMAT = "YYYY-MM"
_CYCLE = re.compile(r"(\d{4})-(\d{2})")

# A run tag naming the months (YYYY-MM, comma-separated) the run accepts as incomplete: the user's explicit,
# recorded choice to plan on them (expectations/history.py), shown in publish_log and the pack.
ACCEPT_INCOMPLETE_TAG = "sop/accept_incomplete"


class CycleError(ValueError):
    """A cycle id that is not a month written YYYY-MM."""


def parse_cycle(value: str, what: str = "cycle") -> str:
    """``value`` when it is a real month written YYYY-MM (2026-02), else a one-line CycleError."""
    text = str(value).strip()
    match = _CYCLE.fullmatch(text)
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise CycleError(f"{what} {value!r} is not a month written {CYCLE_FORMAT} (e.g. 2026-02)")
    return text


def accepted_months(tags: dict[str, str]) -> frozenset[str]:
    """The months a run's tags accept as incomplete."""
    raw = tags.get(ACCEPT_INCOMPLETE_TAG, "")
    return frozenset(parse_cycle(m, "accepted month") for m in raw.split(",") if m.strip())


# Where a home's cycles (Dagster's partitions) start: the earliest cycle it has run, so that the UI's partition
# views cover the months the home plans rather than every month since 2011. SOP_FIRST_CYCLE overrides it.
FIRST_CYCLE_ENV = "SOP_FIRST_CYCLE"
FIRST_CYCLE_FILE = "first_cycle"


def first_cycle(home: Path) -> str:
    """SOP_FIRST_CYCLE, else the earliest cycle run in ``home``, else a year before the current month."""
    if os.environ.get(FIRST_CYCLE_ENV):
        return parse_cycle(os.environ[FIRST_CYCLE_ENV], FIRST_CYCLE_ENV)
    stored = home / FIRST_CYCLE_FILE
    with contextlib.suppress(OSError, CycleError):
        return parse_cycle(stored.read_text())
    today = date.today()
    return f"{today.year - 1}-{today.month:02d}"


def remember_cycle(home: Path, cycle: str) -> str:
    """Make the home's cycles start at ``cycle`` or earlier (before the definitions load); its first cycle."""
    start = first_cycle(home)
    if cycle >= start:
        return start
    if os.environ.get(FIRST_CYCLE_ENV):
        raise CycleError(f"cycle {cycle} is before {FIRST_CYCLE_ENV}={start}: set it earlier, or unset it")
    home.mkdir(parents=True, exist_ok=True)
    (home / FIRST_CYCLE_FILE).write_text(cycle + "\n")
    return cycle
