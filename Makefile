# Scrutiny Packs: the few commands a newcomer needs. `make` lists them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help setup demo test test-fast benchmark clean-cache hooks

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml scripts/setup-system.sh package.json package-lock.json
	bash scripts/setup-system.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund; fi
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install everything the project needs

demo: $(STAMP)  ## set up, generate demo data and build the demo pack (offline)
	$(BIN)/scrutiny demo

test: $(STAMP)  ## set up and run the whole test suite
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

test-fast: $(STAMP)  ## unit tests only (skips the end-to-end pack builds)
	$(BIN)/python -m pytest -q -m "not slow"

benchmark: $(STAMP)  ## print speed figures for the store, comparisons and packs
	$(BIN)/python benchmarks/run_all.py

hooks: $(STAMP)  ## install the pre-commit hook that strips notebook outputs
	$(BIN)/pre-commit install

clean-cache:  ## remove the built indicator store (it is rebuilt on demand)
	rm -rf data/cache
