"""The S&OP meeting's decisions as data: files of decisions (``decisions/*.yaml``, which can live in git like the
scenarios), each with who, when and why, checked against what was published.

A decision file is a list of decisions::

    - kind: accept_exception
      cycle: 2026-01
      exception_id: capacity_overload:P1-L1
      owner: Plant manager P1
      due: 2026-03-31
      by: Supply planner
      at: 2026-01-20T09:30:00
      reason: Overtime is booked; the second shift starts in March.
    - {kind: approve, cycle: 2026-01, version: 2, by: CEO, at: 2026-01-22T16:00:00, reason: Executive S&OP}

Kinds (every one has ``cycle``, ``by``, ``at``, ``reason`` and an optional ``id``; without one its id is the
file's name and the row, e.g. ``2026-01.yaml#3``):

* ``adopt_scenario``: the cycle's plan becomes ``scenario``'s (a scenario the cycle compared): the next run of the
  cycle publishes it as a new proposed version.
* ``accept_exception``: ``exception_id`` (a problem the cycle's plan lists) is accepted until ``due``, owned by
  ``owner``.
* ``request_change``: a change the runs of its cycle and of every later cycle take in (until its months pass):
  ``change: override`` (``qty`` units or ``pct`` percent for ``month``, narrowed by ``sku_id``, ``location_id``,
  ``family_id``, ``region``; a planner override made in the meeting), ``change: capacity`` (``extra_hours`` added
  to each month of ``resource_id`` from ``from`` to ``to``) or ``change: expedite`` (``supplier_id`` delivers
  ``item_id``, or everything, ``months`` sooner). ``exception_id`` may name the problem it answers. What it names
  (SKU, location, family, region, resource, supplier, item) must be in the cycle's plan.
* ``approve``: ``version`` is the cycle's plan; the cycle is closed.
* ``send_back``: ``version`` is not approved (the cycle stays open for a new version).
* ``unfreeze``: the next run may change the frozen window's production, purchases and transfers of the months
  ``from`` to ``to`` (narrowed by ``sku_id``).

A decision is refused, naming the file, the row and the field, when its version does not exist or its quality
gates failed, its scenario or exception is not the cycle's, or its cycle is closed (approved, or a later cycle
approved before it was made).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, ClassVar, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator

from sop.cycles import parse_cycle


class DecisionError(ValueError):
    """A decision that cannot be taken, naming its file, row and field."""


class _Decision(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    id: str | None = Field(None, min_length=1)
    cycle: str
    by: str = Field(min_length=1)
    at: datetime
    reason: str = Field(min_length=1)

    @field_validator("cycle", mode="before")
    @classmethod
    def _cycle(cls, value):
        return parse_cycle(str(value))

    @field_validator("at")
    @classmethod
    def _naive_utc(cls, value: datetime):
        """Stored as UTC without a zone (as published_at is)."""
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value


def _month(value):
    return None if value is None else parse_cycle(str(value), "month")


class _Version(_Decision):
    version: int = Field(ge=1)


class Approve(_Version):
    kind: Literal["approve"]


class SendBack(_Version):
    kind: Literal["send_back"]


class AdoptScenario(_Decision):
    kind: Literal["adopt_scenario"]
    scenario: str = Field(min_length=1)


class AcceptException(_Decision):
    kind: Literal["accept_exception"]
    exception_id: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    due: date


class RequestChange(_Decision):
    kind: Literal["request_change"]
    change: Literal["override", "capacity", "expedite"]
    exception_id: str | None = None
    sku_id: str | None = None
    location_id: str | None = None
    family_id: str | None = None
    region: str | None = None
    month: str | None = None
    qty: float | None = Field(None, ge=0)
    pct: float | None = Field(None, gt=-100)
    resource_id: str | None = None
    extra_hours: float | None = Field(None, gt=0)
    from_month: str | None = Field(None, alias="from")
    to_month: str | None = Field(None, alias="to")
    supplier_id: str | None = None
    item_id: str | None = None
    months: int | None = Field(None, ge=1)

    FIELDS: ClassVar[dict] = {
        "override": ({"month"}, {"sku_id", "location_id", "family_id", "region", "qty", "pct"}),
        "capacity": ({"resource_id", "extra_hours"}, {"from_month", "to_month"}),
        "expedite": ({"supplier_id", "months"}, {"item_id"}),
    }

    @field_validator("month", "from_month", "to_month", mode="before")
    @classmethod
    def _months(cls, value):
        return _month(value)

    @model_validator(mode="after")
    def _fields_of_the_change(self):
        required, optional = self.FIELDS[self.change]
        missing = sorted(f for f in required if getattr(self, f) is None)
        if missing:
            raise ValueError(f"a {self.change} request needs {', '.join(missing)}")
        others = set().union(*(r | o for r, o in self.FIELDS.values())) - required - optional
        stray = sorted(f for f in others if getattr(self, f) is not None)
        if stray:
            raise ValueError(f"a {self.change} request has no {', '.join(stray)}")
        if self.change == "override" and (self.qty is None) == (self.pct is None):
            raise ValueError("an override request sets qty or pct (one of them)")
        return self


class Unfreeze(_Decision):
    kind: Literal["unfreeze"]
    from_month: str = Field(alias="from")
    to_month: str = Field(alias="to")
    sku_id: str | None = None

    @field_validator("from_month", "to_month", mode="before")
    @classmethod
    def _months(cls, value):
        return _month(value)


Decision = Annotated[
    Approve | SendBack | AdoptScenario | AcceptException | RequestChange | Unfreeze, Field(discriminator="kind")
]
KINDS = ("adopt_scenario", "accept_exception", "request_change", "approve", "send_back", "unfreeze")
_parse = TypeAdapter(Decision)


@dataclass(frozen=True)
class Filed:
    """A decision and where it was written."""

    decision: _Decision
    path: Path
    row: int  # 1-based position in its file

    @property
    def decision_id(self) -> str:
        return self.decision.id or f"{self.path.name}#{self.row}"

    def error(self, field_name: str, message: str) -> DecisionError:
        return DecisionError(f"{self.path}, row {self.row}, field {field_name}: {message}")


def decision_files(folder: Path) -> list[Path]:
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.exists() else []


def load_file(path: Path) -> list[Filed]:
    """One decision file, each row checked by its schema (unknown kinds and fields, missing who/when/why, bad
    months and dates are errors naming the file, row and field)."""
    try:
        rows = yaml.safe_load(path.read_text()) or []
    except yaml.YAMLError as e:
        raise DecisionError(f"{path}: not valid YAML: {e}") from None
    if isinstance(rows, dict) and set(rows) == {"decisions"}:
        rows = rows["decisions"] or []
    if not isinstance(rows, list):
        raise DecisionError(f"{path}: a decision file is a list of decisions (mappings with a kind)")
    filed, problems = [], []
    for row, spec in enumerate(rows, start=1):
        if not isinstance(spec, dict):
            problems.append(f"{path}, row {row}: a decision is a mapping with a kind ({', '.join(KINDS)})")
            continue
        try:
            filed.append(Filed(_parse.validate_python(spec), path, row))
        except ValidationError as e:
            for err in e.errors():
                loc = [str(p) for p in err["loc"] if p != spec.get("kind")]
                name = ".".join(loc) or ("change" if spec.get("kind") == "request_change" else "kind")
                name = {"from_month": "from", "to_month": "to"}.get(name, name)
                problems.append(f"{path}, row {row}, field {name}: {err['msg']}")
    if problems:
        raise DecisionError("; ".join(problems))
    return filed


def load_all(folder: Path) -> list[Filed]:
    """Every decision in ``folder``, in the order they were made (``at``; then file and row). Ids are unique."""
    filed = [f for path in decision_files(folder) for f in load_file(path)]
    seen: dict[str, Filed] = {}
    for f in filed:
        if f.decision_id in seen:
            first = seen[f.decision_id]
            raise f.error("id", f"{f.decision_id!r} is also the id of {first.path}, row {first.row}")
        seen[f.decision_id] = f
    return sorted(filed, key=lambda f: (f.decision.at, str(f.path), f.row))


@dataclass
class Published:
    """What decisions may refer to: the store's versions (with why a version's quality gates failed, if they
    did), the failed runs of each cycle, and each cycle's scenarios and exceptions."""

    versions: dict[str, dict[int, str | None]] = field(default_factory=dict)  # cycle -> version -> gate failure
    failed_runs: dict[str, list[str]] = field(default_factory=dict)  # cycle -> "run abc: why"
    scenarios: dict[str, set[str]] = field(default_factory=dict)
    exceptions: dict[str, set[str]] = field(default_factory=dict)
    # cycle -> field -> what its plan has (SKUs, locations, families, regions, resources, suppliers, items): a
    # change request naming anything else would change nothing, so it is refused
    known: dict[str, dict[str, set[str]]] = field(default_factory=dict)


# what a change request may name, and the published table and column that list the cycle's values (the
# scorecard's rollup rows say ALL, which names no family or region)
KNOWN_FIELDS = {
    "sku_id": ("plan_reconciled", "sku_id"),
    "location_id": ("plan_reconciled", "location_id"),
    "family_id": ("kpi_scorecard", "family_id"),
    "region": ("kpi_scorecard", "region"),
    "resource_id": ("capacity_plan", "resource_id"),
    "supplier_id": ("purchase_plan", "supplier_id"),
    "item_id": ("purchase_plan", "item_id"),
}


def check(filed: list[Filed], published: Published) -> None:
    """Each decision in the order made, against what was published and the decisions before it."""
    approved: dict[str, Filed] = {}  # cycle -> its approval
    sent_back: dict[tuple[str, int], Filed] = {}
    for f in filed:
        d = f.decision
        closed = approved.get(d.cycle) or next(
            (a for c, a in sorted(approved.items(), reverse=True) if c > d.cycle and a.decision.at <= d.at), None
        )
        if closed:
            cd = closed.decision
            raise f.error(
                "cycle",
                f"cycle {d.cycle} is closed: {cd.cycle} version {cd.version} was approved by {cd.by} at {cd.at} "
                f"({closed.path.name}, row {closed.row})",
            )
        versions = published.versions.get(d.cycle, {})
        if isinstance(d, Approve | SendBack):
            if d.version not in versions:
                have = ", ".join(map(str, sorted(versions))) or "none"
                failed = "; ".join(published.failed_runs.get(d.cycle, []))
                raise f.error(
                    "version",
                    f"cycle {d.cycle} has no version {d.version} (published: {have})"
                    + (f"; its failed runs: {failed}" if failed else ""),
                )
            if isinstance(d, Approve):
                if versions[d.version]:
                    failed = versions[d.version]
                    raise f.error("version", f"{d.cycle} version {d.version}'s quality gates failed: {failed}")
                if (d.cycle, d.version) in sent_back:
                    back = sent_back[(d.cycle, d.version)]
                    said = f"{d.cycle} version {d.version} was sent back ({back.path.name}, row {back.row})"
                    raise f.error("version", said)
                approved[d.cycle] = f
            else:
                sent_back[(d.cycle, d.version)] = f
        elif not versions:
            raise f.error("cycle", f"cycle {d.cycle} has no published plan to decide on")
        elif isinstance(d, AdoptScenario) and d.scenario not in published.scenarios.get(d.cycle, set()):
            known = ", ".join(sorted(published.scenarios.get(d.cycle, set()) - {"base"})) or "none"
            raise f.error("scenario", f"cycle {d.cycle} compared no scenario {d.scenario!r} (compared: {known})")
        elif isinstance(d, AcceptException | RequestChange) and (
            d.exception_id and d.exception_id not in published.exceptions.get(d.cycle, set())
        ):
            raise f.error("exception_id", f"cycle {d.cycle}'s plan lists no exception {d.exception_id!r}")
        if isinstance(d, RequestChange | Unfreeze):
            for name in KNOWN_FIELDS:
                value = getattr(d, name, None)
                have = published.known.get(d.cycle, {}).get(name, set())
                if value is not None and value not in have:
                    shown = ", ".join(sorted(have)[:12]) or "none"
                    raise f.error(name, f"cycle {d.cycle}'s plan has no {name} {value!r} (it has: {shown})")


LOG_COLUMNS = {
    "decision_id": "The decision's id: its own, or its file's name and row (2026-01.yaml#3).",
    "cycle_id": "Cycle (YYYY-MM) the decision is about.",
    "decision_kind": "adopt_scenario, accept_exception, request_change, approve, send_back or unfreeze.",
    "plan_version": "Version approved or sent back (else null).",
    "scenario_name": "Scenario adopted as the cycle's plan (else null).",
    "exception_id": "Exception accepted, or answered by a change request (else null).",
    "owner": "Who owns an accepted exception (else null).",
    "due_date": "Date an accepted exception is due to be resolved by (else null).",
    "change_kind": "override, capacity or expedite, for a change request (else null).",
    "change_detail": "A change request's or an unfreeze's fields, as JSON (else null).",
    "decided_by": "Who decided.",
    "decided_at": "When (UTC).",
    "reason": "Why.",
    "source_file": "The decision file.",
    "source_row": "Row of the decision in its file (1 first).",
}


# the decision log's column types, so that a log without decisions (an empty frame) has them too
LOG_TYPES = dict.fromkeys(LOG_COLUMNS, "varchar") | {
    "plan_version": "integer", "due_date": "date", "decided_at": "timestamp", "source_row": "integer",
}  # fmt: skip


def log_frame(filed: list[Filed]) -> pd.DataFrame:
    """The decisions as the decision_log table: one row each, in the order made."""
    rows = []
    for f in filed:
        d = f.decision
        detail = None
        if isinstance(d, RequestChange | Unfreeze):
            spec = d.model_dump(by_alias=True, exclude_none=True, exclude={"id", "cycle", "by", "at", "reason", "kind",
                                                                            "exception_id", "change"})  # fmt: skip
            detail = json.dumps(spec, sort_keys=True)
        rows.append(
            {
                "decision_id": f.decision_id,
                "cycle_id": d.cycle,
                "decision_kind": d.kind,
                "plan_version": getattr(d, "version", None),
                "scenario_name": getattr(d, "scenario", None),
                "exception_id": getattr(d, "exception_id", None),
                "owner": getattr(d, "owner", None),
                "due_date": getattr(d, "due", None),
                "change_kind": getattr(d, "change", None),
                "change_detail": detail,
                "decided_by": d.by,
                "decided_at": d.at,
                "reason": d.reason.strip(),
                "source_file": str(f.path),
                "source_row": f.row,
            }
        )
    frame = pd.DataFrame(rows, columns=list(LOG_COLUMNS))
    return frame.astype({"plan_version": "Int64", "source_row": "int64"}).assign(
        decided_at=pd.to_datetime(frame["decided_at"]).astype("datetime64[us]"),
        due_date=pd.to_datetime(frame["due_date"]).dt.date,
    )


# The change requests as the next run takes them in (dbt: overrides into consensus demand, extra hours into
# capacity; the network plan: expedites), one typed row each: dbt reads these columns, never the log's JSON.
CHANGE_COLUMNS = {
    "decision_id": "The request's decision id.",
    "cycle_id": "Cycle (YYYY-MM) whose meeting asked for it: its runs and every later cycle's take it in.",
    "change_kind": "override, capacity or expedite.",
    "exception_id": "The exception the request answers (else null).",
    "sku_id": "Override: the SKU it narrows to (else null).",
    "location_id": "Override: the location it narrows to (else null).",
    "family_id": "Override: the family it narrows to (else null).",
    "region": "Override: the region it narrows to (else null).",
    "month_date": "Override: first day of the month it sets.",
    "override_qty": "Override: the month's demand in units for everything it covers (else null).",
    "override_pct": "Override: percent change of the statistical forecast (else null).",
    "resource_id": "Capacity: the resource given extra hours.",
    "extra_hours": "Capacity: hours added to each month from from_month_date to to_month_date.",
    "from_month_date": "Capacity: first month of the extra hours (null: from the start of the horizon).",
    "to_month_date": "Capacity: last month of the extra hours (null: to the end of the horizon).",
    "supplier_id": "Expedite: the supplier that delivers sooner.",
    "item_id": "Expedite: the item it expedites (null: everything the supplier delivers).",
    "expedite_months": "Expedite: months off the supplier's lead time (never below zero).",
    "decided_by": "Who asked.",
    "decided_at": "When (UTC).",
    "reason": "Why.",
}
CHANGE_TYPES = dict.fromkeys(CHANGE_COLUMNS, "varchar") | {
    "month_date": "date", "override_qty": "double", "override_pct": "double", "extra_hours": "double",
    "from_month_date": "date", "to_month_date": "date", "expedite_months": "integer", "decided_at": "timestamp",
}  # fmt: skip


def _first_day(month: str | None) -> date | None:
    return None if month is None else date.fromisoformat(f"{month}-01")


def change_requests(filed: list[Filed]) -> pd.DataFrame:
    """The request_change decisions as the change_requests table (CHANGE_COLUMNS), in the order made."""
    rows = [
        {
            "decision_id": f.decision_id,
            "cycle_id": d.cycle,
            "change_kind": d.change,
            "exception_id": d.exception_id,
            "sku_id": d.sku_id,
            "location_id": d.location_id,
            "family_id": d.family_id,
            "region": d.region,
            "month_date": _first_day(d.month),
            "override_qty": d.qty,
            "override_pct": d.pct,
            "resource_id": d.resource_id,
            "extra_hours": d.extra_hours,
            "from_month_date": _first_day(d.from_month),
            "to_month_date": _first_day(d.to_month),
            "supplier_id": d.supplier_id,
            "item_id": d.item_id,
            "expedite_months": d.months,
            "decided_by": d.by,
            "decided_at": d.at,
            "reason": d.reason.strip(),
        }
        for f in filed
        if isinstance(d := f.decision, RequestChange)
    ]
    frame = pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))
    return frame.astype(
        {"expedite_months": "Int64", "override_qty": float, "override_pct": float, "extra_hours": float}
    ).assign(  # fmt: skip
        decided_at=pd.to_datetime(frame["decided_at"]).astype("datetime64[us]")
    )


STATUS_COLUMNS = {
    "cycle_id": "Cycle (YYYY-MM).",
    "plan_version": "Version of the cycle's plan.",
    "status": "proposed until decided; approved (the cycle's plan, one per cycle), sent_back, or superseded "
    "(a proposed version of a cycle that approved another).",
    "published_at": "When the version was published (UTC).",
    "adopted_scenario": "The scenario whose plan the version is, when a decision adopted one (else null).",
    "decided_by": "Who approved or sent it back (else null).",
    "decided_at": "When (UTC; else null).",
    "decision_id": "The decision that approved or sent it back (else null).",
    "reason": "Why (else null).",
}


def plan_status(versions: pd.DataFrame, log: pd.DataFrame) -> pd.DataFrame:
    """Each published version's status: ``versions`` has cycle_id, plan_version, published_at, adopted_scenario;
    ``log`` is the decision log (checked: at most one approval per cycle, none of a version sent back)."""
    verdicts = log[log["decision_kind"].isin(["approve", "send_back"])]
    verdicts = verdicts.drop_duplicates(["cycle_id", "plan_version"], keep="last")
    status = versions.merge(
        verdicts[
            ["cycle_id", "plan_version", "decision_kind", "decided_by", "decided_at", "decision_id", "reason"]
        ].astype({"plan_version": "int64"}),
        on=["cycle_id", "plan_version"],
        how="left",
    )
    approved_cycles = set(verdicts.loc[verdicts["decision_kind"] == "approve", "cycle_id"])
    status["status"] = status["decision_kind"].map({"approve": "approved", "send_back": "sent_back"})
    superseded = status["status"].isna() & status["cycle_id"].isin(approved_cycles)
    status.loc[superseded, "status"] = "superseded"
    status["status"] = status["status"].fillna("proposed")
    return status[list(STATUS_COLUMNS)].sort_values(["cycle_id", "plan_version"]).reset_index(drop=True)
