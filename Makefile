# The one task runner, for people and CI alike.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
export CLEARANCE_TEST_DATA ?= $(abspath ../shared/data/lists)
# The demo's own home: its lists never land in the user's store (CLEARANCE_HOME).
DEMO_HOME ?= $(abspath .demo)

.PHONY: demo shell bench-cli test lint install install-dev bench-ingest bench-quality bench-speed bench-api bench-audit bench-batch bench-monitor db-upgrade clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(STAMP)

demo: $(VENV)/.installed
	CLEARANCE_DEMO_HOME=$(DEMO_HOME) $(BIN)/python -m clearance.demo

# A shell where `clearance` is on the PATH (the virtual environment) and works on the
# demo's store; leave it with `exit`.
shell: $(VENV)/.installed
	@echo "clearance is on the PATH; CLEARANCE_HOME=$(DEMO_HOME) (the demo's store). 'exit' to leave."
	@PATH="$(abspath $(BIN)):$$PATH" VIRTUAL_ENV="$(abspath $(VENV))" \
		CLEARANCE_HOME="$(DEMO_HOME)" $${SHELL:-/bin/sh}

lint: $(STAMP)
	$(BIN)/ruff check --no-cache src tests benchmarks

test: lint
	$(BIN)/pytest -q

bench-ingest: $(STAMP)
	$(BIN)/python benchmarks/bench_ingest.py

bench-quality: $(STAMP)
	$(BIN)/python benchmarks/bench_quality.py

bench-speed: $(STAMP)
	$(BIN)/python benchmarks/bench_speed.py

bench-api: $(STAMP)
	@command -v wrk >/dev/null || (command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
		&& apt-get install -y -qq wrk >/dev/null) || echo "wrk not installed: httpx drives the load"
	$(BIN)/python benchmarks/bench_api.py $(BENCH_API_ARGS)

# Wall time of `clearance screen`, `lists show`, `check` and `--help` on the warm demo store.
bench-cli: $(VENV)/.installed
	CLEARANCE_DEMO_HOME=$(DEMO_HOME) $(BIN)/python benchmarks/bench_cli.py $(BENCH_CLI_ARGS)

bench-audit: $(STAMP)
	$(BIN)/python benchmarks/bench_audit.py

db-upgrade: $(VENV)/.installed
	$(BIN)/clearance db upgrade

bench-batch: $(STAMP)
	$(BIN)/python benchmarks/bench_batch.py $(BENCH_BATCH_ARGS)

# Monitoring: incremental re-screening per real SDN version, 100,000 and 1,000,000 records.
# Quick run: make bench-monitor BENCH_MONITOR_ARGS="--records 5000 --versions 5 --scale-records 0"
bench-monitor: $(STAMP)
	$(BIN)/python benchmarks/bench_monitor.py $(BENCH_MONITOR_ARGS)

# bench-batch also runs the monitoring benchmark (its own recipe screens the large files).
bench-batch: bench-monitor

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
