"""Two consecutive cycles with the meeting's decisions in between, through Dagster as a planner runs them: the
approved and current views, what changed since the approved plan (parts adding up), change requests taken in,
the frozen window kept, an adopted scenario planned as a new version, exceptions keeping their identity and
ageing, and a decision refused with its file, row and field."""

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
        # the meeting also asks for changes the next cycle takes in: an override and extra hours
        family = store(paths, "select min(family_id) f from kpi_scorecard where cycle_id = ? and family_id <> 'ALL'",
                       FIRST)["f"][0]  # fmt: skip
        resource = store(paths, "select min(resource_id) r from capacity_plan where cycle_id = ?", FIRST)["r"][0]
        bad.write_text(
            f"- {{kind: accept_exception, cycle: {FIRST}, exception_id: '{accepted}', owner: Plant P1, "
            "due: 2026-06-30, by: Supply planner, at: 2026-01-05T09:00:00, reason: second shift from June}\n"
            f"- {{kind: request_change, change: override, cycle: {FIRST}, family_id: {family}, month: 2026-03, "
            "pct: 25, by: Sales director, at: 2026-01-05T09:30:00, reason: promotion}\n"
            f"- {{kind: request_change, change: capacity, cycle: {FIRST}, resource_id: {resource}, extra_hours: 50, "
            "from: 2026-02, to: 2026-02, by: Plant manager, at: 2026-01-05T09:40:00, reason: weekend shifts}\n"
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

        # the requests are taken in: the override governs the family's March, the resource has 50 hours more
        override = store(paths, "select * from demand_plan where cycle_id = ? and override_id = ?", SECOND,
                         f"decision:{FIRST}.yaml#2")  # fmt: skip
        assert len(override) and (override["bucket_date"] == pd.Timestamp("2026-03-01")).all()
        assert override["consensus_demand_qty"].sum() == pytest.approx(
            1.25 * override["statistical_forecast_qty"].sum(), rel=1e-4
        )
        hours = store(paths, "select cycle_id, available_hours h from capacity_plan where resource_id = ? and "
                      "bucket_date = '2026-02-01' order by cycle_id", resource)  # fmt: skip
        assert hours["h"].tolist() == pytest.approx([hours["h"][0], hours["h"][0] + 50])
        # the frozen window (January, the second cycle's first month) keeps the approved production and purchases
        breaks = store(paths, "select item_id, plant_id from plan_exceptions where cycle_id = ? and "
                       "exception_type = 'frozen_break'", SECOND)  # fmt: skip
        broken = set(zip(breaks["item_id"], breaks["plant_id"], strict=True))
        for sql in (
            "select cycle_id, sku_id i, plant_id p, sum(planned_supply_qty) q from supply_plan where "
            "bucket_date = '2026-01-01' group by all",
            "select cycle_id, item_id i, plant_id p, sum(purchase_qty) q from purchase_plan where "
            "order_bucket_date = '2026-01-01' group by all",
        ):
            rows = store(paths, sql).pivot_table(index=["i", "p"], columns="cycle_id", values="q").fillna(0.0)
            rows = rows[[(i, p) not in broken for i, p in rows.index]]
            assert len(rows) and (rows[FIRST] - rows[SECOND]).abs().max() < 1e-3, sql
        assert len(broken) < len(store(paths, "select distinct sku_id from supply_plan where cycle_id = ?", SECOND))
        stability = store(paths, "select plan_change_rate r from kpi_scorecard where cycle_id = ? and "
                          "aggregation_level = 'total' and month_date = '2025-12-01'", SECOND)  # fmt: skip
        assert 0 <= stability["r"][0] < 1

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
        with pytest.raises(DecisionError, match=rf"row 5, field cycle: cycle {FIRST} is closed"):
            decisions.checked(paths)
        lines = (folder / f"{FIRST}.yaml").read_text().splitlines()
        (folder / f"{FIRST}.yaml").write_text("\n".join(lines[:-1]) + "\n")
        # the meeting adopts a scenario: the next run's plan is the scenario's, a new proposed version
        compared = store(paths, "select scenario_name, revenue_amount from scenario_comparison where cycle_id = ? "
                         "and scenario_name <> 'base' order by revenue_amount desc", SECOND)  # fmt: skip
        scenario, revenue = compared["scenario_name"][0], compared["revenue_amount"][0]
        write(folder / f"{SECOND}.yaml", f"- {{kind: adopt_scenario, cycle: {SECOND}, scenario: {scenario}, "
              "by: CEO, at: 2026-02-05T09:00:00, reason: close the gap}\n")  # fmt: skip
        assert run_cycle(SECOND, instance).published
        status = store(paths, "select plan_version, status, adopted_scenario from plan_status where cycle_id = ? "
                       "order by 1", SECOND)  # fmt: skip
        assert status.values.tolist() == [[1, "proposed", None], [2, "proposed", scenario]]
        adopted = store(paths, "select revenue_amount r from plan_financials where cycle_id = ? and plan_version = 2 "
                        "and aggregation_level = 'total'", SECOND)  # fmt: skip
        # the new version's plan is the scenario's as the first version compared it, and the adopted scenario is
        # not applied twice in its own comparison
        base = store(paths, "select revenue_amount r from scenario_comparison where cycle_id = ? and plan_version = 2 "
                     "and scenario_name in ('base', ?) order by scenario_name", SECOND, scenario)  # fmt: skip
        assert base["r"].tolist() == pytest.approx([revenue, revenue], rel=1e-6)
        assert adopted["r"].sum() == pytest.approx(revenue, rel=1e-6)  # and its money is the scenario's prices'
        with (folder / f"{SECOND}.yaml").open("a") as f:
            f.write(f"- {{kind: approve, cycle: {SECOND}, version: 2, by: CEO, at: 2026-02-05T10:00:00, "
                    "reason: exec}\n")  # fmt: skip
        record(paths, instance, SECOND)
    current = store(paths, "select distinct cycle_id, plan_version from plan_financials_current")
    assert current.values.tolist() == [[SECOND, 2]]
    approved = store(paths, "select cycle_id, count(*) n from plan_reconciled_approved group by 1 order by 1")
    assert approved["cycle_id"].tolist() == [FIRST, SECOND]
    pack = (paths.publish_dir / "pack" / f"{SECOND}_v2.html").read_text()
    assert "<h2>Agenda</h2>" in pack and "approved</b> by CEO" in pack and f"Against cycle {FIRST} version 1" in pack
