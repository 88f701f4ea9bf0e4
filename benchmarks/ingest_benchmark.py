"""Ingest and validation of the sample company, each repeat in a fresh process from an empty warehouse.

    .venv/bin/python -m benchmarks.ingest_benchmark --repeats 3 [--skus 200]

Reports the load of every landing file, the import of Great Expectations (paid only by runs that validate),
and the ten suites; prints a table and writes benchmarks/results/ingest_benchmark.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def _worker(home: str, cycle: str) -> None:
    import duckdb

    from sop.contract import ENTITIES
    from sop.ingest import load_entity

    home_path = Path(home)
    out = {}
    with duckdb.connect(str(home_path / "warehouse.duckdb")) as con:
        t = time.perf_counter()
        rows = sum(
            r.loaded_rows for e in ENTITIES for r in load_entity(con, e, home_path / "landing", home_path / "archive")
        )
        out["ingest_s"] = time.perf_counter() - t
        t = time.perf_counter()
        from expectations.validate import validate_entity

        out["gx_import_s"] = time.perf_counter() - t
        t = time.perf_counter()
        ok = all(validate_entity(con, e, cycle).success for e in ENTITIES)
        out["validate_s"] = time.perf_counter() - t
    out.update(rows=rows, all_passed=ok)
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skus", type=int, default=200)
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        _worker(*args.worker)
        return
    from sop.sample_company import SampleConfig, generate, write_landing

    cfg = SampleConfig(n_skus=args.skus)
    frames = generate(cfg)
    runs = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as home:
            write_landing(frames, Path(home) / "landing")
            out = subprocess.run(
                [sys.executable, "-m", "benchmarks.ingest_benchmark", "--worker", home, cfg.cycle_id],
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    med = {k: statistics.median(r[k] for r in runs) for k in ("ingest_s", "gx_import_s", "validate_s")}
    print(
        f"Ingest + validation, sample company ({args.skus} SKUs, {runs[0]['rows']:,} rows), "
        f"medians of {args.repeats} fresh processes"
    )
    for k, v in med.items():
        print(f"  {k:<12}{v:>7.2f}   runs: {[round(r[k], 2) for r in runs]}")
    print(f"  all suites passed: {all(r['all_passed'] for r in runs)}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ingest_benchmark.json").write_text(
        json.dumps({"skus": args.skus, "medians": med, "runs": runs}, indent=2)
    )


if __name__ == "__main__":
    main()
