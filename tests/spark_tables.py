"""Copy schemas of a DuckDB warehouse into the local Spark that dbt's spark target uses (the spark extra).

    python -m tests.spark_tables WAREHOUSE SPARK_HOME SCHEMA...

Run as its own process: Spark's embedded metastore (Derby) admits one process at a time, and dbt's session
then opens the same one (dbt_project/profiles.yml, output ``spark``: the settings below are the same).
"""

from __future__ import annotations

import sys

import duckdb


def spark_session(home: str):
    from pyspark.sql import SparkSession

    settings = {
        "spark.sql.warehouse.dir": f"{home}/warehouse",
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={home}/metastore;create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={home}",
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "2",
        "spark.sql.session.timeZone": "UTC",
    }
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def copy(warehouse: str, home: str, schemas: list[str]) -> dict[str, int]:
    spark = spark_session(home)
    copied = {}
    with duckdb.connect(warehouse, read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_schema in "
            f"({', '.join('?' * len(schemas))}) order by 1, 2",
            schemas,
        ).fetchall()
        for schema, table in tables:
            # through Arrow: typed columns, and an empty table keeps its schema
            rows = con.execute(f'select * from "{schema}"."{table}"').fetch_arrow_table()
            spark.sql(f"create database if not exists {schema}")
            spark.createDataFrame(rows).write.mode("overwrite").saveAsTable(f"{schema}.{table}")
            copied[f"{schema}.{table}"] = rows.num_rows
    spark.stop()
    return copied


if __name__ == "__main__":
    import json

    print(json.dumps(copy(sys.argv[1], sys.argv[2], sys.argv[3:])))
