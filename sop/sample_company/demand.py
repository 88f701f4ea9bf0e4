"""Demand of every (sku, location) series: trend, seasonality, price changes, promotions, lifecycle, noise."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sop.sample_company.config import SampleConfig

PRICE_ELASTICITY = -1.5
PROMO_ELASTICITY = -3.0
NOISE_SHAPE = 8.0  # gamma-Poisson shape: lower means noisier


@dataclass
class Demand:
    series: pd.DataFrame  # one row per sold (sku, location) pair
    expected: np.ndarray  # series x (history + horizon) months, mean demand
    realized: np.ndarray  # series x history months, integer demand
    list_price: np.ndarray  # series x all months, EUR list price after price changes
    discount: np.ndarray  # series x all months, promotion discount (0 = none)


def assortment(cfg: SampleConfig, prods: pd.DataFrame, locs: pd.DataFrame, rng) -> pd.DataFrame:
    """Which SKU sells where: every SKU in at least one location, popular ones in many."""
    popularity = rng.beta(2, 3, len(prods)) * 2 * cfg.assortment_share
    sold = rng.random((len(prods), len(locs))) < popularity[:, None]
    sold[np.arange(len(prods)), rng.integers(0, len(locs), len(prods))] = True
    si, li = np.nonzero(sold)
    return pd.DataFrame({"sku_idx": si, "loc_idx": li})


def simulate(cfg: SampleConfig, prods, locs, fams, rng) -> Demand:
    pairs = assortment(cfg, prods, locs, rng)
    n, months = len(pairs), cfg.all_months
    t = np.arange(len(months))
    month_of_year = np.array([m.month for m in months])
    sku = prods.iloc[pairs["sku_idx"]].reset_index(drop=True)
    fam = fams.set_index("family_id").loc[sku["family_id"]].reset_index()

    intermittent = rng.random(n) < cfg.intermittent_share
    base = np.where(intermittent, rng.uniform(0.3, 2.5, n), np.exp(rng.normal(4.0, 0.9, n)))
    growth = (1 + fam["growth_per_year"].to_numpy() + rng.normal(0, 0.03, n))[:, None] ** (t / 12)
    season = 1 + fam["season_amplitude"].to_numpy()[:, None] * np.cos(
        2 * np.pi * (month_of_year[None, :] - fam["season_peak_month"].to_numpy()[:, None]) / 12
    )

    # one or two list-price increases per SKU, shared by its locations
    steps = np.ones((len(prods), len(months)))
    for i in range(len(prods)):
        for at in rng.integers(6, len(months), rng.integers(1, 3)):
            steps[i, at:] *= 1 + rng.uniform(0.03, 0.08)
    sku_steps = steps[pairs["sku_idx"]]
    list_price = sku["list_price"].to_numpy()[:, None] * sku_steps
    promo = rng.random((n, len(months))) < 0.07
    discount = np.where(promo, np.round(rng.uniform(0.1, 0.3, (n, len(months))), 2), 0.0)
    price_effect = sku_steps**PRICE_ELASTICITY * (1 - discount) ** PROMO_ELASTICITY

    expected = base[:, None] * growth * season * price_effect * _lifecycle(sku, months)
    realized = rng.poisson(
        expected[:, : cfg.history_months] * rng.gamma(NOISE_SHAPE, 1 / NOISE_SHAPE, (n, cfg.history_months))
    )
    series = pd.DataFrame(
        {
            "sku_id": sku["sku_id"],
            "location_id": locs["location_id"].to_numpy()[pairs["loc_idx"]],
            "family_id": sku["family_id"],
            "is_intermittent": intermittent,
        }
    )
    return Demand(series, expected, realized.astype(np.int64), list_price, discount)


def _lifecycle(sku: pd.DataFrame, months: pd.PeriodIndex) -> np.ndarray:
    """0 before launch, a three-month ramp-up, a three-month decline before the end date, 0 after."""
    starts = months.start_time.to_numpy()
    launch = sku["launch_date"].to_numpy()[:, None]
    # no end date: treat as ending far beyond the horizon
    end = sku["end_date"].fillna(pd.Timestamp("2200-01-01")).to_numpy()[:, None]
    month = np.timedelta64(1, "D") * 30.44
    ramp = np.clip(((starts[None, :] - launch) / month + 1) / 3, 0, 1)
    decline = np.clip(((end - starts[None, :]) / month) / 3, 0, 1)
    return ramp * decline
