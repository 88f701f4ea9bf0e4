"""The executive S&OP pack: one self-contained HTML page per published plan version (no network: charts are
inline PNGs, styles inline), read from the publish store so it shows exactly what BI sees.

Sections, in the order the meeting takes them: the agenda (the version's status, the decisions required: the
biggest priced gaps not yet accepted, each with the scenarios that would close it and what they cost, and the
decisions taken), what changed since the last approved plan and why, then demand vs supply, projected
inventory, the financial gap to budget, the KPI trend, the top exceptions, and the scenarios.
"""

from __future__ import annotations

import base64
import html
from io import BytesIO

import duckdb
import pandas as pd

from sop.settings import Paths

TOP_EXCEPTIONS = 12
DECISIONS_REQUIRED = 5  # the biggest priced gaps the meeting must decide on
LEVERS_PER_GAP = 2
# exception kinds a scenario answers by meeting more demand (the others, a budget gap, by more revenue)
SUPPLY_GAPS = {"shortage", "capacity_overload", "below_safety_stock", "late_supply", "supplier_over_capacity",
               "material_shortage", "lane_over_capacity"}  # fmt: skip


def _png(fig) -> str:
    buffer = BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def _figure(title: str):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3), dpi=90)
    ax = fig.subplots()
    ax.set_title(title, fontsize=10, loc="left")
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3)
    return fig, ax


def demand_vs_supply(plan: pd.DataFrame) -> str:
    monthly = plan.groupby(plan["bucket_date"].dt.to_period("M").dt.start_time)[
        ["consensus_demand_qty", "planned_supply_qty", "demand_met_qty"]
    ].sum()
    fig, ax = _figure("Demand vs supply (units per month)")
    ax.bar(monthly.index, monthly["planned_supply_qty"], width=20, color="tab:green", alpha=0.5, label="production")
    ax.plot(monthly.index, monthly["consensus_demand_qty"], color="black", label="consensus demand")
    ax.plot(monthly.index, monthly["demand_met_qty"], color="tab:blue", linestyle="--", label="demand met")
    ax.legend(fontsize=7)
    return _png(fig)


def projected_inventory(money: pd.DataFrame) -> str:
    total = money[money["aggregation_level"] == "total"].sort_values("month_date")
    fig, ax = _figure("Projected stock value at month end (EUR)")
    ax.fill_between(total["month_date"], total["inventory_value_amount"], color="tab:purple", alpha=0.4)
    ax.plot(total["month_date"], total["inventory_value_amount"], color="tab:purple")
    return _png(fig)


def financial_gap(money: pd.DataFrame) -> str:
    total = money[money["aggregation_level"] == "total"].sort_values("month_date")
    fig, ax = _figure("Planned revenue vs budget (EUR)")
    ax.bar(total["month_date"], total["revenue_amount"], width=20, color="tab:blue", alpha=0.6, label="plan")
    ax.plot(total["month_date"], total["budget_revenue_amount"], color="tab:red", marker="o", label="budget")
    ax.legend(fontsize=7)
    return _png(fig)


def kpi_trend(scorecard: pd.DataFrame) -> str:
    total = scorecard[scorecard["aggregation_level"] == "total"].sort_values("month_date")
    fig, ax = _figure("KPI trend: fill rate and on-time-in-full (history)")
    ax.plot(total["month_date"], total["fill_rate"], label="fill rate")
    ax.plot(total["month_date"], total["on_time_in_full_rate"], label="on time in full")
    ax.legend(fontsize=7)
    return _png(fig)


def scenario_chart(scenarios: pd.DataFrame) -> str:
    others = scenarios[scenarios["scenario_name"] != "base"]
    fig, ax = _figure("Scenarios: margin change against the base plan (EUR)")
    colors = ["tab:green" if v >= 0 else "tab:red" for v in others["margin_change_amount"]]
    ax.barh(others["scenario_name"], others["margin_change_amount"], color=colors)
    ax.axvline(0, color="black", linewidth=0.8)
    return _png(fig)


def _table(frame: pd.DataFrame, formats: dict[str, str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            text = "" if pd.isna(value) else format(value, formats.get(column, ""))
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


STYLE = """
body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1000px; }
h1 { font-size: 22px; } h2 { font-size: 16px; margin-top: 28px; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 12px; } td, th { border: 1px solid #ddd; padding: 3px 8px; }
th { background: #f3f3f3; } .high { color: #b00; font-weight: bold; } img { max-width: 100%; }
"""


def network_section(tables: dict[str, pd.DataFrame]) -> str:
    """The supply network's page, for a network plan: what runs out and why, the intermediates made ahead
    (postponement), and the money of purchases and freight; empty without a network."""
    material = tables.get("material_plan", pd.DataFrame())
    if material.empty:
        return ""
    exceptions = tables["plan_exceptions"]
    causes = exceptions[exceptions["item_id"].notna() | exceptions["lane_id"].notna()].sort_values("priority")
    causes = causes[["priority", "severity", "exception_type", "exception_id", "size_qty", "size_amount", "detail"]]
    made = material[material["produced_qty"] > 0]
    postponed = (
        made.groupby(["item_id", "plant_id"])
        .agg(produced_qty=("produced_qty", "sum"), first_made=("bucket_date", "min"))
        .join(material.groupby(["item_id", "plant_id"]).agg(required_qty=("required_qty", "sum"),
                                                            peak_stock_qty=("closing_stock_qty", "max")))
        .reset_index()
        .assign(first_made=lambda f: pd.to_datetime(f["first_made"]).dt.strftime("%Y-%m-%d"))
    )  # fmt: skip
    bought = (
        tables["purchase_plan"]
        .groupby(["supplier_id", "currency_code"], as_index=False)
        .agg(
            purchase_qty=("purchase_qty", "sum"),
            purchase_currency_amount=("purchase_currency_amount", "sum"),
            purchase_amount=("purchase_amount", "sum"),
        )
    )
    freight = tables["transfer_plan"]["transport_amount"].sum()
    parts = [
        "<h2>Supply network</h2>",
        "<p>Why components run out where demand is lost (each sized in the revenue of the demand it starves):</p>",
        _table(causes, {"size_qty": ",.0f", "size_amount": ",.0f"})
        if len(causes)
        else "<p>None: no component or lane limits the plan.</p>",
        "<p>Intermediates made ahead and finished into SKUs (postponement):</p>",
        _table(postponed, {"produced_qty": ",.0f", "required_qty": ",.0f", "peak_stock_qty": ",.0f"}),
        f"<p>Purchases over the horizon by supplier; freight {freight:,.0f} EUR:</p>",
        _table(bought, {"purchase_qty": ",.0f", "purchase_currency_amount": ",.0f", "purchase_amount": ",.0f"}),
    ]
    return "".join(parts)


def _levers(gap, scenarios: pd.DataFrame) -> str:
    """The scenarios that would close (part of) a gap: for a supply gap those that lose less demand, for a revenue
    gap those that earn more; each with what it closes and its cost (the change of the plan's margin)."""
    if scenarios.empty:
        return "no scenario compared"
    others = scenarios[scenarios["scenario_name"] != "base"]
    if gap.exception_type in SUPPLY_GAPS:
        helping = others[others["shortage_qty_change"] < 0].sort_values(["shortage_qty_change", "scenario_name"])
        closes = [f"{-r.shortage_qty_change:,.0f} units more met" for r in helping.itertuples()]
    else:
        helping = others[others["revenue_change_amount"] > 0]
        helping = helping.sort_values(["revenue_change_amount", "scenario_name"], ascending=[False, True])
        closes = [f"revenue {r.revenue_change_amount:+,.0f} EUR" for r in helping.itertuples()]
    said = [
        f"{r.scenario_name}: {what}, margin {r.margin_change_amount:+,.0f} EUR"
        for r, what in zip(helping.head(LEVERS_PER_GAP).itertuples(), closes, strict=False)
    ]
    return "; ".join(said) or "no compared scenario closes it"


def agenda_section(tables: dict[str, pd.DataFrame]) -> str:
    """The meeting's agenda: the version's status, the decisions required, the decisions taken."""
    status = tables.get("plan_status", pd.DataFrame())
    if len(status):
        row = status.iloc[0]
        said = f"<b>{html.escape(row['status'])}</b>"
        if row["status"] in ("approved", "sent_back", "superseded") and pd.notna(row.get("decided_by")):
            said += f" by {html.escape(str(row['decided_by']))} at {str(row['decided_at'])[:16]} UTC: "
            said += html.escape(str(row["reason"]))
        if pd.notna(row.get("adopted_scenario")):
            said += f" (the plan of scenario {html.escape(row['adopted_scenario'])})"
    else:
        said = "<b>proposed</b>"
    exceptions = tables["plan_exceptions"]
    lifecycle = tables.get("exception_status", pd.DataFrame())
    if len(lifecycle):
        exceptions = exceptions.merge(
            lifecycle[["exception_id", "lifecycle_status", "age_in_cycles", "owner"]], on="exception_id", how="left"
        )
        open_gaps = exceptions[exceptions["lifecycle_status"] != "accepted"]
    else:
        open_gaps = exceptions.assign(lifecycle_status="new", age_in_cycles=1, owner=None)
    gaps = open_gaps[open_gaps["severity"].isin(["high", "medium"])].sort_values(
        ["size_amount", "exception_id"], ascending=[False, True]
    )
    scenarios = tables["scenario_comparison"]
    rows = pd.DataFrame(
        {
            "exception_id": gaps["exception_id"],
            "severity": gaps["severity"],
            "status": gaps["lifecycle_status"],
            "cycles": gaps["age_in_cycles"],
            "EUR": gaps["size_amount"],
            "levers (scenario: what it closes, its cost)": [_levers(g, scenarios) for g in gaps.itertuples()],
        }
    ).head(DECISIONS_REQUIRED)
    required = (
        _table(rows, {"EUR": ",.0f", "cycles": ".0f"})
        if len(rows)
        else "<p>No high or medium exception is open: nothing to decide beyond approving the plan.</p>"
    )
    log = tables.get("decision_log", pd.DataFrame())
    taken = "<p>No decision recorded for this cycle yet (sop decide, sop approve).</p>"
    if len(log):
        subject = log["plan_version"].map(lambda v: "" if pd.isna(v) else f"version {int(v)}")
        for column in ("scenario_name", "exception_id", "change_kind"):
            subject = subject.where(log[column].isna(), log[column].astype(str))
        shown = pd.DataFrame(
            {
                "decision": log["decision_kind"],
                "about": subject,
                "by": log["decided_by"],
                "at (UTC)": log["decided_at"].astype(str).str[:16],
                "why": log["reason"],
            }
        )
        taken = _table(shown, {})
    return (
        f"<h2>Agenda</h2><p>This version is {said}.</p><h3>Decisions required</h3>{required}"
        f"<h3>Decisions taken</h3>{taken}"
    )


def changes_section(changes: pd.DataFrame) -> str:
    """What changed since the last approved plan, by cause, over the horizon; the families that moved most."""
    if changes.empty:
        return (
            "<h2>What changed since the last approved plan</h2>"
            "<p>No approved plan of an earlier cycle to compare with.</p>"
        )
    parts = ["new_actuals_value", "forecast_change_value", "override_value", "capacity_supply_value", "price_value",
             "fx_value"]  # fmt: skip
    values = ["previous_value", "current_value", "change_value", *parts]
    by_measure = changes.groupby("measure_name", sort=False)[values].sum().astype(float).reset_index()
    first = changes.iloc[0]
    revenue = changes[changes["measure_name"] == "revenue_amount"]
    families = revenue.groupby("family_id")[values].sum().astype(float)
    families = families.reindex(families["change_value"].abs().sort_values(ascending=False).index).head(5).reset_index()
    formats = dict.fromkeys(values, "+,.0f") | {"previous_value": ",.0f", "current_value": ",.0f"}
    return (
        "<h2>What changed since the last approved plan</h2>"
        f"<p>Against cycle {html.escape(first['compared_cycle_id'])} version {int(first['compared_plan_version'])} "
        "(the newest approved plan), over the months both plan, and the months it planned that are history now. "
        "Each change is split into its causes; the parts add up to it.</p>"
        + _table(by_measure, formats)
        + "<h3>Families whose revenue moved most</h3>"
        + _table(families, formats)
    )


def render(cycle_id: str, plan_version: int, tables: dict[str, pd.DataFrame], accepted: str | None = None) -> str:
    """The page for one plan version from its published tables; ``accepted``: the months the run accepted as
    incomplete, said at the top (a plan on incomplete history is never shown as if it were complete)."""
    plan, money = tables["plan_reconciled"], tables["plan_financials"]
    total = money[money["aggregation_level"] == "total"]
    exceptions = tables["plan_exceptions"].sort_values("priority")  # the meeting's order (fct_plan_exceptions)
    top = exceptions.head(TOP_EXCEPTIONS)[
        [
            "priority",
            "severity",
            "exception_type",
            "exception_id",
            "first_bucket_date",
            "size_qty",
            "size_unit",
            "size_amount",
        ]
    ].assign(first_bucket_date=lambda f: pd.to_datetime(f["first_bucket_date"]).dt.strftime("%Y-%m-%d"))
    columns = ["scenario_name", "revenue_amount", "margin_change_amount", "fill_rate", "shortage_qty"]
    if not tables.get("material_plan", pd.DataFrame()).empty:  # a network: what its purchases and freight become
        columns += ["purchase_amount", "transport_amount"]
    scenarios = tables["scenario_comparison"][[*columns, "description"]]
    headline = {
        "revenue (EUR)": total["revenue_amount"].sum(),
        "margin (EUR)": total["margin_amount"].sum(),
        "gap to budget (EUR)": total["revenue_gap_amount"].sum(),
        "planned fill rate": plan["demand_met_qty"].sum() / max(plan["consensus_demand_qty"].sum(), 1e-9),
        "unmet demand (units)": plan["shortage_qty"].sum(),
        "lost revenue (EUR)": total["lost_revenue_amount"].sum(),
        "exceptions (high)": int((exceptions["severity"] == "high").sum()),
    }
    charts = [
        ("Demand vs supply", "demand_vs_supply", demand_vs_supply(plan)),
        ("Projected inventory", "projected_inventory", projected_inventory(money)),
        ("Financial gap to budget", "financial_gap", financial_gap(money)),
        ("KPI trend", "kpi_trend", kpi_trend(tables["kpi_scorecard"])),
    ]
    sections = [agenda_section(tables), changes_section(tables.get("plan_changes", pd.DataFrame()))]
    sections += [f"<h2>{title}</h2><img alt='{name}' src='data:image/png;base64,{png}'>" for title, name, png in charts]
    sections.append(
        "<h2>Top exceptions</h2>"
        + _table(top, {"size_qty": ",.0f", "size_amount": ",.0f"}).replace("<td>high</td>", "<td class=high>high</td>")
    )
    sections.append(
        "<h2>Scenarios</h2>"
        + f"<img alt='scenarios' src='data:image/png;base64,{scenario_chart(scenarios)}'>"
        + _table(
            scenarios,
            {
                "revenue_amount": ",.0f",
                "margin_change_amount": "+,.0f",
                "fill_rate": ".3f",
                "shortage_qty": ",.0f",
                "purchase_amount": ",.0f",
                "transport_amount": ",.0f",
            },  # fmt: skip
        )
    )
    network = network_section(tables)
    if network:
        sections.append(network)
    cards = "".join(
        f"<td><b>{html.escape(k)}</b><br>{v:,.3f}</td>"
        if isinstance(v, float) and abs(v) < 10
        else f"<td><b>{html.escape(k)}</b><br>{v:,.0f}</td>"
        for k, v in headline.items()
    )
    warning = (
        f"<p class=high>Planned on history accepted as incomplete: {html.escape(accepted)} "
        "(the run's explicit choice; see publish_log.accepted_incomplete).</p>"
        if accepted
        else ""
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>S&amp;OP pack {cycle_id} v{plan_version}</title>"
        f"<style>{STYLE}</style></head><body><h1>S&amp;OP executive pack: cycle {cycle_id}, plan version "
        f"{plan_version}</h1>{warning}<table><tr>{cards}</tr></table>{''.join(sections)}</body></html>"
    )


def run(paths: Paths, cycle_id: str) -> dict:
    """Write the pack of the cycle's newest published version to ``publish/pack/<cycle>_v<version>.html``."""
    with duckdb.connect(str(paths.publish_db), read_only=True) as con:
        version = con.execute("select max(plan_version) from publish_log where cycle_id = ?", [cycle_id]).fetchone()[0]
        if version is None:
            raise ValueError(f"cycle {cycle_id} has not been published: no pack to make")
        (accepted,) = con.execute(
            "select max(accepted_incomplete) from publish_log where cycle_id = ? and plan_version = ?",
            [cycle_id, version],
        ).fetchone()
        names = ("plan_reconciled", "plan_financials", "plan_exceptions", "scenario_comparison", "kpi_scorecard",
                 "material_plan", "purchase_plan", "transfer_plan")  # fmt: skip
        have = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        names += tuple(n for n in ("plan_changes", "exception_status", "plan_status") if n in have)
        tables = {
            name: con.execute(f"select * from {name} where cycle_id = ? and plan_version = ?", [cycle_id, version]).df()
            for name in names
        }
        if "decision_log" in have:
            tables["decision_log"] = con.execute(
                "select * from decision_log where cycle_id = ? order by decided_at, decision_id", [cycle_id]
            ).df()
    page = render(cycle_id, version, tables, accepted)
    folder = paths.publish_dir / "pack"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{cycle_id}_v{version}.html"
    path.write_text(page)
    return {"path": str(path), "plan_version": version, "bytes": len(page)}
