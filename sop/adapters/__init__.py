"""Adapters that turn real data sets into the input contract, each with its assumptions written down."""

from pathlib import Path

from sop.settings import PROJECT_ROOT

SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


# where each public data set comes from, for someone who cloned the project without ../shared/data
ORIGINS = {
    "m5_subset": "the M5 (Walmart) files in their competition layout: calendar.csv, tiny_m5_sales_train_validation.csv "
    "and tiny_m5_sell_prices.csv (e.g. the CRAN package m5's tiny_m5 rebuilt; see docs/real-data.md)",
    "supplygraph": "a copy of github.com/ciol-researchlab/SupplyGraph (its 'Raw Dataset' folder)",
}


def source_dir(name: str, override: Path | None = None) -> Path:
    path = override or SHARED_DATA / name
    if not path.is_dir():
        raise FileNotFoundError(
            f"no {name} data at {path}: pass its folder with --source (it holds {ORIGINS.get(name, 'the data set')})"
        )
    return path
