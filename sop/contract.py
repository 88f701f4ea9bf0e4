"""The input contract: every entity the landing folder accepts, its columns, types, units and keys.

This module is the single source of truth: the sample company writes it, ingest enforces it, the Great
Expectations suites are built from it, and ``python -m sop.contract --write`` writes them into docs/contract.md.
Quantities are in units (pieces), hours in machine hours, money in the currency named on the row (or the
reporting currency, EUR, where the column says so), months as the first day of the month.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

REPORTING_CURRENCY = "EUR"  # what fx_rates convert into; its own rows need no rate


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB SQL type the value is cast to on load
    unit: str
    description: str
    required: bool = True
    min_value: float | None = None
    # far above any business's figures, far below where sums overflow: a value past it is an extract error
    max_value: float | None = None
    allowed: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Entity:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # column -> (entity, column) it must exist in
    references: dict[str, tuple[str, str]] = field(default_factory=dict)
    # rules across columns of one row: (column to blame, SQL condition on typed values, reason if false)
    row_rules: tuple[tuple[str, str, str], ...] = ()
    # the date that places a row in time: must fall before the cycle being planned
    window_column: str | None = None
    # a company may have none of these (no budget, no overrides this month): no file is not an error
    optional: bool = False
    # the columns that name one series, and the quantity that must stay in proportion to its history
    series_key: tuple[str, ...] = ()
    magnitude_column: str | None = None
    # (currency column, date column): every row needs an FX rate for its currency and month
    priced_in: tuple[str, str] | None = None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _id(name: str, what: str) -> Column:
    return Column(name, "VARCHAR", "-", what)


# The largest value any row may hold, by unit. A trillion units on one order line, or a billion EUR for one
# unit, is no business's data but a corrupt extract (a sentinel such as 2^63-1, a price in the wrong column);
# left in, it passes every later step and dominates the plan.
MAX_UNITS = 1e12
MAX_PRICE = 1e9  # money per unit
MAX_HOURS = 1e6  # hours of one resource in one month (744 is the calendar's limit; overtime and crews add)
MAX_MONEY = 1e15  # a total, e.g. a budget line


def _qty(name: str, what: str) -> Column:
    return Column(name, "BIGINT", "units", what, min_value=0, max_value=MAX_UNITS)


def _price(name: str, unit: str, what: str) -> Column:
    return Column(name, "DOUBLE", unit, what, min_value=0, max_value=MAX_PRICE)


def _month(what: str = "Month the row applies to (first day of the month).") -> Column:
    return Column("month", "DATE", "date", what)


ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in [
        Entity(
            "products",
            "Product master: one row per SKU, with its family, standard cost and list price in EUR.",
            (
                _id("sku_id", "SKU identifier."),
                Column("sku_name", "VARCHAR", "-", "Human-readable SKU name."),
                _id("family_id", "Product family (the planning aggregate)."),
                Column("category", "VARCHAR", "-", "Category inside the family."),
                _price("unit_cost", "EUR/unit", "Standard cost of one unit."),
                _price("list_price", "EUR/unit", "List price of one unit."),
                Column("launch_date", "DATE", "date", "First day the SKU can be sold."),
                Column(
                    "end_date",
                    "DATE",
                    "date",
                    "Last day the SKU is sold (phase-out); empty if none.",
                    required=False,
                ),
            ),
            key=("sku_id",),
            row_rules=(("end_date", "end_date >= launch_date", "ends before it launches"),),
        ),
        Entity(
            "locations",
            "Selling locations (distribution centres), each in one region and currency.",
            (
                _id("location_id", "Location identifier."),
                Column("location_name", "VARCHAR", "-", "Human-readable name."),
                Column("region", "VARCHAR", "-", "Sales region."),
                Column("country", "VARCHAR", "ISO 3166 alpha-2", "Country code."),
                Column("currency", "VARCHAR", "ISO 4217", "Currency prices are quoted in."),
            ),
            key=("location_id",),
        ),
        Entity(
            "routings",
            "Which plant resource makes each SKU, and how fast.",
            (
                _id("sku_id", "SKU made."),
                _id("plant_id", "Plant."),
                _id("resource_id", "Resource (line) inside the plant."),
                Column(
                    "units_per_hour", "DOUBLE", "units/hour", "Standard output rate.", min_value=0, max_value=MAX_UNITS
                ),
            ),
            key=("sku_id", "plant_id", "resource_id"),
            references={"sku_id": ("products", "sku_id")},
            row_rules=(("units_per_hour", "units_per_hour > 0", "a rate must be above zero"),),
        ),
        Entity(
            "capacity",
            "Available hours per plant resource and month, history and horizon.",
            (
                _id("plant_id", "Plant."),
                _id("resource_id", "Resource (line) inside the plant."),
                _month(),
                Column(
                    "available_hours", "DOUBLE", "hours", "Regular hours available.", min_value=0, max_value=MAX_HOURS
                ),
            ),
            key=("plant_id", "resource_id", "month"),
        ),
        Entity(
            "policies",
            "Planning policies: target service level and replenishment lead time. A row applies to every series "
            "its non-empty scope columns match; the most specific row wins (SKU and location, then SKU, then "
            "family and location, then family, then location, then the default row with no scope).",
            (
                _id("policy_id", "Policy identifier."),
                Column("family_id", "VARCHAR", "-", "Scope: product family; empty for any.", required=False),
                Column("sku_id", "VARCHAR", "-", "Scope: SKU; empty for any.", required=False),
                Column("location_id", "VARCHAR", "-", "Scope: location; empty for any.", required=False),
                Column("target_service_level", "DOUBLE", "share", "Target fill rate (e.g. 0.95).", min_value=0),
                Column("lead_time_days", "DOUBLE", "days", "Replenishment lead time.", min_value=0, max_value=3660),
            ),
            optional=True,
            key=("policy_id",),
            references={"sku_id": ("products", "sku_id"), "location_id": ("locations", "location_id")},
            row_rules=(
                ("target_service_level", "target_service_level < 1", "a service level must be below 1 (100%)"),
                ("target_service_level", "target_service_level > 0.5", "a service level must be above 0.5"),
            ),
        ),
        Entity(
            "sales_orders",
            "Customer order lines with what was shipped against them (unfilled quantity is lost).",
            (
                _id("order_id", "Order number."),
                Column("line_number", "BIGINT", "-", "Line inside the order.", min_value=1),
                Column("order_date", "DATE", "date", "Day the order was received."),
                Column("requested_date", "DATE", "date", "Day the customer asked to receive it."),
                Column("ship_date", "DATE", "date", "Day it shipped; empty if nothing shipped.", required=False),
                _id("sku_id", "SKU ordered."),
                _id("location_id", "Location that serves the order."),
                _qty("ordered_qty", "Quantity ordered."),
                _qty("shipped_qty", "Quantity shipped (at most ordered_qty)."),
                _price("unit_price", "currency/unit", "Net price per unit."),
                Column("currency", "VARCHAR", "ISO 4217", "Currency of unit_price."),
            ),
            key=("order_id", "line_number"),
            references={"sku_id": ("products", "sku_id"), "location_id": ("locations", "location_id")},
            window_column="order_date",
            series_key=("sku_id", "location_id"),
            magnitude_column="ordered_qty",
            priced_in=("currency", "order_date"),
            row_rules=(
                ("shipped_qty", "shipped_qty <= ordered_qty", "shipped more than was ordered"),
                ("requested_date", "requested_date >= order_date", "requested before it was ordered"),
                ("ship_date", "ship_date >= order_date", "shipped before it was ordered"),
            ),
        ),
        Entity(
            "production",
            "Production receipts: what a plant resource made, and for which location's stock.",
            (
                Column("production_date", "DATE", "date", "Day the lot was finished."),
                _id("plant_id", "Plant."),
                _id("resource_id", "Resource (line)."),
                _id("sku_id", "SKU made."),
                _id("location_id", "Location whose stock receives the lot."),
                _qty("produced_qty", "Good units made."),
                Column("run_hours", "DOUBLE", "hours", "Resource hours used.", min_value=0, max_value=MAX_HOURS),
            ),
            key=("production_date", "plant_id", "resource_id", "sku_id", "location_id"),
            window_column="production_date",
            series_key=("sku_id", "location_id"),
            magnitude_column="produced_qty",
            references={"sku_id": ("products", "sku_id"), "location_id": ("locations", "location_id")},
        ),
        Entity(
            "inventory_snapshots",
            "On-hand stock at the end of each month (closing = opening + produced - shipped).",
            (
                Column("snapshot_date", "DATE", "date", "Last day of the month the stock was counted."),
                _id("sku_id", "SKU."),
                _id("location_id", "Location."),
                _qty("on_hand_qty", "Units on hand."),
                Column(
                    "in_transit_qty",
                    "BIGINT",
                    "units",
                    "Units shipped to the location, not yet received; "
                    "the plan counts them as arriving in its first month.",
                    required=False,
                    min_value=0,
                    max_value=MAX_UNITS,
                ),
            ),
            key=("snapshot_date", "sku_id", "location_id"),
            window_column="snapshot_date",
            series_key=("sku_id", "location_id"),
            magnitude_column="on_hand_qty",
            references={"sku_id": ("products", "sku_id"), "location_id": ("locations", "location_id")},
        ),
        Entity(
            "budget",
            "Annual operating plan by family, region and month, in units and EUR.",
            (
                _month(),
                _id("family_id", "Product family."),
                Column("region", "VARCHAR", "-", "Sales region."),
                _qty("budget_qty", "Budgeted sales quantity."),
                Column("budget_revenue", "DOUBLE", "EUR", "Budgeted revenue.", min_value=0, max_value=MAX_MONEY),
            ),
            optional=True,
            key=("month", "family_id", "region"),
        ),
        Entity(
            "fx_rates",
            "Monthly average exchange rates into the reporting currency (EUR).",
            (
                _month(),
                Column("currency", "VARCHAR", "ISO 4217", "Currency converted from."),
                Column(
                    "rate_to_eur", "DOUBLE", "EUR per unit of currency", "Average rate.", min_value=0, max_value=1e6
                ),
            ),
            key=("month", "currency"),
            row_rules=(("rate_to_eur", "rate_to_eur > 0", "a rate must be above zero"),),
        ),
        Entity(
            "calendar_events",
            "Holidays, promotions and other known events; the forecast counts event days per planning bucket.",
            (
                Column("event_date", "DATE", "date", "Day of the event."),
                Column("event_name", "VARCHAR", "-", "Name of the event."),
                Column("event_type", "VARCHAR", "-", "Kind of event (holiday, sporting, cultural...).", required=False),
            ),
            key=("event_date", "event_name"),
            optional=True,
        ),
        Entity(
            "planner_overrides",
            "Planner adjustments to the statistical forecast for one month, at any level: a series (SKU and "
            "location), a SKU everywhere, a location, a family, a region, or any combination of those. Either a "
            "quantity, spread over the series it covers in proportion to their forecast, or a percent change. "
            "Where two overrides cover the same series and month, the more specific scope wins (SKU before "
            "location before family before region), then the later one.",
            (
                _id("override_id", "Override identifier."),
                Column("sku_id", "VARCHAR", "-", "SKU the override is for; empty for every SKU.", required=False),
                Column("location_id", "VARCHAR", "-", "Location it is for; empty for every location.", required=False),
                Column(
                    "family_id", "VARCHAR", "-", "Product family it is for; empty for every family.", required=False
                ),
                Column("region", "VARCHAR", "-", "Sales region it is for; empty for every region.", required=False),
                _month("Month the override applies to (first day of the month)."),
                Column(
                    "override_qty",
                    "DOUBLE",
                    "units",
                    "Consensus quantity for the whole scope and month (give this or override_pct).",
                    required=False,
                    min_value=0,
                    max_value=MAX_UNITS,
                ),
                Column(
                    "override_pct",
                    "DOUBLE",
                    "percent",
                    "Change to the statistical forecast, e.g. 15 for +15%, -20 for -20% (or override_qty).",
                    required=False,
                    min_value=-100,
                    max_value=10000,
                ),
                Column("planner", "VARCHAR", "-", "Who made the override."),
                Column("reason", "VARCHAR", "-", "Why."),
                Column(
                    "created_at", "TIMESTAMP", "timestamp", "When; of two equally specific overrides the later wins."
                ),
            ),
            optional=True,
            key=("override_id",),
            references={
                "sku_id": ("products", "sku_id"),
                "location_id": ("locations", "location_id"),
                "family_id": ("products", "family_id"),
                "region": ("locations", "region"),
            },
            # conditions are written with spaced tokens: ingest qualifies each column name it finds
            row_rules=(
                (
                    "override_qty",
                    "( override_qty is null ) <> ( override_pct is null )",
                    "give exactly one of override_qty and override_pct",
                ),
                (
                    "sku_id",
                    "coalesce( sku_id , location_id , family_id , region ) is not null",
                    "no scope: give at least one of sku_id, location_id, family_id, region",
                ),
            ),
        ),
    ]
}


CONTRACT_PAGE = Path(__file__).resolve().parents[1] / "docs" / "contract.md"
GENERATED_MARKER = "<!-- generated from sop/contract.py by `python -m sop.contract --write`: edit the code -->"


def markdown() -> str:
    """The contract as the tables of docs/contract.md."""
    out = []
    for e in ENTITIES.values():
        out += [
            f"#### `{e.name}` (key: {', '.join(e.key)}){' (optional file)' if e.optional else ''}",
            "",
            e.description,
            "",
            "| column | type | unit | required | description |",
            "|---|---|---|---|---|",
        ]
        for c in e.columns:
            rule = f" Must be >= {c.min_value:g}." if c.min_value is not None else ""
            rule += f" Must be <= {c.max_value:g}." if c.max_value is not None else ""
            ref = e.references.get(c.name)
            rule += f" Must exist in `{ref[0]}.{ref[1]}`." if ref else ""
            out.append(
                f"| `{c.name}` | {c.type} | {c.unit} | {'yes' if c.required else 'no'} | {c.description}{rule} |"
            )
        for column, condition, reason in e.row_rules:
            out.append(f"Row rule on `{column}`: `{condition}` (else quarantined: {reason}).  ")
        out.append("")
    return "\n".join(out)


def write_page(page: Path = CONTRACT_PAGE) -> None:
    """Replace what follows the marker in docs/contract.md with the contract as the code defines it."""
    intro = page.read_text().split(GENERATED_MARKER)[0].rstrip()
    page.write_text(f"{intro}\n\n{GENERATED_MARKER}\n\n{markdown().strip()}\n")


if __name__ == "__main__":
    import sys

    write_page() if "--write" in sys.argv else print(markdown())
