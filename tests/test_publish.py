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


def _store_rows(paths, table):
    with duckdb.connect(str(paths.publish_db), read_only=True) as con:
        return con.execute(f"select * from {table} order by cycle_id, plan_version, sku_id").df()


def _same_rows(frame, store):
    frame = frame.assign(cycle_id=frame["cycle_id"].astype(str), plan_version=frame["plan_version"].astype(int))
    frame = frame[list(store.columns)].sort_values(["cycle_id", "plan_version", "sku_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(frame, store, check_dtype=False)


def test_every_parquet_reader_opens_each_table_folder_with_the_stores_rows(sop_home):
    import polars as pl

    for cycle in ("2026-01", "2026-02"):
        fake_warehouse(sop_home, cycle)
        publish.run(sop_home, cycle, f"run-{cycle}")
    publish.run(sop_home, "2026-02", "again")
    for table in publish.PUBLISHED:
        folder = sop_home.publish_parquet / table
        store = _store_rows(sop_home, table)
        assert len(store) == 9
        _same_rows(pd.read_parquet(folder), store)  # pyarrow: the folder names give cycle_id and plan_version
        _same_rows(pl.read_parquet(folder / "**" / "*.parquet", hive_partitioning=True).to_pandas(), store)
        with duckdb.connect() as con:
            frame = con.execute(
                "select * from read_parquet(?, hive_partitioning = true, hive_types = "
                "{'cycle_id': varchar, 'plan_version': integer})",
                [str(folder / "**" / "*.parquet")],
            ).df()
        _same_rows(frame, store)


KILLER = r"""
import os, signal, sys
from pathlib import Path
from sop.settings import Paths
from sop.stages import publish

where = sys.argv[2]
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
if where == "before the swap":
    publish.os.replace = die
else:
    publish._move_parquet_into_place = die
publish.run(Paths(Path(sys.argv[1])), "2026-02", "killed")
"""


def _leftovers(paths):
    hidden = [p.name for p in paths.publish_dir.iterdir() if p.name.startswith(".")]
    temporary = [str(p) for p in paths.publish_parquet.rglob("*") if p.name.endswith(".tmp")]
    return hidden + temporary


def _versions_in_parquet(paths):
    return sorted({p.parent.name for p in paths.publish_parquet.rglob("data.parquet") if "2026-02" in str(p)})


@pytest.mark.parametrize("where", ["before the swap", "after the swap"])
def test_a_publish_killed_inside_leaves_nothing_a_reader_or_the_next_publish_would_notice(sop_home, where):
    import subprocess
    import sys

    fake_warehouse(sop_home, "2026-01")
    fake_warehouse(sop_home, "2026-02")
    publish.run(sop_home, "2026-01", "good")
    before = sop_home.publish_db.read_bytes()
    done = subprocess.run([sys.executable, "-c", KILLER, str(sop_home.home), where], capture_output=True)
    assert done.returncode == -9, done.stderr[-2000:]
    assert _versions_in_parquet(sop_home) == []  # readers of the Parquet see no version the store lacks
    if where == "before the swap":
        assert sop_home.publish_db.read_bytes() == before
        assert publish.recover(sop_home)[0].startswith("removed")
        assert read(sop_home, "select count(*) from publish_log where cycle_id = '2026-02'") == [(0,)]
    else:  # the store has the version: recovery finishes moving its Parquet into place
        assert read(sop_home, "select distinct plan_version from publish_log where cycle_id = '2026-02'") == [(1,)]
        assert publish.recover(sop_home) == ["completed 2026-02 v1"]
        assert _versions_in_parquet(sop_home) == ["plan_version=1"]
    assert _leftovers(sop_home) == []
    publish.run(sop_home, "2026-02", "next")
    assert _leftovers(sop_home) == []


FULL_DISK = r"""
import resource, signal, sys
from pathlib import Path
from sop.settings import Paths
from sop.stages import publish

# no file may grow past the limit: writes then fail with EFBIG, as they would with ENOSPC on a full disk
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
for attempt in range(3):  # as the step's retries would
    try:
        publish.run(Paths(Path(sys.argv[1])), "2026-02", f"full-{attempt}")
    except Exception as exc:
        print(type(exc).__name__, " ".join(str(exc).split())[-300:])
    else:
        sys.exit("published on a full disk")
"""


def test_a_publish_on_a_full_disk_fails_and_leaves_the_store_and_the_disk_as_they_were(sop_home):
    import subprocess
    import sys

    fake_warehouse(sop_home, "2026-01", rows=20_000)
    fake_warehouse(sop_home, "2026-02", rows=20_000)
    publish.run(sop_home, "2026-01", "good")
    before = sop_home.publish_db.read_bytes()
    limit = len(before) + 64 * 1024
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(sop_home.home), str(limit)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    failures = done.stdout.strip().splitlines()
    assert len(failures) == 3 and all("File too large" in f or "space" in f for f in failures), failures
    assert sop_home.publish_db.read_bytes() == before
    assert _leftovers(sop_home) == [] and _versions_in_parquet(sop_home) == []


def test_months_accepted_as_incomplete_are_recorded_in_publish_log(sop_home):
    fake_warehouse(sop_home, "2026-01")
    publish.run(sop_home, "2026-01", "complete")
    publish.run(sop_home, "2026-01", "accepted", accepted_incomplete=["2025-11", "2025-12"])
    assert read(sop_home, "select distinct plan_version, accepted_incomplete from publish_log order by 1") == [
        (1, None),
        (2, "2025-11,2025-12"),
    ]
