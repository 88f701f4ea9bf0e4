"""The cycle id, ``YYYY-MM``: checked at every entry (CLI, partitions, scenario and decision files) before any
work starts, and the run tags that qualify a cycle's run."""

from __future__ import annotations

import re

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
