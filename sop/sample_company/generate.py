"""Assemble the sample company and write it to a landing folder in the input contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sop.contract import ENTITIES
from sop.sample_company import demand as demand_model
from sop.sample_company import master, orders
from sop.sample_company import network as network_model
from sop.sample_company import supply as supply_model
from sop.sample_company.config import SampleConfig

PLANNERS = ("a.moreau", "j.schmidt", "k.tanaka")
OVERRIDE_REASONS = (
    "Key account confirmed a promotion",
    "Competitor out of stock in the region",
    "Listing lost at a retailer",
    "Tender won, first deliveries",
)


def generate(cfg: SampleConfig | None = None) -> dict[str, pd.DataFrame]:
    """Every input entity of one sample company, as data frames in the contract's column order."""
    cfg = cfg or SampleConfig()
    rng = np.random.default_rng(cfg.seed)
    fams = master.families(rng)
    prods = master.products(cfg, rng)
    locs = master.locations(cfg)
    routes = master.routings(cfg, prods, rng)
    fx = master.fx_rates(cfg, rng)

    dem = demand_model.simulate(cfg, prods, locs, fams, rng)
    series = dem.series.merge(routes, on="sku_id", how="left").merge(locs, on="location_id", how="left")
    resources = sorted(routes["resource_id"].unique())
    resource_idx = series["resource_id"].map({r: k for k, r in enumerate(resources)}).to_numpy()
    rate = series["units_per_hour"].to_numpy()
    sup = supply_model.simulate(cfg, dem.expected, dem.realized, rate, resource_idx, resources, rng)

    fx_matrix = fx.pivot(index="currency", columns="month", values="rate_to_eur")
    series_fx = fx_matrix.loc[series["currency"]].to_numpy()  # series x all months
    net_price_eur = dem.list_price * (1 - dem.discount) * master.price_factor(series["country"])[:, None]
    h = cfg.history_months
    sales = orders.order_lines(
        cfg,
        dem.realized,
        sup.shipped,
        (net_price_eur / series_fx)[:, :h],
        series,
        series["currency"].to_numpy(),
        rng,
    )
    net = network_model.generate(cfg, prods, locs, routes, series, dem.expected, sup.on_hand[:, -1])
    last_rate = fx.sort_values("month").groupby("currency")["rate_to_eur"].last()
    sources = net.supply_sources.assign(
        unit_price=lambda f: (f["unit_price_eur"] / f["currency"].map(last_rate)).round(4)
    )
    frames = {
        "products": prods,
        "locations": locs,
        "items": net.items,
        "routings": pd.concat([routes, net.routings], ignore_index=True),
        "capacity": pd.concat([sup.capacity, net.capacity], ignore_index=True),
        "sales_orders": sales,
        "production": _production(cfg, series, sup),
        "inventory_snapshots": _inventory(cfg, series, sup),
        "budget": _budget(cfg, series, dem.expected, net_price_eur),
        "fx_rates": fx,
        "planner_overrides": _overrides(cfg, series, dem.expected, rng),
        "policies": _policies(series),
        "calendar_events": _events(cfg),
        "bom": net.bom,
        "supply_sources": sources,
        "lanes": net.lanes,
        "plant_stock": net.plant_stock,
        "open_supply": net.open_supply,
    }
    # contract column order; optional columns the sample does not model (in-transit stock) are left out
    return {
        name: df[[c for c in ENTITIES[name].column_names if c in df.columns]].reset_index(drop=True)
        for name, df in frames.items()
    }


def _production(cfg, series, sup) -> pd.DataFrame:
    s, t = np.nonzero(sup.produced)
    return pd.DataFrame(
        {
            "production_date": cfg.history.start_time.to_numpy()[t],
            "plant_id": series["plant_id"].to_numpy()[s],
            "resource_id": series["resource_id"].to_numpy()[s],
            "sku_id": series["sku_id"].to_numpy()[s],
            "location_id": series["location_id"].to_numpy()[s],
            "produced_qty": sup.produced[s, t],
            "run_hours": sup.run_hours[s, t],
        }
    ).sort_values(["production_date", "resource_id", "sku_id", "location_id"])


def _inventory(cfg, series, sup) -> pd.DataFrame:
    """Month-end stock, starting with the closing of the month before the history (the opening stock)."""
    ends = (cfg.history[0] - 1).end_time.normalize(), *cfg.history.end_time.normalize()
    n, m = sup.on_hand.shape
    return pd.DataFrame(
        {
            "snapshot_date": np.tile(np.array(ends, dtype="datetime64[ns]"), n),
            "sku_id": np.repeat(series["sku_id"].to_numpy(), m),
            "location_id": np.repeat(series["location_id"].to_numpy(), m),
            "on_hand_qty": sup.on_hand.ravel(),
        }
    ).sort_values(["snapshot_date", "sku_id", "location_id"])


def _budget(cfg, series, expected, net_price_eur) -> pd.DataFrame:
    """The annual operating plan: expected demand plus a 5% stretch, by family and region, for the last year
    of history (so actuals have a budget to be compared with) and the horizon."""
    start = max(cfg.history_months - 12, 0)
    months = cfg.all_months[start:]
    qty = expected[:, start:] * 1.05
    frame = pd.DataFrame(
        {
            "family_id": np.repeat(series["family_id"].to_numpy(), len(months)),
            "region": np.repeat(series["region"].to_numpy(), len(months)),
            "month": np.tile(months.start_time.to_numpy(), len(series)),
            "budget_qty": qty.ravel(),
            "budget_revenue": (qty * net_price_eur[:, start:]).ravel(),
        }
    )
    out = frame.groupby(["month", "family_id", "region"], as_index=False).sum()
    out["budget_qty"] = out["budget_qty"].round().astype(np.int64)
    out["budget_revenue"] = out["budget_revenue"].round(2)
    return out


def _overrides(cfg, series, expected, rng, count: int = 6) -> pd.DataFrame:
    """Planner overrides in the first months of the horizon: a few quantities on large series, and three at
    aggregate levels (a family in a region in percent; a family's total, and one of its SKUs everywhere in
    percent in the same month)."""
    h = cfg.history_months
    top = np.argsort(-expected[:, h], kind="stable")[:count]
    ahead = rng.integers(0, 3, count)
    created = cfg.cycle_month.start_time - pd.Timedelta(days=3)
    months = cfg.horizon.start_time.to_numpy()
    per_series = pd.DataFrame(
        {
            "sku_id": series["sku_id"].to_numpy()[top],
            "location_id": series["location_id"].to_numpy()[top],
            "month": months[ahead],
            "override_qty": np.round(expected[top, h + ahead] * rng.uniform(0.7, 1.4, count)),
        }
    )
    lead = series.iloc[top[0]]
    family = series["family_id"] == lead["family_id"]
    aggregate = pd.DataFrame(
        [
            {"family_id": lead["family_id"], "region": lead["region"], "month": months[1], "override_pct": 12.0},
            # a SKU of the family, everywhere, in the month its family gets a total: the SKU's own override wins
            {
                "sku_id": series["sku_id"][family & (series["sku_id"] != lead["sku_id"])].iloc[0],
                "month": months[3],
                "override_pct": -20.0,
            },
            {
                "family_id": lead["family_id"],
                "month": months[3],
                "override_qty": np.round(1.08 * expected[family, h + 3].sum()),
            },
        ]
    )
    out = pd.concat([per_series, aggregate], ignore_index=True)
    n = len(out)
    return out.assign(
        override_id=[f"OVR-{cfg.cycle_id}-{k + 1:03d}" for k in range(n)],
        planner=[PLANNERS[k % len(PLANNERS)] for k in range(n)],
        reason=[OVERRIDE_REASONS[k % len(OVERRIDE_REASONS)] for k in range(n)],
        created_at=[(created + pd.Timedelta(hours=9 + k)).strftime("%Y-%m-%d %H:%M:%S") for k in range(n)],
    )


def _events(cfg) -> pd.DataFrame:
    """Holidays over the history and the horizon (the sample's demand does not react to them: noise to
    ignore, as real calendars often are)."""
    rows = []
    for year in range(cfg.all_months[0].year, cfg.all_months[-1].year + 1):
        may = pd.date_range(f"{year}-05-01", f"{year}-05-31", freq="W-SUN")
        november = pd.date_range(f"{year}-11-01", f"{year}-11-30", freq="W-THU")
        rows += [
            (pd.Timestamp(f"{year}-01-01"), "New Year", "national"),
            (pd.Timestamp(f"{year}-02-14"), "Valentine's Day", "cultural"),
            (may[1], "Mother's Day", "cultural"),
            (november[3] + pd.Timedelta(days=1), "Black Friday", "commercial"),
            (pd.Timestamp(f"{year}-12-25"), "Christmas", "national"),
        ]
    return pd.DataFrame(rows, columns=["event_date", "event_name", "event_type"])


def _policies(series) -> pd.DataFrame:
    """A company default, a stricter family, a looser region's location, and one key account series."""
    top, far = series.iloc[0], series["location_id"].max()
    rows = [
        ("POL-DEFAULT", None, None, None, 0.95, 14.0),
        ("POL-PCR", "PCR", None, None, 0.98, 21.0),
        (f"POL-{far}", None, None, far, 0.90, 28.0),
        ("POL-KEY-ACCOUNT", None, top["sku_id"], top["location_id"], 0.99, 7.0),
    ]
    return pd.DataFrame(
        rows, columns=["policy_id", "family_id", "sku_id", "location_id", "target_service_level", "lead_time_days"]
    )


def write_landing(frames: dict[str, pd.DataFrame], landing: Path, on_file=None) -> list[Path]:
    """Write each entity as ``<entity>.csv`` (ISO dates, '.' decimals, UTF-8); ``on_file(path)`` after each."""
    landing.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in frames.items():
        path = landing / f"{name}.csv"
        df.to_csv(path, index=False, date_format="%Y-%m-%d", lineterminator="\n")
        written.append(path)
        if on_file:
            on_file(path)
    return written
