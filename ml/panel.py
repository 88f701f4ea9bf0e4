"""Long format <-> a dense series x bucket panel (NaN before a series starts), the shape features use."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class Panel:
    ids: np.ndarray  # series ids, sorted
    dates: pd.DatetimeIndex  # bucket starts, contiguous
    values: np.ndarray  # len(ids) x len(dates), float, NaN before each series' first bucket
    first: np.ndarray  # index of each series' first bucket
    freq: str = "MS"
    # dynamic exogenous columns known in advance (price, events): name -> series x bucket, NaN where unknown
    exog: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def from_long(cls, df: pd.DataFrame, freq: str = "MS", exogenous: tuple[str, ...] = ()) -> Panel:
        rows, ids = pd.factorize(df["unique_id"], sort=True)
        ids = np.asarray(ids)
        dates = pd.date_range(df["ds"].min(), df["ds"].max(), freq=freq)
        values = np.full((len(ids), len(dates)), np.nan)
        cols = dates.get_indexer(pd.DatetimeIndex(df["ds"]))
        values[rows, cols] = df["y"].to_numpy(dtype=float)
        first = np.argmax(~np.isnan(values), axis=1)
        # a series that skips a bucket after it started sold nothing then
        started = np.arange(len(dates))[None, :] >= first[:, None]
        values = np.where(started & np.isnan(values), 0.0, values)
        exog = {}
        for name in exogenous:
            exog[name] = np.full((len(ids), len(dates)), np.nan)
            exog[name][rows, cols] = df[name].to_numpy(dtype=float)
        return cls(ids, dates, values, first, freq, exog)

    def extend(self, steps: int, future: pd.DataFrame | None = None) -> Panel:
        """The same panel with ``steps`` empty future buckets appended, and the exogenous values of those
        buckets taken from ``future`` (``unique_id, ds`` and one column per exogenous name)."""
        dates = pd.date_range(self.dates[0], periods=len(self.dates) + steps, freq=self.freq)
        pad = np.full((len(self.ids), steps), np.nan)
        exog = {name: np.hstack([values, pad]) for name, values in self.exog.items()}
        if exog:
            if future is None:
                raise ValueError(f"exogenous columns {sorted(exog)} need their future values")
            rows = pd.Index(self.ids).get_indexer(future["unique_id"])
            cols = dates.get_indexer(pd.DatetimeIndex(future["ds"]))
            found = (rows >= 0) & (cols >= 0)  # rows for other series or buckets are left out
            rows, cols, known = rows[found], cols[found], future[found]
            for name in exog:
                exog[name][rows, cols] = known[name].to_numpy(dtype=float)
        return Panel(self.ids, dates, np.hstack([self.values, pad]), self.first, self.freq, exog)

    def to_long(self, start: int, column: str = "y") -> pd.DataFrame:
        block = self.values[:, start:]
        return pd.DataFrame(
            {
                "unique_id": np.repeat(self.ids, block.shape[1]),
                "ds": np.tile(self.dates[start:].to_numpy(), len(self.ids)),
                column: block.ravel(),
            }
        )
