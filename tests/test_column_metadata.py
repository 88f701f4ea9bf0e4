"""The column-metadata cache: reused while the dbt project is unchanged, forgotten when it changes."""

import dagster as dg

from orchestration.transform.column_metadata import COLUMN_KEYS, ColumnMetadataCache, project_fingerprint

LINEAGE = dg.MetadataValue.column_lineage(
    dg.TableColumnLineage(
        deps_by_column={"fill_rate": [dg.TableColumnDep(asset_key=dg.AssetKey(["marts", "x"]), column_name="qty")]}
    )
)
SCHEMA = dg.MetadataValue.table_schema(dg.TableSchema(columns=[dg.TableColumn("fill_rate", "DOUBLE")]))


def manifest(checksum: str) -> dict:
    return {"nodes": {"model.sop.a": {"checksum": {"checksum": checksum}}, "test.sop.t": {}}}


def test_cached_metadata_round_trips_for_the_same_project(tmp_path):
    path = tmp_path / "column_metadata.json"
    cache = ColumnMetadataCache(path, project_fingerprint(manifest("v1")))
    cache.put("model.sop.a", {COLUMN_KEYS[0]: SCHEMA, COLUMN_KEYS[1]: LINEAGE, "status": "success"})
    cache.save()
    again = ColumnMetadataCache(path, project_fingerprint(manifest("v1")))
    assert again.get("model.sop.a") == {COLUMN_KEYS[0]: SCHEMA, COLUMN_KEYS[1]: LINEAGE}


def test_a_changed_model_invalidates_the_cache_and_a_failed_fetch_is_never_cached(tmp_path):
    path = tmp_path / "column_metadata.json"
    cache = ColumnMetadataCache(path, project_fingerprint(manifest("v1")))
    cache.put("model.sop.a", {COLUMN_KEYS[0]: SCHEMA, COLUMN_KEYS[1]: LINEAGE})
    cache.put("model.sop.b", {COLUMN_KEYS[0]: SCHEMA})  # lineage could not be parsed: try again next run
    cache.save()
    assert ColumnMetadataCache(path, project_fingerprint(manifest("v1"))).get("model.sop.b") is None
    assert ColumnMetadataCache(path, project_fingerprint(manifest("v2"))).get("model.sop.a") is None


def test_the_cache_covers_a_project_once_every_model_is_in_it_seeds_need_nothing(tmp_path):
    project = {
        "metadata": {"adapter_type": "duckdb"},
        "nodes": {"model.sop.a": {"checksum": {"checksum": "v1"}}, "seed.sop.s": {}, "test.sop.t": {}},
    }
    cache = ColumnMetadataCache.for_manifest(tmp_path / "column_metadata.json", project)
    assert not cache.covers(project)
    cache.put("model.sop.a", {COLUMN_KEYS[0]: SCHEMA, COLUMN_KEYS[1]: LINEAGE})
    cache.save()
    assert ColumnMetadataCache.for_manifest(tmp_path / "column_metadata.json", project).covers(project)
    # the same project on PostgreSQL types its columns differently: nothing cached for it
    on_postgres = {**project, "metadata": {"adapter_type": "postgres"}}
    assert not ColumnMetadataCache.for_manifest(tmp_path / "column_metadata.json", on_postgres).covers(on_postgres)
