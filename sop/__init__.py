"""Plain-Python core of the S&OP pipeline: the input contract, the sample company, ingest, planning, publish.

Nothing here imports Dagster; the orchestration package wraps these functions in thin assets.
"""
