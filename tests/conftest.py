"""Shared fixtures: a small sample company, and a SOP_HOME per test that needs one."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from sop.cycles import FIRST_CYCLE_ENV
from sop.sample_company import SampleConfig, generate, write_landing
from sop.settings import Paths, export_environment

# Tests plan cycles from 2011 (M5) to 2026 in homes that come and go, in processes that load the definitions
# once: their cycles all start early. The first-hour test of `make ui` leaves it unset, as a user does.
os.environ.setdefault(FIRST_CYCLE_ENV, "2011-01")

# Small enough for seconds, large enough for every feature of the sample (3 plants, 10 locations, 3+
# currencies, launches and phase-outs, intermittent series, the disruption).
SMALL = SampleConfig(n_skus=30, n_locations=10, history_months=36, horizon_months=18, seed=11)


# Two cycles six months apart: the later one scores the earlier one's forecasts at lags 1 to 6.
ARCHIVED_CYCLES = ["2025-07", SMALL.cycle_id]


@pytest.fixture(scope="session")
def small_frames():
    return generate(SMALL)


# A dairy product launching two months after the last archived cycle: nothing ordered yet, made like SKU0028.
LAUNCH = {"sku_id": "SKU9001", "like": "SKU0028", "family_id": "DAI", "launch_date": "2026-03-01"}


def with_launch(frames: dict) -> dict:
    """The sample company plus LAUNCH in the product master and the routings (no orders, no stock)."""
    products, routings = frames["products"], frames["routings"]
    product = products[products["sku_id"] == LAUNCH["like"]].assign(
        sku_id=LAUNCH["sku_id"], sku_name="Dairy launch", launch_date=pd.Timestamp(LAUNCH["launch_date"])
    )
    routing = routings[routings["sku_id"] == LAUNCH["like"]].assign(sku_id=LAUNCH["sku_id"])
    return {
        **frames,
        "products": pd.concat([products, product], ignore_index=True),
        "routings": pd.concat([routings, routing], ignore_index=True),
    }


@pytest.fixture(scope="session")
def archived(tmp_path_factory, small_frames):
    """A warehouse that ran ARCHIVED_CYCLES (dbt steps and the Python stages, no Dagster), each step checked;
    its company has a product launching after the last cycle (LAUNCH)."""
    from tests.dbt_runs import build_cycles

    built = build_cycles(tmp_path_factory.mktemp("archive"), with_launch(small_frames), ARCHIVED_CYCLES)
    assert not built.failures, built.failures[0]
    return built


@pytest.fixture
def sop_home(tmp_path, monkeypatch) -> Paths:
    """An empty SOP_HOME, exported the way the CLI and Dagster see it."""
    monkeypatch.setenv("SOP_HOME", str(tmp_path / "var"))
    monkeypatch.delenv("SOP_WAREHOUSE", raising=False)
    monkeypatch.delenv("SOP_BUCKET", raising=False)  # monthly unless a test asks for weeks
    paths = export_environment()
    monkeypatch.setenv("SOP_WAREHOUSE", os.environ["SOP_WAREHOUSE"])
    return paths


@pytest.fixture
def landed(sop_home, small_frames) -> Paths:
    write_landing(small_frames, sop_home.landing)
    return sop_home


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def run_demo(data: str, home: Path):
    """`sop demo --data <data>` exactly as a user runs it, in its own SOP_HOME and Dagster instance."""
    import subprocess
    import sys

    env = {**os.environ, "SOP_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    env.pop("SOP_WAREHOUSE", None)
    env.pop("SOP_BUCKET", None)  # each data set plans in its own bucket, as `make demo DATA=...` does
    sop = Path(sys.executable).parent / "sop"
    out = subprocess.run([str(sop), "demo", "--data", data], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out.stdout
