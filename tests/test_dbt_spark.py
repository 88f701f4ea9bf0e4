"""The same dbt project builds on Spark (dbt-spark's session method, a local pyspark), from the same inputs,
to the same numbers as on DuckDB. `make test-distributed` (the spark extra and a Java runtime); CI runs it.

As for PostgreSQL (test_dbt_postgres.py), the tables the Python stages write are copied from a DuckDB
warehouse that ran two cycles, and Spark runs the dbt steps of both cycles, data tests included (unit tests
check SQL and run on DuckDB and PostgreSQL). Spark writes its tables as Parquet; DuckDB reads them back.
"""

import json
import os
import shutil
import subprocess
import sys

import duckdb
import pytest

pytest.importorskip("pyspark", reason="the spark extra is not installed: `make test-distributed` installs it")
pytest.importorskip("dbt.adapters.spark", reason="the spark extra is not installed")

from tests.conftest import ARCHIVED_CYCLES  # noqa: E402
from tests.dbt_runs import dbt  # noqa: E402

pytestmark = [
    pytest.mark.distributed,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime (`make java`)"),
]

# mart -> (key columns, measures compared with DuckDB)
COMPARED = {
    "marts.fct_demand_history": (["sku_id", "location_id", "bucket_date"], ["demand_qty", "revenue_amount"]),
    "marts.fct_service_level": (["sku_id", "location_id", "bucket_date"], ["fill_rate", "backorder_qty"]),
    "marts.fct_inventory_health": (["sku_id", "location_id", "month_date"], ["inventory_turns", "excess_qty"]),
    "marts.fct_consensus_demand": (["cycle_id", "sku_id", "location_id", "bucket_date"], ["consensus_demand_qty"]),
    "marts.fct_forecast_accuracy": (
        ["cycle_id", "model_name", "aggregation_level", "sku_id", "location_id", "family_id", "region"],
        ["wape", "bias"],
    ),
    "marts.fct_plan_financials": (
        ["cycle_id", "month_date", "aggregation_level", "family_id", "region"],
        ["revenue_amount", "margin_rate"],
    ),
    "marts.fct_kpi_scorecard": (["month_date", "aggregation_level", "family_id", "region"], ["fill_rate"]),
}


@pytest.fixture(scope="module")
def spark_built(archived, tmp_path_factory):
    home = tmp_path_factory.mktemp("spark")
    env = {"SOP_SPARK_HOME": str(home)}
    loader = subprocess.run(
        [sys.executable, "-m", "tests.spark_tables", str(archived.warehouse), str(home), "raw", "forecast", "planning"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert loader.returncode == 0, loader.stderr[-3000:]
    copied = json.loads(loader.stdout.strip().splitlines()[-1])
    runs = []
    for cycle in ARCHIVED_CYCLES:
        runs.append(
            dbt(
                "build",
                "tag:history tag:post_forecast tag:review",
                home / "target" / cycle,
                {**env, "SOP_CYCLE_ID": cycle},
                "spark",
                ["--exclude-resource-type", "unit_test"],
            )
        )
    return archived.warehouse, home, copied, runs


def test_every_model_and_data_test_passes_on_spark(spark_built):
    _, _, copied, runs = spark_built
    assert copied["raw.sales_orders"] > 1000 and copied["forecast.demand_forecast"] > 0
    for proc, results in runs:
        assert proc.returncode == 0, proc.stdout[-3000:]
        statuses = {r["unique_id"]: r["status"] for r in results}
        assert sum(uid.startswith("model.") for uid in statuses) >= 40
        assert sum(uid.startswith("test.") for uid in statuses) >= 100
        assert set(statuses.values()) <= {"success", "pass"}


@pytest.mark.parametrize("mart", sorted(COMPARED))
def test_spark_computes_the_same_marts_as_duckdb(spark_built, mart):
    warehouse, home, _, _ = spark_built
    keys, measures = COMPARED[mart]
    schema, table = mart.split(".")
    files = f"{home}/warehouse/{schema}.db/{table}/**/*.parquet"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        ours = con.execute(f"select {', '.join(keys + measures)} from {mart}").df()
        theirs = con.execute(
            f"select {', '.join(keys + measures)} from read_parquet('{files}', hive_partitioning = true)"
        ).df()
    assert len(ours) == len(theirs) > 0
    both = ours.merge(theirs, on=keys, suffixes=("", "_spark"), how="outer", indicator=True)
    assert (both["_merge"] == "both").all(), both[both["_merge"] != "both"].head()
    for m in measures:
        # both engines round where they aggregate, but sum doubles in their own order: a value on a rounding
        # boundary may land one step apart (a cent for money, 1e-6 for ratios, 1e-4 for quantities)
        step = 0.01 if m.endswith("_amount") else 1e-4 if m.endswith("_qty") else 1e-6
        diff = (both[m].astype(float) - both[f"{m}_spark"].astype(float)).abs().fillna(0)
        assert (diff <= step * 1.5).all(), (m, both[diff > step * 1.5].head())
        assert (both[m].isna() == both[f"{m}_spark"].isna()).all(), m
