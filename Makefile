# Two commands matter: `make demo` and `make test`. Both set everything up themselves.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO   := outputs/demo/data
# Synthetic national reference: the cohort that finished KS2 last summer (2026), calibrated to published figures.
DEMO_YEAR    ?= 2026
DEMO_PUPILS  ?= 200000

.PHONY: demo test setup clean bench help

help:
	@echo "make demo   build the synthetic national cohort and the demo trust under $(DEMO)"
	@echo "make test   run the test suite"
	@echo "make bench  print performance numbers (bench/)"
	@echo "make setup  create $(VENV) and install the toolkit (done by the others when needed)"

setup: $(STAMP)

# The virtual environment is rebuilt when pyproject.toml changes.
$(STAMP): pyproject.toml
	@$(PYTHON) -c "import venv, ensurepip" 2>/dev/null || (apt-get update -qq && apt-get install -y -qq python3-venv)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

demo: $(STAMP)
	$(VENV)/bin/toolkit synth national --pupils $(DEMO_PUPILS) --year $(DEMO_YEAR) --seed 2026 --out $(DEMO)/national_$(DEMO_YEAR).parquet
	$(VENV)/bin/toolkit synth schools --schools 12 --year $(shell expr $(DEMO_YEAR) + 1) --seed 7 --out $(DEMO)/trust
	@echo "Demo data (synthetic): $(CURDIR)/$(DEMO)"

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) bench/bench_synth.py
	$(PY) bench/bench_estimates.py

clean:
	rm -rf $(VENV) outputs/demo .pytest_cache
