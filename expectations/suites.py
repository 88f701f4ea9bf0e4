"""One expectation suite per input entity: the contract's rules, plus the few each entity adds.

Every expectation carries a severity: ``error`` blocks everything downstream of the entity (above all
publishing); ``warning`` is reported and lets the cycle go on.
"""

from __future__ import annotations

from dataclasses import dataclass

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd

from sop.contract import ENTITIES, Entity

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Rule:
    expectation: gxe.Expectation
    severity: str = ERROR


def _pair(a: str, b: str, or_equal: bool = True) -> gxe.Expectation:
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=a, column_B=b, or_equal=or_equal, ignore_row_if="either_value_is_missing"
    )


def entity_rules(entity_name: str) -> list[Rule]:
    """Rules the contract's column list cannot express (built fresh: an expectation joins one suite only)."""
    return {
        "sales_orders": [
            Rule(_pair("ordered_qty", "shipped_qty")),
            Rule(_pair("requested_date", "order_date")),
            Rule(_pair("ship_date", "order_date")),
        ],
        "products": [
            Rule(_pair("end_date", "launch_date")),
            # selling below standard cost happens (clearance), but is worth a look
            Rule(_pair("list_price", "unit_cost"), WARNING),
        ],
        "routings": [Rule(gxe.ExpectColumnValuesToBeBetween(column="units_per_hour", min_value=0, strict_min=True))],
        "fx_rates": [Rule(gxe.ExpectColumnValuesToBeBetween(column="rate_to_eur", min_value=0, strict_min=True))],
        "capacity": [Rule(gxe.ExpectColumnValuesToBeBetween(column="available_hours", max_value=744), WARNING)],
    }.get(entity_name, [])


EARLIEST_DATE = "2000-01-01"  # anything older is a placeholder date, not history


def cycle_window(entity: Entity, cycle_id: str | None) -> list[Rule]:
    """History dates inside the cycle's window: a row dated in or after the cycle month is not history yet
    (this cycle ignores it: a warning); one before 2000 is a placeholder or a typo (an error)."""
    if not entity.window_column or not cycle_id:
        return []
    last_day = (pd.Period(cycle_id, freq="M") - 1).end_time.strftime("%Y-%m-%d")
    column = entity.window_column
    return [
        Rule(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=EARLIEST_DATE)),
        Rule(gxe.ExpectColumnValuesToBeBetween(column=column, max_value=last_day), WARNING),
    ]


def rules(
    entity: Entity, reference_values: dict[str, list[str]] | None = None, cycle_id: str | None = None
) -> list[Rule]:
    """The contract's rules: columns, non-empty table, required values, minimums, unique key, references,
    and the cycle's date window."""
    out = [
        # required columns present (unexpected ones never get this far: ingest refuses them)
        Rule(
            gxe.ExpectTableColumnsToMatchSet(
                column_set=[c.name for c in entity.columns if c.required], exact_match=False
            )
        ),
    ]
    if not entity.optional:
        out.append(Rule(gxe.ExpectTableRowCountToBeBetween(min_value=1)))
    for c in entity.columns:
        if c.required:
            out.append(Rule(gxe.ExpectColumnValuesToNotBeNull(column=c.name)))
        if c.min_value is not None or c.max_value is not None:
            out.append(
                Rule(gxe.ExpectColumnValuesToBeBetween(column=c.name, min_value=c.min_value, max_value=c.max_value))
            )
        if c.allowed:
            out.append(Rule(gxe.ExpectColumnValuesToBeInSet(column=c.name, value_set=list(c.allowed))))
    if len(entity.key) == 1:
        out.append(Rule(gxe.ExpectColumnValuesToBeUnique(column=entity.key[0])))
    else:
        out.append(Rule(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(entity.key))))
    for column, values in (reference_values or {}).items():
        out.append(Rule(gxe.ExpectColumnValuesToBeInSet(column=column, value_set=values)))
    return out + entity_rules(entity.name) + cycle_window(entity, cycle_id)


def build_suite(entity_name: str, reference_values: dict[str, list[str]] | None = None, cycle_id: str | None = None):
    """The entity's suite; each expectation's ``meta["severity"]`` says whether it blocks."""
    entity = ENTITIES[entity_name]
    suite = gx.ExpectationSuite(name=f"{entity_name}_suite")
    for rule in rules(entity, reference_values, cycle_id):
        # the severity travels in meta: GX does not return results in the suite's order
        rule.expectation.meta = {**(rule.expectation.meta or {}), "severity": rule.severity}
        suite.add_expectation(rule.expectation)
    return suite
