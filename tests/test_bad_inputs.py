"""A corpus of bad inputs. Each gets a clear error naming file, row and column, or quarantine rows with their
reason, or an error-level validation failure (which blocks publishing: see test_end_to_end). After each, the
published store is byte-for-byte what it was and no landing file is gone."""

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from expectations.validate import validate_entity
from sop.contract import ENTITIES
from sop.ingest import ContractError, load_entity
from sop.sample_company import write_landing
from tests.conftest import SMALL

CYCLE = SMALL.cycle_id
INV = "snapshot_date,sku_id,location_id,on_hand_qty\n"
ORDERS = ",".join(ENTITIES["sales_orders"].column_names) + "\n"
PRODUCTS = "sku_id,sku_name,family_id,category,unit_cost,list_price,launch_date,end_date\n"
BUDGET = "month,family_id,region,budget_qty,budget_revenue\n"
GOOD_INV = "2025-12-31,SKU0001,DC01,5\n"
POLICIES = ",".join(ENTITIES["policies"].column_names) + "\n"


def order(qty: str = "5", price: str = "1.0", currency: str = "EUR", series: str = "SKU0023,DC08") -> bytes:
    """One order line for December 2025 (SKU0023 at DC08 orders every month of the small sample)."""
    return text(ORDERS + f"SO-X-1,1,2025-12-03,2025-12-05,2025-12-05,{series},{qty},{qty},{price},{currency}\n")


@dataclass
class Case:
    name: str
    entity: str
    files: dict[str, bytes]
    error: str | None = None  # regex the ContractError must match
    quarantined: list[tuple[int, str, str]] = field(default_factory=list)  # (row, column, reason)
    blocked_by: str | None = None  # an error-level expectation that fails
    warned_by: str | None = None  # a warning-level expectation that fails, the entity still passes
    loaded: int | None = None  # new rows that reach raw.<entity>
    quarantined_rows: int | None = None  # when listing every quarantined cell would be too long
    says: str | None = None  # text the failing result's examples must hold (file, row, key...)
    parquet: dict | None = None  # columns of a Parquet file <entity>_fix.parquet to land instead of `files`


def text(s: str) -> bytes:
    return s.encode()


CASES = [
    Case(
        "missing column",
        "inventory_snapshots",
        {"inventory_snapshots_fix.csv": text("snapshot_date,sku_id,location_id\n2025-12-31,SKU0001,DC01\n")},
        error=r"inventory_snapshots_fix.csv: row 1 \(header\): required column\(s\) on_hand_qty missing",
    ),
    Case(
        "renamed column",
        "inventory_snapshots",
        {"inventory_snapshots_fix.csv": text("snapshot_date,sku_id,location_id,qty\n" + GOOD_INV)},
        error=r"row 1 \(header\): required column\(s\) on_hand_qty missing; found .*qty",
    ),
    Case(
        "extra column",
        "inventory_snapshots",
        {"inventory_snapshots_fix.csv": text(INV.strip() + ",note\n" + GOOD_INV.strip() + ",hi\n")},
        error=r"row 1 \(header\): unexpected column\(s\) note",
    ),
    Case(
        "wrong type",
        "inventory_snapshots",
        {"inventory_snapshots_fix.csv": text(INV + "2025-12-31,SKU0001,DC01,five\n")},
        quarantined=[(2, "on_hand_qty", "not a valid BIGINT")],
        loaded=0,
    ),
    Case(
        "unparseable date",
        "inventory_snapshots",
        {"inventory_snapshots_fix.csv": text(INV + "2025-02-30,SKU0001,DC01,5\n")},
        quarantined=[(2, "snapshot_date", "not a valid DATE")],
        loaded=0,
    ),
    Case(
        "mixed date formats",
        "inventory_snapshots",
        {"inventory_snapshots_fix.csv": text(INV + GOOD_INV + "31/12/2025,SKU0002,DC01,4\n")},
        quarantined=[(3, "snapshot_date", "not a valid DATE")],
        loaded=1,
    ),
    Case(
        "not UTF-8",
        "products",
        {"products_fix.csv": PRODUCTS.encode() + "SKU9001,Crème,BEV,juice,1,2,2024-01-01,\n".encode("latin-1")},
        error=r"products_fix.csv: cannot be read as products: row 2: not UTF-8",
    ),
    Case(
        "UTF-8 with BOM is fine",
        "inventory_snapshots",
        {"inventory_snapshots_fix.csv": b"\xef\xbb\xbf" + text(INV + GOOD_INV.replace("SKU0001", "SKU0002"))},
        loaded=1,
    ),
    Case(
        "wrong delimiter",
        "inventory_snapshots",
        {"inventory_snapshots_fix.csv": text(INV.replace(",", ";") + GOOD_INV.replace(",", ";"))},
        error=r"row 1 \(header\): the file is ';'-separated",
    ),
    Case(
        "empty file",
        "inventory_snapshots",
        {"inventory_snapshots_fix.csv": b""},
        error=r"inventory_snapshots_fix.csv: row 1: the file is empty",
    ),
    Case(
        "header only",
        "inventory_snapshots",
        {"inventory_snapshots_fix.csv": text(INV)},
        error=r"row 2: no data rows after the header",
    ),
    Case(
        "truncated last line",
        "inventory_snapshots",
        {"inventory_snapshots_fix.csv": text(INV + GOOD_INV + "2025-12-31,SKU0002")},
        error=r"row 3: 2 fields where the header has 4",
    ),
    Case(
        "duplicate keys",
        "inventory_snapshots",
        {"inventory_snapshots_fix.csv": text(INV + "2025-12-31,SKU0001,DC01,5\n2025-12-31,SKU0001,DC01,6\n")},
        blocked_by="expect_compound_columns_to_be_unique",
        says="snapshot_date=2025-12-31, sku_id=SKU0001, location_id=DC01 in inventory_snapshots_fix.csv row 2, "
        "inventory_snapshots_fix.csv row 3",
        loaded=2,
    ),
    Case(
        "negative quantity",
        "inventory_snapshots",
        {"inventory_snapshots_fix.csv": text(INV + "2025-12-31,SKU0001,DC01,-3\n")},
        quarantined=[(2, "on_hand_qty", "below the minimum of 0")],
        loaded=0,
    ),
    Case(
        "unknown SKU",
        "inventory_snapshots",
        {"inventory_snapshots_fix.csv": text(INV + "2025-12-31,SKU9999,DC01,3\n")},
        quarantined=[(2, "sku_id", "unknown sku_id: not in products")],
        loaded=0,
    ),
    Case(
        "date before any history",
        "inventory_snapshots",
        {"inventory_snapshots_fix.csv": text(INV + "1900-01-31,SKU0001,DC01,3\n")},
        blocked_by="expect_column_values_to_be_between",
        loaded=1,
    ),
    Case(
        "date in the cycle month",
        "inventory_snapshots",
        {"inventory_snapshots_fix.csv": text(INV + f"{CYCLE}-31,SKU0001,DC01,3\n")},
        warned_by="expect_column_values_to_be_between",
        loaded=1,
    ),
    Case(
        "NaN",
        "budget",
        {"budget_fix.csv": text(BUDGET + "2026-01-01,BEV,Europe,10,NaN\n")},
        quarantined=[(2, "budget_revenue", "not a finite number")],
        loaded=0,
    ),
    Case(
        "infinity",
        "products",
        {"products_fix.csv": text(PRODUCTS + "SKU9001,New,BEV,juice,inf,2.0,2024-01-01,\n")},
        quarantined=[(2, "unit_cost", "not a finite number")],
        # one bad row is 3% of this small product master, but one row: reported, not blocking
        warned_by="quarantined_at_most_1%_or_3_rows",
        loaded=0,
    ),
    Case(
        "shipped more than ordered",
        "sales_orders",
        {
            "sales_orders_fix.csv": text(
                ORDERS + "SO-X-1,1,2025-12-03,2025-12-05,2025-12-05,SKU0001,DC01,5,50,1.0,EUR\n"
            )
        },
        quarantined=[(2, "shipped_qty", "shipped more than was ordered")],
        loaded=0,
    ),
    Case(
        "required value empty",
        "sales_orders",
        {"sales_orders_fix.csv": text(ORDERS + "SO-X-1,1,2025-12-03,2025-12-05,,,DC01,5,0,1.0,EUR\n")},
        quarantined=[(2, "sku_id", "required value is empty")],
        loaded=0,
    ),
    Case(
        "mostly broken file",
        "sales_orders",
        {
            "sales_orders_fix.csv": text(
                ORDERS
                + "".join(
                    f"SO-X-{i},1,2025-12-03,2025-12-05,2025-12-05,SKU0001,DC01,five,0,1.0,EUR\n" for i in range(400)
                )
            )
        },
        blocked_by="quarantined_at_most_1%_or_3_rows",
        quarantined_rows=400,
        loaded=0,
    ),
    Case(
        "month without a day",
        "budget",
        {"budget_fix.csv": text(BUDGET + "2026-01,BEV,Europe,10,100.0\n")},
        quarantined=[(2, "month", "not a valid DATE")],
        loaded=0,
    ),
    Case(
        "overrides without a scope, with two values, for an unknown family",
        "planner_overrides",
        {
            "planner_overrides_fix.csv": text(
                ",".join(ENTITIES["planner_overrides"].column_names)
                + "\n"
                + "X1,,,BEV,,2026-02-01,100,5,ann,both,2025-12-28 09:00:00\n"
                + "X2,,,,,2026-02-01,,5,ann,nothing,2025-12-28 09:00:00\n"
                + "X3,,,NOPE,,2026-02-01,,5,ann,typo,2025-12-28 09:00:00\n"
                + "X4,,,BEV,Europe,2026-02-01,,-120,ann,too low,2025-12-28 09:00:00\n"
                + "X5,,,BEV,Europe,2026-02-01,,12.5,ann,fine,2025-12-28 09:00:00\n"
            )
        },
        quarantined=[
            (2, "override_qty", "give exactly one of override_qty and override_pct"),
            (3, "sku_id", "no scope: give at least one of sku_id, location_id, family_id, region"),
            (4, "family_id", "unknown family_id: not in products"),
            (5, "override_pct", "below the minimum of -100"),
        ],
        # four of the company's planner inputs would be lost: the cycle must not go on without them
        blocked_by="quarantined_at_most_1%_or_3_rows",
        loaded=1,
    ),
    Case(
        "parquet with a text quantity",
        "inventory_snapshots",
        {},
        parquet={
            "snapshot_date": ["2025-12-31"],
            "sku_id": ["SKU0001"],
            "location_id": ["DC01"],
            "on_hand_qty": ["lots"],
        },
        quarantined=[(2, "on_hand_qty", "not a valid BIGINT")],
        loaded=0,
    ),
    Case(
        "a fraction of a unit",
        "inventory_snapshots",
        {"inventory_snapshots_fix.csv": text(INV + "2025-12-31,SKU0001,DC01,2.5\n2025-12-31,SKU0002,DC01,3.0\n")},
        quarantined=[(2, "on_hand_qty", "not a whole number")],
        loaded=1,
    ),
    Case(
        "parquet with a fraction of a unit",
        "inventory_snapshots",
        {},
        parquet={"snapshot_date": ["2025-12-31"], "sku_id": ["SKU0001"], "location_id": ["DC01"], "on_hand_qty": [2.5]},
        quarantined=[(2, "on_hand_qty", "not a whole number")],
        loaded=0,
    ),
    Case(
        "the largest 64-bit integer as a quantity",
        "sales_orders",
        {"sales_orders_fix.csv": order(qty="9223372036854775807")},
        quarantined=[
            (2, "ordered_qty", "above the maximum of 1e+12"),
            (2, "shipped_qty", "above the maximum of 1e+12"),
        ],
        loaded=0,
    ),
    Case(
        "a quantity past the 64-bit range",
        "sales_orders",
        {"sales_orders_fix.csv": order(qty="99999999999999999999")},
        quarantined=[(2, "ordered_qty", "not a valid BIGINT"), (2, "shipped_qty", "not a valid BIGINT")],
        loaded=0,
    ),
    Case(
        "a price no business has",
        "sales_orders",
        {"sales_orders_fix.csv": order(price="1e308")},
        quarantined=[(2, "unit_price", "above the maximum of 1e+09")],
        loaded=0,
    ),
    Case(
        "an order line out of proportion to its series",
        "sales_orders",
        {"sales_orders_fix.csv": order(qty="2500000")},
        blocked_by="ordered_qty_within_100x_of_its_series_history",
        says="sales_orders_fix.csv row 2: ordered_qty = 2,500,000",
        loaded=1,
    ),
    Case(
        "a currency without an FX rate",
        "sales_orders",
        {"sales_orders_fix.csv": order(currency="CHF")},
        blocked_by="every_currency_has_an_fx_rate_for_its_month",
        says="sales_orders_fix.csv row 2 (and 0 more): CHF has no fx_rates row for 2025-12",
        loaded=1,
    ),
    # the contract's other rules, entity by entity
    Case(
        "a routing that makes nothing",
        "routings",
        {"routings_fix.csv": text("sku_id,plant_id,resource_id,units_per_hour\nSKU0001,P1,P1-L9,0\n")},
        quarantined=[(2, "units_per_hour", "a rate must be above zero")],
        loaded=0,
    ),
    Case(
        "a routing for an unknown SKU",
        "routings",
        {"routings_fix.csv": text("sku_id,plant_id,resource_id,units_per_hour\nSKU9999,P1,P1-L1,10\n")},
        quarantined=[(2, "sku_id", "unknown sku_id: not in products or items")],
        loaded=0,
    ),
    Case(
        "capacity hours no resource has",
        "capacity",
        {"capacity_fix.csv": text("plant_id,resource_id,month,available_hours\nP1,P1-L9,2026-01-01,5e6\n")},
        quarantined=[(2, "available_hours", "above the maximum of 1e+06")],
        loaded=0,
    ),
    Case(
        "an FX rate of zero",
        "fx_rates",
        {"fx_rates_fix.csv": text("month,currency,rate_to_eur\n2026-01-01,CHF,0\n")},
        quarantined=[(2, "rate_to_eur", "a rate must be above zero")],
        loaded=0,
    ),
    Case(
        "a product that ends before it launches",
        "products",
        {"products_fix.csv": text(PRODUCTS + "SKU9001,New,BEV,juice,1,2,2024-06-01,2024-01-01\n")},
        quarantined=[(2, "end_date", "ends before it launches")],
        loaded=0,
    ),
    Case(
        "production for an unknown location",
        "production",
        {
            "production_fix.csv": text(
                "production_date,plant_id,resource_id,sku_id,location_id,produced_qty,run_hours\n"
                "2025-12-01,P1,P1-L1,SKU0001,DC99,45,0.76\n"
            )
        },
        quarantined=[(2, "location_id", "unknown location_id: not in locations")],
        loaded=0,
    ),
    Case(
        "an event without a name",
        "calendar_events",
        {"calendar_events_fix.csv": text("event_date,event_name,event_type\n2026-02-14,,cultural\n")},
        quarantined=[(2, "event_name", "required value is empty")],
        loaded=0,
    ),
    Case(
        "a location without a currency",
        "locations",
        {"locations_fix.csv": text("location_id,location_name,region,country,currency\nDC77,New,Europe,DE,\n")},
        quarantined=[(2, "currency", "required value is empty")],
        warned_by="quarantined_at_most_1%_or_3_rows",
        loaded=0,
    ),
    Case(
        "a service level below one half",
        "policies",
        {"policies_fix.csv": text(POLICIES + "POL-X,,,DC01,0.3,7\n")},
        quarantined=[(2, "target_service_level", "a service level must be above 0.5")],
        loaded=0,
    ),
    Case(
        "a budget with a fraction of a unit",
        "budget",
        {"budget_fix.csv": text(BUDGET + "2026-01-01,BEV,Europe,10.5,100.0\n")},
        quarantined=[(2, "budget_qty", "not a whole number")],
        loaded=0,
    ),
    Case(
        "a BOM line with an unknown component, one consuming itself and one that ends before it starts",
        "bom",
        {
            "bom_fix.csv": text(
                "parent_id,component_id,plant_id,qty_per,valid_from,valid_to\n"
                "SKU0001,NOPE,P1,1,,\n"
                "LBL-ALL,LBL-ALL,P1,1,,\n"
                "SKU0001,LBL-ALL,P2,1,2026-05-01,2026-03-01\n"
            )
        },
        quarantined=[
            (2, "component_id", "unknown component_id: not in items"),
            (3, "component_id", "an item cannot consume itself"),
            (4, "valid_to", "ends before it starts"),
        ],
        loaded=0,
    ),
    Case(
        "a supplier whose maximum is below its minimum, and a negative lead time",
        "supply_sources",
        {
            "supply_sources_fix.csv": text(
                "item_id,supplier_id,plant_id,lead_time_months,unit_price,currency,min_qty_per_month,"
                "max_qty_per_month,priority\n"
                "LBL-ALL,SUP-X,P1,1,0.1,EUR,500,100,1\n"
                "LBL-ALL,SUP-Y,P1,-1,0.1,EUR,,,\n"
            )
        },
        quarantined=[
            (2, "max_qty_per_month", "maximum below the minimum"),
            (3, "lead_time_months", "below the minimum of 0"),
        ],
        loaded=0,
    ),
    Case(
        "a lane to a location that does not exist, and one to itself",
        "lanes",
        {
            "lanes_fix.csv": text(
                "lane_id,from_node,to_node,transit_months,cost_per_unit,capacity_per_month\n"
                "X1,P1,DC99,1,0.1,\n"
                "X2,DC01,DC01,1,0.1,\n"
            )
        },
        quarantined=[
            (2, "to_node", "unknown to_node: not in locations"),
            (3, "to_node", "a lane must go somewhere else"),
        ],
        loaded=0,
    ),
    Case(
        "open supply of an unknown kind and a labour type capacity does not know",
        "open_supply",
        {
            "open_supply_fix.csv": text(
                "supply_id,supply_type,item_id,node_id,due_month,qty,supplier_id,from_node\n"
                "PO-X,gift,LBL-ALL,P1,2026-02-01,5,,\n"
            )
        },
        quarantined=[(2, "supply_type", "not one of purchase_order, transfer")],
        loaded=0,
    ),
    Case(
        "a capacity row of an unknown resource type",
        "capacity",
        {
            "capacity_fix.csv": text(
                "plant_id,resource_id,month,available_hours,resource_type\nP1,P1-CREW,2026-01-01,100,robot\n"
            )
        },
        quarantined=[(2, "resource_type", "not one of machine, labour")],
        loaded=0,
    ),
    Case(
        "one bad row in a small policies file",
        "policies",
        {"policies_fix.csv": text(POLICIES + "POL-X,,,DC01,1.5,7\n")},
        quarantined=[(2, "target_service_level", "a service level must be below 1 (100%)")],
        warned_by="quarantined_at_most_1%_or_3_rows",
        loaded=0,
    ),
]


@pytest.fixture(scope="module")
def base(tmp_path_factory, small_frames):
    """A loaded sample company and a published store (the last good plan) beside it."""
    home = tmp_path_factory.mktemp("base")
    write_landing(small_frames, home / "landing")
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        for entity in ENTITIES:
            load_entity(con, entity, home / "landing", home / "archive")
    (home / "publish").mkdir()
    with duckdb.connect(str(home / "publish" / "sop.duckdb")) as con:
        con.execute("create table plan_reconciled as select 1 as plan_version, 42.0 as shortage_qty")
    return home


def test_the_corpus_has_at_least_twenty_distinct_cases():
    assert len({c.name for c in CASES}) == len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, base: Path, tmp_path: Path):
    home = tmp_path / "home"
    shutil.copytree(base, home)
    landing = home / "landing"
    files = dict(case.files)
    if case.parquet:
        import pandas as pd

        path = landing / f"{case.entity}_fix.parquet"
        pd.DataFrame(case.parquet).to_parquet(path)
        files[path.name] = path.read_bytes()
    for name, content in files.items():
        (landing / name).write_bytes(content)
    published = (home / "publish" / "sop.duckdb").read_bytes()
    landed = sorted(p.name for p in landing.iterdir())

    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        if case.error:
            with pytest.raises(ContractError, match=case.error):
                load_entity(con, case.entity, landing, home / "archive")
        else:
            results = load_entity(con, case.entity, landing, home / "archive")
            new = [r for r in results if not r.skipped]
            assert [r.file for r in new] == list(files), "only the dropped file is new"
            if case.loaded is not None:
                assert new[0].loaded_rows == case.loaded
            quarantined = con.execute(
                f"select _source_row, column_name, reason from quarantine.{case.entity} where _source_file = ? "
                "order by 1, 2",
                [new[0].file],
            ).fetchall()
            if case.quarantined_rows is not None:
                assert len({row for row, *_ in quarantined}) == case.quarantined_rows
            else:
                assert quarantined == [tuple(q) for q in case.quarantined]
            outcome = validate_entity(con, case.entity, CYCLE)
            errors = {f["expectation"] for f in outcome.errors}
            warnings = {f["expectation"] for f in outcome.warnings}
            if case.blocked_by:
                assert not outcome.success and case.blocked_by in errors, outcome.failures
                if case.says:
                    (failed,) = [f for f in outcome.errors if f["expectation"] == case.blocked_by]
                    assert any(case.says in example for example in failed["unexpected_sample"]), failed
            else:
                assert outcome.success, outcome.failures
                if case.warned_by:
                    assert case.warned_by in warnings

    assert (home / "publish" / "sop.duckdb").read_bytes() == published
    assert sorted(p.name for p in landing.iterdir()) == landed


def test_a_redropped_file_is_a_no_op_and_a_corrected_one_supersedes_it(base, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(base, home)
    landing, archive = home / "landing", home / "archive"
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        count = "select count(*) from raw.inventory_snapshots"
        before = con.execute(count).fetchone()[0]
        assert all(r.skipped for r in load_entity(con, "inventory_snapshots", landing, archive))
        assert con.execute(count).fetchone()[0] == before
        original = (landing / "inventory_snapshots.csv").read_text().splitlines()
        corrected = [original[0]] + [line.rsplit(",", 1)[0] + ",0" for line in original[1:]]
        (landing / "inventory_snapshots.csv").write_text("\n".join(corrected) + "\n")
        (result,) = [r for r in load_entity(con, "inventory_snapshots", landing, archive) if not r.skipped]
        current = con.execute(
            "select sum(on_hand_qty) from raw.inventory_snapshots where _content_hash = ?", [result.content_hash]
        ).fetchone()[0]
        assert current == 0 and con.execute(count).fetchone()[0] == 2 * before
        assert validate_entity(con, "inventory_snapshots", CYCLE).success
        assert len(list((archive / "inventory_snapshots").iterdir())) == 2


def test_volume_drift_against_the_previous_cycle_is_a_warning(base, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(base, home)
    landing, archive = home / "landing", home / "archive"

    def drift(con, cycle):
        outcome = validate_entity(con, "inventory_snapshots", cycle)
        (result,) = [r for r in outcome.results if r["expectation"].startswith("volume_within")]
        return outcome, result

    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        _, first = drift(con, "2025-11")
        assert first["success"] and first["observed_value"] == "no earlier cycle"
        _, steady = drift(con, "2025-12")
        assert steady["success"] and steady["observed_value"] == "+0.0% rows vs 2025-11"
        import pandas as pd

        snapshots = pd.read_csv(landing / "inventory_snapshots.csv", parse_dates=["snapshot_date"])
        # the same stock counted a day earlier too: twice the rows, no duplicate keys
        snapshots.assign(snapshot_date=snapshots["snapshot_date"] - pd.Timedelta(days=1)).to_csv(
            landing / "inventory_snapshots_more.csv", index=False, date_format="%Y-%m-%d"
        )
        load_entity(con, "inventory_snapshots", landing, archive)
        outcome, grown = drift(con, CYCLE)
        assert not grown["success"] and grown["severity"] == "warning" and "vs 2025-12" in grown["observed_value"]
        assert outcome.success  # a warning does not block the cycle


def _home(base: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(base, home)
    return home


def _completeness(con, cycle: str, accepted=frozenset()):
    outcome = validate_entity(con, "sales_orders", cycle, accepted)
    (check,) = [r for r in outcome.results if r["expectation"] == "history_complete_every_month"]
    return outcome, check


def test_a_cycle_whose_last_month_has_no_data_is_blocked_naming_the_month(base, tmp_path):
    home = _home(base, tmp_path)
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        outcome, check = _completeness(con, CYCLE)
        assert outcome.success and check["success"]
        # the cycle after: its history needs January, and no January file has landed
        outcome, check = _completeness(con, "2026-02")
        assert not outcome.success and check["severity"] == "error"
        assert check["unexpected_sample"] == ["sales_orders: 2026-01: no rows"]
        # an explicit, recorded acceptance lets it go on, still reported
        outcome, check = _completeness(con, "2026-02", frozenset({"2026-01"}))
        assert outcome.success and not check["success"] and check["severity"] == "warning"
        assert check["kwargs"]["accepted_months"] == ["2026-01"]


def _rewrite_orders(home: Path, keep) -> None:
    import pandas as pd

    path = home / "landing" / "sales_orders.csv"
    orders = pd.read_csv(path, dtype=str)
    orders[keep(orders)].to_csv(path, index=False)


@pytest.mark.parametrize("share", [0.0, 0.3], ids=["month missing", "month at 30 percent"])
def test_a_month_missing_or_thin_inside_the_history_is_blocked(base, tmp_path, share):
    import numpy as np

    home = _home(base, tmp_path)
    rng = np.random.default_rng(0)
    # a new extract of the orders that lost (most of) June 2024
    _rewrite_orders(home, lambda o: ~o["order_date"].str.startswith("2024-06") | (rng.random(len(o)) < share))
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        load_entity(con, "sales_orders", home / "landing", home / "archive")
        outcome, check = _completeness(con, CYCLE)
    assert not outcome.success and check["kwargs"]["incomplete_months"] == ["2024-06"]
    assert check["unexpected_sample"][0].startswith("sales_orders: 2024-06: ")


def test_a_latest_inventory_snapshot_older_than_the_cycle_needs_is_blocked(base, tmp_path):
    import pandas as pd

    home = _home(base, tmp_path)
    path = home / "landing" / "inventory_snapshots.csv"
    snapshots = pd.read_csv(path, dtype=str)
    snapshots[~snapshots["snapshot_date"].str.startswith("2025-12")].to_csv(path, index=False)
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        load_entity(con, "inventory_snapshots", home / "landing", home / "archive")
        outcome = validate_entity(con, "inventory_snapshots", CYCLE)
    assert not outcome.success
    (check,) = [f for f in outcome.errors if f["expectation"] == "history_complete_every_month"]
    assert check["unexpected_sample"] == ["inventory_snapshots: 2025-12: no rows"]


CRAFTED_NAMES = [
    "inventory_snapshots_o'neill.csv",
    "inventory_snapshots_'); drop table raw.sales_orders; --.csv",
    'inventory_snapshots_"quoted" $1 ?.csv',
]


@pytest.mark.parametrize("name", CRAFTED_NAMES)
def test_any_file_name_loads_and_none_changes_what_sql_runs(base, tmp_path, name):
    home = _home(base, tmp_path)
    (home / "landing" / name).write_text(INV + "2025-12-31,SKU0002,DC03,4\n")
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        orders = con.execute("select count(*) from raw.sales_orders").fetchone()[0]
        (result,) = [
            r for r in load_entity(con, "inventory_snapshots", home / "landing", home / "archive") if not r.skipped
        ]
        assert result.file == name and result.loaded_rows == 1
        assert con.execute("select count(*) from raw.sales_orders").fetchone()[0] == orders > 0
        assert con.execute(
            "select _source_file from raw.inventory_snapshots where on_hand_qty = 4 and location_id = 'DC03' "
            "and snapshot_date = '2025-12-31' and sku_id = 'SKU0002' and _source_file = ?",
            [name],
        ).fetchone()


def test_a_header_cannot_inject_sql_either(base, tmp_path):
    home = _home(base, tmp_path)
    header = 'snapshot_date,sku_id,location_id,"on_hand_qty"" from (select 1); drop table raw.sales_orders; --"'
    (home / "landing" / "inventory_snapshots_fix.csv").write_text(header + "\n2025-12-31,SKU0001,DC01,5\n")
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        with pytest.raises(ContractError, match="on_hand_qty missing"):
            load_entity(con, "inventory_snapshots", home / "landing", home / "archive")
        assert con.execute("select count(*) from raw.sales_orders").fetchone()[0] > 0


def test_relanding_the_last_good_file_after_a_bad_one_makes_it_current_again(base, tmp_path):
    home = _home(base, tmp_path)
    landing, archive = home / "landing", home / "archive"
    path = landing / "sales_orders.csv"
    good = path.read_bytes()
    _rewrite_orders(home, lambda o: ~o["order_date"].str.startswith("2025-12"))  # a bad re-extract: December lost
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        (bad,) = load_entity(con, "sales_orders", landing, archive)
        assert not bad.skipped and not validate_entity(con, "sales_orders", CYCLE).success
        path.write_bytes(good)
        (back,) = load_entity(con, "sales_orders", landing, archive)
        assert back.reverted and not back.skipped and back.loaded_rows > bad.loaded_rows
        assert validate_entity(con, "sales_orders", CYCLE).success
        loads = con.execute(
            "select action, superseded_at is null from raw._loads where entity = 'sales_orders' order by loaded_at"
        ).fetchall()
        assert loads == [("loaded", False), ("loaded", False), ("reverted", True)]
        # and landing it once more is a no-op
        (again,) = load_entity(con, "sales_orders", landing, archive)
        assert again.skipped
