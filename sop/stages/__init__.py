"""Each stage of the cycle as one function: read the warehouse, call the pure logic, write the warehouse.

The Dagster assets call these and nothing else, so every stage also runs (and is tested) without Dagster.
"""
