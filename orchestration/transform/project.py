"""The dbt project, its manifest (built once by a prepare step, never on every import), and key mapping."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from functools import cache, cached_property
from importlib import metadata
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject
from packaging import version

from orchestration.transform.column_metadata import ColumnMetadataCache
from sop.settings import DBT_PROJECT_DIR, column_metadata_cache, dbt_executable


@cache
def dbt_project() -> DbtProject:
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    if not project.manifest_path.exists():
        prepare_manifest(project)
    return project


def prepare_manifest(project: DbtProject | None = None) -> None:
    """``dbt parse`` writes target/manifest.json; `make prepare` runs it, so imports only read it."""
    project = project or DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    subprocess.run(
        [
            dbt_executable(),
            "parse",
            "--quiet",
            "--project-dir",
            str(project.project_dir),
            "--profiles-dir",
            str(project.profiles_dir),
        ],
        check=True,
    )


class VenvDbtCliResource(DbtCliResource):
    """dbt run from this interpreter's environment (sop.settings.dbt_executable).

    dagster-dbt starts `dbt --version` on every run to learn the version (4 s here: dbt's imports); the dbt
    beside this interpreter is the dbt-core installed with it, so its version is read from the package.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        """dagster-dbt opens a dbt adapter in this process before each dbt step (about 1 s: dbt's macros are
        parsed again) only so that column schemas can be read; with every model's schema and lineage cached
        (column_metadata.py), nothing will read one, so none is opened."""
        manifest = json.loads(dbt_project().manifest_path.read_text())
        if ColumnMetadataCache.for_manifest(column_metadata_cache(), manifest).covers(manifest):
            return None
        return super()._initialize_dbt_core_adapter(args)


# Folder (second element of a model's fqn) -> Dagster group; the rest of the marts are "transform".
GROUP_OF_MART_AREA = {"forecast": "forecast", "plan": "plan"}
# dbt source -> asset key prefix of the Python assets that write it, so lineage stays closed.
SOURCE_PREFIX = {"landing": "raw", "forecast": "forecast"}


class SopTranslator(DagsterDbtTranslator):
    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            prefix = SOURCE_PREFIX.get(props["source_name"], props["source_name"])
            return spec.replace_attributes(key=dg.AssetKey([prefix, props["name"]]))
        fqn = props["fqn"]
        layer = fqn[1]
        group = GROUP_OF_MART_AREA.get(fqn[2], "transform") if layer == "marts" else "transform"
        return spec.replace_attributes(
            key=dg.AssetKey([props["config"].get("schema") or layer, props["name"]]),
            group_name=group,
            owners=["team:analytics-engineering"],
        ).merge_attributes(kinds={"dbt", "duckdb"})


translator = SopTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
