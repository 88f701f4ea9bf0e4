"""Long format <-> a dense series x bucket panel (NaN before a series starts), the shape features use."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Panel:
    ids: np.ndarray  # series ids, sorted
    dates: pd.DatetimeIndex  # bucket starts, contiguous
    values: np.ndarray  # len(ids) x len(dates), float, NaN before each series' first bucket
    first: np.ndarray  # index of each series' first bucket
    freq: str = "MS"

    @classmethod
    def from_long(cls, df: pd.DataFrame, freq: str = "MS") -> Panel:
        ids = np.sort(df["unique_id"].unique())
        dates = pd.date_range(df["ds"].min(), df["ds"].max(), freq=freq)
        values = np.full((len(ids), len(dates)), np.nan)
        rows = np.searchsorted(ids, df["unique_id"].to_numpy())
        cols = dates.get_indexer(pd.DatetimeIndex(df["ds"]))
        values[rows, cols] = df["y"].to_numpy(dtype=float)
        first = np.argmax(~np.isnan(values), axis=1)
        # a series that skips a bucket after it started sold nothing then
        started = np.arange(len(dates))[None, :] >= first[:, None]
        values = np.where(started & np.isnan(values), 0.0, values)
        return cls(ids, dates, values, first, freq)

    def extend(self, steps: int) -> Panel:
        """The same panel with ``steps`` empty future buckets appended."""
        dates = pd.date_range(self.dates[0], periods=len(self.dates) + steps, freq=self.freq)
        pad = np.full((len(self.ids), steps), np.nan)
        return Panel(self.ids, dates, np.hstack([self.values, pad]), self.first, self.freq)

    def to_long(self, start: int, column: str = "y") -> pd.DataFrame:
        block = self.values[:, start:]
        return pd.DataFrame(
            {
                "unique_id": np.repeat(self.ids, block.shape[1]),
                "ds": np.tile(self.dates[start:].to_numpy(), len(self.ids)),
                column: block.ravel(),
            }
        )
