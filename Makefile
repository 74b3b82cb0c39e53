# mlmon — every target installs what it needs first (a virtualenv in .venv).
# Newcomers need two commands: `make demo` and `make test`.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
MLMON  := $(VENV)/bin/mlmon
STAMP  := $(VENV)/.installed

.PHONY: setup dashboards alerts build lint push diff exporter demo test test-fast check docs bench stack-up stack-down clean help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: $(STAMP) ## create .venv and install mlmon with its api and dev extras

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "mlmon needs Python 3.11 or newer; set PYTHON=python3.11")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[api,dev]'
	@touch $@

dashboards: setup ## compile dashboards_src/ and alerts_src/ into generated/
	$(MLMON) build

alerts: setup ## compile alerts_src/ into generated/alerts/
	$(MLMON) build --only alerts

build: dashboards

lint: setup ## CI lint: generated/ up to date, static lint, live lint when prometheus is installed
	$(MLMON) build --check
	$(MLMON) lint generated/
	@if [ -n "$(PROMETHEUS_URL)" ]; then \
		echo "$(MLMON) lint --live --prometheus $(PROMETHEUS_URL) generated/"; \
		$(MLMON) lint --live --prometheus "$(PROMETHEUS_URL)" generated/; \
	elif command -v prometheus >/dev/null; then \
		echo "$(MLMON) lint --live-demo generated/"; \
		$(MLMON) lint --live-demo generated/; \
	else \
		echo "live lint skipped: install prometheus or set PROMETHEUS_URL=http://host:9090"; \
	fi

push: setup ## upload generated/ to Grafana (GRAFANA_URL, GRAFANA_TOKEN)
	$(MLMON) push $(if $(TARGET),--target $(TARGET)) $(PUSH_FLAGS)

diff: setup ## show what `make push` would change in Grafana
	$(MLMON) diff $(if $(TARGET),--target $(TARGET)) $(DIFF_FLAGS)

exporter: setup ## run the exporter on METRICS_DB_PATH, serving /metrics on PROMETHEUS_PORT
	$(PY) -m exporter

demo: setup ## the whole loop on this machine: API, exporter, Prometheus, simulated traffic
	$(MLMON) demo

test: setup ## run the whole test suite (CI runs this)
	$(PY) -m pytest

test-fast: setup ## the suite without the slow end-to-end tests, for the edit-test loop
	$(PY) -m pytest -m "not slow"

check: setup ## code checks CI runs: ruff lint + format, mypy, the docs site in strict mode
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/mkdocs build --strict --quiet

docs: setup ## build the documentation site into site/
	$(VENV)/bin/mkdocs build --strict

bench: setup ## benchmarks (figures as ratios against a baseline measured in the same run)
	$(PY) scripts/bench.py

stack-up: ## start the Docker stack (stack/docker-compose.yml)
	./scripts/setup-monitoring.sh

stack-down: ## stop the Docker stack (volumes are kept)
	./scripts/setup-monitoring.sh --down

clean: ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build site *.egg-info
