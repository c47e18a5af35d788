# The two commands a newcomer needs (see README):
#   make run   - set everything up and start the app, which indexes the default collection in the
#                background (official documents first) and answers from what is indexed meanwhile
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

# llama.cpp compiles from source here (~7 min on 2 cores), so it is opt-in for `make run`.
# The build must not depend on the build host's CPU: a native build on an Intel host with AMX
# selects ggml's AMX kernel, which dies with SIGSEGV, and pip's wheel cache would hand a native
# wheel to a different host later. So: no -march=native, a fixed AVX2/FMA/F16C baseline that every
# x86-64 host of the last decade has (AMD hosts here lack AVX-512), AMX and AVX-512 off. pip's own
# cache is bypassed; our wheel cache is keyed by version + flags, and those flags name no host.
LLAMA_VERSION := 0.3.36
LLAMA_CMAKE := -DGGML_NATIVE=OFF -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_BMI2=ON -DGGML_AVX_VNNI=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF \
	-DGGML_AVX512_BF16=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF \
	-DGGML_BACKEND_DL=OFF -DGGML_CPU_ALL_VARIANTS=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF
LLAMA_KEY := $(shell printf '%s %s' '$(LLAMA_VERSION)' '$(LLAMA_CMAKE)' | sha256sum | cut -c1-16)
WHEELS ?= $(HOME)/.cache/partydocs/wheels
LLAMA_WHEEL_DIR := $(WHEELS)/llama-cpp-python-$(LLAMA_VERSION)-$(LLAMA_KEY)

$(LLAMA): $(STAMP)
	@if ! ls $(LLAMA_WHEEL_DIR)/*.whl >/dev/null 2>&1; then \
		echo "Building llama-cpp-python $(LLAMA_VERSION) (portable: $(LLAMA_CMAKE))"; \
		rm -rf $(LLAMA_WHEEL_DIR).tmp && \
		CMAKE_ARGS="$(LLAMA_CMAKE)" $(BIN)/pip wheel -q --no-deps --no-cache-dir --no-binary llama-cpp-python \
			-w $(LLAMA_WHEEL_DIR).tmp "llama-cpp-python==$(LLAMA_VERSION)" && \
		printf '%s\n' '$(LLAMA_CMAKE)' > $(LLAMA_WHEEL_DIR).tmp/CMAKE_ARGS && \
		mv $(LLAMA_WHEEL_DIR).tmp $(LLAMA_WHEEL_DIR); \
	fi
	$(BIN)/pip install -q --no-cache-dir --force-reinstall --no-deps $(LLAMA_WHEEL_DIR)/*.whl
	$(BIN)/pip install -q "$$(ls $(LLAMA_WHEEL_DIR)/*.whl)[server]"
	cp $(LLAMA_WHEEL_DIR)/CMAKE_ARGS $(VENV)/.llama-cmake-args
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

# No ingest first: serve opens the page at once and indexes in the background (ui.index_on_start).
serve: setup
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
