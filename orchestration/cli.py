"""`sop`: the command line for the monthly cycle. Runs go through Dagster, so they show in `make ui`."""

from __future__ import annotations

import os
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from sop.settings import export_environment

app = typer.Typer(help="Open S&OP: run monthly Sales & Operations Planning cycles.", no_args_is_help=True)
console = Console()

BUCKET_HELP = "Planning bucket: month or week (default: $SOP_BUCKET, else the data set's own, else month)."


def _use_bucket(bucket: str | None, default: str = "month") -> str:
    """Export the planning bucket for this process and the dbt subprocesses it starts."""
    from sop.buckets import planning_bucket

    try:
        name = planning_bucket(bucket or os.environ.get("SOP_BUCKET") or default).name
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
    os.environ["SOP_BUCKET"] = name
    return name


@app.command()
def generate(
    skus: int = typer.Option(200, help="Number of SKUs."),
    locations: int = typer.Option(12, help="Number of selling locations (10+ for 3+ currencies)."),
    months: int = typer.Option(48, help="Months of history."),
    last_month: str = typer.Option("2025-12", help="Last month of history (YYYY-MM)."),
    seed: int = typer.Option(7, help="Random seed: same seed, same files."),
    landing: Path = typer.Option(None, help="Folder to write to (default: $SOP_HOME/landing)."),
) -> None:
    """Write a sample company's input files into the landing folder."""
    from sop.sample_company import SampleConfig, write_landing
    from sop.sample_company import generate as make

    paths = export_environment()
    cfg = SampleConfig(
        n_skus=skus, n_locations=locations, history_months=months, last_history_month=last_month, seed=seed
    )
    written = write_landing(make(cfg), landing or paths.landing)
    console.print(f"Wrote {len(written)} files to {(landing or paths.landing)}; next cycle is {cfg.cycle_id}.")


@app.command("run-cycle")
def run_cycle(
    cycle: str = typer.Argument(..., help="Cycle to plan, YYYY-MM."),
    bucket: str = typer.Option(None, help=BUCKET_HELP),
) -> None:
    """Run one monthly cycle (every asset for that partition) through Dagster."""
    _use_bucket(bucket)
    summary = _run(cycle)
    _print_summary(summary)


# real data sets: name -> (adapter module in sop.adapters, folder under ../shared/data, planning bucket);
# SupplyGraph is planned in weeks: seven months of history are 30 weeks to learn from
REAL_DATA = {"m5": ("m5", "m5_subset", "month"), "supplygraph": ("supplygraph", "supplygraph", "week")}
DATA_SETS = ("sample", *REAL_DATA)


@app.command()
def demo(
    data: str = typer.Option("sample", help=f"Data set: {', '.join(DATA_SETS)} (real data reads ../shared/data)."),
    source: Path = typer.Option(None, help="Folder of the real data set (default: ../shared/data/<name>)."),
    bucket: str = typer.Option(None, help=BUCKET_HELP),
) -> None:
    """Write a data set into the landing folder, run its next cycle through Dagster, show what was published."""
    import importlib

    from sop.sample_company import write_landing

    paths = export_environment()
    started = time.perf_counter()
    if data == "sample":
        from sop.sample_company import SampleConfig
        from sop.sample_company import generate as make

        cfg = SampleConfig()
        frames, cycle = make(cfg), cfg.cycle_id
    elif data in REAL_DATA:
        from sop.adapters import source_dir

        module, folder, _ = REAL_DATA[data]
        frames = importlib.import_module(f"sop.adapters.{module}").convert(source_dir(folder, source))
        # the cycle after the last whole month of orders
        cycle = str(frames["sales_orders"]["order_date"].max().to_period("M") + 1)
    else:
        raise typer.BadParameter(f"unknown data set {data!r}; choose from {', '.join(DATA_SETS)}")
    write_landing(frames, paths.landing)
    name = _use_bucket(bucket, REAL_DATA[data][2] if data in REAL_DATA else "month")
    console.print(
        f"{data} data written to {paths.landing} ({time.perf_counter() - started:.1f}s); "
        f"cycle {cycle}, planned in {name}s"
    )
    _print_summary(_run(cycle))


@app.command()
def status(last: int = typer.Option(10, help="How many publishes to show.")) -> None:
    """The last published cycles and versions."""
    import duckdb

    paths = export_environment()
    if not paths.publish_db.exists():
        console.print(f"Nothing published yet in {paths.publish_db}.")
        raise typer.Exit(0)
    with duckdb.connect(str(paths.publish_db), read_only=True) as con:
        rows = con.execute(
            "select cycle_id, plan_version, min(published_at), min(run_id), sum(row_count) from publish_log "
            "group by 1, 2 order by 3 desc limit ?",
            [last],
        ).fetchall()
    table = Table("cycle", "version", "published at (UTC)", "run id", "rows")
    for r in rows:
        table.add_row(r[0], str(r[1]), str(r[2])[:19], r[3][:8], str(r[4]))
    console.print(table)


def _run(cycle: str) -> dict:
    paths = export_environment()
    import dagster as dg

    from orchestration.instance import ensure_instance_config

    ensure_instance_config(Path(os.environ["DAGSTER_HOME"]))
    from orchestration.run import run_cycle

    started = time.perf_counter()
    with dg.DagsterInstance.get() as instance:
        run = run_cycle(cycle, instance)
    elapsed = time.perf_counter() - started
    if not run.published:
        why = (
            f"blocking data checks failed: {', '.join(run.failed_checks)}"
            if run.failed_checks
            else f"step(s) failed: {', '.join(run.failed_steps) or '?'}"
        )
        console.print(
            f"[red]Cycle {cycle} not published[/red]: {why} (run {run.run_id}).\n"
            "The last published plan is unchanged. Details: `make ui`, or the log above."
        )
        raise typer.Exit(1)
    return {"cycle": cycle, "run_id": run.run_id, "seconds": elapsed, "paths": paths}


def _print_summary(summary: dict) -> None:
    import duckdb

    paths = summary["paths"]
    with duckdb.connect(str(paths.publish_db), read_only=True) as con:
        version = con.execute(
            "select max(plan_version) from publish_log where cycle_id = ?", [summary["cycle"]]
        ).fetchone()[0]
        counts = con.execute(
            "select table_name, row_count from publish_log where cycle_id = ? and plan_version = ? order by 1",
            [summary["cycle"], version],
        ).fetchall()
        wape = con.execute(
            "select model_name, wape, rmsse, bias from forecast_accuracy "
            "where cycle_id = ? and plan_version = ? and aggregation_level = 'total' order by wape",
            [summary["cycle"], version],
        ).fetchall()
    console.print(
        f"\nCycle {summary['cycle']} published as plan_version {version} "
        f"(Dagster run {summary['run_id'][:8]}, {summary['seconds']:.1f}s)."
    )
    table = Table("published table", "rows")
    for name, n in counts:
        table.add_row(name, f"{n:,}")
    console.print(table)
    acc = Table("model", "WAPE (backtest windows)", "RMSSE", "bias")
    for model, w, r, b in wape:
        acc.add_row(model, f"{w:.3f}", f"{r:.3f}", f"{b:+.3f}")
    console.print(acc)
    pack = paths.publish_dir / "pack" / f"{summary['cycle']}_v{version}.html"
    console.print(
        f"Published tables: {paths.publish_db} (DuckDB, read-only for BI)\n"
        f"                  {paths.publish_parquet}/<table>/cycle_id=.../plan_version=.../data.parquet\n"
        f"Executive S&OP pack: {pack}\n"
        f"Open the Dagster UI with `make ui` (instance: {paths.dagster_home}).",
        soft_wrap=True,
    )


if __name__ == "__main__":
    app()
