"""Two consecutive cycles with the meeting's decisions in between, through Dagster as a planner runs them: the
approved and current views, what changed since the approved plan (parts adding up), exceptions keeping their
identity and ageing, and a decision refused with its file, row and field."""

import dagster as dg
import duckdb
import pandas as pd
import pytest

from orchestration.instance import ensure_instance_config
from orchestration.run import run_cycle
from sop.decisions import DecisionError
from sop.sample_company import write_landing
from sop.settings import decisions_dir, export_environment
from sop.stages import decisions
from tests.conftest import SMALL, write

FIRST, SECOND = "2025-12", SMALL.cycle_id  # the same company: the second cycle has December's actuals


def store(paths, sql, *params) -> pd.DataFrame:
    with duckdb.connect(str(paths.publish_db), read_only=True) as con:
        return con.execute(sql, list(params)).df()


def record(paths, instance, cycle: str) -> dg.ExecuteInProcessResult:
    run = run_cycle(cycle, instance, job_name="record_decisions")
    assert run.success, run.errors
    return run


@pytest.mark.long
def test_two_cycles_with_decisions_between_them(tmp_path, small_frames, monkeypatch):
    monkeypatch.setenv("SOP_HOME", str(tmp_path / "var"))
    monkeypatch.delenv("SOP_WAREHOUSE", raising=False)
    monkeypatch.delenv("SOP_DECISIONS_DIR", raising=False)
    paths = export_environment()
    monkeypatch.setenv("SOP_WAREHOUSE", str(paths.warehouse))
    write_landing(small_frames, paths.landing)
    ensure_instance_config(paths.dagster_home)
    with dg.DagsterInstance.from_config(str(paths.dagster_home)) as instance:
        assert run_cycle(FIRST, instance).published
        exceptions = store(paths, "select * from plan_exceptions where cycle_id = ? order by priority", FIRST)
        accepted = exceptions["exception_id"].iloc[0]
        assert store(paths, "select count(*) n from plan_reconciled_current")["n"][0] == 0  # nothing approved yet

        # a decision naming a version that does not exist is refused with its file, row and field
        folder = decisions_dir()
        bad = write(folder / f"{FIRST}.yaml", f"- {{kind: approve, cycle: {FIRST}, version: 2, by: CEO, "
                    "at: 2026-01-05T10:00:00, reason: exec}\n")  # fmt: skip
        with pytest.raises(DecisionError, match=rf"{FIRST}.yaml, row 1, field version: .* no version 2"):
            decisions.checked(paths)
        assert not run_cycle(FIRST, instance, job_name="record_decisions").success
        bad.write_text(
            f"- {{kind: accept_exception, cycle: {FIRST}, exception_id: '{accepted}', owner: Plant P1, "
            "due: 2026-06-30, by: Supply planner, at: 2026-01-05T09:00:00, reason: second shift from June}\n"
            f"- {{kind: approve, cycle: {FIRST}, version: 1, by: CEO, at: 2026-01-05T10:00:00, reason: exec}}\n"
        )
        record(paths, instance, FIRST)
        status = store(paths, "select * from plan_status")
        assert status[["cycle_id", "plan_version", "status"]].values.tolist() == [[FIRST, 1, "approved"]]
        assert status["decided_by"][0] == "CEO"
        first_revenue = store(paths, "select sum(revenue_amount) r from plan_reconciled where cycle_id = ?", FIRST)
        current = store(paths, "select count(*) n, sum(revenue_amount) r from plan_reconciled_current")
        assert current["r"][0] == pytest.approx(first_revenue["r"][0], abs=0.01)

        assert run_cycle(SECOND, instance).published
        # the new cycle is proposed: the current plan is still the approved one, never both cycles
        current = store(paths, "select distinct cycle_id from plan_financials_current")
        assert current["cycle_id"].tolist() == [FIRST]
        changes = store(paths, "select * from plan_changes where cycle_id = ?", SECOND)
        assert set(changes["compared_cycle_id"]) == {FIRST} and set(changes["compared_plan_version"]) == {1}
        parts = ["new_actuals_value", "forecast_change_value", "override_value", "capacity_supply_value",
                 "price_value", "fx_value"]  # fmt: skip
        # the parts add up to the change exactly, on every row (as the decimals BI reads)
        unbalanced = store(
            paths,
            f"select count(*) n from plan_changes where cycle_id = ? and (change_value <> {' + '.join(parts)} "
            "or change_value <> current_value - previous_value)",
            SECOND,
        )
        assert len(changes) and unbalanced["n"][0] == 0
        quantities = changes[changes["measure_name"].str.endswith("_qty")]
        assert (quantities["price_value"] == 0).all() and (quantities["fx_value"] == 0).all()
        # December was planned by the first cycle and is history now: its change is new actuals
        december = changes[(changes["month_date"] == pd.Timestamp("2025-12-01"))]
        assert len(december) and (december["change_value"] == december["new_actuals_value"]).all()
        # the previous values are the approved plan's, the current the new plan's (same months, same series)
        both = store(
            paths,
            "select sum(consensus_demand_qty) q from plan_reconciled where cycle_id = ? and bucket_date >= ? "
            "and bucket_date <= (select max(bucket_date) from plan_reconciled where cycle_id = ?)",
            SECOND, pd.Timestamp("2026-01-01"), FIRST,
        )  # fmt: skip
        horizon = changes[(changes["measure_name"] == "demand_qty") & (changes["month_date"] >= "2026-01-01")]
        assert float(horizon["current_value"].sum()) == pytest.approx(both["q"][0], abs=0.01)

        status = store(paths, "select * from exception_status where cycle_id = ?", SECOND)
        first_ids = set(exceptions["exception_id"])
        kept = status[status["exception_id"].isin(first_ids) & (status["lifecycle_status"] != "resolved")]
        assert len(kept), "no exception of the first cycle is listed again"
        row = status.set_index("exception_id").loc[accepted]
        assert row["lifecycle_status"] in ("accepted", "resolved") and row["owner"] == "Plant P1"
        others = kept[kept["exception_id"] != accepted]
        assert set(others["lifecycle_status"]) <= {"open"} and (others["age_in_cycles"] == 2).all()
        assert (others["first_seen_cycle_id"] == FIRST).all()
        new = status[~status["exception_id"].isin(first_ids)]
        assert set(new["lifecycle_status"]) <= {"new"} and (new["age_in_cycles"] == 1).all()
        gone = first_ids - set(store(paths, "select exception_id from plan_exceptions where cycle_id = ?", SECOND)[
            "exception_id"])  # fmt: skip
        assert set(status.loc[status["lifecycle_status"] == "resolved", "exception_id"]) == gone

        # a decision for the closed first cycle is refused; the second is approved
        with (folder / f"{FIRST}.yaml").open("a") as f:
            f.write(f"- {{kind: send_back, cycle: {FIRST}, version: 1, by: CFO, at: 2026-02-01T10:00:00, reason: x}}\n")
        with pytest.raises(DecisionError, match=rf"row 3, field cycle: cycle {FIRST} is closed"):
            decisions.checked(paths)
        lines = (folder / f"{FIRST}.yaml").read_text().splitlines()
        (folder / f"{FIRST}.yaml").write_text("\n".join(lines[:-1]) + "\n")
        write(folder / f"{SECOND}.yaml", f"- {{kind: approve, cycle: {SECOND}, version: 1, by: CEO, "
              "at: 2026-02-05T10:00:00, reason: exec}\n")  # fmt: skip
        record(paths, instance, SECOND)
    current = store(paths, "select distinct cycle_id, plan_version from plan_financials_current")
    assert current.values.tolist() == [[SECOND, 1]]
    approved = store(paths, "select cycle_id, count(*) n from plan_reconciled_approved group by 1 order by 1")
    assert approved["cycle_id"].tolist() == [FIRST, SECOND]
    pack = (paths.publish_dir / "pack" / f"{SECOND}_v1.html").read_text()
    assert "<h2>Agenda</h2>" in pack and "approved</b> by CEO" in pack and f"Against cycle {FIRST} version 1" in pack
