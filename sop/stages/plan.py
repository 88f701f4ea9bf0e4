"""Plan stage: consensus demand, capacity and stock from the warehouse -> LP -> plan tables."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from scipy.stats import norm

from sop.buckets import DAYS_PER_MONTH, Bucket, planning_bucket
from sop.planning import frozen
from sop.planning.decided import Decided, taken_in
from sop.planning.network_scenarios import apply_network, needs_network
from sop.planning.network_split import plan_network
from sop.planning.scenarios import (
    Scenario,
    apply,
    change_buckets,
    compared,
    known_values,
    load_all,
    markdown_table,
    outcome,
)
from sop.planning.supply_plan import PlanCosts, PlanInputs, PlanResult, fenced, solve
from sop.settings import frozen_buckets, scenarios_dir
from sop.stages import network_plan
from sop.stages.decisions import recorded_log
from sop.warehouse import add_new_columns, has_table, replace_cycle_rows

# The base plan this process solved last, per cycle: the scenario stage that follows in the same run (direct,
# or Dagster's in-process executor) starts from it instead of solving the base again (~100 s at 100k series).
# solve() reuses a part only if its fingerprint (every LP input) matches, so a stale entry costs nothing.
_solved_base: dict[str, PlanResult | tuple] = {}  # a network plan: (fingerprint, NetworkPlan)


@dataclass(frozen=True)
class PlanConfig:
    costs: PlanCosts = PlanCosts()  # rates per month, scaled to the bucket
    bucket: Bucket = field(default_factory=planning_bucket)
    frozen_buckets: int = field(default_factory=frozen_buckets)  # the time fence (sop.planning.frozen)


def safety_stock(service_level, rmse, lead_time_days, bucket_days: float = DAYS_PER_MONTH):
    """z(service level) x per-bucket forecast RMSE x sqrt(1 + lead time in buckets)."""
    z = norm.ppf(np.asarray(service_level, float))
    return z * np.asarray(rmse, float) * np.sqrt(1 + np.asarray(lead_time_days, float) / bucket_days)


def load_inputs(con: duckdb.DuckDBPyConnection, cycle_id: str, bucket: Bucket | None = None) -> PlanInputs:
    bucket = bucket or planning_bucket()
    demand = con.execute(
        "select sku_id, location_id, bucket_date, consensus_demand_qty from marts.fct_consensus_demand "
        "where cycle_id = ? order by sku_id, location_id, bucket_date",
        [cycle_id],
    ).df()
    if demand.empty:
        raise ValueError(f"cycle {cycle_id}: no consensus demand to plan")
    grid = demand.pivot_table(
        index=["sku_id", "location_id"], columns="bucket_date", values="consensus_demand_qty", fill_value=0.0
    )
    buckets = pd.DatetimeIndex(grid.columns)
    # safety stock = z(target service level) x backtest RMSE x sqrt(review bucket + lead time, in buckets):
    # the forecast error the stock must cover until the next receipt can arrive
    series = (
        con.execute(
            """
        with opening as (
            -- stock in transit arrives within the first bucket of the plan
            select sku_id, location_id, on_hand_qty + in_transit_qty as on_hand_qty
            from marts.fct_inventory_history
            where month_date = (select max(month_date) from marts.fct_inventory_history)
        ),
        errors as (
            select sku_id, location_id, rmse_qty from marts.fct_forecast_series_errors
            where cycle_id = ? and model_name = 'lightgbm'
        ),
        spread as (
            -- a series without a backtest (a launch) takes its forecast error from its P10-P90 band:
            -- for a normal error, P90 - P10 = 2 x 1.2816 standard deviations. Averaged as decimals, which add
            -- exactly: a float average may differ in its last bit with the order threads add rows in
            select sku_id, location_id,
                   cast(avg(cast((p90_qty - p10_qty) / 2.5631 as decimal(38, 10))) as double) as sigma_qty
            from forecast.demand_forecast
            where cycle_id = ? and model_name in ('lightgbm', 'like_item') and p90_qty > 0
            group by sku_id, location_id
        )
        select dim.sku_id, dim.location_id, dim.family_id, dim.region, dim.currency_code,
               dim.plant_id, dim.resource_id, dim.units_per_hour,
               dim.unit_cost_amount, dim.net_price_amount, dim.target_service_level, dim.lead_time_days,
               coalesce(opening.on_hand_qty, 0) as opening_qty,
               coalesce(errors.rmse_qty, spread.sigma_qty, 0) as rmse_qty
        from marts.dim_sku_locations as dim
        left join opening using (sku_id, location_id)
        left join errors using (sku_id, location_id)
        left join spread using (sku_id, location_id)
        """,
            [cycle_id, cycle_id],
        )
        .df()
        .set_index(["sku_id", "location_id"])
    )
    series["safety_stock_qty"] = safety_stock(
        series["target_service_level"], series["rmse_qty"], series["lead_time_days"], bucket.days
    )
    series = series.reindex(grid.index).reset_index()
    hours = (
        con.execute(
            "select resource_id, bucket_date, available_hours from intermediate.int_capacity_bucketed "
            "where bucket_date between ? and ?",
            [buckets[0].date(), buckets[-1].date()],
        )
        .df()
        .pivot_table(index="resource_id", columns="bucket_date", values="available_hours", aggfunc="sum")
    )
    hours = hours.reindex(columns=buckets, fill_value=0.0).fillna(0.0)
    return PlanInputs(series, grid.to_numpy(), buckets, hours)


# prices per unit, kept to 6 decimals: in cents they would put the plan's money (their products with the units,
# summed by dbt) tens of EUR per million off the plan's own revenue_amount
UNIT_PRICES = ("net_price_amount", "unit_cost_amount")


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """Units and hours to 4 decimals, money to cents, unit prices to 6 decimals: solver dust must not make reruns
    differ."""
    out = frame.copy()
    for c in out.select_dtypes("number").columns:
        out[c] = out[c].round(6 if c in UNIT_PRICES else 2 if c.endswith("_amount") else 4)
    return out


def whole_units(plan: pd.DataFrame, quantity: str, keys: list[str]) -> np.ndarray:
    """Whole pieces for a fractional plan quantity, per series over its buckets: the running total rounded
    half up, then differenced. Each series' pieces over the buckets from the first to any bucket are its
    planned quantity over them, rounded: rounding never drifts, and the units still add up to the plan."""
    ordered = plan.sort_values([*keys, "bucket_date"])
    running = np.floor(ordered.groupby(keys, sort=False)[quantity].cumsum().to_numpy() + 0.5)
    first = ~ordered.duplicated(keys).to_numpy()
    units = np.diff(running, prepend=0.0)
    units[first] = running[first]
    return pd.Series(units, index=ordered.index).reindex(plan.index).to_numpy().astype("int64")


def plants_of_resources(con: duckdb.DuckDBPyConnection, series: pd.DataFrame) -> pd.DataFrame:
    """resource_id -> plant_id, from capacity and routings. The plan keys resources by id alone, so an id used
    at two plants would pool their hours: refused, naming the resource and its plants."""
    capacity = con.execute("select distinct plant_id, resource_id from intermediate.int_capacity_bucketed").df()
    routed = series[["plant_id", "resource_id"]].dropna().drop_duplicates()
    pairs = pd.concat([capacity, routed]).drop_duplicates()
    shared = pairs.groupby("resource_id")["plant_id"].agg(lambda p: sorted(set(p)))
    shared = shared[shared.map(len) > 1]
    if len(shared):
        named = "; ".join(f"{r} at {', '.join(p)}" for r, p in shared.head(5).items())
        raise ValueError(f"resource ids must be unique across plants (capacity and routings): {named}")
    return pairs


def buckets_without_capacity(inputs: PlanInputs) -> list[str]:
    """Horizon buckets in which no resource has any hours: usually a capacity file that stops too early."""
    empty = inputs.hours.sum(axis=0) <= 0
    return [str(pd.Timestamp(m).date()) for m in inputs.hours.columns[empty.to_numpy()]]


def decided(con: duckdb.DuckDBPyConnection, cycle_id: str, folder: Path | None = None) -> Decided:
    """What the meeting decided that the cycle's plan takes in (sop.planning.decided): the scenario adopted for
    it (from ``folder``, the cycle's scenario files) and the expedites asked for in it or before it (dbt's
    staging model says which requests a cycle takes in). A warehouse without decisions takes in nothing."""
    requests = (
        con.execute("select * from staging.stg_decisions__change_requests order by decided_at, decision_id").df()
        if has_table(con, "staging", "stg_decisions__change_requests")
        else pd.DataFrame(columns=["change_kind"])
    )
    return taken_in(recorded_log(con), requests, cycle_id, folder or scenarios_dir())


def _approved_before(con: duckdb.DuckDBPyConnection, cycle_id: str, bucket: Bucket) -> str | None:
    """The newest approved cycle before ``cycle_id`` planned in the same buckets (its plan's frozen window is
    this one's to keep), if any."""
    if not has_table(con, "decisions", "approved_supply_plan"):
        return None
    row = con.execute(
        "select max(cycle_id) from decisions.approved_supply_plan where cycle_id < ? and planning_bucket = ?",
        [cycle_id, bucket.name],
    ).fetchone()
    return row[0] if row else None


def _opened(con: duckdb.DuckDBPyConnection, cycle_id: str) -> list:
    return frozen.unfrozen(recorded_log(con), cycle_id)


def _approved(con: duckdb.DuckDBPyConnection, sql: str, approved: str, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """The approved plan's rows of the frozen buckets (``sql`` selects a ``bucket_date`` and keys, ``qty``), with
    each bucket's position in this horizon."""
    rows = con.execute(sql, [approved, [d.date() for d in dates]]).df()
    position = {d: k for k, d in enumerate(dates)}
    return rows.assign(bucket=pd.to_datetime(rows["bucket_date"]).map(position).astype(int)).drop(columns="bucket_date")


def _fence(con: duckdb.DuckDBPyConnection, cycle_id: str, net_in, cfg: PlanConfig) -> dict:
    """The frozen window (sop.planning.frozen) of a network plan, as the Network fields that set it: the
    approved plan's production, purchases and transfers of the first buckets, to keep. Empty when nothing is
    approved before the cycle (or the window is 0 buckets)."""
    approved = _approved_before(con, cycle_id, cfg.bucket)
    if approved is None or cfg.frozen_buckets == 0:
        return {}
    net, dates = net_in.network, net_in.bucket_dates[: cfg.frozen_buckets]
    made = _approved(
        con,
        "select sku_id as item_id, plant_id, bucket_date, sum(planned_supply_qty) as qty "
        "from decisions.approved_supply_plan where cycle_id = ? and list_contains(?, bucket_date) group by all",
        approved,
        dates,
    )
    bought = _approved(
        con,
        "select supplier_id, item_id, plant_id, order_bucket_date as bucket_date, sum(purchase_qty) as qty "
        "from decisions.approved_purchase_plan where cycle_id = ? and list_contains(?, order_bucket_date) "
        "group by all",
        approved,
        dates,
    )
    # one source per supplier, item and plant takes the approved purchases (the first, by id)
    sources = net.sources.sort_values("source_id").drop_duplicates(["supplier_id", "item_id", "plant_id"])
    bought = bought.merge(sources[["source_id", "supplier_id", "item_id", "plant_id"]], on=["supplier_id", "item_id",
                          "plant_id"])[["source_id", "bucket", "qty"]]  # fmt: skip
    shipped = _approved(
        con,
        "select lane_id, sku_id as item_id, ship_bucket_date as bucket_date, sum(transfer_qty) as qty "
        "from decisions.approved_transfer_plan where cycle_id = ? and list_contains(?, ship_bucket_date) group by all",
        approved,
        dates,
    )
    held = frozen.cells(net.items["item_id"], net_in.bucket_dates, cfg.frozen_buckets, _opened(con, cycle_id))
    return {"frozen_cells": held, "frozen_made": made, "frozen_bought": bought, "frozen_shipped": shipped}


def _wanted(con: duckdb.DuckDBPyConnection, cycle_id: str, inputs: PlanInputs, cfg: PlanConfig) -> np.ndarray | None:
    """The frozen window of a single-echelon plan: per series and bucket, the approved production to keep (0
    where the approved plan made none), NaN where the plan is free; None when nothing is approved before."""
    approved = _approved_before(con, cycle_id, cfg.bucket)
    if approved is None or cfg.frozen_buckets == 0:
        return None
    rows = _approved(
        con,
        "select sku_id, location_id, bucket_date, sum(planned_supply_qty) as qty from decisions.approved_supply_plan "
        "where cycle_id = ? and list_contains(?, bucket_date) group by all",
        approved,
        inputs.buckets[: cfg.frozen_buckets],
    )
    held = frozen.cells(inputs.series["sku_id"], inputs.buckets, cfg.frozen_buckets, _opened(con, cycle_id))
    S, T = inputs.demand.shape
    wanted = np.full((S, T), np.nan)
    skus = inputs.series["sku_id"].astype(str).to_numpy()
    for sku, buckets in held.groupby("item_id")["bucket"]:
        wanted[np.ix_(np.flatnonzero(skus == sku), buckets.to_numpy())] = 0.0
    index = pd.MultiIndex.from_frame(inputs.series[["sku_id", "location_id"]].astype(str))
    at = index.get_indexer(pd.MultiIndex.from_frame(rows[["sku_id", "location_id"]].astype(str)))
    rows = rows[at >= 0].assign(row=at[at >= 0])
    keep = np.isfinite(wanted[rows["row"].to_numpy(), rows["bucket"].to_numpy()])
    wanted[rows["row"].to_numpy()[keep], rows["bucket"].to_numpy()[keep]] = rows["qty"].to_numpy(float)[keep]
    return wanted


def _series_breaks(inputs: PlanInputs, wanted: np.ndarray | None, result: PlanResult) -> pd.DataFrame:
    """The frozen window's production a single-echelon plan could not keep (hours lost), as network exceptions."""
    if wanted is None:
        return frozen.breaks(pd.DataFrame(), inputs.buckets, pd.Series(dtype=float))
    S, T = wanted.shape
    planned = result.series_plan["planned_supply_qty"].to_numpy(float).reshape(S, T)
    rows, buckets = np.nonzero(np.isfinite(wanted))
    kept = pd.DataFrame(
        {
            "block": "production",
            "item_id": inputs.series["sku_id"].to_numpy()[rows],
            "plant_id": inputs.series["plant_id"].to_numpy()[rows],
            "supplier_id": None,
            "lane_id": None,
            "bucket": buckets,
            "qty": wanted[rows, buckets],
            "planned_qty": planned[rows, buckets],
        }
    )
    unit_cost = inputs.series.groupby("sku_id")["unit_cost_amount"].first()
    return frozen.breaks(kept, inputs.buckets, unit_cost)


def _fenced(net_in, fence: dict):
    return replace(net_in, network=replace(net_in.network, **fence)) if fence else net_in


def _frozen_breaks(net_in, result) -> pd.DataFrame:
    """The frozen window's changes a network plan could not avoid, as network exceptions."""
    kept = result.frozen
    if not len(kept):
        return frozen.breaks(kept, net_in.bucket_dates, pd.Series(dtype=float))
    sources = net_in.network.sources[["source_id", "supplier_id", "item_id", "plant_id"]]
    bought = kept["block"] == "purchase"
    by_source = kept.loc[bought, ["source_id"]].merge(sources, on="source_id", how="left")
    kept = kept.astype({"item_id": object, "plant_id": object}).assign(supplier_id=None)
    kept.loc[bought, ["item_id", "plant_id", "supplier_id"]] = by_source[
        ["item_id", "plant_id", "supplier_id"]
    ].to_numpy()
    unit_cost = net_in.network.items.set_index("item_id")["unit_cost"]
    return frozen.breaks(kept, net_in.bucket_dates, unit_cost)


def _write_adopted(con: duckdb.DuckDBPyConnection, cycle_id: str, taken: Decided) -> None:
    """planning.adopted_scenario: the scenario whose plan the cycle's plan is (publish_log and plan_status say so)."""
    con.execute("create schema if not exists planning")
    con.execute(
        "create table if not exists planning.adopted_scenario (cycle_id varchar, scenario_name varchar, "
        "decision_id varchar)"
    )
    rows = [[taken.adopted_name, taken.decision_id]] if taken.adopted_name else []
    replace_cycle_rows(con, "planning.adopted_scenario", cycle_id, pd.DataFrame(rows, columns=["scenario_name",
                       "decision_id"], dtype="string"))  # fmt: skip


def _lead_time_rule(cfg: PlanConfig):
    """Safety stock for a changed lead time, in the plan's buckets."""

    def with_lead_time(service_level, rmse, lead_time_days):
        return safety_stock(service_level, rmse, lead_time_days, cfg.bucket.days)

    return with_lead_time


def _network_for(data: dict, raw: PlanInputs, scenario: Scenario | None, cfg: PlanConfig, costs, resources):
    """The network plan's inputs with a scenario's changes: to the selling locations (``raw``, the plan's inputs
    before any change), then to the network. ``resources``: the network's resource types."""
    if scenario is None:
        return network_plan.build(data, raw, cfg.bucket, costs)
    changed = apply(raw, scenario, _lead_time_rule(cfg), resources)
    net_in = network_plan.build(data, changed, cfg.bucket, costs)
    net = apply_network(
        net_in.network,
        scenario,
        lambda change: change_buckets(raw.buckets, change),
        lambda months: int(network_plan.buckets_for_months(months, cfg.bucket)),
        data["products"].set_index("item_id")["family_id"],
    )
    return replace(net_in, network=net)


def run(con: duckdb.DuckDBPyConnection, cycle_id: str, cfg: PlanConfig | None = None) -> dict:
    cfg = cfg or PlanConfig()  # built per call: the bucket comes from SOP_BUCKET as it is now
    inputs = load_inputs(con, cycle_id, cfg.bucket)
    taken = decided(con, cycle_id)
    network_plan.ensure_tables(con)
    _write_adopted(con, cycle_id, taken)
    if network_plan.uses_network(con):
        return _run_network(con, cycle_id, cfg, inputs, taken)
    if taken.scenario is not None:
        if needs_network(taken.scenario):
            raise ValueError(
                f"the adopted scenario {taken.adopted_name!r} changes a supply network this data set has not"
            )
        inputs = apply(inputs, taken.scenario, _lead_time_rule(cfg))
    wanted = _wanted(con, cycle_id, inputs, cfg)
    costs = cfg.costs.per_bucket(cfg.bucket.months)
    if wanted is not None:
        inputs = fenced(inputs, wanted, costs)
    result = solve(inputs, costs)
    empty = {  # no network: none of its rows for the cycle, but the frozen window's breaks
        f"{table.split('.')[1]}_rows": replace_cycle_rows(
            con,
            table,
            cycle_id,
            _series_breaks(inputs, wanted, result)
            if table == "planning.network_exceptions"
            else pd.DataFrame(columns=list(columns)[1:]),
        )
        for table, columns in network_plan.NETWORK_TABLES.items()
    }
    _solved_base.clear()  # one plan's worth of memory at most
    _solved_base[cycle_id] = result
    attrs = inputs.series[
        [
            "sku_id",
            "location_id",
            "plant_id",
            "resource_id",
            "units_per_hour",
            "net_price_amount",
            "unit_cost_amount",
        ]
    ]
    plan = result.series_plan.merge(attrs, on=["sku_id", "location_id"], how="left")
    reconciled = plan.assign(
        revenue_amount=plan["demand_met_qty"] * plan["net_price_amount"],
        inventory_value_amount=plan["closing_inventory_qty"] * plan["unit_cost_amount"],
        bucket_date=pd.to_datetime(plan["bucket_date"]).dt.date,
    ).drop(columns=["plant_id", "resource_id", "units_per_hour"])
    supply = plan.assign(
        planned_hours=np.where(plan["units_per_hour"] > 0, plan["planned_supply_qty"] / plan["units_per_hour"], 0.0),
        bucket_date=pd.to_datetime(plan["bucket_date"]).dt.date,
    )[
        [
            "plant_id",
            "resource_id",
            "sku_id",
            "location_id",
            "bucket_date",
            "planned_supply_qty",
            "planned_hours",
        ]
    ]
    capacity = result.resource_plan.assign(
        bucket_date=pd.to_datetime(result.resource_plan["bucket_date"]).dt.date,
        overtime_cost_amount=result.resource_plan["overtime_hours"] * cfg.costs.overtime_cost_per_hour,
    )
    plants = plants_of_resources(con, inputs.series)
    capacity = capacity.merge(plants, on="resource_id", how="left")
    types = con.execute("select distinct resource_id, resource_type from intermediate.int_capacity_bucketed").df()
    capacity = capacity.merge(types, on="resource_id", how="left").fillna({"resource_type": "machine"})
    capacity = capacity[["plant_id", "resource_id", "resource_type", *[c for c in capacity.columns if c not in (
        "plant_id", "resource_id", "resource_type")]]]  # fmt: skip
    tables = {"plan_reconciled": reconciled, "supply_plan": supply, "capacity_plan": capacity}
    return {
        **empty,
        **_write(con, cycle_id, cfg, inputs, tables, result.variables, result.constraints, result.objective),
    }


def _write(con, cycle_id: str, cfg: PlanConfig, inputs: PlanInputs, tables: dict, variables, constraints, objective):
    """Round and write the plan's tables; the summary the asset reports."""
    tables = {name: _rounded(frame) for name, frame in tables.items()}
    # whole pieces beside the planned quantity, from the rounded plan so a rerun rounds the same ties
    supply = tables["supply_plan"]
    supply["planned_units"] = whole_units(supply, "planned_supply_qty", ["sku_id", "location_id"])
    reconciled = tables["plan_reconciled"]
    written = {f"{name}_rows": replace_cycle_rows(con, f"planning.{name}", cycle_id, f) for name, f in tables.items()}
    return {
        **written,
        "lp_variables": variables,
        "lp_constraints": constraints,
        "lp_objective": round(objective, 2),
        "shortage_qty": float(reconciled["shortage_qty"].sum()),
        "bucket": cfg.bucket.name,
        "buckets_without_capacity": buckets_without_capacity(inputs),
        "fill_rate_planned": float(
            reconciled["demand_met_qty"].sum() / max(reconciled["consensus_demand_qty"].sum(), 1e-9)
        ),
    }


def _run_network(con: duckdb.DuckDBPyConnection, cycle_id: str, cfg: PlanConfig, inputs: PlanInputs,
                 taken: Decided) -> dict:  # fmt: skip
    """The plan of the whole supply network (sop.stages.network_plan): the same three tables, and the material,
    purchase and transfer plans."""
    costs = cfg.costs.per_bucket(cfg.bucket.months)
    data = network_plan.read(con)
    net_in = network_plan.build(data, inputs, cfg.bucket, costs)
    if taken.scenario is not None:
        net_in = _network_for(data, inputs, taken.scenario, cfg, costs, net_in.resource_types)
        inputs = net_in.plan_inputs
    net_in = _fenced(net_in, _fence(con, cycle_id, net_in, cfg))
    result = plan_network(net_in.network, costs)
    _solved_base.clear()  # the scenario stage that follows in this process starts from it
    _solved_base[cycle_id] = (network_plan.fingerprint(net_in.network), result)
    tables = network_plan.tables(net_in, result)
    breaks = _frozen_breaks(net_in, result)
    if len(breaks):  # (concatenating an empty frame would change the column types)
        tables["network_exceptions"] = pd.concat([tables["network_exceptions"], breaks], ignore_index=True)
    attrs = inputs.series[["sku_id", "location_id", "net_price_amount", "unit_cost_amount"]]
    plan = tables["plan_reconciled"].merge(attrs, on=["sku_id", "location_id"], how="left")
    tables["plan_reconciled"] = plan.assign(
        revenue_amount=plan["demand_met_qty"] * plan["net_price_amount"],
        inventory_value_amount=plan["closing_inventory_qty"] * plan["unit_cost_amount"],
        bucket_date=pd.to_datetime(plan["bucket_date"]).dt.date,
    )
    return {
        **_write(con, cycle_id, cfg, inputs, tables, result.variables, result.constraints, result.objective),
        "network": True,
    }


def run_scenarios(
    con: duckdb.DuckDBPyConnection,
    cycle_id: str,
    folder: Path,
    cfg: PlanConfig | None = None,
    trial_run_id: str | None = None,
) -> dict:
    """Plan the cycle once per scenario file in ``folder`` (the same LP and costs as the base plan) and write
    ``planning.scenario_comparison``: one row per scenario and the base, side by side. A trial (``sop
    scenario``, ``trial_run_id`` set) writes ``planning.scenario_trials`` instead, one set of rows per run:
    what the cycle published and its own comparison never change."""
    cfg = cfg or PlanConfig()
    costs = cfg.costs.per_bucket(cfg.bucket.months)
    raw = load_inputs(con, cycle_id, cfg.bucket)  # before the meeting's decisions: what scenarios may name
    taken = decided(con, cycle_id)  # the base is the cycle's plan: with what the meeting decided
    on_network = network_plan.uses_network(con)
    data = network_plan.read(con) if on_network else None
    raw_in = network_plan.build(data, raw, cfg.bucket, costs) if on_network else None
    known = known_values(raw, raw_in.resource_types, network_plan.named(raw_in)) if on_network else known_values(raw)
    scenarios, left_out = [], {}
    for scenario in load_all(folder):
        # a family, plant or currency the plan does not have (a typo, or a file written for another data set)
        # is never a silent no-op: a trial fails on it; the cycle leaves that scenario out and reports why
        try:
            if needs_network(scenario) and not on_network:
                raise ValueError(f"{scenario.path or scenario.name}: changes a supply network this data set has not")
            scenario.check_references(known)
            scenarios.append(scenario)
        except ValueError as e:
            if trial_run_id:
                raise
            left_out[scenario.name] = str(e)

    base_said = "The cycle's plan as published" + (
        f", the meeting's adopted scenario {taken.adopted_name}." if taken.adopted_name else "."
    )
    if on_network:
        rows, solved = _network_outcomes(
            con, data, raw_in, raw, taken, scenarios, cfg, costs, cycle_id, left_out, bool(trial_run_id), base_said
        )
    else:
        inputs = raw if taken.scenario is None else apply(raw, taken.scenario, _lead_time_rule(cfg))
        wanted = _wanted(con, cycle_id, inputs, cfg)  # every scenario keeps the frozen window too

        def fence(changed: PlanInputs) -> PlanInputs:
            return changed if wanted is None else fenced(changed, wanted, costs)

        inputs = fence(inputs)
        cached = _solved_base.get(cycle_id)  # a network plan's entry is no start for the single-echelon LP
        base = solve(inputs, costs, start=cached if isinstance(cached, PlanResult) else None)
        solved = len(base.parts) - base.reused
        rows = [{"scenario_name": "base", "description": base_said, **outcome(inputs, base)}]
        for scenario in scenarios:
            changed = fence(apply(raw, taken.on_top(scenario), _lead_time_rule(cfg)))
            rows.append(
                {
                    "scenario_name": scenario.name,
                    "description": scenario.description,
                    **outcome(changed, solve(changed, costs, start=base)),
                }
            )
        rows = [{**row, "purchase_amount": 0.0, "transport_amount": 0.0} for row in rows]
    table = compared(pd.DataFrame(rows))
    if trial_run_id:
        written = _write_trial(con, cycle_id, trial_run_id, table)
    else:
        written = replace_cycle_rows(con, "planning.scenario_comparison", cycle_id, table)
    return {
        "scenario_comparison_rows": written,
        "scenarios": [s.name for s in scenarios],
        "scenarios_left_out": left_out,
        "base_parts_solved": solved,  # 0 when the plan stage ran in this process
        "markdown": markdown_table(table),
    }


@dataclass
class _Solved:
    """A network plan as the scenario comparison reads a plan."""

    series_plan: pd.DataFrame
    resource_plan: pd.DataFrame
    objective: float


def _network_outcome(net_in, result) -> dict:
    tables = network_plan.tables(net_in, result)
    solved = _Solved(tables["plan_reconciled"], tables["capacity_plan"], result.objective)
    return {
        **outcome(net_in.plan_inputs, solved),
        "purchase_amount": round(float(tables["purchase_plan"]["purchase_amount"].sum()), 2),
        "transport_amount": round(float(tables["transfer_plan"]["transport_amount"].sum()), 2),
    }


def _network_outcomes(con, data, raw_in, raw, taken: Decided, scenarios, cfg: PlanConfig, costs, cycle_id: str,
                      left_out: dict, trial: bool, base_said: str):  # fmt: skip
    """The base network plan (the plan stage's, when it ran in this process on the same network) and each
    scenario's on top of the meeting's decisions, as comparison rows; and how many base plans were solved here
    (0 or 1). ``raw_in``: the network before any change, built from the plan's inputs ``raw``."""
    base_in = _network_for(data, raw, taken.scenario, cfg, costs, raw_in.resource_types) if taken.scenario else raw_in
    fence = _fence(con, cycle_id, base_in, cfg)  # every scenario keeps the frozen window too
    base_in = _fenced(base_in, fence)
    fingerprint = network_plan.fingerprint(base_in.network)
    cached = _solved_base.get(cycle_id)
    if isinstance(cached, tuple) and cached[0] == fingerprint:
        base, solved = cached[1], 0
    else:
        base, solved = plan_network(base_in.network, costs), 1
    rows = [{"scenario_name": "base", "description": base_said, **_network_outcome(base_in, base)}]
    for scenario in scenarios:
        try:  # a change the network cannot take (a plant that could never make the family) names why
            net_in = _fenced(_network_for(data, raw, taken.on_top(scenario), cfg, costs, raw_in.resource_types), fence)
        except ValueError as e:
            if trial:
                raise ValueError(f"{scenario.path or scenario.name}: {e}") from None
            left_out[scenario.name] = f"{scenario.path or scenario.name}: {e}"
            continue
        rows.append(
            {
                "scenario_name": scenario.name,
                "description": scenario.description,
                **_network_outcome(net_in, plan_network(net_in.network, costs, start=base)),
            }
        )
    return rows, solved


def _write_trial(con: duckdb.DuckDBPyConnection, cycle_id: str, run_id: str, table: pd.DataFrame) -> int:
    """A trial's comparison beside the earlier trials of the cycle (each run keeps its rows)."""
    frame = table.assign(cycle_id=cycle_id, run_id=run_id)
    con.register("_trial", frame)
    try:
        con.execute("create schema if not exists planning")
        con.execute("create table if not exists planning.scenario_trials as select * from _trial limit 0")
        add_new_columns(con, "planning.scenario_trials", "_trial")
        con.execute("delete from planning.scenario_trials where cycle_id = ? and run_id = ?", [cycle_id, run_id])
        con.execute("insert into planning.scenario_trials by name select * from _trial")
    finally:
        con.unregister("_trial")
    return len(frame)
