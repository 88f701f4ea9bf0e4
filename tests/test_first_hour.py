"""The first hour, as a newcomer lives it: a fresh clone, `make demo`, then `make ui` in a real browser."""

import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.ui_server import BROWSER_ARGS, chromium, make_ui

ROOT = Path(__file__).parents[1]
MAX_DEMO_LINES = 100
SENSORS = ("landing_files_sensor", "freshness_checks_sensor", "failed_runs_sensor")


def _clean_env(**extra) -> dict:
    """A new user's shell: none of the test session's SOP_*, Dagster or virtualenv variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOP_", "DAGSTER_", "DBT_", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if str(ROOT / ".venv") not in p)
    return {**env, **extra}


def _graphql(base: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{base}/graphql", data=json.dumps({"query": query}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


def _sensor_ticks(base: str, name: str) -> int:
    data = _graphql(
        base,
        '{ sensorOrError(sensorSelector: {repositoryLocationName: "sop", repositoryName: "__repository__", '
        f'sensorName: "{name}"}}) {{ ... on Sensor {{ sensorState {{ ticks(limit: 5) {{ status }} }} }} }} }}',
    )
    return len(data["sensorOrError"]["sensorState"]["ticks"])


def _checks(base: str) -> dict[str, str | None]:
    data = _graphql(
        base,
        "{ assetNodes { assetKey { path } assetChecksOrError { ... on AssetChecks { checks { name "
        "executionForLatestMaterialization { status } } } } } }",
    )
    return {
        f"{'/'.join(node['assetKey']['path'])}:{check['name']}": (check["executionForLatestMaterialization"] or {}).get(
            "status"
        )
        for node in data["assetNodes"]
        for check in node["assetChecksOrError"].get("checks") or []
    }


@pytest.fixture(scope="module")
def fresh_demo(tmp_path_factory):
    clone = tmp_path_factory.mktemp("first_hour") / "open-sop"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    started = time.monotonic()
    demo = subprocess.run(["make", "demo"], cwd=clone, env=_clean_env(), capture_output=True, text=True)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    return clone, demo.stdout + demo.stderr, time.monotonic() - started


@pytest.mark.long
def test_make_demo_from_a_fresh_clone_is_short_and_says_where_lightgbm_wins_and_loses(fresh_demo):
    clone, output, _ = fresh_demo
    lines = output.splitlines()
    assert len(lines) <= MAX_DEMO_LINES, output
    assert " - dagster - " not in output and "START sql" not in output, output  # the logs went to a file
    for level in ("series (sku x location):", "family:", "region:", "total:"):
        assert any(line.strip().startswith(level) and "seasonal naive" in line for line in lines), (level, output)
    assert sum(line.strip().startswith("✓") for line in lines) >= 8, output  # a line per stage
    log = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("Full log:"))
    assert Path(log).is_file() and " - dagster - " in Path(log).read_text()
    for pointer in ("make ui", "Executive pack:", "Published tables:", "docs/"):
        assert pointer in output, pointer
    pack = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("Executive pack:"))
    assert Path(pack).is_file() and Path(pack).is_relative_to(clone)


@pytest.mark.long
def test_make_ui_after_the_demo_shows_its_cycle_and_approval_runs_and_no_failed_check(fresh_demo):
    from playwright.sync_api import sync_playwright

    executable = chromium()
    clone, output, _ = fresh_demo
    printed = list(
        dict.fromkeys(line.split("Dagster run ")[1][:8] for line in output.splitlines() if "Dagster run " in line)
    )
    run_id = printed[0]  # the cycle's; the approval's comes after it
    with make_ui(clone, _clean_env()) as (server, base):
        deadline = time.monotonic() + 180
        while True:  # serving, and the daemon has evaluated every sensor at least once
            try:
                if all(_sensor_ticks(base, name) for name in SENSORS):
                    break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "make ui did not start its sensors"
            time.sleep(2)
        runs = _graphql(base, "{ runsOrError { ... on Runs { results { runId jobName status } } } }")
        # the demo's two (its cycle, then the meeting's approval it records): no sensor started one of its own
        shown = {run["runId"][:8]: (run["jobName"], run["status"]) for run in runs["runsOrError"]["results"]}
        assert len(printed) == 2 and shown == {
            printed[0]: ("sop_cycle", "SUCCESS"),
            printed[1]: ("record_decisions", "SUCCESS"),
        }, (shown, printed)
        checks = _checks(base)
        assert checks and not [name for name, status in checks.items() if status == "FAILED"], checks
        assert all(status == "SUCCEEDED" for name, status in checks.items() if name.endswith(":freshness_check"))
        partitions = _graphql(
            base,
            '{ pipelineOrError(params: {repositoryLocationName: "sop", repositoryName: "__repository__", '
            'pipelineName: "sop_cycle"}) { ... on Pipeline { partitionKeysOrError { ... on PartitionKeys '
            "{ partitionKeys } } } } }",
        )["pipelineOrError"]["partitionKeysOrError"]["partitionKeys"]
        assert "2026-01" in partitions and len(partitions) <= 24, len(partitions)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=BROWSER_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(f"{base}/runs", wait_until="networkidle")
            page.get_by_text(run_id).first.wait_for(timeout=90_000)
            # a published table's columns, with the data dictionary's descriptions
            page.goto(f"{base}/assets/publish/plan_reconciled", wait_until="networkidle")
            page.get_by_text("closing_inventory_qty").first.wait_for(timeout=90_000)
            text = page.inner_text("body")
            assert "Projected stock at the end of the bucket" in text, text[:3000]
            browser.close()
