"""Dagster definitions of the monthly S&OP cycle: thin assets over the plain-Python stages in ``sop``."""
