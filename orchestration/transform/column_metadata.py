"""Column schemas and column-level lineage of dbt models, attached to their materializations.

Lineage is parsed from each model's compiled SQL by sqlglot, one column at a time, and each schema is read
from the warehouse: 14 s of a 1k-series cycle, every cycle, for an answer that only changes when the dbt
project does. So it is kept beside the project's manifest, shared by every home, keyed by a fingerprint of
the project (every node's checksum), the adapter (DuckDB and PostgreSQL type columns differently) and
dagster-dbt's version; only models missing from it are parsed again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from importlib.metadata import version
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliInvocation
from dagster_dbt.core.dbt_event_iterator import DbtEventIterator

COLUMN_KEYS = ("dagster/column_schema", "dagster/column_lineage")


def project_fingerprint(manifest: Mapping[str, Any], adapter_type: str = "duckdb") -> str:
    checksums = sorted((uid, node.get("checksum", {}).get("checksum", "")) for uid, node in manifest["nodes"].items())
    return hashlib.sha256(json.dumps([version("dagster-dbt"), adapter_type, checksums]).encode()).hexdigest()


class ColumnMetadataCache:
    """Serialized column metadata per dbt unique_id, valid for one project fingerprint."""

    def __init__(self, path: Path, fingerprint: str):
        self.path, self.fingerprint = path, fingerprint
        stored = json.loads(path.read_text()) if path.exists() else {}
        valid = stored.get("fingerprint") == fingerprint
        self.models: dict[str, dict[str, str]] = stored.get("models", {}) if valid else {}

    @classmethod
    def for_manifest(cls, path: Path, manifest: Mapping[str, Any]) -> ColumnMetadataCache:
        adapter_type = manifest.get("metadata", {}).get("adapter_type", "")
        return cls(path, project_fingerprint(manifest, adapter_type))

    def covers(self, manifest: Mapping[str, Any]) -> bool:
        """Every model of the project is cached: a dbt step will not need to read a schema."""
        return all(uid in self.models for uid in manifest["nodes"] if uid.startswith("model."))

    def get(self, unique_id: str) -> dict | None:
        entry = self.models.get(unique_id)
        return {key: dg.deserialize_value(value) for key, value in entry.items()} if entry else None

    def put(self, unique_id: str, metadata: Mapping[str, Any]) -> None:
        if all(key in metadata for key in COLUMN_KEYS):  # a failed fetch is retried next time, never cached
            self.models[unique_id] = {key: dg.serialize_value(metadata[key]) for key in COLUMN_KEYS}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")  # homes share the file: writers must not collide
        tmp.write_text(json.dumps({"fingerprint": self.fingerprint, "models": self.models}))
        tmp.replace(self.path)


def _is_model(event) -> bool:
    """A model's materialization (a seed has no SQL to trace: it passes through as dbt reports it)."""
    return isinstance(event, dg.Output | dg.AssetMaterialization) and _unique_id(event).startswith("model.")


def _unique_id(event) -> str:
    return event.metadata["unique_id"].value


def with_column_metadata(invocation: DbtCliInvocation, cache_path: Path) -> Iterator:
    """The invocation's events, in order, each model's materialization carrying its column schema and lineage.

    Events stream through as dbt emits them while every model so far is in the cache. From the first model
    that is not, the rest are held until dbt ends (with DuckDB the fetch must wait for dbt's lock anyway);
    only those models, not the ~150 dbt tests' check events, go to dagster-dbt's fetch_column_metadata().
    """
    cache = ColumnMetadataCache.for_manifest(cache_path, invocation.manifest)
    held: list = []
    for event in invocation.stream():
        cached = cache.get(_unique_id(event)) if _is_model(event) else None
        if held or (_is_model(event) and cached is None):
            held.append(event)
        else:
            yield event.with_metadata({**event.metadata, **cached}) if cached else event
    missing = [e for e in held if _is_model(e) and cache.get(_unique_id(e)) is None]
    fetched = iter(DbtEventIterator(iter(missing), invocation).fetch_column_metadata()) if missing else iter(())
    for event in held:
        if _is_model(event):
            cached = cache.get(_unique_id(event))
            if cached is None:
                event = next(fetched)  # the fetch keeps the order of the events it is given
                cache.put(_unique_id(event), event.metadata)
            else:
                event = event.with_metadata({**event.metadata, **cached})
        yield event
    cache.save()


def release_warehouse(adapter) -> None:
    """Close the connection dagster-dbt opened in this process to read column metadata.

    dbt-duckdb keeps one DuckDB instance per process (read-only here) and only forgets it on cleanup; left
    open, the next step's read-write connection to the same file would be refused.
    """
    if adapter is None:
        return
    adapter.cleanup_connections()
    manager = type(adapter.connections)
    environment = getattr(manager, "_ENV", None)
    if environment is not None:
        environment.close()
        manager.close_all_connections()
