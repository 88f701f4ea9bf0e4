"""Run an entity's suite on a data frame through an ephemeral GX context and a validation definition."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import great_expectations as gx
import pandas as pd
from great_expectations.data_context.types.base import ProgressBarsConfig

from expectations.suites import ERROR, build_suite


@dataclass
class Outcome:
    entity: str
    success: bool  # no error-level expectation failed
    evaluated: int
    failures: list[dict] = field(default_factory=list)  # one per failed expectation

    @property
    def errors(self) -> list[dict]:
        return [f for f in self.failures if f["severity"] == ERROR]

    @property
    def warnings(self) -> list[dict]:
        return [f for f in self.failures if f["severity"] != ERROR]


@cache
def _context():
    # An ephemeral context: the suites live in code; nothing is written to disk by GX itself.
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def validate(entity: str, df: pd.DataFrame, reference_values: dict[str, list[str]] | None = None) -> Outcome:
    context = _context()
    suite = build_suite(entity, reference_values)
    name = f"{entity}_{id(df)}"
    source = context.data_sources.add_pandas(name)
    batch_definition = source.add_dataframe_asset(name=entity).add_batch_definition_whole_dataframe("all")
    suite.name = name
    suite = context.suites.add(suite)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
    )
    try:
        result = definition.run(batch_parameters={"dataframe": df}, result_format="SUMMARY")
    finally:
        context.validation_definitions.delete(name)
        context.suites.delete(name)
        context.data_sources.delete(name)
    failures = []
    for res in result.results:
        if res.success:
            continue
        cfg = res.expectation_config
        severity = (cfg.meta or {}).get("severity", ERROR)
        detail = res.result or {}
        failures.append(
            {
                "expectation": cfg.type,
                "kwargs": {k: v for k, v in cfg.kwargs.items() if k not in ("value_set", "batch_id")},
                "severity": severity,
                "unexpected_count": detail.get("unexpected_count"),
                "unexpected_sample": [str(v) for v in (detail.get("partial_unexpected_list") or [])[:5]],
                "observed_value": str(detail.get("observed_value", ""))[:200] or None,
                "exception": (res.exception_info or {}).get("exception_message"),
            }
        )
    ok = not any(f["severity"] == ERROR for f in failures)
    return Outcome(entity, ok, len(result.results), failures)
