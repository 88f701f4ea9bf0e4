"""Every KPI formula is pinned: each mistake in tests/kpi_mutations.py, applied alone to a copy of the dbt
project, makes the unit tests of its model fail, while the unchanged project passes them."""

import json
import shutil
import subprocess
import sys

import pytest

from sop.settings import DBT_PROJECT_DIR
from tests.kpi_mutations import MUTATIONS


@pytest.fixture(scope="module")
def report(archived, tmp_path_factory):
    work = tmp_path_factory.mktemp("mutations")
    project = work / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    # unit tests read their inputs' column types from the warehouse: a copy of one that ran two cycles
    warehouse = work / "warehouse.duckdb"
    shutil.copy(archived.warehouse, warehouse)
    proc = subprocess.run(
        [sys.executable, "-m", "tests.kpi_mutations", str(project), str(warehouse)],
        capture_output=True,
        text=True,
        cwd=DBT_PROJECT_DIR.parent,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_unchanged_project_passes_every_unit_test_it_mutates(report):
    assert all(report["baseline"].values()), report["baseline"]
    assert len(report["baseline"]) >= 14


@pytest.mark.parametrize("mutation", range(len(MUTATIONS)), ids=[f"{m}: {new[:60]}" for m, _, new in MUTATIONS])
def test_a_formula_mistake_fails_the_models_unit_tests(report, mutation):
    result = report["mutations"][mutation]
    assert result["applied"], f"the formula text of {result['model']} changed: update tests/kpi_mutations.py"
    assert not result["unit_tests_passed"], f"{result['model']}: unit tests still pass with {result['mistake']!r}"
