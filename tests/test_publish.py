"""Publishing makes a new version in a separate store, swapped atomically; a failed publish changes nothing."""

import duckdb
import pandas as pd
import pytest

from sop.stages import publish
from sop.warehouse import replace_cycle_rows


def fake_warehouse(paths, cycle="2026-01", rows=3):
    """The relations publish copies, with a few rows for the cycle."""
    paths.home.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(paths.warehouse)) as con:
        frame = pd.DataFrame({"sku_id": [f"S{i}" for i in range(rows)], "value": range(rows)})
        for source in publish.PUBLISHED.values():
            replace_cycle_rows(con, source, cycle, frame)


def read(paths, sql):
    with duckdb.connect(str(paths.publish_db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_each_publish_is_a_new_version_and_old_versions_stay(sop_home):
    fake_warehouse(sop_home)
    assert publish.run(sop_home, "2026-01", "run-a")["plan_version"] == 1
    assert publish.run(sop_home, "2026-01", "run-b")["plan_version"] == 2
    assert read(sop_home, "select plan_version, run_id, count(*) from plan_reconciled group by all order by 1") == [
        (1, "run-a", 3),
        (2, "run-b", 3),
    ]
    assert read(sop_home, "select distinct plan_version from plan_reconciled_latest") == [(2,)]
    for table in publish.PUBLISHED:
        assert (sop_home.publish_parquet / table / "cycle_id=2026-01" / "plan_version=2" / "data.parquet").exists()
    assert [p.name for p in sop_home.publish_dir.iterdir() if p.name.startswith(".")] == []


def test_rerunning_a_stage_replaces_its_cycle_rows_without_duplicates(sop_home):
    fake_warehouse(sop_home, rows=3)
    fake_warehouse(sop_home, rows=2)
    with duckdb.connect(str(sop_home.warehouse), read_only=True) as con:
        assert con.execute("select count(*) from planning.plan_reconciled").fetchone()[0] == 2


def test_a_failed_publish_leaves_the_last_good_store_in_place(sop_home):
    fake_warehouse(sop_home)
    publish.run(sop_home, "2026-01", "good")
    before = sop_home.publish_db.read_bytes()
    with pytest.raises(ValueError, match="no rows for the cycle"):
        publish.run(sop_home, "2026-02", "bad")  # nothing planned for this cycle
    assert sop_home.publish_db.read_bytes() == before
    assert [p.name for p in sop_home.publish_dir.iterdir() if p.name.startswith(".")] == []


READER = r"""
import json, sys, time
from pathlib import Path
import duckdb

store, stop, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
tables = sys.argv[4].split(",")
snapshots, errors, states = 0, [], set()
while not stop.exists():
    if store.exists():
        try:
            with duckdb.connect(str(store), read_only=True) as con:
                logged = con.execute(
                    "select table_name, cycle_id, plan_version, row_count from publish_log"
                ).fetchall()
                expected = {(t, c, v): n for t, c, v, n in logged}
                for table in tables:
                    seen = con.execute(
                        f"select cycle_id, plan_version, count(*) from {table} group by all"
                    ).fetchall()
                    found = {(table, c, v): n for c, v, n in seen}
                    wanted = {k: n for k, n in expected.items() if k[0] == table}
                    if found != wanted:
                        errors.append(f"{table}: table {found} vs log {wanted}")
                states.add(len(logged))
                snapshots += 1
        except Exception as exc:  # any error a BI tool would see
            errors.append(repr(exc))
    time.sleep(0.05)
out.write_text(json.dumps({"snapshots": snapshots, "errors": errors[:10], "states": sorted(states)}))
"""


def test_a_reader_polling_every_50_ms_through_three_cycles_sees_only_complete_versions(sop_home, tmp_path):
    import json
    import subprocess
    import sys
    import time

    cycles = ["2026-01", "2026-02", "2026-03"]
    for cycle in cycles:
        fake_warehouse(sop_home, cycle, rows=50_000)  # big enough that a publish takes a while
    stop, out = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(sop_home.publish_db), str(stop), str(out), ",".join(publish.PUBLISHED)]
    )
    try:
        for cycle in cycles:
            publish.run(sop_home, cycle, f"run-{cycle}")
            time.sleep(0.3)  # the reader sees each published state
    finally:
        stop.touch()
        reader.wait(timeout=60)
    result = json.loads(out.read_text())
    assert result["errors"] == []
    # it read during the whole sequence: every state from one to three cycles published
    published_rows = len(publish.PUBLISHED)
    assert result["states"] == [published_rows, 2 * published_rows, 3 * published_rows]
    assert result["snapshots"] >= 10


def test_a_plan_without_exceptions_publishes_an_empty_exceptions_table(sop_home):
    fake_warehouse(sop_home)
    with duckdb.connect(str(sop_home.warehouse)) as con:
        con.execute("delete from marts.fct_plan_exceptions")
    summary = publish.run(sop_home, "2026-01", "calm")
    assert summary["rows"]["plan_exceptions"] == 0 and summary["rows"]["plan_reconciled"] == 3
    assert read(sop_home, "select count(*) from plan_exceptions") == [(0,)]
