"""What the quality step leaves behind, as assets in the lineage: written as a side effect of ingest and of the
GX checks (so declared here, not materialized by a step of their own)."""

import dagster as dg

from sop.contract import ENTITIES

RAW = [dg.AssetKey(["raw", name]) for name in ENTITIES]

validation_results = dg.AssetSpec(
    ["quality", "validation_results"],
    group_name="quality",
    kinds={"duckdb", "html"},
    owners=["team:data-engineering"],
    deps=RAW,
    description="Every GX expectation's result per entity, cycle and run (quality.validation_results), and one "
    "page per cycle, $SOP_HOME/quality/<cycle>/validation.html. Written by the gx_<entity>_suite checks.",
)

quarantine = dg.AssetSpec(
    ["quality", "quarantine"],
    group_name="quality",
    kinds={"duckdb"},
    owners=["team:data-engineering"],
    deps=RAW,
    description="Rows that broke the input contract (quarantine.<entity>): file, row, column, raw value and "
    "reason. Written by ingest; the raw files stay in the archive.",
)
