import warnings

import dagster as dg

from sop.cycles import first_cycle
from sop.settings import paths

# A cycle is a month (key YYYY-MM) and plans from the data up to the end of the previous month.
# end_offset=1 makes the current month's cycle exist as soon as the month starts. The cycles start at the
# home's first (sop.cycles.first_cycle): a home that has run a few cycles shows a few partitions, not 190.
cycle_partitions = dg.MonthlyPartitionsDefinition(start_date=first_cycle(paths().home), fmt="%Y-%m", end_offset=1)

# Every cycle runs on its own: stages read one cycle id, and DuckDB takes one writer at a time anyway.
one_cycle_per_run = dg.BackfillPolicy.multi_run(1)

# `backfill_policy` on @asset is marked beta; we rely on it on purpose (above), so say so once, not per asset.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)
