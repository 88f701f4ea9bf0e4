"""Real data sets for the forecast benchmark, in the long-format contract (``unique_id, ds, y`` plus known-in-
advance columns) with their hierarchy (static columns per ``unique_id``). Read from ``../shared/data``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass
class Dataset:
    name: str
    freq: str
    season_length: int
    horizon: int  # buckets per backtest window
    history: pd.DataFrame  # unique_id, ds, y, and the exogenous columns
    static: pd.DataFrame  # unique_id and the hierarchy columns
    levels: tuple[str, ...]  # static columns to aggregate by (besides the series and the total)
    exogenous: tuple[str, ...]


def _m5_daily_frame(root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    folder = root / "m5_subset"
    wide = pd.read_csv(folder / "tiny_m5_sales_train_validation.csv")
    calendar = pd.read_csv(folder / "calendar.csv", parse_dates=["date"])
    prices = pd.read_csv(folder / "tiny_m5_sell_prices.csv")
    wide["unique_id"] = wide["item_id"] + "@" + wide["store_id"]
    static = wide[["unique_id", "item_id", "dept_id", "cat_id", "store_id", "state_id"]]
    days = [c for c in wide.columns if c.startswith("d_")]
    long = wide.melt(id_vars=["unique_id", "item_id", "store_id"], value_vars=days, var_name="d", value_name="y")
    long = long.merge(calendar[["d", "date", "wm_yr_wk", "event_name_1"]], on="d")
    long = long.merge(prices, on=["store_id", "item_id", "wm_yr_wk"], how="left")
    long = long.rename(columns={"date": "ds"}).sort_values(["unique_id", "ds"])
    # an item is in the data from its first sale on (M5's own convention for scaling errors)
    started = long.groupby("unique_id")["y"].cumsum() > 0
    long = long[started].copy()
    price = long.groupby("unique_id")["sell_price"].transform(lambda s: s.ffill().bfill())
    long["price_ratio"] = (price / price.groupby(long["unique_id"]).transform("median")).fillna(1.0)
    long["event_days"] = long["event_name_1"].notna().astype(float)
    long["y"] = long["y"].astype(float)
    return long[["unique_id", "ds", "y", "price_ratio", "event_days"]].reset_index(drop=True), static


def m5_daily(root: Path) -> Dataset:
    """28 items x 10 stores, daily, 2011-01-29 .. 2016-04-24; windows of 28 days (M5's horizon)."""
    history, static = _m5_daily_frame(root)
    return Dataset("m5_daily", "D", 7, 28, history, static, ("store_id", "dept_id"), ("price_ratio", "event_days"))


def m5_monthly(root: Path) -> Dataset:
    """The same series summed to whole calendar months (February 2011 .. March 2016); windows of 6 months."""
    daily, static = _m5_daily_frame(root)
    daily["ds"] = daily["ds"].dt.to_period("M").dt.to_timestamp()
    monthly = daily.groupby(["unique_id", "ds"]).agg(
        y=("y", "sum"), price_ratio=("price_ratio", "mean"), event_days=("event_days", "sum")
    )
    monthly = monthly.reset_index()
    whole = (monthly["ds"] >= "2011-02-01") & (monthly["ds"] <= "2016-03-01")
    return Dataset(
        "m5_monthly",
        "MS",
        12,
        6,
        monthly[whole].reset_index(drop=True),
        static,
        ("store_id", "dept_id"),
        ("price_ratio", "event_days"),
    )


def supplygraph_weekly(root: Path) -> Dataset:
    """SupplyGraph's 41 products' orders in ISO weeks (Monday 2 January .. 30 July 2023, 30 whole weeks),
    through the project's adapter; windows of 5 weeks."""
    from sop.adapters.supplygraph import convert

    frames = convert(root / "supplygraph")
    orders = frames["sales_orders"]
    orders["ds"] = pd.to_datetime(orders["order_date"]).dt.to_period("W-SUN").dt.start_time
    weekly = orders.groupby(["sku_id", "ds"])["ordered_qty"].sum().rename("y").reset_index()
    weekly = weekly[(weekly["ds"] >= "2023-01-02") & (weekly["ds"] <= "2023-07-24")]
    weekly = _filled(weekly.rename(columns={"sku_id": "unique_id"}), "W-MON")
    events = pd.to_datetime(frames["calendar_events"]["event_date"]).dt.to_period("W-SUN").dt.start_time
    weekly["event_days"] = weekly["ds"].map(events.value_counts()).fillna(0.0)
    weekly["y"] = weekly["y"].astype(float)
    static = frames["products"][["sku_id", "family_id"]].rename(columns={"sku_id": "unique_id"})
    static = static[static["unique_id"].isin(weekly["unique_id"])]
    return Dataset("supplygraph_weekly", "W-MON", 52, 5, weekly, static, ("family_id",), ("event_days",))


def _filled(frame: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Every bucket from each series' first one to the last of all, zero where nothing was ordered."""
    buckets = pd.date_range(frame["ds"].min(), frame["ds"].max(), freq=freq)
    first = frame.groupby("unique_id")["ds"].min()
    grid = pd.DataFrame(
        [(uid, ds) for uid, start in first.items() for ds in buckets if ds >= start], columns=["unique_id", "ds"]
    )
    return grid.merge(frame, on=["unique_id", "ds"], how="left").fillna({"y": 0.0})


DATASETS = {"m5_daily": m5_daily, "m5_monthly": m5_monthly, "supplygraph_weekly": supplygraph_weekly}


def aggregate(frame: pd.DataFrame, static: pd.DataFrame, level: str | None, value_columns: list[str]) -> pd.DataFrame:
    """``frame`` summed over the series of each member of ``level`` (None: every series is its own member,
    'total': one member), keeping ``ds`` and ``cutoff`` when present. The member becomes the ``unique_id``."""
    if level is None:
        return frame
    keys = [c for c in ("cutoff", "ds") if c in frame.columns]
    member = (
        pd.Series("total", index=frame.index)
        if level == "total"
        else frame["unique_id"].map(static.set_index("unique_id")[level])
    )
    summed = frame.assign(unique_id=member).groupby(["unique_id", *keys])[value_columns].sum().reset_index()
    return summed.replace([np.inf, -np.inf], np.nan)
