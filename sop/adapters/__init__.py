"""Adapters that turn real data sets into the input contract, each with its assumptions written down."""

from pathlib import Path

from sop.settings import PROJECT_ROOT

SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


def source_dir(name: str, override: Path | None = None) -> Path:
    path = override or SHARED_DATA / name
    if not path.exists():
        raise FileNotFoundError(f"{name} data not found at {path}; pass its folder explicitly")
    return path
