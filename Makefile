# Two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint typecheck system-deps bench-quick frontend

$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

setup: $(BIN)/.installed frontend

# The softphone (JsSIP) is bundled from the pinned npm package at build time, never committed.
frontend:
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && npm run --silent build; \
	else \
		echo "npm not found: skipping the softphone bundle and the browser tests' tools (install nodejs and npm)"; \
	fi

demo: setup
	$(BIN)/dialer demo

system-deps:
	bash scripts/system-deps

lint: setup
	$(BIN)/ruff check .

typecheck: setup
	$(BIN)/mypy

test: setup system-deps lint typecheck
	$(BIN)/pytest
