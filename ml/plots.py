"""Charts of forecasts against actuals, as PNG bytes (matplotlib's Figure API: no pyplot, no display)."""

from __future__ import annotations

from io import BytesIO

import pandas as pd


def largest_series(history: pd.DataFrame, n: int = 3) -> list[str]:
    """The ``n`` series with the most demand (ties by id): the ones a planner looks at first."""
    totals = history.groupby("unique_id")["y"].sum().reset_index()
    return totals.sort_values(["y", "unique_id"], ascending=[False, True])["unique_id"].head(n).tolist()


def forecast_vs_actuals_png(
    history: pd.DataFrame, backtest: pd.DataFrame, future: pd.DataFrame, ids: list[str], model: str = "lightgbm"
) -> bytes:
    """One panel per series: actuals, ``model``'s backtest forecasts (one line per origin), and its forecast
    with the P10-P90 band when ``future`` has ``p10_qty`` and ``p90_qty``."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 2.2 * len(ids)), dpi=80)
    axes = fig.subplots(len(ids), 1, sharex=True, squeeze=False)[:, 0]
    for ax, uid in zip(axes, ids, strict=True):
        actual = history[history["unique_id"] == uid]
        ax.plot(actual["ds"], actual["y"], color="black", linewidth=1.2, label="actual")
        tested = backtest[(backtest["unique_id"] == uid) & (backtest["model_name"] == model)]
        for i, (_, window) in enumerate(tested.groupby("cutoff")):
            label = "backtest" if i == 0 else None
            ax.plot(window["ds"], window["y_hat"], color="tab:orange", linestyle="--", label=label)
        ahead = future[future["unique_id"] == uid]
        ax.plot(ahead["ds"], ahead["y_hat"], color="tab:blue", label="forecast")
        if {"p10_qty", "p90_qty"} <= set(ahead.columns):
            band = {"color": "tab:blue", "alpha": 0.2, "label": "P10-P90"}
            ax.fill_between(ahead["ds"], ahead["p10_qty"], ahead["p90_qty"], **band)
        ax.set_title(uid, fontsize=9, loc="left")
        ax.tick_params(labelsize=7)
    axes[0].legend(loc="upper left", fontsize=7, ncol=4)
    buffer = BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()
