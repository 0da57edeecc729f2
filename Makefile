# Two commands set everything up on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= chatdlp-out

.PHONY: demo test install install-test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# The browser tests of report.html drive the system's Chromium (Playwright never downloads one):
# installed with apt when missing and possible (root, apt-get), else those tests skip.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,ray]'
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || \
	  echo "chromium not installed: the browser tests of report.html will skip"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Scans the bundled example conversations and writes a report into $(OUT)/.
# Exit code 1 only means "findings at or above --fail-on": expected for the demo.
demo: install
	$(BIN)/chatdlp scan examples/ --out $(OUT) --format html,md,csv,sarif --fail-on critical; \
	  rc=$$?; [ $$rc -le 1 ] || exit $$rc
	@echo "Reports written to $(OUT)/: findings.jsonl, report.html, summary.md, findings.csv, findings.sarif"
	@echo "Open $(OUT)/report.html in a browser; run chatdlp as $(BIN)/chatdlp (or . $(BIN)/activate)"

test: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

lint: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache
