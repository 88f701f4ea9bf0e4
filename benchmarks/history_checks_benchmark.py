"""What the checks against the history cost (completeness, magnitude, FX coverage, expectations/history.py),
paired with the Great Expectations suite of the same entity on the same warehouse, in one process.

    .venv/bin/python -m benchmarks.history_checks_benchmark [--skus 2174] [--repeats 5]

The sample company at the size given (2,174 SKUs is the 10k-series size of `make bench`) is loaded once; then,
per entity with history checks, each round times the GX suite (with its master-data references, as the asset
check runs it) and the history checks back to back, the side going first alternating, so the machine's speed
drift falls on both. Prints medians per entity and writes benchmarks/results/history_checks_benchmark.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skus", type=int, default=2174)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    import duckdb

    from expectations import history
    from expectations.validate import validate
    from sop.contract import ENTITIES
    from sop.ingest import current_rows_sql, load_entity, reference_values
    from sop.sample_company import SampleConfig, generate, write_landing

    cfg = SampleConfig(n_skus=args.skus)
    home = Path(tempfile.mkdtemp(prefix="history_checks_"))
    write_landing(generate(cfg), home / "landing")
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    for entity in ENTITIES:
        load_entity(con, entity, home / "landing", home / "archive")
    validate("products", con.sql(current_rows_sql("products")).df()[ENTITIES["products"].column_names])  # warm GX

    def suite(name: str) -> None:
        entity = ENTITIES[name]
        frame = con.sql(current_rows_sql(name)).df()[entity.column_names]
        references = {column: reference_values(con, targets) for column, targets in entity.reference_targets().items()}
        validate(name, frame, references, cfg.cycle_id)

    def checks(name: str) -> None:
        history.checks(con, name, cfg.cycle_id)

    rows = []
    for name, entity in ENTITIES.items():
        if not (entity.window_column or entity.priced_in):
            continue
        times = {"gx_suite": [], "history_checks": []}
        for round_ in range(args.repeats):
            order = [("gx_suite", suite), ("history_checks", checks)]
            for side, fn in order if round_ % 2 == 0 else order[::-1]:
                started = time.perf_counter()
                fn(name)
                times[side].append(time.perf_counter() - started)
        n = con.execute(f"select count(*) from ({current_rows_sql(name)})").fetchone()[0]
        gx, own = statistics.median(times["gx_suite"]), statistics.median(times["history_checks"])
        rows.append({"entity": name, "rows": n, "gx_suite_s": gx, "history_checks_s": own, "ratio": own / gx})

    print(f"{'entity':<22}{'rows':>12}{'GX suite s':>12}{'history s':>12}{'ratio':>8}")
    for r in rows:
        print(
            f"{r['entity']:<22}{r['rows']:>12,}{r['gx_suite_s']:>12.3f}{r['history_checks_s']:>12.3f}{r['ratio']:>8.2f}"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "history_checks_benchmark.json").write_text(
        json.dumps(
            {
                "skus": args.skus,
                "repeats": args.repeats,
                "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
                "entities": rows,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
