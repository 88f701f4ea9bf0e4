"""What the meeting decided that a cycle's plan takes in: the adopted scenario (never applied twice) and the
expedites, as one scenario of the plan's own changes."""

import pandas as pd
import pytest

from sop.planning.decided import DecidedError, taken_in
from sop.planning.scenarios import Scenario, SupplierLeadTime
from tests.conftest import write

LOG = ["decision_id", "cycle_id", "decision_kind", "scenario_name", "source_file", "source_row"]
REQUESTS = ["change_kind", "supplier_id", "item_id", "expedite_months"]


def adopt(*rows) -> pd.DataFrame:
    return pd.DataFrame([("d", *row, "2026-01.yaml", n) for n, row in enumerate(rows, 1)], columns=LOG)


def scenarios(tmp_path):
    write(tmp_path / "heat.yaml", "name: heat\nchanges: [{kind: demand_shock, factor: 1.2}]\n")
    write(tmp_path / "cheap.yaml", "name: cheap\nchanges: [{kind: price_change, factor: 0.9}]\n")
    return tmp_path


def test_the_latest_adoption_of_the_cycle_is_its_plan_and_other_scenarios_go_on_top(tmp_path):
    log = adopt(("2026-01", "adopt_scenario", "heat"), ("2026-01", "adopt_scenario", "cheap"),
                ("2026-02", "adopt_scenario", "heat"))  # fmt: skip
    none = pd.DataFrame(columns=REQUESTS)
    decided = taken_in(log, none, "2026-01", scenarios(tmp_path))
    assert decided.adopted_name == "cheap" and [c.kind for c in decided.scenario.changes] == ["price_change"]
    heat = Scenario.load(tmp_path / "heat.yaml")
    assert [c.kind for c in decided.on_top(heat).changes] == ["price_change", "demand_shock"]
    cheap = Scenario.load(tmp_path / "cheap.yaml")
    assert [c.kind for c in decided.on_top(cheap).changes] == ["price_change"]  # the adopted one, once
    assert taken_in(log, none, "2025-12", tmp_path).scenario is None  # another cycle's adoption is not its


def test_expedites_shorten_lead_times_and_a_vanished_adopted_scenario_blocks_naming_the_decision(tmp_path):
    requests = pd.DataFrame([("expedite", "S1", None, 2), ("capacity", None, None, None)], columns=REQUESTS)
    decided = taken_in(adopt(), requests, "2026-01", tmp_path)
    assert decided.adopted_name is None
    assert decided.scenario.changes == (SupplierLeadTime(kind="supplier_lead_time", supplier_id="S1", months=-2),)
    with pytest.raises(DecidedError, match=r"2026-01.yaml, row 1, field scenario: .*'gone' is no longer in"):
        taken_in(adopt(("2026-01", "adopt_scenario", "gone")), requests, "2026-01", scenarios(tmp_path))
