# Two commands from a fresh machine: `make demo` and `make test`. Both build .venv when it is missing.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
# DATA=m5 runs the demo on a real data set, in its own home (var/m5) so data sets never mix
DATA ?= sample
export SOP_HOME ?= $(CURDIR)/var$(if $(filter-out sample,$(DATA)),/$(DATA))
# the planning bucket (month or week); SupplyGraph's seven months are planned in weeks
export SOP_BUCKET ?= $(if $(filter supplygraph,$(DATA)),week,month)
export DAGSTER_HOME := $(SOP_HOME)/dagster
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: demo test test-long test-distributed bench ui docs clean lint lock prepare browser java

# The stamp is rebuilt only when the lock or the project metadata change.
$(VENV)/.installed: requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 needed, found {sys.version.split()[0]} at {sys.executable}"'
	@echo "Installing the pinned dependencies into $(VENV) (requirements.lock; once, and after the lock changes)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	@$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	@$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

# dbt's manifest is built once per change of the dbt project, not parsed on every import of the definitions;
# the Dagster instance's settings (one warehouse writer, no telemetry) are written when missing.
DBT_FILES := $(shell find dbt_project/models dbt_project/macros dbt_project/tests dbt_project/seeds -type f) \
	dbt_project/dbt_project.yml dbt_project/profiles.yml
dbt_project/target/manifest.json: $(VENV)/.installed $(DBT_FILES)
	@echo "Parsing the dbt project (once, and after it changes)"
	@$(BIN)/python -m orchestration.prepare

$(DAGSTER_HOME)/dagster.yaml: $(VENV)/.installed
	@$(BIN)/python -m orchestration.instance >/dev/null

prepare: dbt_project/target/manifest.json $(DAGSTER_HOME)/dagster.yaml

# SOURCE=/path/to/folder points a real data set's adapter at its files (default ../shared/data/<name>)
demo: prepare
	@$(BIN)/sop demo --data $(DATA) $(if $(SOURCE),--source $(SOURCE))

test: prepare browser
	$(BIN)/python -m pytest -m "not long and not distributed"

# What takes several cycles or a server: a cycle killed and rerun, the 7-cycle backfill, `make ui` in a browser
test-long: prepare browser
	$(BIN)/python -m pytest -m long

# Past one machine: the dask and spark extras (pinned in requirements-distributed.lock) and their tests
test-distributed: prepare java
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements-distributed.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m pytest -m distributed; status=$$?; \
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock; \
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .; exit $$status

# The full cycle at 1k and 10k series, stage by stage, direct and through Dagster (BENCH_SIZES=1k,10k,100k
# adds the 100k size); prints a table, writes benchmarks/results/scale_benchmark.json.
BENCH_SIZES ?= 1k,10k
bench: prepare
	$(BIN)/python -m benchmarks.scale_benchmark --sizes $(BENCH_SIZES)

# A Java runtime for Spark (the dbt-on-Spark test skips, with its reason, without one)
java:
	@command -v java >/dev/null || (apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null) \
		|| echo "no Java runtime could be installed: the Spark test will be skipped"

# Debian's chromium for the test that renders the executive pack (skipped, with its reason, without it)
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| echo "chromium could not be installed: the browser test will be skipped"

ui: prepare
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/dagster dev --host 127.0.0.1 --port $${SOP_UI_PORT:-3000} -w workspace.yaml

# dbt's documentation site (models, columns, lineage) over the warehouse `make demo` built.
docs: export SOP_WAREHOUSE := $(SOP_HOME)/warehouse.duckdb
docs: prepare
	$(BIN)/dbt docs generate --quiet --project-dir dbt_project --profiles-dir dbt_project --target-path target/docs
	$(BIN)/dbt docs serve --project-dir dbt_project --profiles-dir dbt_project --target-path target/docs \
	  --host 127.0.0.1 --port $${SOP_DOCS_PORT:-8080} --no-browser

lint: $(VENV)/.installed
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# Re-resolve the pinned dependencies (needs the registry; run by hand, commit the result).
lock: $(VENV)/.installed
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 \
	  --python-platform x86_64-unknown-linux-gnu --generate-hashes -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra dask --extra spark --python-version 3.11 \
	  --python-platform x86_64-unknown-linux-gnu --generate-hashes -o requirements-distributed.lock

clean:
	rm -rf $(VENV) var dbt_project/target dbt_project/logs dbt_project/.user.yml .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
