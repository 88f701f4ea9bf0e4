"""What the S&OP meeting decided that a cycle's plan takes in, as one scenario of the plan's own changes: the
scenario adopted for the cycle (its plan becomes the cycle's) and the supplier expedites asked for in the cycle
or an earlier one. The overrides and the extra capacity asked for come in through dbt (consensus demand and
capacity), so every number downstream of them sees them too."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from sop.planning.scenarios import Scenario, SupplierLeadTime, load_all


class DecidedError(ValueError):
    """A decision the plan cannot take in (an adopted scenario whose file is gone), naming the decision."""


def adopted(log: pd.DataFrame, cycle_id: str) -> pd.Series | None:
    """The cycle's latest adopt_scenario decision (the log is in the order decisions were made), if any."""
    rows = log[(log["decision_kind"] == "adopt_scenario") & (log["cycle_id"] == cycle_id)]
    return None if rows.empty else rows.iloc[-1]


def expedites(requests: pd.DataFrame) -> tuple[SupplierLeadTime, ...]:
    """The expedite requests as lead-time changes: the supplier's (or its one item's) lead time ``months``
    shorter, never below zero."""
    rows = requests[requests["change_kind"] == "expedite"]
    return tuple(
        SupplierLeadTime(
            kind="supplier_lead_time",
            supplier_id=r.supplier_id,
            item_id=None if pd.isna(r.item_id) else r.item_id,
            months=-int(r.expedite_months),
        )
        for r in rows.itertuples()
    )


@dataclass(frozen=True)
class Decided:
    """The decided changes of a cycle's plan: ``scenario`` (``None`` without any), and the adopted scenario's
    name and decision when one was adopted."""

    scenario: Scenario | None = None
    adopted_name: str | None = None
    decision_id: str | None = None

    def on_top(self, scenario: Scenario) -> Scenario:
        """A compared scenario on top of the decided plan: the decided changes, then the scenario's own; the
        adopted scenario itself is the decided plan (its changes are not applied twice)."""
        if self.scenario is None:
            return scenario
        if scenario.name == self.adopted_name:
            return replace(scenario, changes=self.scenario.changes)
        return replace(scenario, changes=self.scenario.changes + scenario.changes)


def taken_in(log: pd.DataFrame, requests: pd.DataFrame, cycle_id: str, folder: Path) -> Decided:
    """The decided changes of ``cycle_id``'s plan. ``requests`` are the change requests of the cycle and the ones
    before it."""
    decision = adopted(log, cycle_id)
    changes: tuple = ()
    name, description, adopted_name, decision_id = "decided", "The meeting's decisions.", None, None
    if decision is not None:
        found = {s.name: s for s in load_all(folder)}
        if decision["scenario_name"] not in found:
            raise DecidedError(
                f"{decision['source_file']}, row {decision['source_row']}, field scenario: the adopted scenario "
                f"{decision['scenario_name']!r} is no longer in {folder} (it has: {', '.join(sorted(found)) or 'none'})"
                ": restore its file, or adopt another"
            )
        scenario = found[decision["scenario_name"]]
        changes, name, description = scenario.changes, scenario.name, scenario.description
        adopted_name, decision_id = scenario.name, decision["decision_id"]
    changes += expedites(requests)
    return Decided(Scenario(name, description, changes) if changes else None, adopted_name, decision_id)
