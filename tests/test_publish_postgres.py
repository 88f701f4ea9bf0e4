"""The optional PostgreSQL publish target, against a real server the test starts."""

import duckdb
import pandas as pd
import psycopg2
import pytest

from sop.stages import publish
from sop.warehouse import replace_cycle_rows
from tests.postgres_server import pg_bin, running_server
from tests.test_publish import fake_warehouse

pytestmark = pytest.mark.skipif(pg_bin() is None, reason="no PostgreSQL server binaries")


@pytest.fixture(scope="module")
def server():
    with running_server() as s:
        yield s


def pg(server, sql, *params):
    with psycopg2.connect(server.dsn("postgres")) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    conn.close()
    return rows


def test_each_version_lands_in_postgresql_whole_with_latest_views_and_the_dictionary(server, sop_home, monkeypatch):
    monkeypatch.setenv("SOP_PUBLISH_POSTGRES", server.dsn("postgres"))
    monkeypatch.setenv("SOP_PUBLISH_POSTGRES_SCHEMA", "bi")
    fake_warehouse(sop_home, rows=4)
    with duckdb.connect(str(sop_home.warehouse)) as con:  # the types the real tables carry, and a null
        frame = pd.DataFrame(
            {
                "sku_id": ["S0", "S1", "S2", "S3"],
                "value": [1.5, None, 2.25, 0.0],
                "bucket_date": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]).date,
                "is_overridden": [True, False, True, False],
            }
        )
        replace_cycle_rows(con, "planning.plan_reconciled", "2026-01", frame)
    publish.run(sop_home, "2026-01", "run-a")
    publish.run(sop_home, "2026-01", "run-b")
    for table in publish.PUBLISHED:
        versions = pg(server, f'select plan_version, count(*) from bi."{table}" group by 1 order by 1')
        assert versions == [(1, 4), (2, 4)], table
        assert pg(server, f'select distinct plan_version from bi."{table}_latest"') == [(2,)]
    with duckdb.connect(str(sop_home.publish_db), read_only=True) as con:
        duck = con.execute(
            "select sku_id, value, bucket_date, is_overridden, published_at from plan_reconciled order by all"
        ).fetchall()
        dictionary = con.execute("select count(*) from data_dictionary").fetchone()[0]
    columns = "sku_id, value, bucket_date, is_overridden, published_at"
    assert pg(server, f"select {columns} from bi.plan_reconciled order by 1, 5") == duck
    assert pg(server, "select count(*) from bi.publish_log")[0][0] == 2 * len(publish.PUBLISHED)
    assert pg(server, "select count(*) from bi.data_dictionary")[0][0] == dictionary > 0


def test_a_failing_postgresql_target_publishes_nowhere(server, sop_home, monkeypatch):
    fake_warehouse(sop_home)
    publish.run(sop_home, "2026-01", "good")
    before = sop_home.publish_db.read_bytes()
    monkeypatch.setenv("SOP_PUBLISH_POSTGRES", f"host=127.0.0.1 port={server.port} user=nobody dbname=missing")
    with pytest.raises(psycopg2.OperationalError):
        publish.run(sop_home, "2026-01", "bad")
    assert sop_home.publish_db.read_bytes() == before  # the DuckDB store keeps the last good version
    assert [p.name for p in sop_home.publish_dir.iterdir() if p.name.startswith(".")] == []
