"""Consensus demand on a warehouse that ran the sample company's cycle: planner overrides at every level come
down to series and buckets as the contract says, and the audit accounts for each one."""

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.conftest import SMALL

CYCLE = SMALL.cycle_id


@pytest.fixture(scope="module")
def con(archived):
    with duckdb.connect(str(archived.warehouse), read_only=True) as con:
        yield con


@pytest.fixture(scope="module")
def consensus(con) -> pd.DataFrame:
    return con.execute(
        "select c.*, cast(date_trunc('month', bucket_date) as date) as month_date, d.family_id, d.region "
        "from marts.fct_consensus_demand c join marts.dim_sku_locations d using (sku_id, location_id) "
        "where cycle_id = ?",
        [CYCLE],
    ).df()


@pytest.fixture(scope="module")
def audit(con) -> pd.DataFrame:
    return con.execute("select * from marts.fct_override_audit where cycle_id = ?", [CYCLE]).df()


def test_the_sample_overrides_a_series_a_sku_a_family_and_a_family_in_a_region(audit):
    assert {"sku_location", "sku", "family", "family_region"} <= set(audit["override_level"])
    status = audit.set_index("override_level")["status"]
    assert status["family"] == "partly superseded" and status["sku"] == "applied", status
    assert (audit["status"].isin(["applied", "partly superseded"])).all(), audit[["override_id", "status"]]


def test_every_override_of_the_cycle_has_one_audit_row_that_adds_up(con, audit, consensus):
    landed = con.execute(
        "select override_id from staging.stg_landing__planner_overrides where month_date >= ?", [f"{CYCLE}-01"]
    ).df()
    assert sorted(audit["override_id"]) == sorted(landed["override_id"])
    governed = consensus[consensus["is_overridden"]].groupby("override_id")
    sums = governed[["statistical_forecast_qty", "consensus_demand_qty"]].sum()
    joined = audit.set_index("override_id").join(sums, rsuffix="_buckets")
    np.testing.assert_allclose(joined["consensus_demand_qty"], joined["consensus_demand_qty_buckets"], atol=1e-3)
    np.testing.assert_allclose(
        joined["change_qty"], joined["consensus_demand_qty"] - joined["statistical_forecast_qty"], atol=1e-3
    )
    assert (audit["governed_series"] <= audit["matched_series"]).all()
    series = consensus[consensus["is_overridden"]].groupby("override_id")[["sku_id", "location_id"]].value_counts()
    governed_series = series.groupby(level="override_id").size()
    pd.testing.assert_series_equal(
        governed_series.sort_index(), joined["governed_series"].sort_index(), check_names=False, check_dtype=False
    )


def test_a_quantity_is_the_total_of_what_it_governs_and_a_percent_scales_each_bucket(audit, consensus):
    overridden = consensus[consensus["is_overridden"]].merge(
        audit[["override_id", "override_qty", "override_pct"]], on="override_id", suffixes=("", "_set")
    )
    by_quantity = overridden[overridden["override_pct_set"].isna()]
    totals = by_quantity.groupby("override_id").agg(
        total=("consensus_demand_qty", "sum"), wanted=("override_qty_set", "first")
    )
    np.testing.assert_allclose(totals["total"], totals["wanted"], atol=1e-3 * len(by_quantity))
    by_percent = overridden[overridden["override_pct_set"].notna()]
    assert len(by_percent) > 0
    expected = by_percent["statistical_forecast_qty"] * (1 + by_percent["override_pct_set"] / 100)
    np.testing.assert_allclose(by_percent["consensus_demand_qty"], expected, atol=1e-3)


def test_an_aggregate_override_reaches_every_series_of_its_scope_a_more_specific_one_leaves(audit, consensus):
    family = audit[audit["override_level"] == "family"].iloc[0]
    in_scope = consensus[
        (consensus["family_id"] == family["family_id"])
        & (pd.to_datetime(consensus["month_date"]) == family["month_date"])
    ]
    assert in_scope["sku_id"].nunique() > 1
    others = in_scope[in_scope["override_id"] != family["override_id"]]
    # a series of the family the family override does not set is set by a more specific override
    assert len(others) and others["is_overridden"].all() and (others["override_level"] == "sku").all()
    untouched = consensus[~consensus["is_overridden"]]
    assert (untouched["consensus_demand_qty"] == untouched["statistical_forecast_qty"]).all()
