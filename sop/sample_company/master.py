"""Master data: families, products, locations, plants and routings, FX rates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sop.sample_company.config import SampleConfig

FAMILIES = {
    "BEV": ("Beverages", ("juice", "water", "soda")),
    "SNK": ("Snacks", ("chips", "nuts", "bars")),
    "DAI": ("Dairy", ("yoghurt", "cheese")),
    "PCR": ("Personal care", ("shampoo", "soap", "lotion")),
    "HCR": ("Home care", ("detergent", "cleaner")),
}

# (country, region, currency, price factor against the EUR list price)
MARKETS = [
    ("DE", "Europe", "EUR", 1.00),
    ("FR", "Europe", "EUR", 1.02),
    ("IT", "Europe", "EUR", 0.98),
    ("ES", "Europe", "EUR", 0.95),
    ("GB", "United Kingdom", "GBP", 1.05),
    ("US", "North America", "USD", 1.10),
    ("CA", "North America", "USD", 1.08),
    ("JP", "Asia Pacific", "JPY", 1.15),
]

FX_START = {"EUR": 1.0, "USD": 0.92, "GBP": 1.16, "JPY": 0.0062}


def families(rng: np.random.Generator) -> pd.DataFrame:
    """Family-level demand shape: yearly growth, seasonal amplitude and peak month."""
    n = len(FAMILIES)
    return pd.DataFrame(
        {
            "family_id": list(FAMILIES),
            "growth_per_year": rng.uniform(-0.04, 0.14, n),
            "season_amplitude": rng.uniform(0.1, 0.4, n),
            "season_peak_month": rng.integers(1, 13, n),
        }
    )


def products(cfg: SampleConfig, rng: np.random.Generator) -> pd.DataFrame:
    n = cfg.n_skus
    fam_ids = np.array(list(FAMILIES))
    family = fam_ids[np.arange(n) % len(fam_ids)]
    category = [FAMILIES[f][1][rng.integers(len(FAMILIES[f][1]))] for f in family]
    unit_cost = np.round(np.exp(rng.normal(1.6, 0.6, n)), 2)
    list_price = np.round(unit_cost * rng.uniform(1.4, 2.2, n), 2)

    first, last = cfg.history[0], cfg.history[-1]
    lifecycle = rng.choice(["mature", "launch", "phase_out"], size=n, p=[0.8, 0.12, 0.08])
    launch = np.array([(first - int(rng.integers(6, 60))).start_time.to_datetime64() for _ in range(n)])
    end = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    for i in np.flatnonzero(lifecycle == "launch"):
        # launches spread over the history, leaving at least a year of sales for most of them
        launch[i] = (first + int(rng.integers(6, cfg.history_months - 3))).start_time.to_datetime64()
    for i in np.flatnonzero(lifecycle == "phase_out"):
        end[i] = (last - int(rng.integers(0, cfg.history_months // 3))).end_time.normalize().to_datetime64()
    return pd.DataFrame(
        {
            "sku_id": [f"SKU{i + 1:04d}" for i in range(n)],
            "sku_name": [
                f"{FAMILIES[f][0]} {c} {i + 1}" for i, (f, c) in enumerate(zip(family, category, strict=True))
            ],
            "family_id": family,
            "category": category,
            "unit_cost": unit_cost,
            "list_price": list_price,
            "launch_date": pd.to_datetime(launch).normalize(),
            "end_date": pd.to_datetime(end),
        }
    )


def locations(cfg: SampleConfig) -> pd.DataFrame:
    rows = []
    for i in range(cfg.n_locations):
        country, region, currency, _ = MARKETS[i % len(MARKETS)]
        rows.append(
            (
                f"DC{i + 1:02d}",
                f"{country} distribution centre {i // len(MARKETS) + 1}",
                region,
                country,
                currency,
            )
        )
    return pd.DataFrame(rows, columns=["location_id", "location_name", "region", "country", "currency"])


def price_factor(location_countries: pd.Series) -> np.ndarray:
    by_country = {m[0]: m[3] for m in MARKETS}
    return location_countries.map(by_country).to_numpy()


def routings(cfg: SampleConfig, prods: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Each family is made at one plant; each SKU runs on one resource of that plant."""
    fam_plant = {f: f"P{k % cfg.n_plants + 1}" for k, f in enumerate(FAMILIES)}
    plant = prods["family_id"].map(fam_plant)
    line = rng.integers(1, cfg.resources_per_plant + 1, len(prods))
    return pd.DataFrame(
        {
            "sku_id": prods["sku_id"],
            "plant_id": plant,
            "resource_id": [f"{p}-L{k}" for p, k in zip(plant, line, strict=True)],
            "units_per_hour": np.round(rng.uniform(40, 200, len(prods)), 1),
        }
    )


def fx_rates(cfg: SampleConfig, rng: np.random.Generator) -> pd.DataFrame:
    """A random walk per currency over history; the horizon carries the last rate forward."""
    rows = []
    n_hist = cfg.history_months
    for currency, start in FX_START.items():
        if currency == "EUR":
            path = np.ones(len(cfg.all_months))
        else:
            walk = np.exp(np.cumsum(rng.normal(0, 0.015, n_hist)))
            path = np.concatenate([walk, np.full(cfg.horizon_months, walk[-1])]) * start
        for month, rate in zip(cfg.all_months, path, strict=True):
            rows.append((month.start_time, currency, round(float(rate), 6)))
    return pd.DataFrame(rows, columns=["month", "currency", "rate_to_eur"])
