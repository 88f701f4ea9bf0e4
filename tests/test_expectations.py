"""The Great Expectations suites pass clean data and catch what the contract forbids."""

import pytest

from expectations.validate import validate


@pytest.fixture(scope="module")
def orders(small_frames):
    return small_frames["sales_orders"].copy()


def test_every_entity_of_the_sample_passes_its_suite(small_frames):
    for entity, frame in small_frames.items():
        outcome = validate(entity, frame)
        assert outcome.success and not outcome.errors, (entity, outcome.failures)


def test_shipping_more_than_ordered_and_unknown_skus_are_errors(orders, small_frames):
    bad = orders.copy()
    bad.loc[0, "shipped_qty"] = bad.loc[0, "ordered_qty"] + 5
    bad.loc[1, "sku_id"] = "NOPE"
    known = {"sku_id": small_frames["products"]["sku_id"].tolist()}
    outcome = validate("sales_orders", bad, known)
    failed = {f["expectation"]: f for f in outcome.errors}
    assert not outcome.success
    assert failed["expect_column_pair_values_a_to_be_greater_than_b"]["unexpected_count"] == 1
    assert failed["expect_column_values_to_be_in_set"]["unexpected_sample"] == ["NOPE"]


def test_duplicate_keys_and_negative_quantities_are_errors(orders):
    bad = orders.head(50).copy()
    bad.loc[1, ["order_id", "line_number"]] = bad.loc[0, ["order_id", "line_number"]].to_numpy()
    bad.loc[2, "ordered_qty"] = -1
    names = {f["expectation"] for f in validate("sales_orders", bad).errors}
    assert {"expect_compound_columns_to_be_unique", "expect_column_values_to_be_between"} <= names


def test_a_warning_is_reported_but_does_not_fail_the_entity(small_frames):
    products = small_frames["products"].copy()
    products.loc[0, "list_price"] = products.loc[0, "unit_cost"] / 2  # selling below cost: a warning
    outcome = validate("products", products)
    assert outcome.success and len(outcome.warnings) == 1 and not outcome.errors


def test_an_empty_entity_is_an_error(small_frames):
    assert not validate("locations", small_frames["locations"].head(0)).success
