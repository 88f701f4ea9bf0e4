"""`sop`: the command line for the monthly cycle. Runs go through Dagster, so they show in `make ui`."""

from __future__ import annotations

import os
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from sop.cycles import ACCEPT_INCOMPLETE_TAG, CycleError, parse_cycle, remember_cycle
from sop.settings import export_environment

# click's plain errors: a bad input is one line ("Error: Invalid value for ...") a user can read and grep,
# where typer's rich panels wrap it in a box
app = typer.Typer(
    help="Open S&OP: run monthly Sales & Operations Planning cycles.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
console = Console(soft_wrap=True)  # whole lines in logs and narrow terminals alike

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


def _cycle(value: str | None) -> str | None:
    """A cycle argument checked before anything is imported or started: one line, well under a second."""
    if value is None:
        return None
    try:
        return parse_cycle(value)
    except CycleError as e:
        raise typer.BadParameter(str(e)) from None


def _months(value: str | None) -> str | None:
    """A comma-separated list of months (YYYY-MM), each checked."""
    if not value:
        return None
    try:
        return ",".join(parse_cycle(m, "month") for m in value.split(",") if m.strip())
    except CycleError as e:
        raise typer.BadParameter(str(e)) from None


def _progress(unit: str = ""):
    """A progress bar with the step's name, done/total and the time so far."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    done = TextColumn("{task.completed}/{task.total}" + unit)
    return Progress(TextColumn("{task.description}"), BarColumn(), done, TimeElapsedColumn(), console=console)


@app.command()
def generate(
    skus: int = typer.Option(200, min=1, help="Number of SKUs."),
    locations: int = typer.Option(12, min=1, help="Number of selling locations (10+ for 3+ currencies)."),
    months: int = typer.Option(48, min=13, help="Months of history (13 or more: a year to learn seasons from)."),
    last_month: str = typer.Option("2025-12", help="Last month of history (YYYY-MM).", callback=_cycle),
    seed: int = typer.Option(7, help="Random seed: same seed, same files."),
    landing: Path = typer.Option(None, help="Folder to write to (default: $SOP_HOME/landing)."),
) -> None:
    """Write a sample company's input files into the landing folder (with a progress bar)."""
    from sop.sample_company import SampleConfig, write_landing
    from sop.sample_company import generate as make

    paths = export_environment()
    target = landing or paths.landing
    cfg = SampleConfig(
        n_skus=skus, n_locations=locations, history_months=months, last_history_month=last_month, seed=seed
    )
    with _progress() as progress:
        simulating = progress.add_task("simulating the company", total=1)
        frames = make(cfg)
        progress.advance(simulating)
        writing = progress.add_task("writing landing files", total=len(frames))
        written = write_landing(frames, target, on_file=lambda _: progress.advance(writing))
    console.print(f"Wrote {len(written)} files to {target}; next cycle is {cfg.cycle_id}.")


@app.command("run-cycle")
def run_cycle(
    cycle: str = typer.Argument(..., help="Cycle to plan, YYYY-MM.", callback=_cycle),
    bucket: str = typer.Option(None, help=BUCKET_HELP),
    accept_incomplete: str = typer.Option(
        None,
        callback=_months,
        help="Months (YYYY-MM, comma-separated) to plan on although their history is incomplete; "
        "recorded in publish_log and the pack.",
    ),
) -> None:
    """Run one monthly cycle (every asset for that partition) through Dagster."""
    _use_bucket(bucket)
    summary = _run(cycle, tags={ACCEPT_INCOMPLETE_TAG: accept_incomplete} if accept_incomplete else None)
    _print_summary(summary)


def _cycles(first: str, last: str) -> list[str]:
    import pandas as pd

    try:
        months = pd.period_range(pd.Period(first, "M"), pd.Period(last, "M"), freq="M")
    except ValueError as e:
        raise typer.BadParameter(f"cycles are YYYY-MM: {e}") from None
    if not len(months):
        raise typer.BadParameter(f"{first} is after {last}")
    return [str(m) for m in months]


@app.command()
def backfill(
    first: str = typer.Argument(..., help="First cycle, YYYY-MM.", callback=_cycle),
    last: str = typer.Argument(..., help="Last cycle, YYYY-MM (inclusive).", callback=_cycle),
    bucket: str = typer.Option(None, help=BUCKET_HELP),
    keep_going: bool = typer.Option(False, help="Go on with the next cycle when one fails."),
) -> None:
    """Run every cycle from FIRST to LAST in order, one Dagster run each (tagged as one backfill).

    Each cycle archives its forecast, consensus and plan, so the later cycles score the earlier ones:
    a year of backfill gives accuracy by lag its history. A cycle already published gets a new version.
    """
    import uuid

    _use_bucket(bucket)
    cycles = _cycles(first, last)
    backfill_id = uuid.uuid4().hex[:8]
    done: list[dict] = []
    with _progress(" cycles") as progress:
        task = progress.add_task(f"backfill {backfill_id}", total=len(cycles))
        for cycle in cycles:
            progress.update(task, description=f"backfill {backfill_id}: {cycle}")
            outcome = _run(cycle, tags={"sop/backfill": backfill_id}, stop_on_failure=False)
            done.append(outcome)
            progress.advance(task)
            if not outcome["published"] and not keep_going:
                break
    table = Table("cycle", "published", "run id", "seconds", title=f"backfill {backfill_id} (tag sop/backfill)")
    for d in done:
        table.add_row(d["cycle"], "yes" if d["published"] else "[red]no[/red]", d["run_id"][:8], f"{d['seconds']:.1f}")
    console.print(table)
    failed = [d["cycle"] for d in done if not d["published"]]
    if failed or len(done) < len(cycles):
        console.print(f"[red]Not published: {', '.join(failed)}[/red]; cycles not run: {len(cycles) - len(done)}.")
        raise typer.Exit(1)


@app.command()
def ingest(
    folder: Path = typer.Argument(..., exists=True, file_okay=False, help="Folder of input files to land."),
    cycle: str = typer.Option(
        None, help="Cycle to validate them for, YYYY-MM (default: the current month).", callback=_cycle
    ),
) -> None:
    """Copy a folder's input files into the landing folder, then load and validate them (a Dagster run).

    Only files named after an entity of the input contract are taken (e.g. sales_orders_2026-02.csv).
    The originals stay where they are; loaded files are archived by content hash.
    """
    import shutil

    from sop.contract import ENTITIES
    from sop.ingest import landing_files

    paths = export_environment()
    files = [p for entity in ENTITIES for p in landing_files(folder, entity)]
    if not files:
        console.print(f"[red]No input files in {folder}[/red]: names start with an entity ({', '.join(ENTITIES)}).")
        raise typer.Exit(1)
    paths.landing.mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copy2(path, paths.landing / path.name)
    console.print(f"Copied {len(files)} file(s) to {paths.landing}.")
    this_month = time.strftime("%Y-%m", time.gmtime())  # the newest cycle (partitions are in UTC)
    summary = _run(cycle or this_month, job="landing_ingest", stop_on_failure=False)
    _print_quarantine(paths)
    if not summary["success"]:
        console.print(f"Rows in quarantine.<entity> say why; the validation page: {paths.quality}/{summary['cycle']}/")
        raise typer.Exit(1)
    console.print(f"Loaded and validated for cycle {summary['cycle']} (Dagster run {summary['run_id'][:8]}).")


def _print_quarantine(paths) -> None:
    import duckdb

    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        rows = con.execute(
            "select entity, sum(loaded_rows), sum(quarantined_rows) from raw._loads "
            "where superseded_at is null group by 1 order by 1"
        ).fetchall()
    table = Table("entity", "rows loaded", "rows quarantined")
    for entity, loaded, quarantined in rows:
        table.add_row(entity, f"{loaded:,}", f"[red]{quarantined:,}[/red]" if quarantined else "0")
    console.print(table)


@app.command()
def scenario(
    files: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help="Scenario YAML file(s)."),
    cycle: str = typer.Option(..., help="Planned cycle to compare against, YYYY-MM.", callback=_cycle),
) -> None:
    """Plan one or more scenario files against a cycle's base plan (a Dagster run of the scenario_trial job,
    tagged sop/kind=scenario) and print them beside the base. Neither the published tables nor the cycle's own
    scenario_comparison change (the run writes planning.scenario_trials); add the file to scenarios/ to publish
    it with every cycle."""
    import shutil
    import tempfile

    from sop.planning.scenarios import Scenario

    for path in files:
        try:
            Scenario.load(path)
        except ValueError as e:
            raise typer.BadParameter(str(e)) from None
    with tempfile.TemporaryDirectory() as folder:
        for path in files:
            shutil.copy2(path, Path(folder) / path.name)
        config = {"ops": {"planning__scenario_trials": {"config": {"folder": folder}}}}
        summary = _run(cycle, job="scenario_trial", what="Scenarios", run_config=config, tags={"sop/kind": "scenario"})
    import duckdb

    with duckdb.connect(str(summary["paths"].warehouse), read_only=True) as con:
        frame = con.execute(
            "select * from planning.scenario_trials where cycle_id = ? and run_id = ? "
            "order by scenario_name = 'base' desc",
            [cycle, summary["run_id"]],
        ).df()
    table = Table("scenario", "revenue EUR", "margin EUR", "fill rate", "shortage units", "Δ margin EUR")
    for r in frame.itertuples():
        table.add_row(
            r.scenario_name,
            f"{r.revenue_amount:,.0f}",
            f"{r.margin_amount:,.0f}",
            f"{r.fill_rate:.3f}",
            f"{r.shortage_qty:,.0f}",
            f"{r.margin_change_amount:+,.0f}",
        )
    console.print(table)


decide = typer.Typer(
    help="Record a decision of the S&OP meeting for a cycle (into $SOP_DECISIONS_DIR, default $SOP_HOME/decisions): "
    "each is checked against what the cycle published, then recorded through Dagster (the record_decisions job).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(decide, name="decide")

BY_HELP = "Who decides (default: the OS user)."


def _record(cycle: str, entry: dict) -> dict:
    """Append ``entry`` to the cycle's decision file, check every decision, record them (a Dagster run). A refused
    decision is taken out of the file again and named with its file, row and field."""
    import getpass
    from datetime import UTC, datetime

    import yaml

    from sop.decisions import DecisionError, load_file
    from sop.settings import decisions_dir
    from sop.stages.decisions import checked

    paths = export_environment()
    entry = {"cycle": cycle, **{k: v for k, v in entry.items() if v is not None}}
    entry.setdefault("by", getpass.getuser())
    entry.setdefault("at", datetime.now(UTC).replace(tzinfo=None, microsecond=0).isoformat())
    folder = decisions_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{cycle}.yaml"
    before = path.read_text() if path.exists() else None
    path.write_text((before or "") + yaml.safe_dump([entry], sort_keys=False, allow_unicode=True))
    try:
        load_file(path)
        checked(paths)
    except DecisionError as e:
        if before is None:
            path.unlink()
        else:
            path.write_text(before)
        console.print(f"[red]Refused[/red]: {e}", soft_wrap=True, highlight=False)
        raise typer.Exit(1) from None
    console.print(f"Recorded in {path}: {entry['kind']} for cycle {cycle} by {entry['by']}.")
    summary = _run(cycle, job="record_decisions", what="Decisions")
    _print_plan_status(summary["paths"], cycle)
    return summary


def _print_plan_status(paths, cycle: str | None = None, last: int = 10) -> None:
    import duckdb

    if not paths.publish_db.exists():
        return
    with duckdb.connect(str(paths.publish_db), read_only=True) as con:
        known = con.execute(
            "select count(*) from information_schema.tables where table_name = 'plan_status'"
        ).fetchone()[0]
        if not known:
            return
        rows = con.execute(
            "select cycle_id, plan_version, status, adopted_scenario, decided_by, decided_at, reason from plan_status "
            "where cycle_id = coalesce(?, cycle_id) order by cycle_id desc, plan_version desc limit ?",
            [cycle, last],
        ).fetchall()
    table = Table("cycle", "version", "status", "scenario", "decided by", "at (UTC)", "why", title="Plan status")
    for c, v, status, scenario, by, at, why in rows:
        colour = {"approved": "green", "sent_back": "red"}.get(status, "yellow")
        shown = f"[{colour}]{status}[/{colour}]"
        table.add_row(c, str(v), shown, scenario or "", by or "", str(at or "")[:16], why or "")
    console.print(table)


@app.command()
def approve(
    cycle: str = typer.Argument(..., help="Cycle, YYYY-MM.", callback=_cycle),
    version: int = typer.Option(..., min=1, help="The plan version approved (sop status lists them)."),
    reason: str = typer.Option(..., help="Why: the meeting, what it weighed."),
    by: str = typer.Option(None, help=BY_HELP),
) -> None:
    """Approve a published version as the cycle's plan: the cycle is closed, its version is what
    <table>_approved and <table>_current show, and the next cycle compares with it and keeps its frozen window."""
    _record(cycle, {"kind": "approve", "version": version, "by": by, "reason": reason})


@decide.command("send-back")
def send_back(
    cycle: str = typer.Argument(..., help="Cycle, YYYY-MM.", callback=_cycle),
    version: int = typer.Option(..., min=1, help="The plan version sent back."),
    reason: str = typer.Option(..., help="Why, and what the next version must change."),
    by: str = typer.Option(None, help=BY_HELP),
) -> None:
    """Send a version back: it is not approved; the cycle stays open for a new version."""
    _record(cycle, {"kind": "send_back", "version": version, "by": by, "reason": reason})


@decide.command("adopt")
def adopt(
    cycle: str = typer.Argument(..., help="Cycle, YYYY-MM.", callback=_cycle),
    scenario: str = typer.Option(..., help="A scenario the cycle compared (scenario_comparison)."),
    reason: str = typer.Option(..., help="Why the meeting takes it."),
    by: str = typer.Option(None, help=BY_HELP),
) -> None:
    """Adopt a scenario as the cycle's plan, then run the cycle: it publishes a new proposed version whose plan
    is the scenario's."""
    summary = _record(cycle, {"kind": "adopt_scenario", "scenario": scenario, "by": by, "reason": reason})
    _print_summary(_run(summary["cycle"]))


@decide.command("accept")
def accept(
    cycle: str = typer.Argument(..., help="Cycle, YYYY-MM.", callback=_cycle),
    exception: str = typer.Option(..., help="The exception's id (plan_exceptions.exception_id)."),
    owner: str = typer.Option(..., help="Who owns it until it is resolved."),
    due: str = typer.Option(..., help="When it is due to be resolved by (YYYY-MM-DD)."),
    reason: str = typer.Option(..., help="Why it is accepted."),
    by: str = typer.Option(None, help=BY_HELP),
) -> None:
    """Accept an exception of the cycle's plan, with its owner and due date."""
    _record(
        cycle,
        {"kind": "accept_exception", "exception_id": exception, "owner": owner, "due": due, "by": by, "reason": reason},
    )


@decide.command("request")
def request(
    cycle: str = typer.Argument(..., help="Cycle, YYYY-MM.", callback=_cycle),
    change: str = typer.Option(..., help="override, capacity or expedite."),
    reason: str = typer.Option(..., help="Why."),
    month: str = typer.Option(None, help="override: the month (YYYY-MM)."),
    qty: float = typer.Option(None, help="override: units for the month and scope."),
    pct: float = typer.Option(None, help="override: percent change of the forecast (15 = +15%)."),
    sku: str = typer.Option(None, help="override: SKU."),
    location: str = typer.Option(None, help="override: location."),
    family: str = typer.Option(None, help="override: family."),
    region: str = typer.Option(None, help="override: region."),
    resource: str = typer.Option(None, help="capacity: the resource (line or crew)."),
    extra_hours: float = typer.Option(None, help="capacity: hours added to each month."),
    from_month: str = typer.Option(None, "--from", help="capacity: first month (YYYY-MM)."),
    to_month: str = typer.Option(None, "--to", help="capacity: last month (YYYY-MM)."),
    supplier: str = typer.Option(None, help="expedite: the supplier."),
    item: str = typer.Option(None, help="expedite: the item (default: everything it delivers)."),
    months: int = typer.Option(None, help="expedite: months sooner."),
    exception: str = typer.Option(None, help="The exception it answers (plan_exceptions.exception_id)."),
    by: str = typer.Option(None, help=BY_HELP),
) -> None:
    """Ask for a change the next run takes in: an override, extra capacity or a supplier expedite."""
    _record(
        cycle,
        {
            "kind": "request_change",
            "change": change,
            "exception_id": exception,
            "sku_id": sku,
            "location_id": location,
            "family_id": family,
            "region": region,
            "month": month,
            "qty": qty,
            "pct": pct,
            "resource_id": resource,
            "extra_hours": extra_hours,
            "from": from_month,
            "to": to_month,
            "supplier_id": supplier,
            "item_id": item,
            "months": months,
            "by": by,
            "reason": reason,
        },  # fmt: skip
    )


@decide.command("unfreeze")
def unfreeze(
    cycle: str = typer.Argument(..., help="Cycle, YYYY-MM.", callback=_cycle),
    from_month: str = typer.Option(..., "--from", help="First month (YYYY-MM) the next run may change."),
    to_month: str = typer.Option(..., "--to", help="Last month (YYYY-MM)."),
    reason: str = typer.Option(..., help="Why the frozen plan may move."),
    sku: str = typer.Option(None, help="Only this SKU's production, purchases and transfers."),
    by: str = typer.Option(None, help=BY_HELP),
) -> None:
    """Let the next run change the approved plan inside the frozen window (production, purchases, transfers)."""
    _record(cycle, {"kind": "unfreeze", "from": from_month, "to": to_month, "sku_id": sku, "by": by, "reason": reason})


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
        try:
            frames = importlib.import_module(f"sop.adapters.{module}").convert(source_dir(folder, source))
        except (FileNotFoundError, KeyError, ValueError) as e:  # missing folder, file or column: one line
            said = f"{e.filename} is missing" if getattr(e, "filename", None) else str(e).strip("'\"")
            raise typer.BadParameter(said, param_hint="--source") from None
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
    summary = _run(cycle)
    _print_summary(summary)
    _approve_as_the_meeting_would(summary)


def _approve_as_the_meeting_would(summary: dict) -> None:
    """The demo approves the version it published, as a planner does after the executive meeting (once: a rerun's
    version of an approved cycle stays superseded), and says so."""
    import duckdb

    paths, cycle = summary["paths"], summary["cycle"]
    with duckdb.connect(str(paths.publish_db), read_only=True) as con:
        version = con.execute("select max(plan_version) from publish_log where cycle_id = ?", [cycle]).fetchone()[0]
        approved = con.execute(
            "select plan_version, decided_by, decided_at from plan_status where cycle_id = ? and status = 'approved'",
            [cycle],
        ).fetchone()
    if approved:
        console.print(
            f"Cycle {cycle} was approved before (version {approved[0]} by {approved[1]} at "
            f"{str(approved[2])[:16]} UTC): version {version} is superseded; BI's <table>_current views show "
            f"version {approved[0]}."
        )
        return
    console.print(
        f"\nThe demo now approves version {version}, as the planner would after the executive meeting "
        f"(`sop approve {cycle} --version {version} --reason ...`):"
    )
    reason = "Demo: the executive meeting approves the cycle's plan as published."
    _record(cycle, {"kind": "approve", "version": version, "by": "sop demo", "reason": reason})
    console.print(
        f"Cycle {cycle} version {version} is the approved plan: <table>_current in {paths.publish_db} (e.g. "
        f"select sum(revenue_amount) from plan_financials_current where aggregation_level = 'total') and the pack's "
        "agenda say so; the next cycle's plan_changes compare with it."
    )


@app.command()
def status(last: int = typer.Option(10, min=1, help="How many cycles' runs and publishes to show.")) -> None:
    """The last cycle runs (from the Dagster instance) and the last published versions."""
    import dagster as dg
    import duckdb

    from orchestration.instance import ensure_instance_config
    from sop.locks import opening_instance

    paths = export_environment()
    with opening_instance(paths.home):
        ensure_instance_config(Path(os.environ["DAGSTER_HOME"]))
        instance = dg.DagsterInstance.get()
    with instance:
        records = instance.get_run_records(dg.RunsFilter(job_name="sop_cycle"), limit=last)
    runs = Table("cycle", "run id", "status", "started (UTC)", "minutes", "tags", title="Cycle runs")
    for rec in records:
        run, started = rec.dagster_run, rec.start_time
        minutes = f"{(rec.end_time - started) / 60:.1f}" if rec.end_time and started else ""
        when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(started)) if started else ""
        shown = {k: v for k, v in run.tags.items() if k.startswith("sop/") and k not in ("sop/host", "sop/pid")}
        tags = ", ".join(f"{k}={v}" for k, v in shown.items())
        colour = {"SUCCESS": "green", "FAILURE": "red"}.get(run.status.value, "yellow")
        runs.add_row(
            run.tags.get("dagster/partition", "?"),
            run.run_id[:8],
            f"[{colour}]{run.status.value}[/{colour}]",
            when,
            minutes,
            tags,
        )
    console.print(runs)
    if not paths.publish_db.exists():
        console.print(f"Nothing published yet in {paths.publish_db}.")
        return
    with duckdb.connect(str(paths.publish_db), read_only=True) as con:
        rows = con.execute(
            "select cycle_id, plan_version, min(published_at), min(run_id), sum(row_count) from publish_log "
            "group by 1, 2 order by 3 desc limit ?",
            [last],
        ).fetchall()
    table = Table("cycle", "version", "published at (UTC)", "run id", "rows", title="Published")
    for r in rows:
        table.add_row(r[0], str(r[1]), str(r[2])[:19], r[3][:8], str(r[4]))
    console.print(table)
    _print_plan_status(paths, last=last)


def _run(
    cycle: str,
    job: str = "sop_cycle",
    tags: dict[str, str] | None = None,
    selection: list | None = None,
    what: str = "Cycle",
    stop_on_failure: bool = True,
    run_config: dict | None = None,
) -> dict:
    """Run a job for one cycle through Dagster (recorded in $DAGSTER_HOME, so `make ui` shows it)."""
    paths = export_environment()
    import dagster as dg

    from orchestration.instance import ensure_instance_config
    from orchestration.run import run_cycle
    from sop.locks import one_cycle_at_a_time, opening_instance

    def waiting(holder: dict) -> None:
        console.print(f"Waiting for {holder.get('who', 'another run')} (pid {holder.get('pid', '?')}) to finish…")

    import uuid

    from orchestration.terminal import StageProgress, output_to

    try:  # the home's cycles start at its first: one line, before anything loads, when the cycle cannot be one
        remember_cycle(paths.home, cycle)
    except CycleError as e:
        raise typer.BadParameter(str(e)) from None
    run_id = str(uuid.uuid4())
    log = paths.home / "logs" / f"{job}_{cycle}_{run_id[:8]}.log"
    console.print(f"{what} {cycle}: Dagster run {run_id[:8]}; dbt's and Dagster's full log: {log}")
    started = time.perf_counter()
    # before the instance is opened: two processes creating a new home's instance at once race on its tables
    with one_cycle_at_a_time(paths.home, f"`sop` {what.lower()} {cycle}", waiting):
        with opening_instance(paths.home):
            ensure_instance_config(Path(os.environ["DAGSTER_HOME"]))
            instance = dg.DagsterInstance.get()
        with instance:
            with output_to(log) as terminal, StageProgress(instance, run_id, terminal):
                run = run_cycle(
                    cycle,
                    instance,
                    job_name=job,
                    tags=tags,
                    asset_selection=selection,
                    run_config=run_config,
                    run_id=run_id,
                )
            if not run.success:
                _record_failure(instance, run, paths)
    elapsed = time.perf_counter() - started
    ok = run.published if job == "sop_cycle" and selection is None else run.success
    _print_validation(paths, run.run_id)
    if not ok:
        why = (
            f"blocking data checks failed: {', '.join(run.failed_checks)}"
            if run.failed_checks
            else f"step(s) failed: {', '.join(run.failed_steps) or '?'}"
        )
        said = "".join(
            f"\n  {step}: {message.splitlines()[0][:600]}"
            for step, message in run.errors.items()
            if not step.endswith("_suite")  # a failed check's findings are in the table above
        )
        console.print(
            f"[red]{what} {cycle} did not complete[/red]: {why} (run {run.run_id}).{said}\n"
            f"The last published plan is unchanged. Details: `make ui`, or the log {log}",
            soft_wrap=True,
        )
        if stop_on_failure:
            raise typer.Exit(1)
    return {
        "cycle": cycle,
        "run_id": run.run_id,
        "seconds": elapsed,
        "paths": paths,
        "log": log,
        "published": run.published,
        "success": ok,
    }


def _record_failure(instance, run, paths) -> None:
    """Every failed run the CLI started, of any job, in failed_runs.jsonl (as the sensor records the others)."""
    from orchestration.monitoring.sensors import failure_record, record_failed_run

    message = "; ".join(f"{step}: {text.splitlines()[0][:300]}" for step, text in run.errors.items()) or "run failed"
    record_failed_run(
        paths.failed_runs_log, failure_record(instance.get_run_by_id(run.run_id), message, run.failed_steps)
    )


def _print_validation(paths, run_id: str) -> None:
    """What the run's validation found, blocking or not: where (entity, file, row, keys, months) and examples."""
    import json

    import duckdb

    if not paths.warehouse.exists():
        return
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        known = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'quality' "
            "and table_name = 'validation_results'"
        ).fetchone()[0]
        rows = (
            con.execute(
                "select entity, severity, expectation, observed_value, details from quality.validation_results "
                "where run_id = ? and not success order by severity = 'warning', entity, expectation",
                [run_id],
            ).fetchall()
            if known
            else []
        )
    if not rows:
        return
    # lines, not a table: they stay whole in a log and in a narrow terminal
    console.print("[bold]Validation findings[/bold] (quality.validation_results; the page under quality/<cycle>/):")
    for entity, severity, expectation, observed, details in rows:
        sample = json.loads(details or "{}").get("sample") or []
        colour = "red" if severity == "error" else "yellow"
        console.print(f"  [{colour}]{severity}[/{colour}] {entity}: {expectation}: {observed or ''}", soft_wrap=True)
        for example in sample:
            console.print(f"      {example}", soft_wrap=True, highlight=False)


def _print_summary(summary: dict) -> None:
    """What a cycle published, in a screen: the plan's headline, the forecast's verdict per level, where to look."""
    import duckdb
    import pandas as pd

    from sop.stages.accuracy_summary import level_lines

    paths, cycle = summary["paths"], summary["cycle"]
    with duckdb.connect(str(paths.publish_db), read_only=True) as con:
        version = con.execute("select max(plan_version) from publish_log where cycle_id = ?", [cycle]).fetchone()[0]
        where = "where cycle_id = ? and plan_version = ?"
        tables, rows = con.execute(
            f"select count(*), sum(row_count) from publish_log {where}", [cycle, version]
        ).fetchone()
        revenue, margin, demand, short, lost = con.execute(
            "select sum(revenue_amount), sum(margin_amount), sum(demand_qty), sum(shortage_qty), "
            f"sum(lost_revenue_amount) from plan_financials {where} and aggregation_level = 'total'",
            [cycle, version],
        ).fetchone()
        exceptions = con.execute(
            f"select severity, count(*) from plan_exceptions {where} group by 1 order by 1", [cycle, version]
        ).fetchall()
        accuracy = con.execute(f"select * from forecast_accuracy {where}", [cycle, version]).df()
    by_severity = ", ".join(f"{n} {severity}" for severity, n in exceptions) or "none"
    pack = paths.publish_dir / "pack" / f"{cycle}_v{version}.html"
    console.print(
        f"\n[bold]Cycle {cycle} published as plan_version {version}[/bold] in {summary['seconds']:.0f} s "
        f"(Dagster run {summary['run_id'][:8]}): {tables} tables, {rows:,} rows.\n"
        f"Plan over the horizon: demand {demand or 0:,.0f} units, revenue {revenue or 0:,.0f} EUR, margin "
        f"{margin or 0:,.0f} EUR; unmet {short or 0:,.0f} units ({lost or 0:,.0f} EUR of revenue lost); "
        f"exceptions: {by_severity}.\n"
        "Forecast accuracy in the backtest (WAPE = absolute error / actual demand, lower is better; every model "
        "on the same windows; the plan uses LightGBM everywhere):"
    )
    for line in level_lines(accuracy):
        console.print(line)
    console.print(
        "  RMSSE, bias, intervals and every series: the forecast_accuracy table (docs/forecasting.md).\n"
        f"Executive pack:   {pack}\n"
        f"Published tables: {paths.publish_db} (read-only for BI; what each answers: docs/tables.md)\n"
        f"Dagster UI:       make ui, then http://127.0.0.1:3000 (stop it with Ctrl-C)\n"
        f"Full log:         {summary['log']}\n"
        f"Next month:       land its files (the sample company: .venv/bin/sop generate --last-month {cycle}), then "
        f".venv/bin/sop run-cycle {pd.Period(cycle, 'M') + 1} (docs/operations.md)"
    )


if __name__ == "__main__":
    app()
