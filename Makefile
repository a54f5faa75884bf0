# onramp: `make demo` and `make test` bootstrap .venv themselves on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

CHECKOV := .venv-checkov/bin/checkov
FOCUS_VALIDATOR := .venv-focus/bin/focus-validator
# focus-validator 2.x needs Python 3.12 (the machine's pyenv has it beside 3.11).
FOCUS_PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) python3.12)

.PHONY: demo test lint typecheck lock bench soak sample clean

# The dev/CI environment is the lock (requirements/dev.lock: every package pinned, with hashes);
# onramp itself goes on top, editable, without resolving anything again.
LOCK := requirements/dev.lock

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

# Re-resolve both locks after changing pyproject.toml or stack/requirements.in (pins kept where
# they still fit; `UPGRADE=--upgrade make lock` moves them). See requirements/README.md.
lock: $(STAMP)
	$(VENV)/bin/uv pip compile pyproject.toml --extra load --extra notebooks --extra dev \
		--generate-hashes --python $(PY) --quiet $(UPGRADE) \
		--custom-compile-command 'make lock' -o $(LOCK)
	$(VENV)/bin/uv pip compile stack/requirements.in --generate-hashes --python-version 3.13 \
		--python-platform aarch64-manylinux_2_28 --quiet $(UPGRADE) \
		--custom-compile-command 'make lock' -o stack/src/requirements.txt

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

# mypy on the packages and the Lambda code (settings and the non-strict parts: pyproject.toml).
typecheck: $(STAMP)
	$(VENV)/bin/mypy

# The console's browser tests drive Debian's Chromium (Playwright with the system browser: no
# browser download); a fresh machine gets the package here.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq
	$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq chromium

test: lint typecheck $(CHECKOV) $(FOCUS_VALIDATOR) $(CHROMIUM)
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
