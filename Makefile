# Tradehall — the two commands are `make serve` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed

.PHONY: install serve test test-fast lint bench clean system-deps keys

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# Debian packages the browser tests, screenshots and PDF checks use (installed when root and missing).
system-deps:
	@bash .ci/system-deps

install: $(STAMP) system-deps

serve: install
	$(FLASK) db upgrade
	$(FLASK) keys init 2>/dev/null || true
	$(FLASK) demo --if-empty
	@echo "Tradehall: http://127.0.0.1:5000  (Ctrl-C 停止网站与调度器)"
	@trap 'kill $$SCHED 2>/dev/null; wait $$SCHED 2>/dev/null' EXIT INT TERM; \
	$(FLASK) scheduler & SCHED=$$!; \
	$(BIN)/gunicorn -w 1 -k gthread --threads 1100 --worker-connections 1200 -b 127.0.0.1:5000 \
	  --access-logfile - wsgi:app

test: install
	$(BIN)/pytest

test-fast: $(STAMP)
	$(BIN)/pytest -x -q

lint: $(STAMP)
	$(BIN)/ruff check trading auctions guarantees certificates tenders tests bench
	$(BIN)/mypy trading/projects/rules.py trading/projects/services.py trading/money.py trading/clock.py \
	  trading/signals.py trading/oversight/rules.py trading/oversight/deadlines.py trading/oversight/ratings.py \
	  trading/accounts/notifications.py trading/accounts/delivery.py trading/accounts/credit_list.py \
	  $(wildcard auctions/rules.py auctions/services.py guarantees/rules.py guarantees/services.py \
	  certificates/rules.py certificates/services.py tenders/rules.py tenders/states.py tenders/sealing.py \
	  tenders/services.py tenders/bidding.py tenders/evaluation.py)
	$(BIN)/lint-imports

bench: install
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.tenders

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
