"""Where everything lives. One environment variable, ``SOP_HOME``, moves all state (default ``<project>/var``)."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def scenarios_dir() -> Path:
    """The what-if scenario files the plan stage runs: ``SOP_SCENARIOS_DIR``, default the repo's scenarios/."""
    return Path(os.environ.get("SOP_SCENARIOS_DIR") or PROJECT_ROOT / "scenarios").resolve()


def decisions_dir() -> Path:
    """The S&OP meeting's decision files (sop/decisions.py): ``SOP_DECISIONS_DIR``, default ``$SOP_HOME/decisions``
    (point it at a folder in git to version them like the scenarios)."""
    return Path(os.environ.get("SOP_DECISIONS_DIR") or sop_home() / "decisions").resolve()


def frozen_buckets() -> int:
    """The frozen window (sop/planning/frozen.py): the first ``SOP_FROZEN_BUCKETS`` buckets of a cycle keep the
    last approved plan's production, purchases and transfers (default 1; 0: no window)."""
    value = os.environ.get("SOP_FROZEN_BUCKETS") or "1"
    if not value.isdigit():
        raise ValueError(f"SOP_FROZEN_BUCKETS must be a whole number of buckets (0 or more), not {value!r}")
    return int(value)


# A cycle's dbt command. dbt's unit tests check a model's SQL, not a cycle's data: `make test` runs them
# (tests/test_dbt.py), a cycle does not (3 s of a 10k-series cycle). Data tests run every cycle (asset checks).
DBT_BUILD = ("build", "--exclude-resource-type", "unit_test")


def dbt_executable() -> str:
    """dbt installed beside the running interpreter (the venv), so nothing depends on an activated PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


@dataclass(frozen=True)
class Paths:
    home: Path

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def archive(self) -> Path:
        return self.home / "archive"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def publish_dir(self) -> Path:
        return self.home / "publish"

    @property
    def publish_db(self) -> Path:
        return self.publish_dir / "sop.duckdb"

    @property
    def publish_parquet(self) -> Path:
        return self.publish_dir / "parquet"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def quality(self) -> Path:
        return self.home / "quality"

    @property
    def failed_runs_log(self) -> Path:
        """One JSON line per failed run (the failed-run sensor writes it; `sop status` reads it)."""
        return self.home / "logs" / "failed_runs.jsonl"

    @property
    def models(self) -> Path:
        return self.home / "models"

    @property
    def dbt_target(self) -> Path:
        """dbt's artifacts and partial-parse state for this home's warehouse (dbt hashes the warehouse path
        into its parse state, so each home keeps its own)."""
        return self.home / "dbt" / "target"


def column_metadata_cache() -> Path:
    """Column schemas and lineage of the dbt models (orchestration/transform/column_metadata.py). They depend on
    the project and the warehouse's adapter, never on a home's data, so every home shares them: a new home's
    first cycle no longer parses them again (14 s of a 1k-series cycle)."""
    return DBT_PROJECT_DIR / "target" / "column_metadata.json"


def sop_home() -> Path:
    return Path(os.environ.get("SOP_HOME") or PROJECT_ROOT / "var").resolve()


def paths() -> Paths:
    return Paths(sop_home())


def export_environment() -> Paths:
    """Point dbt (profiles.yml reads SOP_WAREHOUSE) and Dagster at the current SOP_HOME.

    Called wherever a process starts work (definitions, CLI, tests), so that a subprocess such as
    ``dbt build`` inherits an absolute warehouse path.
    """
    p = paths()
    os.environ["SOP_HOME"] = str(p.home)
    os.environ["SOP_WAREHOUSE"] = str(p.warehouse)
    os.environ.setdefault("DAGSTER_HOME", str(p.dagster_home))
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    return p
