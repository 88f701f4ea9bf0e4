import warnings

import dagster as dg

# A cycle is a month (key YYYY-MM) and plans from the data up to the end of the previous month.
# end_offset=1 makes the current month's cycle exist as soon as the month starts.
# The first cycle is early enough for the real data sets the adapters load (M5 history starts in 2011).
cycle_partitions = dg.MonthlyPartitionsDefinition(start_date="2011-01", fmt="%Y-%m", end_offset=1)

# Every cycle runs on its own: stages read one cycle id, and DuckDB takes one writer at a time anyway.
one_cycle_per_run = dg.BackfillPolicy.multi_run(1)

# `backfill_policy` on @asset is marked beta; we rely on it on purpose (above), so say so once, not per asset.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)
