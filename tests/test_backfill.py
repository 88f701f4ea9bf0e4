"""Seven past cycles through `sop backfill`, as a data engineer starts it: every cycle a Dagster run, every
cycle published, and the forecast archive it leaves gives accuracy by lag a history from the first (seven
cycles are the fewest that score the first cycle at every lag the marts report, 1, 3 and 6: a year took five
more minutes of CI for nothing more)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.instance import ensure_instance_config
from sop.sample_company import write_landing

FIRST, LAST = "2025-01", "2025-07"
CYCLES = [f"2025-{m:02d}" for m in range(1, 8)]
CLI_CYCLE = "2025-12"  # the CLI test's one cycle: the sample's last month before the files it ingests


@pytest.mark.long
def test_a_seven_cycle_backfill_publishes_every_cycle_and_scores_the_first_by_lag(tmp_path, small_frames):
    home = tmp_path / "var"
    write_landing(small_frames, home / "landing")
    ensure_instance_config(home / "dagster")
    env = {**os.environ, "SOP_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    env.pop("SOP_WAREHOUSE", None)
    env.pop("SOP_BUCKET", None)
    sop = Path(sys.executable).parent / "sop"
    started = time.perf_counter()
    out = subprocess.run([str(sop), "backfill", FIRST, LAST], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    print(f"{len(CYCLES)}-cycle backfill: {seconds:.0f} s")

    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        runs = instance.get_runs(dg.RunsFilter(job_name="sop_cycle"))
    assert sorted(r.tags["dagster/partition"] for r in runs) == CYCLES
    assert all(r.is_success for r in runs) and len({r.tags["sop/backfill"] for r in runs}) == 1

    with duckdb.connect(str(home / "publish" / "sop.duckdb"), read_only=True) as con:
        published = con.execute("select distinct cycle_id, plan_version from publish_log order by 1").fetchall()
    assert published == [(c, 1) for c in CYCLES]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        archived = [
            r[0] for r in con.execute("select distinct cycle_id from marts.fct_consensus_demand order by 1").fetchall()
        ]
        lags = con.execute(
            "select forecast_lag, count(distinct forecast_cycle_id) from marts.fct_forecast_accuracy_by_lag "
            "where model_name = 'consensus' and aggregation_level = 'total' group by 1 order by 1"
        ).fetchall()
        first = con.execute(
            "select distinct forecast_lag from marts.fct_forecast_accuracy_by_lag where forecast_cycle_id = ?", [FIRST]
        ).fetchall()
    assert archived == CYCLES
    status = subprocess.run(
        [str(sop), "status", "--last", str(len(CYCLES))], env={**env, "COLUMNS": "200"}, capture_output=True, text=True
    )
    assert status.returncode == 0, status.stderr[-2000:]
    assert status.stdout.count("SUCCESS") == len(CYCLES) and all(c in status.stdout for c in CYCLES), status.stdout
    # as of the last cycle, lag 1 scores every earlier cycle, lag 6 the cycles whose 6th month has passed
    assert dict(lags) == {1: 6, 3: 4, 6: 1}
    assert sorted(r[0] for r in first) == [1, 3, 6]


@pytest.mark.long
def test_the_cli_ingests_a_folder_and_plans_one_scenario_through_dagster(tmp_path, small_frames):
    """`sop ingest` and `sop scenario` in a home that ran one cycle (the backfill test's would do; this one is
    its own so either test can run alone)."""
    home = tmp_path / "var"
    write_landing(small_frames, home / "landing")
    ensure_instance_config(home / "dagster")
    env = {**os.environ, "SOP_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"), "COLUMNS": "200"}
    env.pop("SOP_WAREHOUSE", None)
    env.pop("SOP_BUCKET", None)
    sop = str(Path(sys.executable).parent / "sop")
    assert subprocess.run([sop, "run-cycle", CLI_CYCLE], env=env, capture_output=True).returncode == 0
    # a planner's file dropped in a folder: one good family override, one with no scope
    drop = tmp_path / "drop"
    drop.mkdir()
    family = small_frames["products"]["family_id"].iloc[0]
    (drop / "planner_overrides_2026-01.csv").write_text(
        "override_id,family_id,month,override_pct,planner,reason,created_at\n"
        f"EXTRA-1,{family},2026-02-01,10,ann,fair,2025-12-30 10:00:00\n"
        "EXTRA-2,,2026-02-01,10,ann,no scope,2025-12-30 10:00:00\n"
    )
    out = subprocess.run([sop, "ingest", str(drop), "--cycle", "2026-01"], env=env, capture_output=True, text=True)
    # one row in three quarantined: under the absolute limit, so a warning the console shows, not a block
    assert out.returncode == 0, out.stdout[-2000:]
    assert "quarantined_at_most_1%_or_3_rows" in out.stdout and "warning" in out.stdout, out.stdout[-2000:]
    assert "planner_overrides" in out.stdout and (home / "landing" / "planner_overrides_2026-01.csv").exists()
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        quarantined = con.execute("select _source_row, column_name from quarantine.planner_overrides").fetchall()
        loaded = con.execute("select count(*) from raw.planner_overrides where override_id = 'EXTRA-1'").fetchone()
    assert quarantined == [(3, "sku_id")] and loaded == (1,)  # file row 3 (EXTRA-2): no scope
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        assert (
            instance.get_runs(dg.RunsFilter(job_name="landing_ingest"), limit=1)[0].tags["dagster/partition"]
            == "2026-01"
        )

    scenario = Path(__file__).parents[1] / "scenarios" / "plant_p1_outage.yaml"
    out = subprocess.run(
        [sop, "scenario", str(scenario), "--cycle", CLI_CYCLE], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "base" in out.stdout and "plant_p1_outage" in out.stdout
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        tried = con.execute(
            "select scenario_name from planning.scenario_trials where cycle_id = ? order by 1", [CLI_CYCLE]
        ).fetchall()
        cycles = con.execute(
            "select count(*) from planning.scenario_comparison where cycle_id = ?", [CLI_CYCLE]
        ).fetchone()[0]
    assert tried == [("base",), ("plant_p1_outage",)]
    assert cycles == 1 + len(list((Path(__file__).parents[1] / "scenarios").glob("*.yaml")))  # the cycle's own
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        (trial,) = instance.get_runs(dg.RunsFilter(job_name="scenario_trial"))
        assert trial.tags["sop/kind"] == "scenario"
    # a typo'd family is an error naming the file, change and field; a bad month is refused before any run
    typo = tmp_path / "typo.yaml"
    typo.write_text("name: typo\nchanges:\n  - {kind: demand_shock, family_id: BVE, factor: 1.2}\n")
    out = subprocess.run([sop, "scenario", str(typo), "--cycle", CLI_CYCLE], env=env, capture_output=True, text=True)
    assert out.returncode == 1 and "change 1 (demand_shock): family_id: unknown 'BVE'" in out.stdout, out.stdout
    month = tmp_path / "month.yaml"
    month.write_text("name: month\nchanges:\n  - {kind: demand_shock, factor: 1.2, from: 2026-13}\n")
    out = subprocess.run([sop, "scenario", str(month), "--cycle", CLI_CYCLE], env=env, capture_output=True, text=True)
    assert out.returncode == 2 and "change 1 (demand_shock): from:" in out.stderr + out.stdout
