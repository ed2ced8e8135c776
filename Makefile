# The two commands a newcomer needs: `make demo` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test unit integration install kafka-fetch bench typecheck clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

kafka-fetch: $(STAMP)
	$(BIN)/hub kafka fetch

## Start a fresh local stack, run simulated events end to end, print counts and a query, stop.
demo: kafka-fetch
	$(BIN)/hub demo

## The whole suite: unit tests, then integration tests on a real Kafka broker and embedded ClickHouse.
test: kafka-fetch
	$(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: kafka-fetch
	$(BIN)/pytest tests/integration

## The benchmark (not part of `make test`): writes benchmarks/<date>-<host>-<events>.json and .md.
BENCH_EVENTS ?= 1000000
bench: kafka-fetch
	$(BIN)/hub bench --events $(BENCH_EVENTS)

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .hub .pytest_cache .mypy_cache
