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
* ``labour_shortage``: the crews (labour resources) of ``plant_id`` lose ``share`` of their hours.

On a supply network (sop/planning/network_scenarios.py) also:

* ``supplier_loss``: ``supplier_id`` (for ``item_id``, or everything it delivers) delivers ``1 - share`` of its
  maximum in the months (a supplier without a maximum can only be lost whole, ``share: 1``).
* ``supplier_lead_time``: its lead time plus ``months``, for the whole horizon.
* ``lane_change``: ``lane_id`` ``closed`` or its capacity times ``capacity_factor`` in the months, or
  ``extra_transit_months`` slower for the whole horizon.
* ``qualify_plant``: ``plant_id`` may make the SKUs of ``family_id`` (or ``sku_id``) on ``resource_id`` (and
  ``crew_id``) at ``rate_factor`` times the rate of ``from_plant`` (default: where each is made), with the same
  BOM and the same suppliers delivering to it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from sop.cycles import parse_cycle
from sop.planning.supply_plan import PlanInputs

SERIES_FILTERS = ("family_id", "region", "sku_id", "location_id")


class _Change(BaseModel):
    """What every change may narrow: series by family, region, SKU and location, and months (inclusive)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    family_id: str | None = None
    region: str | None = None
    sku_id: str | None = None
    location_id: str | None = None
    from_month: str | None = Field(None, alias="from")
    to_month: str | None = Field(None, alias="to")

    @field_validator("from_month", "to_month", mode="before")
    @classmethod
    def _month(cls, value):
        return None if value is None else parse_cycle(str(value), "month")

    @field_validator("family_id", "region", "sku_id", "location_id", mode="before")
    @classmethod
    def _text(cls, value):
        return None if value is None else str(value)


class _PerSeries(_Change):
    """A change to what the plan holds per series, not per bucket (net price, lead time): it applies to the whole
    horizon, and months would be silently ignored, so they are refused."""

    def model_post_init(self, _) -> None:
        if self.from_month or self.to_month:
            raise ValueError(f"{self.kind} applies to the whole horizon (prices and lead times are per series): drop "
                             "from and to")  # fmt: skip


class DemandShock(_Change):
    kind: Literal["demand_shock"]
    factor: float = Field(ge=0)


class CapacityLoss(_Change):
    kind: Literal["capacity_loss"]
    share: float = Field(ge=0, le=1)
    plant_id: str | None = None
    resource_id: str | None = None

    def model_post_init(self, _) -> None:
        if not (self.plant_id or self.resource_id):
            raise ValueError("capacity_loss needs plant_id or resource_id")


class PriceChange(_PerSeries):
    kind: Literal["price_change"]
    factor: float = Field(gt=0)


class FxShift(_PerSeries):
    kind: Literal["fx_shift"]
    currency: str
    factor: float = Field(gt=0)


class LeadTime(_PerSeries):
    kind: Literal["lead_time"]
    days: float


class LabourShortage(_Change):
    kind: Literal["labour_shortage"]
    plant_id: str
    share: float = Field(ge=0, le=1)


class _Network(_Change):
    """A change to the supply network: a data set without one cannot plan it."""


class _WholeHorizon(_Network):
    def model_post_init(self, _) -> None:
        if self.from_month or self.to_month:
            raise ValueError(f"{self.kind} applies to the whole horizon: drop from and to")


class SupplierLoss(_Network):
    kind: Literal["supplier_loss"]
    supplier_id: str
    item_id: str | None = None
    share: float = Field(1.0, ge=0, le=1)  # of its deliveries lost in the months (1: none arrive)


class SupplierLeadTime(_WholeHorizon):
    kind: Literal["supplier_lead_time"]
    supplier_id: str
    item_id: str | None = None
    months: int  # added to the lead time (negative: faster, never below 0)


class LaneChange(_Network):
    kind: Literal["lane_change"]
    lane_id: str
    closed: bool = False  # nothing ships in the months
    capacity_factor: float | None = Field(None, ge=0)  # the lane's capacity times this in the months
    extra_transit_months: int = Field(0, ge=0)  # slower for the whole horizon

    def model_post_init(self, _) -> None:
        if not (self.closed or self.capacity_factor is not None or self.extra_transit_months):
            raise ValueError("lane_change needs closed, capacity_factor or extra_transit_months")
        if self.extra_transit_months and (self.from_month or self.to_month):
            raise ValueError("extra_transit_months applies to the whole horizon: drop from and to")


class QualifyPlant(_WholeHorizon):
    kind: Literal["qualify_plant"]
    plant_id: str  # the plant that may now make the SKUs of family_id (or sku_id)
    resource_id: str  # the line there that makes them
    crew_id: str | None = None  # its crew, if any
    from_plant: str | None = None  # whose routings, BOMs and sources are copied (default: where each SKU is made)
    rate_factor: float = Field(1.0, gt=0)  # the new line's output rate against the old one's

    def model_post_init(self, _) -> None:
        super().model_post_init(_)
        if not (self.family_id or self.sku_id):
            raise ValueError("qualify_plant needs family_id or sku_id")


NETWORK_KINDS = (SupplierLoss, SupplierLeadTime, LaneChange, QualifyPlant)
Change = Annotated[
    DemandShock
    | CapacityLoss
    | PriceChange
    | FxShift
    | LeadTime
    | LabourShortage
    | SupplierLoss
    | SupplierLeadTime
    | LaneChange
    | QualifyPlant,
    Field(discriminator="kind"),
]
CHANGE = TypeAdapter(Change)  # one change from its mapping, as a file gives it


class _ScenarioFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    description: str = ""
    changes: list[Change] = Field(min_length=1)


def _where(path: Path, error: dict, changes: list) -> str:
    """``file: change N (kind): field: what is wrong`` from one pydantic error."""
    loc = list(error["loc"])
    if loc[:1] == ["changes"] and len(loc) > 1 and isinstance(loc[1], int):
        number, rest = loc[1], loc[2:]
        kind = changes[number].get("kind") if isinstance(changes[number], dict) else None
        rest = [p for p in rest if p != kind]  # pydantic names the union member it tried
        field = ".".join(str(p) for p in rest) or "change"
        return f"{path}: change {number + 1} ({kind}): {field}: {error['msg']}"
    return f"{path}: {'.'.join(str(p) for p in loc) or 'file'}: {error['msg']}"


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    changes: tuple[_Change, ...]
    path: Path | None = None

    @classmethod
    def load(cls, path: Path) -> Scenario:
        """A scenario file, checked by its schema: unknown keys, wrong types and bad months are errors naming
        the file, the change and the field."""
        try:
            spec = yaml.safe_load(path.read_text())
        except yaml.YAMLError as e:
            raise ValueError(f"{path}: not valid YAML: {e}") from None
        if not isinstance(spec, dict):
            raise ValueError(f"{path}: a scenario is a mapping with name, description and changes")
        try:
            parsed = _ScenarioFile.model_validate(spec)
        except ValidationError as e:
            changes = spec.get("changes") if isinstance(spec.get("changes"), list) else []
            raise ValueError("; ".join(_where(path, err, changes) for err in e.errors())) from None
        return cls(parsed.name, parsed.description.strip(), tuple(parsed.changes), path)

    def check_references(self, known: dict[str, set]) -> None:
        """Every family, region, SKU, location, plant, resource and currency a change names exists in the plan's
        inputs (``known``: field -> values): a typo is an error, never a silent no-op."""
        problems = []
        for number, change in enumerate(self.changes, start=1):
            for field, values in known.items():
                value = getattr(change, field, None)
                if value is not None and value not in values:
                    shown = ", ".join(sorted(map(str, values))[:12])
                    problems.append(f"change {number} ({change.kind}): {field}: unknown {value!r} (known: {shown})")
        if problems:
            raise ValueError(f"{self.path or self.name}: " + "; ".join(problems))


def load_all(folder: Path) -> list[Scenario]:
    """Every scenario in ``folder``, by file name; names must be unique."""
    scenarios = [Scenario.load(p) for p in sorted(folder.glob("*.yaml"))]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names) or "base" in names:
        raise ValueError(f"{folder}: scenario names must be unique and not 'base': {names}")
    return scenarios


def known_values(inputs: PlanInputs, resources: pd.DataFrame | None = None, network: dict | None = None) -> dict:
    """What a scenario's changes may name, from the plan's inputs, its resources (resource_id, plant_id) and,
    for a network plan, its suppliers, items and lanes (``network``: field -> values)."""
    series = inputs.series
    plants = set(series["plant_id"].dropna()) | (set(resources["plant_id"]) if resources is not None else set())
    known = {
        **{c: set(series[c].dropna()) for c in SERIES_FILTERS},
        "plant_id": plants,
        "from_plant": plants,
        "resource_id": set(inputs.hours.index) | set(series["resource_id"].dropna()),
        "crew_id": set(inputs.hours.index),
        "currency": set(series["currency_code"].dropna()),
    }
    return known | (network or {"supplier_id": set(), "item_id": set(), "lane_id": set()})


def change_buckets(buckets: pd.DatetimeIndex, change: _Change) -> np.ndarray:
    """Which buckets a change applies to: those starting in its months (``from``..``to``, inclusive)."""
    month = buckets.to_period("M")
    start = pd.Period(change.from_month, "M") if change.from_month else month.min()
    end = pd.Period(change.to_month, "M") if change.to_month else month.max()
    return np.asarray((month >= start) & (month <= end))


def _series(series: pd.DataFrame, change: _Change) -> np.ndarray:
    mask = np.ones(len(series), bool)
    for column in SERIES_FILTERS:
        if getattr(change, column) is not None:
            mask &= (series[column] == getattr(change, column)).to_numpy()
    return mask


def apply(inputs: PlanInputs, scenario: Scenario, safety_stock, resources: pd.DataFrame | None = None) -> PlanInputs:
    """The plan's inputs with the scenario's changes, in order (a network's own changes are the network
    scenario's). ``safety_stock(service_level, rmse, lead_time_days)`` recomputes safety stock when a lead time
    changes; ``resources`` (resource_id, plant_id, resource_type) say which resources a plant has."""
    series, demand, hours = inputs.series.copy(), inputs.demand.astype(float).copy(), inputs.hours.copy()
    for change in scenario.changes:
        rows, when = _series(series, change), change_buckets(inputs.buckets, change)
        if isinstance(change, DemandShock):
            demand[np.ix_(rows, when)] *= change.factor
        elif isinstance(change, CapacityLoss | LabourShortage):
            if getattr(change, "resource_id", None):
                lost = [change.resource_id]
            else:
                lost = set(series.loc[series["plant_id"] == change.plant_id, "resource_id"].dropna())
                if resources is not None:
                    lost |= set(resources.loc[resources["plant_id"] == change.plant_id, "resource_id"])
            if isinstance(change, LabourShortage):
                labour = (
                    set()
                    if resources is None
                    else set(resources.loc[resources["resource_type"] == "labour", "resource_id"])
                )
                lost = set(lost) & labour
            hit = hours.index.isin(list(lost))
            hours.loc[hit, hours.columns[when]] *= 1 - change.share
        elif isinstance(change, PriceChange):
            series.loc[rows, "net_price_amount"] *= change.factor
        elif isinstance(change, FxShift):
            rows &= (series["currency_code"] == change.currency).to_numpy()
            series.loc[rows, "net_price_amount"] *= change.factor
        elif isinstance(change, LeadTime):
            series.loc[rows, "lead_time_days"] += change.days
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
