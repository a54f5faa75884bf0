# onramp: `make demo` and `make test` bootstrap .venv themselves on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

CHECKOV := .venv-checkov/bin/checkov
FOCUS_VALIDATOR := .venv-focus/bin/focus-validator
# focus-validator 2.x needs Python 3.12 (the machine's pyenv has it beside 3.11).
FOCUS_PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) python3.12)

.PHONY: demo test lint bench soak sample clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[load,notebooks,dev]'
	@touch $(STAMP)

# checkov pins boto3/packaging/networkx versions the project cannot use: its own venv.
$(CHECKOV):
	$(PYTHON) -m venv .venv-checkov
	@echo '*' > .venv-checkov/.gitignore
	.venv-checkov/bin/pip install --quiet 'checkov==3.3.30'

# focus-validator pins numpy < 2, which pyarrow 18+ refuses: its own venv, pyarrow held below 18.
$(FOCUS_VALIDATOR):
	$(FOCUS_PYTHON) -m venv .venv-focus
	@echo '*' > .venv-focus/.gitignore
	.venv-focus/bin/pip install --quiet 'focus-validator==2.2.1' 'numpy>=1.26,<2' 'pyarrow>=15,<18'

demo: $(STAMP)
	$(VENV)/bin/onramp demo

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint $(CHECKOV) $(FOCUS_VALIDATOR)
	$(PY) -m pytest

bench: $(STAMP)
	$(VENV)/bin/onramp bench

# Ten minutes of Locust at the highest sustained rate: nothing lost, no email twice, RSS flat.
soak: $(STAMP)
	$(VENV)/bin/onramp bench --only soak --soak-duration 10m

# Regenerate the sample run the notebooks use on a fresh clone (samples/README.md).
SAMPLE_FILES := measurement.json invocations.csv locust_stats.csv locust_stats_history.csv \
	summary.json manifest.json report.html
sample: $(STAMP)
	@tmp=$$(mktemp -d) && \
	$(VENV)/bin/onramp demo --duration 20s --rate 10 --run-dir $$tmp/sample-run && \
	rm -f samples/sample-run/* && \
	(cd $$tmp/sample-run && cp $(SAMPLE_FILES) $(CURDIR)/samples/sample-run/)

clean:
	rm -rf $(VENV) .venv-checkov .venv-focus .pytest_cache .ruff_cache
