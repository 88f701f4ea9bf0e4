"""Where LightGBM wins and loses, level by level, in words: the lines a cycle's summary prints.

Read from the published ``forecast_accuracy`` (the one place WAPE is computed for BI), never recomputed: each
level's verdict compares the rows that table already has for that level.
"""

from __future__ import annotations

import pandas as pd

MODEL = "lightgbm"
BENCHMARK = "seasonal_naive"  # the baseline every forecast must beat to earn its place
LEVELS = (  # aggregation_level -> what its rows are, and the key that names a row
    ("sku_location", "series", ("sku_id", "location_id")),
    ("family", "families", ("family_id",)),
    ("region", "regions", ("region",)),
)
NAMED_AT_MOST = 6  # list the groups by name when there are this few


def _pretty(model: str) -> str:
    return {"lightgbm": "LightGBM"}.get(model, model.replace("_", " "))


def _names(frame: pd.DataFrame, key: tuple[str, ...]) -> str:
    if len(frame) > NAMED_AT_MOST or len(frame) == 0:
        return ""
    return " (" + ", ".join("@".join(str(v) for v in row) for row in frame[list(key)].itertuples(index=False)) + ")"


def level_lines(accuracy: pd.DataFrame) -> list[str]:
    """One line per aggregation level: LightGBM against seasonal naive and against the best baseline."""
    models = set(accuracy["model_name"])
    if MODEL not in models or BENCHMARK not in models:
        return [f"  no {_pretty(MODEL)} or {_pretty(BENCHMARK)} rows in forecast_accuracy"]
    lines = []
    total = accuracy[accuracy["aggregation_level"] == "total"].set_index("model_name")
    baselines = total.drop(index=MODEL, errors="ignore")
    for level, plural, key in LEVELS:
        rows = accuracy[accuracy["aggregation_level"] == level]
        if rows.empty:
            continue
        wide = rows.pivot_table(index=list(key), columns="model_name", values="wape", aggfunc="first")
        wide = wide.dropna(subset=[MODEL, BENCHMARK])
        if wide.empty:
            continue
        better = wide[wide[MODEL] < wide[BENCHMARK]].reset_index()
        worse = wide[wide[MODEL] > wide[BENCHMARK]].reset_index()
        head = f"  {level.replace('sku_location', 'series (sku x location)')}: "
        if level == "sku_location" and "series_wape" in total and MODEL in total.index:
            best = baselines["series_wape"].idxmin()
            head += (
                f"{_pretty(MODEL)} {total.at[MODEL, 'series_wape']:.3f} vs {_pretty(BENCHMARK)} "
                f"{total.at[BENCHMARK, 'series_wape']:.3f} (best baseline {_pretty(best)} "
                f"{baselines.at[best, 'series_wape']:.3f}); "
            )
        lines.append(
            f"{head}{_pretty(MODEL)} better than {_pretty(BENCHMARK)} on {len(better)} of {len(wide)} {plural}"
            f"{_names(better, key)}, "
            f"worse on {len(worse)}{_names(worse, key)}"
        )
    if MODEL in total.index and BENCHMARK in total.index:
        best = baselines["wape"].idxmin()
        lines.append(
            f"  total: {_pretty(MODEL)} {total.at[MODEL, 'wape']:.3f} vs {_pretty(BENCHMARK)} "
            f"{total.at[BENCHMARK, 'wape']:.3f} (best baseline {_pretty(best)} {baselines.at[best, 'wape']:.3f})"
        )
    return lines
