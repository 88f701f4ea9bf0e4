"""What-if scenarios: a YAML file of changes to the plan's inputs, planned with the same LP as the base plan.

A scenario file (``scenarios/*.yaml``)::

    name: dairy_demand_up
    description: A competitor's recall lifts dairy demand in the north by 30% for three months.
    changes:
      - {kind: demand_shock, factor: 1.3, family_id: DAI, region: NORTH, from: 2026-03, to: 2026-05}

Kinds and their fields (``family_id``, ``region``, ``sku_id``, ``location_id`` narrow any series change; ``from``
and ``to`` are months, inclusive, open-ended when left out):

* ``demand_shock``: consensus demand times ``factor``.
* ``capacity_loss``: a plant's (``plant_id``) or a resource's (``resource_id``) regular hours times
  ``1 - share``.
* ``price_change``: net price times ``factor`` (demand does not react: add a demand_shock for elasticity).
* ``fx_shift``: the EUR value of every price in ``currency`` times ``factor`` (0.9 = that currency lost 10%).
* ``lead_time``: replenishment lead time plus ``days``; safety stock follows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sop.planning.supply_plan import PlanInputs

SERIES_FILTERS = ("family_id", "region", "sku_id", "location_id")
FIELDS = {
    "demand_shock": {"factor"},
    "capacity_loss": {"share"},
    "price_change": {"factor"},
    "fx_shift": {"currency", "factor"},
    "lead_time": {"days"},
}
OPTIONAL = {*SERIES_FILTERS, "from", "to", "plant_id", "resource_id"}


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    changes: tuple[dict, ...]

    @classmethod
    def load(cls, path: Path) -> Scenario:
        spec = yaml.safe_load(path.read_text()) or {}
        for key in ("name", "changes"):
            if key not in spec:
                raise ValueError(f"{path}: a scenario needs '{key}'")
        for number, change in enumerate(spec["changes"], start=1):
            kind = change.get("kind")
            if kind not in FIELDS:
                raise ValueError(f"{path}: change {number}: kind must be one of {sorted(FIELDS)}, not {kind!r}")
            missing = FIELDS[kind] - set(change)
            unknown = set(change) - FIELDS[kind] - OPTIONAL - {"kind"}
            if missing or unknown:
                raise ValueError(
                    f"{path}: change {number} ({kind}): missing {sorted(missing)}, unknown {sorted(unknown)}"
                )
            if kind == "capacity_loss" and not ({"plant_id", "resource_id"} & set(change)):
                raise ValueError(f"{path}: change {number} (capacity_loss) needs plant_id or resource_id")
        return cls(spec["name"], spec.get("description", "").strip(), tuple(spec["changes"]))


def load_all(folder: Path) -> list[Scenario]:
    """Every scenario in ``folder``, by file name; names must be unique."""
    scenarios = [Scenario.load(p) for p in sorted(folder.glob("*.yaml"))]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names) or "base" in names:
        raise ValueError(f"{folder}: scenario names must be unique and not 'base': {names}")
    return scenarios


def _months(buckets: pd.DatetimeIndex, change: dict) -> np.ndarray:
    """Which buckets a change applies to: those starting in its months (``from``..``to``, inclusive)."""
    month = buckets.to_period("M")
    start = pd.Period(str(change["from"]), "M") if "from" in change else month.min()
    end = pd.Period(str(change["to"]), "M") if "to" in change else month.max()
    return np.asarray((month >= start) & (month <= end))


def _series(series: pd.DataFrame, change: dict) -> np.ndarray:
    mask = np.ones(len(series), bool)
    for column in SERIES_FILTERS:
        if column in change:
            mask &= (series[column] == change[column]).to_numpy()
    return mask


def apply(inputs: PlanInputs, scenario: Scenario, safety_stock) -> PlanInputs:
    """The plan's inputs with the scenario's changes, in order. ``safety_stock(service_level, rmse,
    lead_time_days)`` recomputes safety stock when a lead time changes."""
    series, demand, hours = inputs.series.copy(), inputs.demand.astype(float).copy(), inputs.hours.copy()
    for change in scenario.changes:
        kind, rows, when = change["kind"], _series(series, change), _months(inputs.buckets, change)
        if kind == "demand_shock":
            demand[np.ix_(rows, when)] *= float(change["factor"])
        elif kind == "capacity_loss":
            if "resource_id" in change:
                lost = [change["resource_id"]]
            else:
                lost = series.loc[series["plant_id"] == change["plant_id"], "resource_id"].dropna().unique()
            hit = hours.index.isin(lost)
            hours.loc[hit, hours.columns[when]] *= 1 - float(change["share"])
        elif kind == "price_change":
            series.loc[rows, "net_price_amount"] *= float(change["factor"])
        elif kind == "fx_shift":
            rows &= (series["currency_code"] == change["currency"]).to_numpy()
            series.loc[rows, "net_price_amount"] *= float(change["factor"])
        elif kind == "lead_time":
            series.loc[rows, "lead_time_days"] += float(change["days"])
            series["safety_stock_qty"] = safety_stock(
                series["target_service_level"], series["rmse_qty"], series["lead_time_days"]
            )
    return replace(inputs, series=series, demand=demand, hours=hours)


def outcome(inputs: PlanInputs, result) -> dict[str, float]:
    """What the meeting compares across scenarios, from a solved plan (EUR, units, ratios)."""
    plan, resources = result.series_plan, result.resource_plan
    S, T = inputs.demand.shape
    price = np.repeat(inputs.series["net_price_amount"].to_numpy(float), T)
    cost = np.repeat(inputs.series["unit_cost_amount"].to_numpy(float), T)
    met = plan["demand_met_qty"].to_numpy()
    stock_value = (plan["closing_inventory_qty"].to_numpy() * cost).reshape(S, T).sum(axis=0)
    return {
        "demand_qty": round(float(inputs.demand.sum()), 4),
        "shortage_qty": round(float(plan["shortage_qty"].sum()), 4),
        "fill_rate": round(float(met.sum() / max(inputs.demand.sum(), 1e-9)), 6),
        "revenue_amount": round(float((met * price).sum()), 2),
        "margin_amount": round(float((met * (price - cost)).sum()), 2),
        "average_inventory_value_amount": round(float(stock_value.mean()), 2),
        "capacity_utilization": round(
            float(resources["planned_hours"].sum() / max(resources["available_hours"].sum(), 1e-9)), 6
        ),
        "overtime_hours": round(float(resources["overtime_hours"].sum()), 4),
        "plan_cost_amount": round(float(result.objective), 2),
    }


def compared(table: pd.DataFrame) -> pd.DataFrame:
    """The outcomes with each scenario's change against the base (the first row)."""
    base = table.iloc[0]
    for column in ("revenue_amount", "margin_amount", "fill_rate", "average_inventory_value_amount", "shortage_qty"):
        digits = 6 if column == "fill_rate" else 2
        table[f"{column.removesuffix('_amount')}_change" + ("_amount" if column.endswith("_amount") else "")] = (
            table[column] - base[column]
        ).round(digits)
    return table


def markdown_table(table: pd.DataFrame) -> str:
    """The comparison's headline columns as a markdown table (the Dagster UI shows it)."""
    columns = ["scenario_name", "revenue_amount", "margin_change_amount", "fill_rate", "shortage_qty"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in table[columns].itertuples(index=False):
        name, revenue, margin, fill, short = row
        lines.append(f"| {name} | {revenue:,.0f} | {margin:+,.0f} | {fill:.3f} | {short:,.0f} |")
    return "\n".join(lines)
