# The two commands a newcomer needs (see README):
#   make run   - set everything up, index the default collection, start the app
#   make test  - set everything up and run the tests (what CI runs)
# Every step is idempotent: a second run only checks stamps and hashes.

PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
LLAMA   := $(VENV)/.llama-installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

CHROMIUM := /usr/bin/chromium

.PHONY: run test setup generator browser ingest serve lint bench

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# Exactly this spec: it takes the local CPU wheel; anything looser pulls GBs of CUDA packages.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[test]"
	touch $@

# llama.cpp compiles from source here (~6 min on 2 cores), so it is opt-in for `make run`.
$(LLAMA): $(STAMP)
	$(BIN)/pip install -q "llama-cpp-python==0.3.36"
	touch $@

setup: $(STAMP)
	$(BIN)/python app.py setup

# `setup --generator` also sets up the embedding model.
generator: $(LLAMA)
	$(BIN)/python app.py setup --generator

# The UI test drives Debian's Chromium (browser downloads do not work here).
browser:
	@test -x $(CHROMIUM) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

ingest: setup
	$(BIN)/python app.py ingest

serve: ingest
	$(BIN)/python app.py serve

run: serve

test: generator browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: setup
	$(BIN)/python -m bench.ingest --full
	$(BIN)/python -m bench.ask
