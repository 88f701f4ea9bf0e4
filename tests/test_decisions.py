"""Decision files: their schema, every refusal (naming file, row and field), and the plan status they give."""

import pandas as pd
import pytest

from sop.decisions import DecisionError, Published, check, load_all, load_file, log_frame, plan_status
from tests.conftest import write

WHO = "by: CEO, reason: the meeting"


def published(**extra) -> Published:
    base = dict(
        versions={"2026-01": {1: None, 2: None}, "2026-02": {1: None, 2: "planned on months accepted as incomplete"}},
        scenarios={"2026-01": {"base", "heatwave"}, "2026-02": {"base"}},
        exceptions={"2026-01": {"shortage:A@X"}, "2026-02": {"shortage:A@X"}},
    )
    return Published(**{**base, **extra})


def decided(tmp_path, *rows: str, name="2026-01.yaml"):
    path = write(tmp_path / name, "".join(f"- {{{row}, {WHO}}}\n" for row in rows))
    return load_all(tmp_path), path


def refused(tmp_path, *rows: str, state: Published | None = None) -> str:
    filed, _ = decided(tmp_path, *rows)
    with pytest.raises(DecisionError) as e:
        check(filed, state or published())
    return str(e.value)


@pytest.mark.parametrize(
    ("row", "field", "said"),
    [
        ("kind: approve, cycle: 2026-01, at: 2026-01-20T10:00:00", "version", "Field required"),
        ("kind: approve, cycle: 2026-13, version: 1, at: 2026-01-20T10:00:00", "cycle", "not a month"),
        ("kind: approve, cycle: 2026-01, version: 1, at: yesterday", "at", "datetime"),
        ("kind: promote, cycle: 2026-01, at: 2026-01-20T10:00:00", "kind", "promote"),
        ("kind: request_change, change: override, cycle: 2026-01, month: 2026-03, at: 2026-01-20T10:00:00",
         "change", "qty or pct"),
        ("kind: request_change, change: capacity, cycle: 2026-01, resource_id: L1, at: 2026-01-20T10:00:00",
         "change", "extra_hours"),
        ("kind: unfreeze, cycle: 2026-01, from: 2026-02, to: March, at: 2026-01-20T10:00:00", "to", "not a month"),
        ("kind: accept_exception, cycle: 2026-01, exception_id: x, due: 2026-03-31, at: 2026-01-20T10:00:00",
         "owner", "Field required"),
    ],
)  # fmt: skip
def test_a_malformed_decision_names_its_file_row_and_field(tmp_path, row, field, said):
    first = f"- {{kind: send_back, cycle: 2026-01, version: 1, at: 2026-01-19T10:00:00, {WHO}}}\n"
    path = write(tmp_path / "d.yaml", first + f"- {{{row}, {WHO}}}\n")
    with pytest.raises(DecisionError) as e:
        load_file(path)
    assert f"{path}, row 2, field {field}:" in str(e.value) and said in str(e.value), str(e.value)


def test_a_decision_without_who_or_why_is_refused(tmp_path):
    path = write(tmp_path / "d.yaml", "- {kind: approve, cycle: 2026-01, version: 1, at: 2026-01-20T10:00:00}\n")
    with pytest.raises(DecisionError) as e:
        load_file(path)
    assert "row 1, field by: Field required" in str(e.value) and "field reason: Field required" in str(e.value)


def test_approving_a_version_that_does_not_exist_names_the_versions_and_the_failed_runs(tmp_path):
    state = published(failed_runs={"2026-01": ["run 1234abcd (2026-01-20): blocking data checks failed"]})
    said = refused(tmp_path, "kind: approve, cycle: 2026-01, version: 3, at: 2026-01-20T10:00:00", state=state)
    assert "2026-01.yaml, row 1, field version: cycle 2026-01 has no version 3 (published: 1, 2)" in said
    assert "run 1234abcd" in said


def test_approving_a_version_whose_quality_gates_failed_is_refused(tmp_path):
    said = refused(tmp_path, "kind: approve, cycle: 2026-02, version: 2, at: 2026-02-20T10:00:00")
    assert "field version: 2026-02 version 2's quality gates failed: planned on months accepted" in said
    filed, _ = decided(tmp_path, "kind: approve, cycle: 2026-02, version: 1, at: 2026-02-20T10:00:00")
    check(filed, published())  # the version planned on complete data may be approved


def test_adopting_an_unknown_scenario_or_accepting_an_unknown_exception_is_refused(tmp_path):
    said = refused(tmp_path, "kind: adopt_scenario, cycle: 2026-01, scenario: heat_wave, at: 2026-01-20T10:00:00")
    assert "field scenario: cycle 2026-01 compared no scenario 'heat_wave' (compared: heatwave)" in said
    row = "kind: accept_exception, cycle: 2026-01, exception_id: shortage:B@X, owner: P, due: 2026-03-31"
    said = refused(tmp_path, row + ", at: 2026-01-20T10:00:00")
    assert "field exception_id: cycle 2026-01's plan lists no exception 'shortage:B@X'" in said
    said = refused(tmp_path, "kind: adopt_scenario, cycle: 2025-12, scenario: heatwave, at: 2026-01-20T10:00:00")
    assert "field cycle: cycle 2025-12 has no published plan" in said


def test_a_decision_for_a_closed_cycle_is_refused(tmp_path):
    approve = "kind: approve, cycle: 2026-01, version: 2, at: 2026-01-20T10:00:00"
    late = "kind: adopt_scenario, cycle: 2026-01, scenario: heatwave, at: 2026-01-21T10:00:00"
    said = refused(tmp_path, approve, late)
    assert "row 2, field cycle: cycle 2026-01 is closed: 2026-01 version 2 was approved by CEO" in said
    # a later cycle approved first closes the earlier one too; decided before that approval, it stands
    later = "kind: approve, cycle: 2026-02, version: 1, at: 2026-02-20T10:00:00"
    early = "kind: send_back, cycle: 2026-01, version: 1, at: 2026-01-20T10:00:00"
    filed, _ = decided(tmp_path, later, early)
    check(filed, published())
    said = refused(tmp_path, later, "kind: send_back, cycle: 2026-01, version: 1, at: 2026-02-21T10:00:00")
    assert "cycle 2026-01 is closed: 2026-02 version 1 was approved" in said


def test_a_version_sent_back_cannot_be_approved_and_ids_are_unique(tmp_path):
    back = "kind: send_back, cycle: 2026-01, version: 1, at: 2026-01-20T10:00:00"
    said = refused(tmp_path, back, "kind: approve, cycle: 2026-01, version: 1, at: 2026-01-21T10:00:00")
    assert "row 2, field version: 2026-01 version 1 was sent back (2026-01.yaml, row 1)" in said
    write(tmp_path / "a.yaml", f"- {{id: D1, {back}, {WHO}}}\n")
    write(tmp_path / "b.yaml", f"- {{id: D1, {back}, {WHO}}}\n")
    with pytest.raises(DecisionError, match="field id: 'D1' is also the id of .*a.yaml, row 1"):
        load_all(tmp_path)


def test_plan_status_approves_one_version_per_cycle_and_the_rest_follow(tmp_path):
    filed, _ = decided(
        tmp_path,
        "kind: send_back, cycle: 2026-01, version: 1, at: 2026-01-20T10:00:00",
        "kind: approve, cycle: 2026-01, version: 2, at: 2026-01-22T10:00:00",
    )
    check(filed, published())
    versions = pd.DataFrame(
        {
            "cycle_id": ["2026-01", "2026-01", "2026-01", "2026-02"],
            "plan_version": [1, 2, 3, 1],
            "published_at": pd.to_datetime(["2026-01-19", "2026-01-21", "2026-01-23", "2026-02-19"]),
            "adopted_scenario": [None, "heatwave", None, None],
        }
    )
    status = plan_status(versions, log_frame(filed))
    assert status["status"].tolist() == ["sent_back", "approved", "superseded", "proposed"]
    assert status.loc[1, "decided_by"] == "CEO" and status.loc[1, "decision_id"] == "2026-01.yaml#2"
    assert status.loc[1, "adopted_scenario"] == "heatwave"


def test_a_change_request_naming_what_the_plan_has_not_is_refused(tmp_path):
    state = published(known={"2026-01": {"resource_id": {"P1-L1", "P1-L2"}, "family_id": {"BEV"}}})
    said = refused(
        tmp_path,
        "kind: request_change, change: capacity, cycle: 2026-01, resource_id: P1-L9, extra_hours: 40, "
        "at: 2026-01-20T10:00:00",
        state=state,
    )
    assert "row 1, field resource_id: cycle 2026-01's plan has no resource_id 'P1-L9' (it has: P1-L1, P1-L2)" in said
    said = refused(
        tmp_path,
        "kind: request_change, change: expedite, cycle: 2026-01, supplier_id: S1, months: 1, at: 2026-01-20T10:00:00",
        state=state,
    )
    assert "field supplier_id: cycle 2026-01's plan has no supplier_id 'S1' (it has: none)" in said
    filed, _ = decided(
        tmp_path,
        "kind: request_change, change: override, cycle: 2026-01, family_id: BEV, month: 2026-03, pct: 10, "
        "at: 2026-01-20T10:00:00",
    )
    check(filed, state)
