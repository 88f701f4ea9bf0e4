"""Running it every month: the failed-run record, waiting out another process's warehouse lock, the CLI."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.definitions import defs
from orchestration.monitoring.sensors import failed_runs_sensor
from orchestration.resources import connect_waiting
from orchestration.run import run_cycle
from sop.contract import ENTITIES
from sop.stages.publish import PUBLISHED


def test_a_failed_run_is_logged_and_recorded_with_its_cycle_steps_and_error(sop_home):
    with dg.DagsterInstance.ephemeral() as instance:
        # no landing files: the products asset fails, naming the folder
        run = run_cycle(
            "2026-01", instance, job_name="landing_ingest", asset_selection=[dg.AssetKey(["raw", "products"])]
        )
        assert not run.success
        (failure,) = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        context = dg.build_run_status_sensor_context(
            sensor_name="failed_runs_sensor",
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(run.run_id),
            dagster_event=failure.dagster_event,
        ).for_run_failure()
        failed_runs_sensor(context)
    (line,) = sop_home.failed_runs_log.read_text().splitlines()
    record = json.loads(line)
    assert record["run_id"] == run.run_id and record["cycle_id"] == "2026-01" and record["job"] == "landing_ingest"
    assert record["failed_steps"] == ["raw__products"]
    assert "failed_runs_sensor" in {s.name for s in defs.sensors}


def test_a_step_waits_for_another_process_to_release_the_warehouse_lock(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('held', flush=True); time.sleep(2)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(duckdb.IOException, match="lock"):
        connect_waiting(path, wait_seconds=0.2)
    started = time.monotonic()
    con = connect_waiting(path, wait_seconds=30)
    waited = time.monotonic() - started
    con.execute("create table ok as select 1 as x")
    con.close()
    holder.wait()
    assert 0.5 < waited < 30


def test_every_command_has_help():
    runner = CliRunner()
    commands = [c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands]
    assert {"generate", "run-cycle", "backfill", "ingest", "scenario", "status", "demo"} <= set(commands)
    for command in commands:
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output, (command, result.output)


def test_a_backfill_range_is_checked_before_anything_runs(sop_home):
    result = CliRunner().invoke(app, ["backfill", "2026-03", "2026-01"])
    assert result.exit_code != 0 and "after" in result.output


def test_every_asset_has_a_description_an_owner_kinds_and_a_stage_group():
    graph = defs.resolve_asset_graph()
    # the cycle's stages (decisions: the meeting's, recorded), and what_if: scenario trials `sop scenario` plans
    # outside the cycle
    stages = {"decisions", "ingest", "quality", "transform", "forecast", "plan", "publish", "what_if"}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description and node.owners and node.kinds, key
        assert node.group_name in stages, (key, node.group_name)
    # every data check shows as an asset check: each dbt test of a model and each input's GX suite
    checks = {k.name for k in graph.asset_check_keys}
    assert {f"gx_{entity}_suite" for entity in ENTITIES} <= checks
    assert any(name.startswith("unique_combination_of_columns_fct_consensus_demand") for name in checks)
    # freshness: each required input and each published table is due by a day of the month
    fresh = {k.asset_key for k in graph.asset_check_keys if k.name == "freshness_check"}
    due = {dg.AssetKey(["raw", e.name]) for e in ENTITIES.values() if not e.optional}
    assert due | {dg.AssetKey(["publish", table]) for table in PUBLISHED} == fresh
    # ... checked by their sensor, not by each cycle (a backfilled cycle would fail them)
    cycle_checks = defs.resolve_job_def("sop_cycle").asset_layer.asset_graph.asset_check_keys
    assert not any(k.name == "freshness_check" for k in cycle_checks)


def test_a_killed_runs_warehouse_slot_is_freed_and_the_run_failed_by_the_next_run(tmp_path):
    from orchestration.instance import ensure_instance_config
    from orchestration.resources import WAREHOUSE_POOL
    from orchestration.run import recover_dead_runs

    ensure_instance_config(tmp_path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        storage = instance.event_log_storage
        storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)
        runs = {}
        for name, pid in {"killed": dead.stdout.strip(), "alive": str(os.getppid())}.items():
            run = instance.add_run(
                dg.DagsterRun(
                    job_name="sop_cycle",
                    status=dg.DagsterRunStatus.STARTED,
                    tags={"sop/host": socket.gethostname(), "sop/pid": pid},
                )
            )
            runs[name] = run.run_id
        claim = storage.claim_concurrency_slot(WAREHOUSE_POOL, runs["killed"], "dbt_history_models")
        assert claim.is_claimed
        assert recover_dead_runs(instance) == [runs["killed"]]
        assert instance.get_run_by_id(runs["killed"]).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(runs["alive"]).status == dg.DagsterRunStatus.STARTED  # still running elsewhere
        assert storage.get_concurrency_info(WAREHOUSE_POOL).active_slot_count == 0


def test_processes_starting_together_in_a_new_home_all_open_its_instance(tmp_path):
    sop = str(Path(sys.executable).parent / "sop")
    env = {**os.environ, "SOP_HOME": str(tmp_path / "var"), "DAGSTER_HOME": str(tmp_path / "var" / "dagster")}
    env.pop("SOP_WAREHOUSE", None)
    procs = [
        subprocess.Popen([sop, "status"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err[-1500:] for _, err in outs]


@pytest.mark.parametrize("cycle", ["2026-13", "26-01", "2026-1", "January"])
def test_a_bad_cycle_id_is_refused_at_once_naming_the_format(cycle):
    started = time.perf_counter()
    out = CliRunner().invoke(app, ["run-cycle", cycle])
    assert out.exit_code == 2 and "is not a month written YYYY-MM" in out.output, out.output
    assert out.exception is None or isinstance(out.exception, SystemExit)
    assert time.perf_counter() - started < 1.0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_run_of_the_same_home_waits_for_the_one_holding_it_without_spinning(tmp_path):
    """Two processes take a home's cycle lock; the second waits (sleeping) until the first lets go."""
    holder_code = (
        "import sys, time; from pathlib import Path; from sop.locks import one_cycle_at_a_time\n"
        "told = lambda h: print('waiting for', h['who'], flush=True)\n"
        "with one_cycle_at_a_time(Path(sys.argv[1]), sys.argv[2], told):\n"
        "    print('holding', flush=True); time.sleep(float(sys.argv[3]))\n"
    )
    run = [sys.executable, "-c", holder_code, str(tmp_path)]
    first = subprocess.Popen([*run, "first", "6"], stdout=subprocess.PIPE, text=True)
    assert first.stdout.readline().strip() == "holding"
    second = subprocess.Popen([*run, "second", "0"], stdout=subprocess.PIPE, text=True)
    assert second.stdout.readline().strip() == "waiting for first"
    cpu = _cpu_seconds(second.pid)
    time.sleep(2)
    assert _cpu_seconds(second.pid) - cpu < 0.2  # asleep, not spinning a core
    assert first.poll() is None and second.poll() is None
    assert second.stdout.readline().strip() == "holding"  # once the first let go
    assert first.wait(timeout=30) == 0 and second.wait(timeout=30) == 0


def test_a_failed_run_of_any_cli_command_is_recorded_once_with_its_log_kept_apart(sop_home, tmp_path):
    """`sop ingest` of a bad file: its landing_ingest run fails; the CLI prints stage lines, not dbt's or
    Dagster's logs, names the log file that has them, and records the run in failed_runs.jsonl once."""
    from orchestration.monitoring.sensors import record_failed_run

    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "products.csv").write_text("sku_id,family_id\nSKU1\n")  # too few columns, and no other input
    out = subprocess.run(
        [str(Path(sys.executable).parent / "sop"), "ingest", str(folder), "--cycle", "2026-01"],
        env={**os.environ, "SOP_HOME": str(sop_home.home)},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert "✗ ingest and validate" in out.stdout and " - dagster - " not in out.stdout + out.stderr, out.stdout
    (log,) = (sop_home.home / "logs").glob("landing_ingest_2026-01_*.log")
    assert str(log) in out.stdout and " - dagster - " in log.read_text()
    (line,) = sop_home.failed_runs_log.read_text().splitlines()
    record = json.loads(line)
    assert record["job"] == "landing_ingest" and record["cycle_id"] == "2026-01" and record["failed_steps"]
    assert log.name.endswith(f"{record['run_id'][:8]}.log")
    # the sensor, seeing the same run later, does not record it twice
    assert not record_failed_run(sop_home.failed_runs_log, record)
    assert len(sop_home.failed_runs_log.read_text().splitlines()) == 1


def test_freshness_is_judged_against_the_cycle_being_planned_not_the_clock():
    from datetime import UTC, datetime

    from orchestration.monitoring.freshness import DUE, PLAN_DUE, evaluate

    with dg.DagsterInstance.ephemeral() as instance:
        assert evaluate(instance) == []  # no cycle run yet: nothing is due
        # a demo planned a past cycle and published everything for it
        instance.add_run(dg.DagsterRun(job_name="sop_cycle", tags={"dagster/partition": "2026-01"}))
        for key in DUE:
            instance.report_runless_asset_event(dg.AssetMaterialization(key, partition="2026-01"))
        verdicts = evaluate(instance, now=datetime(2026, 12, 20, tzinfo=UTC))
        assert len(verdicts) == len(DUE) and all(v.passed and v.partition == "2026-01" for v in verdicts)
        # the next cycle was started, its inputs landed, but it never published
        instance.add_run(dg.DagsterRun(job_name="sop_cycle", tags={"dagster/partition": "2026-02"}))
        for key in DUE:
            if key.path[0] == "raw":
                instance.report_runless_asset_event(dg.AssetMaterialization(key, partition="2026-02"))
        failed = {v.asset_key for v in evaluate(instance) if not v.passed}
        assert failed == {key for key in DUE if key.path[0] == "publish"}
        (plan,) = [v for v in evaluate(instance) if v.asset_key == dg.AssetKey(["publish", "plan_reconciled"])]
        assert plan.description == "cycle 2026-02: not materialized (due 2026-02-03 06:00 UTC; newest: 2026-01)"
    assert PLAN_DUE.latest_due_cycle(datetime(2026, 3, 3, 5, tzinfo=UTC)) == "2026-02"
    assert PLAN_DUE.latest_due_cycle(datetime(2026, 3, 3, 6, tzinfo=UTC)) == "2026-03"
