"""Dropping files into the landing folder starts ingestion for the right cycle, once per change."""

import os
import time

import dagster as dg

from orchestration.definitions import defs
from orchestration.ingest.sensors import SETTLE_SECONDS
from orchestration.partitions import cycle_partitions
from sop.contract import ENTITIES
from tests.conftest import write

SENSOR = "landing_files_sensor"


def settled(path):
    past = time.time() - SETTLE_SECONDS - 5
    os.utime(path, (past, past))
    return path


def evaluate(cursor=None):
    sensor = defs.resolve_sensor_def(SENSOR)
    with dg.DagsterInstance.ephemeral() as instance:
        return sensor(dg.build_sensor_context(cursor=cursor, instance=instance, definitions=defs))


def test_files_already_there_when_the_sensor_first_runs_start_no_run(sop_home):
    """A demo's or a cycle's files are loaded by its run: turning the UI on must not start runs of its own."""
    settled(write(sop_home.landing / "products.csv", "sku_id\nA\n"))
    first = evaluate()
    assert not first.run_requests and "already in" in first.skip_reason.skip_message
    assert isinstance(evaluate(first.cursor), dg.SkipReason)
    settled(write(sop_home.landing / "sales_orders_2025-11.csv", "order_id\nX\n"))  # one that arrives later
    (request,) = evaluate(first.cursor).run_requests
    assert request.partition_key == "2025-11"


def test_new_files_start_one_ingest_run_per_cycle_and_only_once(sop_home):
    sop_home.landing.mkdir(parents=True)
    started = evaluate().cursor  # the sensor turned on over an empty landing folder
    settled(write(sop_home.landing / "products.csv", "sku_id\nA\n"))
    settled(write(sop_home.landing / "sales_orders_2025-11.csv", "order_id\nX\n"))
    write(sop_home.landing / "notes.txt", "not an input file")
    result = evaluate(started)
    by_cycle = {r.partition_key: r for r in result.run_requests}
    assert set(by_cycle) == {"2025-11", cycle_partitions.get_last_partition_key()}
    assert by_cycle["2025-11"].tags["sop/files"] == "sales_orders_2025-11.csv"
    assert defs.resolve_sensor_def(SENSOR).job_name == "landing_ingest"

    again = evaluate(result.cursor)
    assert isinstance(again, dg.SkipReason)

    settled(write(sop_home.landing / "products.csv", "sku_id\nA\nB\n"))  # a corrected file
    changed = evaluate(result.cursor)
    assert [r.tags["sop/files"] for r in changed.run_requests] == ["products.csv"]
    assert changed.run_requests[0].run_key != by_cycle[cycle_partitions.get_last_partition_key()].run_key


def test_a_file_still_being_written_waits(sop_home):
    sop_home.landing.mkdir(parents=True)
    started = evaluate().cursor
    write(sop_home.landing / "products.csv", "sku_id\nA\n")  # modified just now
    assert isinstance(evaluate(started), dg.SkipReason)


def test_the_ingest_job_validates_what_it_loads():
    job = defs.resolve_job_def("landing_ingest")
    checks = {k.name for k in job.asset_layer.asset_graph.asset_check_keys}
    assert {a.path[-1] for a in job.asset_layer.selected_asset_keys} == set(ENTITIES)
    assert checks == {f"gx_{e}_suite" for e in ENTITIES}  # the GX suites, no dbt tests
