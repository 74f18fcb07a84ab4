# Two commands matter: `make demo` and `make test`. Both set everything up themselves.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO   := outputs/demo/data
# Synthetic national reference: the cohort that finished KS2 last summer (2026), calibrated to published figures.
DEMO_YEAR    ?= 2026
DEMO_PUPILS  ?= 200000
# axe-core (npm): the accessibility rules the tests run in Chromium over the rendered HTML (tests/test_accessibility.py).
AXE_VERSION  := 4.14.1
AXE          := $(VENV)/axe/node_modules/axe-core/axe.min.js

.PHONY: demo test test-fast lint format hooks setup clean bench help dashboard lab

help:
	@echo "make demo   build the synthetic national cohort and the demo trust under $(DEMO)"
	@echo "make test   run the test suite (everything, as CI does; includes ruff and the import-layer contract)"
	@echo "make test-fast  the suite without the tests marked slow (rendering, browser, wheel, tiny benchmarks)"
	@echo "make lint   ruff check, ruff format --check and lint-imports (the layer contract, docs/architecture.md)"
	@echo "make format ruff format and ruff check --fix"
	@echo "make hooks  install the pre-commit hooks (.pre-commit-config.yaml: ruff, lint-imports)"
	@echo "make bench  print performance numbers (bench/)"
	@echo "make dashboard  the what-if dashboard (Voila) on http://127.0.0.1:8866/ (after make demo)"
	@echo "make lab    JupyterLab on the project's notebooks with the project's kernel"
	@echo "make setup  create $(VENV) and install the toolkit (done by the others when needed)"

setup: $(STAMP)

# Debian packages the job needs: Chromium prints the PDFs (Playwright drives it by path; no browser is ever
# downloaded) and poppler-utils (pdftotext, pdftoppm) checks them in the tests. Installed only when missing.
DEBS := chromium poppler-utils fonts-dejavu-core
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# The virtual environment is rebuilt when pyproject.toml changes.
$(STAMP): pyproject.toml hatch_build.py
	@$(PYTHON) -c "import venv, ensurepip" 2>/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv)
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	 if [ -n "$$missing" ]; then echo "Installing Debian packages:$$missing"; \
	   $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; fi
	@rm -rf toolkit.egg-info   # left by the setuptools build of versions before 0.2; it would shadow the metadata
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

demo: $(STAMP)
	$(VENV)/bin/toolkit synth national --pupils $(DEMO_PUPILS) --year $(DEMO_YEAR) --seed 2026 --out $(DEMO)/national_$(DEMO_YEAR).parquet
	$(VENV)/bin/toolkit synth ks5 --students 150000 --year $(DEMO_YEAR) --seed 2026 --out $(DEMO)/national_ks5_$(DEMO_YEAR).parquet
	$(VENV)/bin/toolkit synth schools --schools 12 --year $(shell expr $(DEMO_YEAR) + 1) --seed 7 --exports --out $(DEMO)/trust
	# The real route: the trust's Common Transfer Files and MIS export, imported as a school would (docs/importing.md)
	$(VENV)/bin/toolkit import ctf $(DEMO)/trust/exports/ctf --out $(DEMO)/trust
	$(VENV)/bin/toolkit import mis $(DEMO)/trust/exports/mis/arbor_export_$(shell expr $(DEMO_YEAR) + 1).csv --out $(DEMO)/trust --census-date $(DEMO_YEAR)-10-01
	@echo "Demo data (synthetic): $(CURDIR)/$(DEMO)"
	$(VENV)/bin/toolkit reports --data $(DEMO)/trust --out outputs/demo/run
	@echo "Report pack (synthetic data): $(CURDIR)/outputs/demo/run/index.html"

test: $(STAMP) $(AXE)
	$(PY) -m pytest -q

# axe-core from the npm registry, into the virtual environment (Node and npm from Debian when missing).
$(AXE): $(STAMP)
	@command -v npm >/dev/null || ($(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null)
	npm install --silent --no-audit --no-fund --prefix $(VENV)/axe axe-core@$(AXE_VERSION)
	@touch $@

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check toolkit tests bench
	$(VENV)/bin/ruff format --check toolkit tests bench
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff format toolkit tests bench
	$(VENV)/bin/ruff check --fix toolkit tests bench

hooks: $(STAMP)
	$(VENV)/bin/pre-commit install

bench: $(STAMP)
	$(PY) bench/bench_synth.py
	$(PY) bench/bench_ks5.py
	$(PY) bench/bench_ks4.py
	$(PY) bench/bench_scale.py
	$(PY) bench/bench_estimates.py
	$(PY) bench/bench_reports.py
	$(PY) bench/bench_whatif.py

dashboard: $(STAMP)
	@[ -f outputs/demo/run/prepared/national/models.pkl ] || $(MAKE) demo
	$(VENV)/bin/toolkit dashboard $(if $(PRESENTER),--presenter)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --notebook-dir=$(CURDIR) $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

clean:
	rm -rf $(VENV) outputs/demo .pytest_cache
