"""Turn monthly demand and shipments into order lines with order, requested and ship dates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop.sample_company.config import SampleConfig


def order_lines(cfg: SampleConfig, demand, shipped, unit_price, series: pd.DataFrame, currency, rng):
    """Split each series-month's demand into 1-4 order lines, shipped first-come first-served."""
    S, T = demand.shape
    n_lines = np.minimum(demand, 1 + rng.poisson(1.0, (S, T)).clip(0, 3))
    gs, gt = np.nonzero(n_lines)
    counts = n_lines[gs, gt]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    ls, lt = np.repeat(gs, counts), np.repeat(gt, counts)

    weights = rng.random(len(ls)) + 0.2
    share = weights / np.repeat(np.add.reduceat(weights, starts), counts)
    ordered = np.floor(demand[ls, lt] * share).astype(np.int64)
    ordered[starts] += demand[gs, gt] - np.add.reduceat(ordered, starts)

    month_start = cfg.history.start_time.to_numpy()[lt]
    days_in_month = cfg.history.days_in_month.to_numpy()[lt]
    day = rng.integers(0, days_in_month)
    lines = pd.DataFrame({"s": ls, "t": lt, "day": day, "ordered_qty": ordered})
    lines = lines[lines["ordered_qty"] > 0].sort_values(["s", "t", "day"], kind="stable")

    # earlier orders ship first; what the month's shipments cannot cover is lost
    before = lines.groupby(["s", "t"]).ordered_qty.cumsum() - lines["ordered_qty"]
    lines["shipped_qty"] = np.clip(shipped[lines.s, lines.t] - before, 0, lines["ordered_qty"])

    n = len(lines)
    last_day = days_in_month[lines.index] - 1
    requested = np.minimum(lines["day"].to_numpy() + rng.integers(1, 8, n), last_day)
    late = np.where(rng.random(n) < 0.85, 0, rng.integers(1, 4, n))
    ship = np.minimum(requested + late, last_day)
    start = month_start[lines.index]
    days = np.timedelta64(1, "D")
    out = pd.DataFrame(
        {
            "order_date": start + lines["day"].to_numpy() * days,
            "requested_date": start + requested * days,
            "ship_date": np.where(lines["shipped_qty"] > 0, start + ship * days, np.datetime64("NaT")),
            "sku_id": series["sku_id"].to_numpy()[lines.s],
            "location_id": series["location_id"].to_numpy()[lines.s],
            "ordered_qty": lines["ordered_qty"].to_numpy(),
            "shipped_qty": lines["shipped_qty"].to_numpy(),
            "unit_price": np.round(unit_price[lines.s, lines.t], 2),
            "currency": currency[lines.s],
        }
    )
    # one order per location and day; its lines numbered by SKU
    out = out.sort_values(["location_id", "order_date", "sku_id"], kind="stable").reset_index(drop=True)
    out.insert(0, "order_id", "SO-" + out["location_id"] + "-" + out["order_date"].dt.strftime("%Y%m%d"))
    out.insert(1, "line_number", out.groupby("order_id").cumcount() + 1)
    return out
