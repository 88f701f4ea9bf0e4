"""The forecast's peer in the benchmarks (benchmarks/floors.py) does the work ours does: a ratio of their times
means something only if both fit LightGBM as often, on the same rows, for the same learning problem."""

import duckdb
import lightgbm as lgb
import numpy as np

from benchmarks.floors import forecast_peer
from ml.backtest import Splits
from sop.stages.forecast import ForecastConfig


def test_the_peer_fits_as_often_as_ours_on_the_same_rows_and_targets(archived, monkeypatch):
    fits = []
    fit = lgb.LGBMRegressor.fit

    def recorded(self, X, y, *args, **kwargs):
        weights = kwargs["sample_weight"]
        fits.append((len(X), float(np.average(y, weights=weights))))
        return fit(self, X, y, *args, **kwargs)

    monkeypatch.setattr(lgb.LGBMRegressor, "fit", recorded)
    with duckdb.connect(str(archived.warehouse), read_only=True) as con:
        seconds = forecast_peer(con)
        buckets = con.execute("select count(distinct bucket_date) from marts.fct_demand_history").fetchone()[0]
    cfg = ForecastConfig()
    origins = Splits.fitting(buckets, cfg.origins, cfg.window).origins
    assert len(fits) == 2 * (origins + 1)  # each backtest origin and the final fit, on both sides
    assert seconds["ours_s"] > 0 and seconds["mlforecast_s"] > 0
    # the sides take turns going first: pair k is fits 2k and 2k + 1
    for k in range(origins + 1):
        (rows_a, target_a), (rows_b, target_b) = fits[2 * k], fits[2 * k + 1]
        # ours trains from a series' second bucket, mlforecast from its first: a few rows apart, no more
        assert abs(rows_a - rows_b) <= 0.1 * max(rows_a, rows_b)
        # each fold scales the target by the series' level in its own training data, on both sides
        assert abs(target_a - target_b) <= 0.05 * abs(target_a)
