"""LightGBM trained on a Dask cluster: the same global model, its training rows spread over the workers.

One machine trains the 10k-series model in about 4 s (benchmarks/scale_benchmark.py); the matrix grows with
series x buckets, so past what one machine holds (a few hundred thousand weekly series) the rows go to a
cluster. LightGBM's Dask estimator trains one model data-parallel: each worker bins and histograms its own
partitions, and the workers merge histograms over LightGBM's own sockets. Features are still built where the
history is (they read a series' own past, a cheap numpy pass); only training moves. The trained booster comes
back as an ordinary LGBMRegressor, so prediction, saving and intervals are unchanged.

Needs the ``dask`` extra (``pip install .[dask]``). Not bit-for-bit reproducible: data-parallel LightGBM
depends on which rows each rank holds and in which order the ranks sum their histograms, and lightgbm.dask
ranks workers in the order Dask happens to report their partitions. Two fits of the same rows can differ
by a percent or two in a series' forecast (tests/test_distributed_forecast.py bounds the total at 3%); the
one-machine engine, the default, is exactly reproducible.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import lightgbm as lgb
import numpy as np
import pandas as pd


def local_fit(params: dict, X: pd.DataFrame, y: np.ndarray, w: np.ndarray, categorical: list[str]):
    """The default trainer: LightGBM in this process."""
    model = lgb.LGBMRegressor(**params)
    return model.fit(X, y, sample_weight=w, categorical_feature=categorical)


class DaskTrainer:
    """A trainer for GlobalForecaster: the rows in one partition per worker, fitted by lightgbm.dask."""

    def __init__(self, client):
        self.client = client

    @property
    def workers(self) -> int:
        return len(self.client.scheduler_info()["workers"])

    def __call__(self, params: dict, X: pd.DataFrame, y: np.ndarray, w: np.ndarray, categorical: list[str]):
        import dask.dataframe as dd

        # one partition per worker: each trains on its share, nothing waits on a straggler partition
        frame = X.assign(_y=y, _w=w)
        data = dd.from_pandas(frame, npartitions=self.workers, sort=False)
        # each worker's threads are its own (Dask's nthreads), not n_jobs
        model = lgb.DaskLGBMRegressor(client=self.client, **{k: v for k, v in params.items() if k != "n_jobs"})
        model.fit(
            data.drop(columns=["_y", "_w"]), data["_y"], sample_weight=data["_w"], categorical_feature=categorical
        )
        return model.to_local()


@contextmanager
def dask_client(address: str | None = None, workers: int = 2) -> Iterator:
    """A client of the cluster at ``address`` (``SOP_DASK_SCHEDULER``, e.g. tcp://scheduler:8786), or of a
    LocalCluster of ``workers`` single-threaded processes on this machine when there is none."""
    from distributed import Client, LocalCluster

    address = address or os.environ.get("SOP_DASK_SCHEDULER") or None
    if address:
        with Client(address) as client:
            yield client
        return
    # no dashboard: nothing may listen beyond what the workers need, and the port may be taken
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None, processes=True)
    with cluster, Client(cluster) as client:
        yield client
