"""The frozen window (a time fence): in the first N buckets of a cycle's horizon the plan keeps the last
approved plan's production, purchases and transfers, as a plant keeps the schedule it has already committed
materials and crews to. The meeting opens the fence with an ``unfreeze`` decision of the cycle (months, and
optionally one SKU). Keeping a quantity can be impossible (hours, a supplier or a lane lost since the
approval): the plan then changes it as little as it can, and each change is a ``frozen_break`` exception.

Pure functions: the plan stage reads the approved plan and the decisions, the LPs keep what this says."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

TOLERANCE = 1e-4  # units: a kept quantity is the approved one to the LP's precision


def unfrozen(log: pd.DataFrame, cycle_id: str) -> list[tuple[pd.Period, pd.Period, str | None]]:
    """The cycle's unfreeze decisions: (first month, last month, SKU or None for every item)."""
    rows = log[(log["decision_kind"] == "unfreeze") & (log["cycle_id"] == cycle_id)]
    out = []
    for detail in rows["change_detail"]:
        spec = json.loads(detail)
        out.append((pd.Period(spec["from"], "M"), pd.Period(spec["to"], "M"), spec.get("sku_id")))
    return out


def cells(items: pd.Series, buckets: pd.DatetimeIndex, n: int, opened: list) -> pd.DataFrame:
    """The frozen (item_id, bucket) pairs: every item in each of the first ``n`` buckets, less what an unfreeze
    (``unfrozen``) opened. ``bucket`` is the bucket's position in the horizon."""
    items = pd.Series(pd.unique(items.astype(str)), name="item_id")
    frame = pd.DataFrame(
        {
            "item_id": np.repeat(items.to_numpy(), min(n, len(buckets))),
            "bucket": np.tile(np.arange(min(n, len(buckets))), len(items)),
        }
    )
    month = buckets[frame["bucket"].to_numpy()].to_period("M") if len(frame) else pd.PeriodIndex([], freq="M")
    free = np.zeros(len(frame), bool)
    for first, last, sku in opened:
        free |= (month >= first) & (month <= last) & ((frame["item_id"] == sku).to_numpy() if sku else True)
    return frame[~free].reset_index(drop=True)


def breaks(kept: pd.DataFrame, buckets: pd.DatetimeIndex, unit_cost: pd.Series) -> pd.DataFrame:
    """The frozen window's changes as exceptions (planning.network_exceptions rows): per item and plant (its
    production and purchases) or per lane (its transfers), where the plan could not keep the approved quantity.
    ``kept``: block, item_id, plant_id, lane_id, supplier_id, bucket, qty (approved), planned_qty."""
    columns = ["exception_type", "item_id", "plant_id", "supplier_id", "lane_id", "first_bucket_date",
               "buckets_affected", "size_qty", "size_amount", "detail"]  # fmt: skip
    if not len(kept):
        return pd.DataFrame(columns=columns)
    changed = kept.assign(change=kept["planned_qty"] - kept["qty"])
    changed = changed[changed["change"].abs() > TOLERANCE * np.maximum(1.0, changed["qty"].abs())]
    if not len(changed):
        return pd.DataFrame(columns=columns)
    changed = changed.assign(
        amount=changed["change"].abs() * changed["item_id"].map(unit_cost).fillna(0.0).to_numpy(),
        date=buckets[changed["bucket"].to_numpy(int)],
        said=lambda f: f["block"] + " " + f["date"].dt.strftime("%Y-%m-%d") + ": approved "
        + f["qty"].round(1).astype(str) + ", planned " + f["planned_qty"].round(1).astype(str),
    )  # fmt: skip
    on_lane = changed["block"] == "transfer"
    rows = []
    for (lane, item, plant), group in changed.groupby(
        [changed["lane_id"].where(on_lane), changed["item_id"].where(~on_lane), changed["plant_id"].where(~on_lane)],
        dropna=False, sort=True,
    ):  # fmt: skip
        suppliers = sorted(set(group["supplier_id"].dropna()))
        rows.append(
            {
                "exception_type": "frozen_break",
                "item_id": None if pd.isna(item) else item,
                "plant_id": None if pd.isna(plant) else plant,
                "supplier_id": ", ".join(suppliers) or None,
                "lane_id": None if pd.isna(lane) else lane,
                "first_bucket_date": group["date"].min().date(),
                "buckets_affected": int(group["bucket"].nunique()),
                "size_qty": round(float(group["change"].abs().sum()), 4),
                "size_amount": round(float(group["amount"].sum()), 2),
                "detail": "the frozen window could not be kept: "
                + "; ".join(group.sort_values(["date", "block"])["said"]),
            }
        )
    return pd.DataFrame(rows, columns=columns)
