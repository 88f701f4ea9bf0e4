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
ITEM_TYPES = ("material", "packaging", "intermediate")


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
    # column -> (entity, column) it must exist in, or a tuple of such pairs: it must exist in one of them
    references: dict[str, tuple] = field(default_factory=dict)
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

    def reference_targets(self) -> dict[str, tuple[tuple[str, str], ...]]:
        """column -> the (entity, column) pairs a value must be found in (in one of them)."""
        return {c: ((r,) if isinstance(r[0], str) else tuple(r)) for c, r in self.references.items()}

    @property
    def referenced_entities(self) -> list[str]:
        return sorted({entity for pairs in self.reference_targets().values() for entity, _ in pairs})


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
            "items",
            "Materials, packaging and intermediates: everything the plan stocks or buys that is not a finished "
            "SKU of products.csv.",
            (
                _id("item_id", "Item identifier (distinct from every sku_id)."),
                Column("item_name", "VARCHAR", "-", "Human-readable name."),
                Column(
                    "item_type",
                    "VARCHAR",
                    "-",
                    "material, packaging or intermediate (made in a plant from other items).",
                    allowed=ITEM_TYPES,
                ),
                Column("unit_of_measure", "VARCHAR", "-", "What one unit is (kg, l, piece...)."),
                _price("unit_cost", "EUR/unit", "Standard cost of one unit (values stock and holding cost)."),
                Column(
                    "shelf_life_months",
                    "BIGINT",
                    "months",
                    "Months a unit keeps; empty where it does not matter.",
                    required=False,
                    min_value=1,
                    max_value=1200,
                ),
            ),
            optional=True,
            key=("item_id",),
        ),
        Entity(
            "routings",
            "Where each SKU (or intermediate item) is made, on which resources, and how fast. The rows of one "
            "item and plant are one routing: making a unit takes 1/units_per_hour hours of each of its resources "
            "(a line and a crew, say). An item with routings at several plants may be made at any of them "
            "(alternates). With one row per SKU and no network file the plan is the single-echelon plan.",
            (
                _id("sku_id", "SKU made."),
                _id("plant_id", "Plant."),
                _id("resource_id", "Resource (line) inside the plant."),
                Column(
                    "units_per_hour", "DOUBLE", "units/hour", "Standard output rate.", min_value=0, max_value=MAX_UNITS
                ),
                Column(
                    "cost_per_unit",
                    "DOUBLE",
                    "EUR/unit",
                    "Conversion cost of one unit on this resource (energy, consumables); empty for none.",
                    required=False,
                    min_value=0,
                    max_value=MAX_PRICE,
                ),
            ),
            key=("sku_id", "plant_id", "resource_id"),
            references={"sku_id": (("products", "sku_id"), ("items", "item_id"))},
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
                Column(
                    "resource_type",
                    "VARCHAR",
                    "-",
                    "machine (a line, the default) or labour (a crew's hours).",
                    required=False,
                    allowed=("machine", "labour"),
                ),
                Column(
                    "overtime_share",
                    "DOUBLE",
                    "share",
                    "Overtime the resource can add, as a share of its regular hours; empty for the plan's default.",
                    required=False,
                    min_value=0,
                    max_value=10,
                ),
                Column(
                    "overtime_cost_per_hour",
                    "DOUBLE",
                    "EUR/hour",
                    "Cost of one overtime hour; empty for the plan's default.",
                    required=False,
                    min_value=0,
                    max_value=MAX_PRICE,
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
        Entity(
            "bom",
            "Bills of materials: what one unit of a parent (a SKU or an intermediate) consumes of each component "
            "when made at a plant. An intermediate may feed several SKUs (postponement: made early, finished late).",
            (
                Column("parent_id", "VARCHAR", "-", "SKU or intermediate item made."),
                _id("component_id", "Item consumed."),
                _id("plant_id", "Plant where the parent is made with this component."),
                Column(
                    "qty_per",
                    "DOUBLE",
                    "component units per parent unit",
                    "Quantity of the component in one unit of the parent (scrap included).",
                    min_value=0,
                    max_value=MAX_UNITS,
                ),
                Column("valid_from", "DATE", "date", "First month the line applies; empty for always.", required=False),
                Column(
                    "valid_to", "DATE", "date", "Last month the line applies; empty for open-ended.", required=False
                ),
            ),
            optional=True,
            key=("parent_id", "component_id", "plant_id", "valid_from"),
            references={
                "parent_id": (("products", "sku_id"), ("items", "item_id")),
                "component_id": ("items", "item_id"),
            },
            row_rules=(
                ("qty_per", "qty_per > 0", "a BOM quantity must be above zero"),
                ("valid_to", "valid_to >= valid_from", "ends before it starts"),
                ("component_id", "component_id <> parent_id", "an item cannot consume itself"),
            ),
        ),
        Entity(
            "supply_sources",
            "Who supplies each bought item to each plant: lead time, price, and the quantities a month the "
            "supplier takes and can deliver. Of several sources the plan buys the cheapest first; priority breaks "
            "equal prices.",
            (
                _id("item_id", "Item bought."),
                _id("supplier_id", "Supplier."),
                _id("plant_id", "Plant it is delivered to."),
                Column(
                    "lead_time_months",
                    "BIGINT",
                    "months",
                    "Months from order to receipt: ordered in month m, received in m + lead time (0: the same month).",
                    min_value=0,
                    max_value=60,
                ),
                _price("unit_price", "currency/unit", "Price of one unit, delivered."),
                Column("currency", "VARCHAR", "ISO 4217", "Currency of unit_price (converted at the latest FX rate)."),
                Column(
                    "min_qty_per_month",
                    "DOUBLE",
                    "units/month",
                    "Contracted minimum a month (the plan orders at least this); empty for none.",
                    required=False,
                    min_value=0,
                    max_value=MAX_UNITS,
                ),
                Column(
                    "max_qty_per_month",
                    "DOUBLE",
                    "units/month",
                    "Supplier capacity a month; empty for unlimited.",
                    required=False,
                    min_value=0,
                    max_value=MAX_UNITS,
                ),
                Column(
                    "priority",
                    "BIGINT",
                    "rank",
                    "1 first: of two sources at the same price the lower number is used first.",
                    required=False,
                    min_value=1,
                    max_value=1000,
                ),
            ),
            optional=True,
            key=("item_id", "supplier_id", "plant_id"),
            references={"item_id": ("items", "item_id")},
            row_rules=(("max_qty_per_month", "max_qty_per_month >= min_qty_per_month", "maximum below the minimum"),),
        ),
        Entity(
            "lanes",
            "Transport lanes: finished goods move from a plant (or a distribution centre) to a location, taking "
            "whole months in transit, at a cost per unit, up to a capacity. Without lanes a plant's production "
            "reaches every location at once and for nothing (the single-echelon assumption).",
            (
                _id("lane_id", "Lane identifier."),
                _id("from_node", "Plant or location shipped from."),
                _id("to_node", "Location shipped to."),
                Column(
                    "transit_months",
                    "BIGINT",
                    "months",
                    "Months in transit: shipped in month m, received in m + transit (0: the same month).",
                    min_value=0,
                    max_value=24,
                ),
                _price("cost_per_unit", "EUR/unit", "Freight and handling of one unit."),
                Column(
                    "capacity_per_month",
                    "DOUBLE",
                    "units/month",
                    "Most units shipped on the lane a month; empty for unlimited.",
                    required=False,
                    min_value=0,
                    max_value=MAX_UNITS,
                ),
            ),
            optional=True,
            key=("lane_id",),
            references={"to_node": ("locations", "location_id")},
            row_rules=(("to_node", "to_node <> from_node", "a lane must go somewhere else"),),
        ),
        Entity(
            "plant_stock",
            "On-hand stock at plants when the cycle starts: components, intermediates and finished goods "
            "(stock at the selling locations is in inventory_snapshots).",
            (
                _id("item_id", "SKU or item."),
                _id("plant_id", "Plant."),
                _qty("on_hand_qty", "Units on hand."),
            ),
            optional=True,
            key=("item_id", "plant_id"),
            references={"item_id": (("products", "sku_id"), ("items", "item_id"))},
        ),
        Entity(
            "open_supply",
            "Supply already on its way when the cycle starts: open purchase orders to plants and transfers in "
            "transit to plants or locations, each with the month it is due (an overdue one arrives in the first).",
            (
                _id("supply_id", "Purchase order or shipment number."),
                Column(
                    "supply_type", "VARCHAR", "-", "purchase_order or transfer.", allowed=("purchase_order", "transfer")
                ),
                _id("item_id", "SKU or item."),
                _id("node_id", "Plant or location receiving it."),
                Column("due_month", "DATE", "date", "Month it arrives (first day of the month)."),
                _qty("qty", "Units due."),
                Column("supplier_id", "VARCHAR", "-", "Supplier of a purchase order.", required=False),
                Column("from_node", "VARCHAR", "-", "Plant or location a transfer left.", required=False),
            ),
            optional=True,
            key=("supply_id",),
            references={"item_id": (("products", "sku_id"), ("items", "item_id"))},
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
            rule += f" One of {', '.join(f'`{a}`' for a in c.allowed)}." if c.allowed else ""
            refs = e.reference_targets().get(c.name)
            rule += f" Must exist in {' or '.join(f'`{r}.{col}`' for r, col in refs)}." if refs else ""
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
