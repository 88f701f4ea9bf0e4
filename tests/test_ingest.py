"""Landing files become typed raw tables with lineage; bad rows are quarantined; nothing is lost."""

import duckdb
import pytest

from sop.ingest import ContractError, current_rows_sql, load_entity
from tests.conftest import write

LOCATIONS = "location_id,location_name,region,country,currency\nDC01,A,Europe,DE,EUR\nDC02,B,Asia,JP,JPY\n"
PRODUCTS = (
    "sku_id,sku_name,family_id,category,unit_cost,list_price,launch_date,end_date\n"
    "S1,One,F,c,1.0,2.0,2020-01-01,\nS2,Two,F,c,1.0,2.0,2020-01-01,\n"
)


def load_masters(con, tmp_path):
    write(tmp_path / "landing" / "locations.csv", LOCATIONS)
    write(tmp_path / "landing" / "products.csv", PRODUCTS)
    for entity in ("products", "locations"):
        load_entity(con, entity, tmp_path / "landing", tmp_path / "archive")


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as c:
        yield c


def test_loading_the_same_file_twice_changes_nothing(con, tmp_path):
    write(tmp_path / "landing" / "locations.csv", LOCATIONS)
    first = load_entity(con, "locations", tmp_path / "landing", tmp_path / "archive")
    second = load_entity(con, "locations", tmp_path / "landing", tmp_path / "archive")
    assert [r.loaded_rows for r in first] == [2] and first[0].skipped is False
    assert second[0].skipped is True
    assert con.execute("select count(*) from raw.locations").fetchone()[0] == 2
    assert con.execute("select count(*) from raw._loads").fetchone()[0] == 1


def test_rows_carry_file_row_hash_and_load_time(con, tmp_path):
    write(tmp_path / "landing" / "locations.csv", LOCATIONS)
    (result,) = load_entity(con, "locations", tmp_path / "landing", tmp_path / "archive")
    rows = con.execute(
        "select location_id, _source_file, _source_row, _content_hash, _loaded_at "
        "from raw.locations order by _source_row"
    ).fetchall()
    assert rows[0][:4] == ("DC01", "locations.csv", 2, result.content_hash)
    assert rows[1][2] == 3 and rows[0][4] is not None
    archived = list((tmp_path / "archive" / "locations").iterdir())
    assert len(archived) == 1 and archived[0].read_text() == LOCATIONS


def test_a_corrected_file_supersedes_the_old_one_and_both_stay_on_record(con, tmp_path):
    landing = tmp_path / "landing"
    write(landing / "locations.csv", LOCATIONS)
    load_entity(con, "locations", landing, tmp_path / "archive")
    write(landing / "locations.csv", LOCATIONS.replace("Asia,JP,JPY", "Asia Pacific,JP,JPY"))
    load_entity(con, "locations", landing, tmp_path / "archive")
    current = con.sql(current_rows_sql("locations")).df()
    assert sorted(current["region"]) == ["Asia Pacific", "Europe"]
    assert con.execute("select count(*) from raw.locations").fetchone()[0] == 4
    loads = con.execute("select superseded_at is null from raw._loads order by loaded_at").fetchall()
    assert loads == [(False,), (True,)]
    assert len(list((tmp_path / "archive" / "locations").iterdir())) == 2


def test_uncastable_values_are_quarantined_with_file_row_column_and_reason(con, tmp_path):
    text = (
        "snapshot_date,sku_id,location_id,on_hand_qty\n"
        "2025-01-31,S1,DC01,5\n"
        "2025-13-45,S1,DC02,7\n"
        "2025-01-31,S2,DC01,lots\n"
        "2025-01-31,,DC01,3\n"
    )
    load_masters(con, tmp_path)
    write(tmp_path / "landing" / "inventory_snapshots_2025-01.csv", text)
    (result,) = load_entity(con, "inventory_snapshots", tmp_path / "landing", tmp_path / "archive")
    assert (result.loaded_rows, result.quarantined_rows) == (1, 3)
    bad = con.execute(
        "select _source_file, _source_row, column_name, raw_value, reason from quarantine.inventory_snapshots "
        "order by _source_row"
    ).fetchall()
    assert bad == [
        ("inventory_snapshots_2025-01.csv", 3, "snapshot_date", "2025-13-45", "not a valid DATE"),
        ("inventory_snapshots_2025-01.csv", 4, "on_hand_qty", "lots", "not a valid BIGINT"),
        ("inventory_snapshots_2025-01.csv", 5, "sku_id", None, "required value is empty"),
    ]


def test_headers_match_after_trimming_and_case_folding(con, tmp_path):
    write(
        tmp_path / "landing" / "locations.csv",
        " Location_ID ,LOCATION_NAME,Region,country,currency\nDC01,A,E,DE,EUR\n",
    )
    (result,) = load_entity(con, "locations", tmp_path / "landing", tmp_path / "archive")
    assert result.loaded_rows == 1


def test_a_missing_required_column_stops_the_load_naming_file_and_column(con, tmp_path):
    write(tmp_path / "landing" / "locations.csv", "location_id,location_name,region,country\nDC01,A,E,DE\n")
    with pytest.raises(ContractError, match=r"locations.csv: row 1 \(header\): required column\(s\) currency"):
        load_entity(con, "locations", tmp_path / "landing", tmp_path / "archive")
    assert con.execute("select count(*) from raw._loads").fetchone()[0] == 0


def test_an_unexpected_column_is_an_error_not_a_guess(con, tmp_path):
    text = (
        LOCATIONS.replace("currency\n", "currency,colour\n", 1)
        .replace("EUR\n", "EUR,red\n")
        .replace("JPY\n", "JPY,blue\n")
    )
    write(tmp_path / "landing" / "locations.csv", text)
    with pytest.raises(ContractError, match="unexpected column"):
        load_entity(con, "locations", tmp_path / "landing", tmp_path / "archive")


def test_parquet_files_are_accepted(con, tmp_path, small_frames):
    landing = tmp_path / "landing"
    landing.mkdir()
    small_frames["products"].to_parquet(landing / "products.parquet")
    (result,) = load_entity(con, "products", landing, tmp_path / "archive")
    assert result.loaded_rows == len(small_frames["products"]) and result.quarantined_rows == 0


def test_a_ragged_row_stops_the_load_naming_the_file_and_line(con, tmp_path):
    write(tmp_path / "landing" / "locations.csv", LOCATIONS + "DC03,C,Europe,FR\n")
    with pytest.raises(
        ContractError,
        match=r"locations.csv: cannot be read as locations: row 4: 4 fields where the header has 5",
    ):
        load_entity(con, "locations", tmp_path / "landing", tmp_path / "archive")


def test_a_file_that_is_not_utf8_is_refused_naming_the_row(con, tmp_path):
    path = tmp_path / "landing" / "locations.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(LOCATIONS.encode() + "DC03,Zürich,Europe,CH,CHF\n".encode("latin-1"))
    with pytest.raises(ContractError, match=r"locations.csv: cannot be read as locations: row 4: not UTF-8"):
        load_entity(con, "locations", tmp_path / "landing", tmp_path / "archive")


def test_loading_the_definitions_and_ingesting_never_import_great_expectations(tmp_path, small_frames):
    import subprocess
    import sys

    from sop.sample_company import write_landing

    write_landing({"products": small_frames["products"]}, tmp_path / "landing")
    code = (
        "import sys, duckdb\n"
        "import orchestration.definitions\n"
        "from sop.ingest import load_entity\n"
        "from pathlib import Path\n"
        f"con = duckdb.connect({str(tmp_path / 'wh.duckdb')!r})\n"
        f"load_entity(con, 'products', Path({str(tmp_path / 'landing')!r}), Path({str(tmp_path / 'archive')!r}))\n"
        "print('great_expectations' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_excel_workbooks_load_like_csv_and_bad_cells_are_quarantined_by_row(con, tmp_path):
    import pandas as pd

    load_masters(con, tmp_path)
    sheet = pd.DataFrame(
        {
            "snapshot_date": ["2025-01-31", "2025-01-31"],
            "sku_id": ["S1", "S2"],
            "location_id": ["DC01", "DC01"],
            "on_hand_qty": ["5", "many"],
        }
    )
    sheet.to_excel(tmp_path / "landing" / "inventory_snapshots_2025-01.xlsx", index=False)
    (result,) = load_entity(con, "inventory_snapshots", tmp_path / "landing", tmp_path / "archive")
    assert (result.loaded_rows, result.quarantined_rows) == (1, 1)
    assert con.execute("select _source_row, column_name, reason from quarantine.inventory_snapshots").fetchall() == [
        (3, "on_hand_qty", "not a valid BIGINT")
    ]


def test_an_optional_column_may_be_absent_or_present(con, tmp_path):
    load_masters(con, tmp_path)
    write(
        tmp_path / "landing" / "inventory_snapshots_a.csv",
        "snapshot_date,sku_id,location_id,on_hand_qty\n2025-01-31,S1,DC01,5\n",
    )
    write(
        tmp_path / "landing" / "inventory_snapshots_b.csv",
        "snapshot_date,sku_id,location_id,on_hand_qty,in_transit_qty\n2025-01-31,S2,DC01,5,7\n",
    )
    load_entity(con, "inventory_snapshots", tmp_path / "landing", tmp_path / "archive")
    rows = con.execute("select sku_id, in_transit_qty from raw.inventory_snapshots order by 1").fetchall()
    assert rows == [("S1", None), ("S2", 7)]
