"""Capacity, production and stock: a make-to-stock policy that never plans past a resource's hours.

Each month, per series: produce towards next month's expected demand plus a cover of stock; if a resource
lacks the hours, every series on it is cut by the same share. Production lands in stock at the start of the
month, shipments are limited by what is on hand, and what cannot ship is lost. So, per series and month,
closing = opening + produced - shipped holds by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sop.sample_company.config import SampleConfig

STOCK_COVER_MONTHS = 1.2
# run hours vary around standard; plans leave this much room so actual hours stay within capacity
MAX_EFFICIENCY_LOSS = 1.08


@dataclass
class Supply:
    capacity: pd.DataFrame  # plant_id, resource_id, month, available_hours (history + horizon)
    produced: np.ndarray  # series x history months
    run_hours: np.ndarray  # series x history months
    shipped: np.ndarray  # series x history months
    on_hand: np.ndarray  # series x (history months + 1): opening stock first, then each closing


def capacity(cfg: SampleConfig, expected_hours: np.ndarray, resources: list[str], rng) -> pd.DataFrame:
    """Hours per resource and month: ~25% above expected load, plus one disruption in the history.

    The disruption: the first resource of plant P2 loses 65% of its hours for two months, two-thirds into
    the history (a fire, a strike: the sample's one supply shock).
    """
    yearly_load = pd.DataFrame(expected_hours).T.rolling(12, min_periods=1, center=True).mean().T.to_numpy()
    hours = np.round(yearly_load * rng.uniform(1.2, 1.35, (len(resources), 1)) + 20, 0)
    shock = resources.index(next(r for r in resources if r.startswith("P2-"))) if len(resources) > 1 else 0
    at = cfg.history_months * 2 // 3
    hours[shock, at : at + 2] *= 0.35
    rows = [
        (r.split("-")[0], r, m.start_time, float(hours[k, j]))
        for k, r in enumerate(resources)
        for j, m in enumerate(cfg.all_months)
    ]
    return pd.DataFrame(rows, columns=["plant_id", "resource_id", "month", "available_hours"])


def simulate(cfg: SampleConfig, expected, realized, rate, resource_idx, resources, rng) -> Supply:
    n, T = realized.shape
    expected_hours = np.zeros((len(resources), expected.shape[1]))
    np.add.at(expected_hours, resource_idx, expected / rate[:, None])
    cap = capacity(cfg, expected_hours, resources, rng)
    hours = cap.pivot(index="resource_id", columns="month", values="available_hours").loc[resources].to_numpy()

    produced = np.zeros((n, T), dtype=np.int64)
    run_hours = np.zeros((n, T))
    shipped = np.zeros((n, T), dtype=np.int64)
    on_hand = np.zeros((n, T + 1), dtype=np.int64)
    on_hand[:, 0] = np.round(expected[:, 0] * STOCK_COVER_MONTHS)
    forecast = expected[:, 0].copy()
    for t in range(T):
        # the planner's forecast: exponential smoothing of what was ordered, nudged by the known season
        need = np.maximum(
            forecast * (expected[:, t] / np.maximum(expected[:, max(t - 1, 0)], 1e-9)) * (1 + STOCK_COVER_MONTHS)
            - on_hand[:, t],
            0,
        )
        need_hours = np.zeros(len(resources))
        np.add.at(need_hours, resource_idx, need / rate)
        room = hours[:, t] / MAX_EFFICIENCY_LOSS
        scale = np.minimum(1.0, room / np.maximum(need_hours, 1e-9))[resource_idx]
        produced[:, t] = np.floor(need * scale)
        efficiency = rng.uniform(0.93, MAX_EFFICIENCY_LOSS, n)
        # rounded down so that rounding can never push a resource past its hours
        run_hours[:, t] = np.floor(produced[:, t] / rate * efficiency * 100) / 100
        available = on_hand[:, t] + produced[:, t]
        shipped[:, t] = np.minimum(realized[:, t], available)
        on_hand[:, t + 1] = available - shipped[:, t]
        forecast = 0.6 * realized[:, t] + 0.4 * forecast
    return Supply(cap, produced, run_hours, shipped, on_hand)
