"""Validation results kept per cycle: a warehouse table and a self-contained HTML page."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from expectations.validate import Outcome

TABLE = "quality.validation_results"


def record(con: duckdb.DuckDBPyConnection, outcome: Outcome, cycle_id: str, run_id: str) -> int:
    """Keep every expectation's result of this run; a rerun of the check in the same run replaces its rows."""
    con.execute("create schema if not exists quality")
    con.execute(
        f"""create table if not exists {TABLE} (
            cycle_id varchar, entity varchar, run_id varchar, validated_at timestamp, expectation varchar,
            severity varchar, success boolean, unexpected_count bigint, observed_value varchar, details json)"""
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        (
            cycle_id,
            outcome.entity,
            run_id,
            now,
            r["expectation"],
            r["severity"],
            r["success"],
            r["unexpected_count"],
            r["observed_value"],
            json.dumps(
                {"kwargs": r["kwargs"], "sample": r["unexpected_sample"], "exception": r["exception"]}, default=str
            ),
        )
        for r in outcome.results
    ]
    con.execute("begin")
    con.execute(
        f"delete from {TABLE} where cycle_id = ? and entity = ? and run_id = ?", [cycle_id, outcome.entity, run_id]
    )
    con.executemany(f"insert into {TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute("commit")
    return len(rows)


# GX's own bookkeeping among an expectation's arguments: nothing a reader of the page needs
_NOISE = {"batch_id", "result_format", "catch_exceptions", "meta", "include_config"}


def _details(details: str | None) -> str:
    """A result's details as a reader wants them: the rule's arguments on one line, the examples (file, row,
    keys, months) as a list, an error in bold; never the raw JSON."""
    parsed = json.loads(details or "{}")
    arguments = {k: v for k, v in (parsed.get("kwargs") or {}).items() if k not in _NOISE and v is not None}
    parts = []
    if arguments:
        shown = " · ".join(
            f"{k}: {v if isinstance(v, str) else json.dumps(v, default=str)}" for k, v in arguments.items()
        )
        parts.append(f"<div class=args>{html.escape(shown)}</div>")
    if parsed.get("sample"):
        parts.append("<ul>" + "".join(f"<li>{html.escape(str(x))}</li>" for x in parsed["sample"]) + "</ul>")
    if parsed.get("exception"):
        parts.append(f"<div><b>{html.escape(str(parsed['exception']))}</b></div>")
    return "".join(parts)


def write_html(con: duckdb.DuckDBPyConnection, cycle_id: str, path: Path) -> Path:
    """One page per cycle: the latest validation of every entity, failures first (no network needed)."""
    rows = con.execute(
        f"""select entity, expectation, severity, success, unexpected_count, observed_value, details, validated_at
            from {TABLE} as r
            where cycle_id = ? and validated_at = (
                select max(validated_at) from {TABLE} where cycle_id = r.cycle_id and entity = r.entity)
            order by entity, success, severity, expectation""",
        [cycle_id],
    ).fetchall()
    body, current = [], None
    for entity, expectation, severity, success, count, observed, details, at in rows:
        if entity != current:
            if current:
                body.append("</table>")
            current = entity
            ok = all(r[3] or r[2] != "error" for r in rows if r[0] == entity)
            body.append(
                f"<h2 class={'ok' if ok else 'bad'}>{html.escape(entity)}: "
                f"{'passed' if ok else 'FAILED'} <small>{at:%Y-%m-%d %H:%M} UTC</small></h2><table>"
                "<tr><th>expectation</th><th>severity</th><th>result</th><th>unexpected</th>"
                "<th>observed / details</th></tr>"
            )
        css = "ok" if success else ("bad" if severity == "error" else "warn")
        body.append(
            f"<tr class={css}><td>{html.escape(expectation)}</td><td>{severity}</td>"
            f"<td>{'pass' if success else 'fail'}</td><td>{'' if count is None else count}</td>"
            f"<td>{html.escape(observed or '')}{_details(details)}</td></tr>"
        )
    if current:
        body.append("</table>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"""<!doctype html><html><head><meta charset="utf-8"><title>Validation, cycle {cycle_id}</title>
<style>body{{font:14px system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse;margin-bottom:2em}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}}.args{{font-size:11px;color:#555}}
ul{{margin:4px 0;padding-left:18px}}
h2.ok{{color:#176f2c}}h2.bad{{color:#b00020}}tr.bad{{background:#fde8e8}}tr.warn{{background:#fff6d6}}</style>
</head><body><h1>Input validation, cycle {cycle_id}</h1>{"".join(body)}</body></html>"""
    )
    return path
