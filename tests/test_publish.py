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
