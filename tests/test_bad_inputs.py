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
        # one bad row is 3% of this small product master: too much to plan on
        blocked_by="quarantined_share_at_most_1%",
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
        blocked_by="quarantined_share_at_most_1%",
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
        blocked_by="quarantined_share_at_most_1%",
        loaded=1,
    ),
    Case(
        "parquet with a text quantity",
        "inventory_snapshots",
        {},
        quarantined=[(2, "on_hand_qty", "not a valid BIGINT")],
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
    if case.name.startswith("parquet"):
        import pandas as pd

        path = landing / "inventory_snapshots_fix.parquet"
        pd.DataFrame(
            {"snapshot_date": ["2025-12-31"], "sku_id": ["SKU0001"], "location_id": ["DC01"], "on_hand_qty": ["lots"]}
        ).to_parquet(path)
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
        _, first = drift(con, "2025-12")
        assert first["success"] and first["observed_value"] == "no earlier cycle"
        _, steady = drift(con, "2026-01")
        assert steady["success"] and steady["observed_value"] == "+0.0% rows vs 2025-12"
        import pandas as pd

        snapshots = pd.read_csv(landing / "inventory_snapshots.csv", parse_dates=["snapshot_date"])
        # the same stock counted a day earlier too: twice the rows, no duplicate keys
        snapshots.assign(snapshot_date=snapshots["snapshot_date"] - pd.Timedelta(days=1)).to_csv(
            landing / "inventory_snapshots_more.csv", index=False, date_format="%Y-%m-%d"
        )
        load_entity(con, "inventory_snapshots", landing, archive)
        outcome, grown = drift(con, "2026-02")
        assert not grown["success"] and grown["severity"] == "warning" and "vs 2026-01" in grown["observed_value"]
        assert outcome.success  # a warning does not block the cycle
