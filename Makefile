# Byline: the two commands of the README, plus the checks CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: run test check install install-dev bench bench-scale bench-related clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install-dev: $(STAMP)

run: install
	$(BIN)/byline serve --demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Only the folders this checkout has (bench/ and moderation/ arrive with their branches).
CHECKED := $(wildcard service moderation tests bench)

check: $(STAMP)
	$(BIN)/ruff check $(CHECKED)
	$(BIN)/ruff format --check $(CHECKED)
	$(BIN)/mypy $(addprefix -p ,$(wildcard service moderation))

bench: install
	$(BIN)/python bench/run.py

bench-scale: install
	$(BIN)/python bench/scale.py

# Related articles through Byline's own import path (N=1,000 and 10,000).
bench-related: install
	$(BIN)/python bench/related_byline.py --n 1000
	$(BIN)/python bench/related_byline.py --n 10000

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
