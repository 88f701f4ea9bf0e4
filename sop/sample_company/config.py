"""Size and shape of the sample company. Same config and seed, same files, byte for byte."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class SampleConfig:
    n_skus: int = 200
    n_locations: int = 12
    n_plants: int = 3
    resources_per_plant: int = 2
    history_months: int = 48
    last_history_month: str = "2025-12"
    horizon_months: int = 18
    # share of (sku, location) pairs that are actually sold
    assortment_share: float = 0.4
    intermittent_share: float = 0.15
    seed: int = 7

    @property
    def history(self) -> pd.PeriodIndex:
        return pd.period_range(end=self.last_history_month, periods=self.history_months, freq="M")

    @property
    def horizon(self) -> pd.PeriodIndex:
        return pd.period_range(start=self.cycle_month, periods=self.horizon_months, freq="M")

    @property
    def cycle_month(self) -> pd.Period:
        return pd.Period(self.last_history_month, freq="M") + 1

    @property
    def cycle_id(self) -> str:
        """The cycle that plans from this history: the month after the last month of data."""
        return str(self.cycle_month)

    @property
    def all_months(self) -> pd.PeriodIndex:
        return self.history.append(self.horizon)
