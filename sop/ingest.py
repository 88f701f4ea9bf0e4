"""Landing files -> typed ``raw.<entity>`` tables in the warehouse, with lineage and a quarantine.

Every file is identified by its content hash: loading the same bytes twice is a no-op. A new version of a file
(same name, new content) supersedes the old one for downstream use, and both stay on record in
``raw._loads`` and in the archive folder; landing an earlier version again (the last good extract after a bad
one) makes it current again (``action = 'reverted'``). No file name or header is ever part of the SQL text.
Rows whose values cannot be cast to the contract's types, break a rule, or miss a required value, go to
``quarantine.<entity>`` with the file, row number, column and reason.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from sop.contract import ENTITIES, Entity

SUFFIXES = {".csv", ".parquet", ".xlsx"}


class ContractError(ValueError):
    """A whole file breaks the contract (unreadable, missing a required column...)."""


@dataclass(frozen=True)
class LoadResult:
    entity: str
    file: str
    content_hash: str
    loaded_rows: int
    quarantined_rows: int
    skipped: bool  # already loaded with the same content, and that version is current
    reverted: bool = False  # loaded before and superseded since: made current again


def landing_files(landing: Path, entity: str) -> list[Path]:
    """``<entity>.csv`` or ``<entity>_<anything>.csv`` (or .parquet, or .xlsx), oldest name first."""
    found = [
        p
        for p in landing.glob(f"{entity}*")
        if p.suffix in SUFFIXES and (p.stem == entity or p.stem.startswith(entity + "_"))
    ]
    return sorted(found)


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw; create schema if not exists quarantine")
    con.execute(
        """create table if not exists raw._loads (
            entity varchar, source_file varchar, content_hash varchar, archived_path varchar,
            loaded_at timestamp, loaded_rows bigint, quarantined_rows bigint, superseded_at timestamp)"""
    )
    # 'loaded' (a new version read from the file) or 'reverted' (an earlier version made current again)
    con.execute("alter table raw._loads add column if not exists action varchar")
    for entity in ENTITIES.values():
        cols = ", ".join(f"{c.name} {c.type}" for c in entity.columns)
        con.execute(
            f"create table if not exists raw.{entity.name} ({cols}, _source_file varchar, "
            "_source_row bigint, _content_hash varchar, _loaded_at timestamp)"
        )
        con.execute(
            f"create table if not exists quarantine.{entity.name} (_source_file varchar, _source_row bigint, "
            "_content_hash varchar, _loaded_at timestamp, column_name varchar, raw_value varchar, "
            "reason varchar)"
        )


def load_entity(con: duckdb.DuckDBPyConnection, entity: str, landing: Path, archive: Path) -> list[LoadResult]:
    ensure_schemas(con)
    return [load_file(con, ENTITIES[entity], path, archive) for path in landing_files(landing, entity)]


def load_file(con: duckdb.DuckDBPyConnection, entity: Entity, path: Path, archive: Path) -> LoadResult:
    digest = file_hash(path)
    if _current(con, entity.name, digest):
        return LoadResult(entity.name, path.name, digest, 0, 0, skipped=True)
    earlier = con.execute(
        "select archived_path, loaded_rows, quarantined_rows from raw._loads "
        "where entity = ? and content_hash = ? order by loaded_at desc limit 1",
        [entity.name, digest],
    ).fetchone()
    if earlier:  # content loaded before and superseded since: going back to it makes it current again
        return _revert(con, entity, path, digest, earlier)

    kept = archive / entity.name / f"{digest[:16]}__{path.name}"
    kept.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, kept)
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    con.execute("begin")
    try:
        _stage_text(con, entity, kept, path.name)
        bad = _quarantine(con, entity, path.name, digest, loaded_at)
        good = _insert_typed(con, entity, path.name, digest, loaded_at)
        _make_current(con, entity.name, path.name, digest, str(kept), loaded_at, good, bad, "loaded")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.execute("drop table if exists _landing_text; drop table if exists _landing_typed")
        if path.suffix == ".xlsx":
            con.unregister("_excel_sheet")
    return LoadResult(entity.name, path.name, digest, good, bad, skipped=False)


def _current(con, entity: str, digest: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from raw._loads where entity = ? and content_hash = ? and superseded_at is null",
            [entity, digest],
        ).fetchone()[0]
    )


def _make_current(con, entity: str, name: str, digest: str, kept: str, at: datetime, good: int, bad: int, action):
    """The file's new version supersedes the one that was current under its name; both stay on record."""
    con.execute(
        "update raw._loads set superseded_at = ? where entity = ? and source_file = ? and superseded_at is null",
        [at, entity, name],
    )
    con.execute(
        "insert into raw._loads (entity, source_file, content_hash, archived_path, loaded_at, loaded_rows, "
        "quarantined_rows, superseded_at, action) values (?, ?, ?, ?, ?, ?, ?, null, ?)",
        [entity, name, digest, kept, at, good, bad, action],
    )


def _revert(con, entity: Entity, path: Path, digest: str, earlier: tuple) -> LoadResult:
    """A file whose content was loaded before, then superseded: its rows are still in raw.<entity> (and its
    quarantined rows in quarantine.<entity>), so the version is made current again without reloading it."""
    archived, good, bad = earlier
    at = datetime.now(UTC).replace(tzinfo=None)
    con.execute("begin")
    try:
        _make_current(con, entity.name, path.name, digest, archived, at, good, bad, "reverted")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return LoadResult(entity.name, path.name, digest, good, bad, skipped=False, reverted=True)


def _stage_text(con, entity: Entity, path: Path, name: str) -> None:
    """Read the file as text, with its row numbers, and match its header to the contract."""
    if path.stat().st_size == 0:
        raise ContractError(f"{name}: row 1: the file is empty")
    # the path is a bound parameter: a file name is never part of the SQL text, whatever it holds
    params = [str(path)]
    if path.suffix == ".parquet":
        source = "read_parquet(?)"
    elif path.suffix == ".xlsx":
        source, params = _register_excel(con, path, name), []
    else:
        # the contract fixes the dialect: a guessed delimiter would turn a bad file into a silent mistake
        source = "read_csv(?, all_varchar = true, header = true, delim = ',', quote = '\"', strict_mode = true)"
    try:
        con.execute(
            f"create temp table _landing_text as select row_number() over () + 1 as _source_row, * from {source}",
            params,
        )
    except duckdb.Error as exc:
        where = _locate_csv_problem(path) if path.suffix == ".csv" else None
        detail = where or str(exc).splitlines()[0]
        raise ContractError(f"{name}: cannot be read as {entity.name}: {detail}") from exc
    header = [r[0] for r in con.execute("describe _landing_text").fetchall()][1:]
    if len(header) == 1 and len(entity.columns) > 1:
        other = next((d for d in (";", "\t", "|") if d in header[0]), None)
        if other:
            raise ContractError(f"{name}: row 1 (header): the file is {other!r}-separated; the contract asks for ','")
    if con.execute("select count(*) from _landing_text").fetchone()[0] == 0:
        raise ContractError(f"{name}: row 2: no data rows after the header")
    normalized = {h.strip().lower() for h in header}
    missing = [c.name for c in entity.columns if c.name not in normalized and c.required]
    if missing:
        raise ContractError(
            f"{name}: row 1 (header): required column(s) {', '.join(missing)} missing; found {', '.join(header)}"
        )
    extra = [h for h in header if h.strip().lower() not in entity.column_names]
    if extra:
        raise ContractError(f"{name}: row 1 (header): unexpected column(s) {', '.join(extra)}")
    # the file's own column names never enter the SQL text either: its columns are taken by position
    position = {h.strip().lower(): i + 2 for i, h in enumerate(header)}  # #1 is _source_row
    renames = ", ".join(
        f"#{position[c.name]}::varchar as {c.name}" if c.name in position else f"null::varchar as {c.name}"
        for c in entity.columns
    )
    con.execute(f"create or replace temp table _landing_text as select _source_row, {renames} from _landing_text")


def _register_excel(con, path: Path, name: str) -> str:
    """The first sheet, every cell as text (Excel's own types are not trusted: the contract casts)."""
    import pandas as pd  # only Excel files need it here

    try:
        frame = pd.read_excel(path, sheet_name=0, dtype=str, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise ContractError(f"{name}: cannot be read as an Excel workbook: {exc}") from exc
    con.register("_excel_sheet", frame.astype(object).where(frame.notna(), None))
    return "_excel_sheet"


def _locate_csv_problem(path: Path) -> str | None:
    """Only after DuckDB refused a file: find the first line that breaks the CSV dialect, for the message."""
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                return "row 1: the file is empty"
            for row in reader:
                if len(row) != len(header):
                    return (
                        f"row {reader.line_num}: {len(row)} fields where the header has {len(header)} "
                        f"(is the delimiter ',' and is the row complete?)"
                    )
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        return f"row {line}: not UTF-8 ({exc.reason})"
    return None


def _type_rows(con, entity: Entity) -> None:
    """The text rows cast to the contract's types (NULL where a value does not cast)."""
    casts = ", ".join(f"try_cast(nullif(trim({c.name}), '') as {c.type}) as {c.name}" for c in entity.columns)
    con.execute(f"create or replace temp table _landing_typed as select _source_row, {casts} from _landing_text")


def _problems_sql(entity: Entity) -> str:
    """One row per bad cell: a value that does not cast, an empty required value, a number that is not finite,
    a value below its minimum, a reference to unknown master data, or a broken rule across columns."""
    parts = []

    def problem(column: str, condition: str, reason_sql: str) -> None:
        parts.append(
            f"select t._source_row, '{column}' as column_name, t.{column} as raw_value, {reason_sql} as reason "
            f"from _landing_text as t join _landing_typed as v using (_source_row) where {condition}"
        )

    for c in entity.columns:
        raw = f"nullif(trim(t.{c.name}), '')"
        problem(c.name, f"{raw} is not null and v.{c.name} is null", f"'not a valid {c.type}'")
        if c.required:
            problem(c.name, f"{raw} is null", "'required value is empty'")
        if c.type == "DOUBLE":
            problem(c.name, f"not isfinite(v.{c.name})", "'not a finite number'")
        if c.type == "BIGINT":
            # DuckDB would round 2.5 to 3: a fraction where the contract counts whole units is an error
            number = f"try_cast({raw} as double)"
            problem(c.name, f"{number} <> trunc({number})", "'not a whole number'")
        if c.min_value is not None:
            problem(c.name, f"v.{c.name} < {c.min_value}", f"'below the minimum of {c.min_value:g}'")
        if c.max_value is not None:
            # NaN sorts above every number in DuckDB: it is reported as not finite, not as too large
            finite = f"isfinite(v.{c.name}) and " if c.type == "DOUBLE" else ""
            problem(c.name, f"{finite}v.{c.name} > {c.max_value}", f"'above the maximum of {c.max_value:g}'")
        if c.allowed:  # the contract's own words, not input: safe as literals
            listed = ", ".join(f"'{a}'" for a in c.allowed)
            problem(c.name, f"v.{c.name} not in ({listed})", f"'not one of {', '.join(c.allowed)}'")
    for column, targets in entity.reference_targets().items():
        known = " union all ".join(f"select {col} from ({current_rows_sql(ref)})" for ref, col in targets)
        problem(
            column,
            f"v.{column} is not null and v.{column} not in ({known})",
            f"'unknown {column}: not in {' or '.join(ref for ref, _ in targets)}'",
        )
    for column, condition, reason in entity.row_rules:
        typed = " ".join(f"v.{w}" if w in entity.column_names else w for w in condition.split())
        problem(column, f"not coalesce({typed}, true)", f"'{reason}'")
    return " union all ".join(parts)


def _quarantine(con, entity: Entity, name: str, digest: str, loaded_at: datetime) -> int:
    _type_rows(con, entity)
    con.execute(f"create or replace temp table _problems as {_problems_sql(entity)}")
    con.execute(
        f"insert into quarantine.{entity.name} select ?, _source_row, ?, ?, column_name, raw_value, reason "
        "from _problems order by _source_row, column_name, reason",
        [name, digest, loaded_at],
    )
    return con.execute("select count(distinct _source_row) from _problems").fetchone()[0]


def _insert_typed(con, entity: Entity, name: str, digest: str, loaded_at: datetime) -> int:
    columns = ", ".join(entity.column_names)
    before = con.execute(f"select count(*) from raw.{entity.name}").fetchone()[0]
    con.execute(
        f"insert into raw.{entity.name} select {columns}, ?, _source_row, ?, ? from _landing_typed "
        "where _source_row not in (select _source_row from _problems) order by _source_row",
        [name, digest, loaded_at],
    )
    con.execute("drop table _problems; drop table _landing_typed")
    return con.execute(f"select count(*) from raw.{entity.name}").fetchone()[0] - before


def current_rows_sql(entity: str) -> str:
    """The rows downstream uses: those of each file's latest version (superseded versions stay on record)."""
    return (
        f"select * from raw.{entity} where _content_hash in "
        f"(select content_hash from raw._loads where entity = '{entity}' and superseded_at is null)"
    )


def reference_values(con: duckdb.DuckDBPyConnection, targets: tuple[tuple[str, str], ...]) -> list:
    """The current values a referencing column may take: those of every (entity, column) it may point to."""
    union = " union ".join(f"select {col} from ({current_rows_sql(ref)})" for ref, col in targets)
    return [r[0] for r in con.sql(f"select distinct * from ({union})").fetchall()]
