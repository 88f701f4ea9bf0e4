"""The planning bucket: the time grain of demand history, forecast and plan (a month, or an ISO week).

An S&OP cycle is monthly whatever the bucket; the bucket is how finely it plans. Weeks suit short histories
(SupplyGraph has seven months: 30 weeks to learn from, against 7 months) and fast-moving supply. Chosen per
``SOP_HOME`` by the ``SOP_BUCKET`` environment variable, which dbt reads too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DAYS_PER_MONTH = 30.44


@dataclass(frozen=True)
class Bucket:
    name: str  # "month" | "week", as dbt's date_trunc spells it
    freq: str  # pandas frequency of bucket starts
    days: float  # average length in days
    horizon: int  # default planning horizon, in buckets
    season_length: int  # buckets per year
    # FeatureSpec arguments for this grain (kept as a dict: importing ml here would load LightGBM into every
    # process that only needs to know the bucket, such as publishing)
    features: dict = field(default_factory=dict)

    def feature_spec(self, exogenous: tuple[str, ...] = ()):
        from ml import FeatureSpec

        return FeatureSpec(season_length=self.season_length, exogenous=exogenous, **self.features)

    @property
    def months(self) -> float:
        """Length in months: the unit of the per-month cost rates."""
        return self.days / DAYS_PER_MONTH


BUCKETS = {
    "month": Bucket("month", "MS", DAYS_PER_MONTH, 18, 12),
    # 26 weeks: half a year ahead, about as far as a 30-week history can be extrapolated honestly. Weekly
    # lags reach a quarter back; the seasonal features wake up once a history is longer than a year.
    "week": Bucket(
        "week",
        "W-MON",
        7.0,
        26,
        52,
        {"lags": (1, 2, 3, 4, 5, 6, 8, 13), "rolling_means": (4, 8, 13)},
    ),
}


def planning_bucket(name: str | None = None) -> Bucket:
    name = name or os.environ.get("SOP_BUCKET") or "month"
    if name not in BUCKETS:
        raise ValueError(f"SOP_BUCKET must be one of {', '.join(BUCKETS)}, not {name!r}")
    return BUCKETS[name]
