"""How high a series' forecast may go: what its own history, or its peers', make plausible.

A recursive model feeds on its own output: one high step raises the lags and rolling means of the next, and a
series can climb far past anything it ever sold (a demo series selling 40-310 a month was once forecast at
34,336). Each series gets a ceiling, ``growth`` times the largest bucket it ever had; a series with less than
``min_history`` buckets of history (a recent launch) may also grow to ``growth`` times the typical high of its
peers (the series sharing its group, e.g. its family). The forecaster clips every recursive step to it, so the
lags never carry a runaway forward, and reports which steps it cut.
"""

from __future__ import annotations

import numpy as np

GROWTH = 2.0  # twice the best bucket: growth a plan may show, never a model's runaway
MIN_HISTORY = 12  # buckets of history before a series is judged by its own highs alone


def ceilings(
    values: np.ndarray,
    first: np.ndarray,
    groups: np.ndarray | None = None,
    growth: float = GROWTH,
    min_history: int = MIN_HISTORY,
) -> np.ndarray:
    """One ceiling per series (row of ``values``, NaN before its ``first`` bucket); ``groups``: a peer code per
    series (None: every series is a peer of every other)."""
    n, T = values.shape
    own_high = np.nan_to_num(np.nanmax(np.where(np.isnan(values), -np.inf, values), axis=1), neginf=0.0)
    own_high = np.maximum(own_high, 0.0)
    established = (T - first) >= min_history
    groups = np.zeros(n, dtype=np.int64) if groups is None else np.asarray(groups)
    everyone = np.median(own_high[established]) if established.any() else float(own_high.max(initial=0.0))
    peer_high = np.full(n, everyone, dtype=float)
    for g in np.unique(groups[~established]):
        peers = established & (groups == g)
        if peers.any():
            peer_high[groups == g] = np.median(own_high[peers])
    high = np.where(established, own_high, np.maximum(own_high, peer_high))
    # a series that never sold (all zeros) keeps a ceiling of one unit per bucket rather than none
    return growth * np.maximum(high, 1.0)
