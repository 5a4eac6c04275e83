# Two commands do all the set-up:  `make book`  and  `make test`.
# Both create .venv with the machine's python3 (3.11, 3.12 or 3.13) when it is missing and
# install the pinned requirements, the conformance peers, the offline MNIST copy and this package.

PYTHON ?= python3
VENV   := .venv
# A virtual environment keeps its programs in Scripts/ on Windows (GNU make from Git for Windows).
BIN    := $(VENV)/$(if $(filter Windows_NT,$(OS)),Scripts,bin)
STAMP  := $(VENV)/.installed
REQUIREMENTS := requirements.txt requirements-conformance.txt requirements-torch-cpu.txt requirements-nodeps.txt
# PyTorch's own index of CPU-only builds (requirements-torch-cpu.txt, Linux only).
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu

# Quiet TensorFlow's C++ start-up logging: the book build treats any stderr output of a cell
# as a warning (and -W makes it an error). TF_ENABLE_ONEDNN_OPTS=0 also silences the oneDNN
# notice that TensorFlow writes before its logging starts, and uses its standard kernels.
# MPLBACKEND is deliberately left alone: Jupyter kernels need their inline backend to show
# figures, and plain Python falls back to Agg without a display.
export TF_CPP_MIN_LOG_LEVEL := 3
export TF_ENABLE_ONEDNN_OPTS := 0
export PYTHONHASHSEED := 0

.PHONY: help setup book test unit lint wheel-check notebooks build-book site-check robustness platforms clean

# `make` alone, or `make help`: the targets and what each does (the `##` comments below).
help:
	@grep -E '^[a-z-]+:.*## ' $(firstword $(MAKEFILE_LIST)) | sed -E 's/^([a-z-]+):.*## /  make \1\t/' | expand -t 24

setup: $(STAMP) ## create .venv and install the pinned requirements and this package (other targets do it first)

$(STAMP): $(REQUIREMENTS) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==26.3
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-conformance.txt
	# Linux: PyTorch's CPU build. From pip's configured find-links if they hold it; otherwise
	# from PyTorch's index, added for this file only. On other systems the file's marker
	# leaves it empty.
	$(BIN)/python -m pip install --quiet -r requirements-torch-cpu.txt \
	  $$($(BIN)/python -m pip install --quiet --dry-run --no-index --no-deps -r requirements-torch-cpu.txt \
	     >/dev/null 2>&1 || echo --extra-index-url $(TORCH_CPU_INDEX))
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-nodeps.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The executed book, in _build/html.
book: setup build-book ## set up, then build the executed book into _build/html

# An MPLBACKEND set in the caller's environment (Agg, say) would reach the kernels and stop
# plt.show() from putting any figure in the page; unset, ipykernel chooses its inline backend.
build-book: ## build the book only (assumes the set-up); chapters whose code and inputs did not change come from the cache
	$(BIN)/python scripts/book_cache.py _build
	env -u MPLBACKEND $(BIN)/jupyter-book build . -W -n --keep-going

# Every test: unit, property and conformance tests, every chapter executed by nbmake,
# then the book built with warnings as errors. --durations=0 with --durations-min=1.0 lists
# every item that took a second or more, so every notebook's execution time is shown.
test: setup ## set up, then lint, every test, every chapter (nbmake), the standalone wheel and the book build
	$(MAKE) lint
	$(BIN)/python -m pytest tests book --nbmake --nbmake-timeout=600 --durations=0 --durations-min=1.0
	$(MAKE) build-book

# The fast library tests: no framework, no browser, nothing that takes seconds on its own
# (the markers are in pyproject.toml and tests/conftest.py).
unit: setup ## the fast library tests only (seconds): no frameworks, browser or slow tests
	$(BIN)/python -m pytest tests -m "not conformance and not browser and not slow"

# ruff's linter and formatter, configured in pyproject.toml (book/ruff.toml for the chapters).
lint: setup ## ruff check and ruff format --check over the code and the chapters
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The wheel alone: built, installed into a fresh venv with only its declared dependencies,
# imported, and the README's example run there (tests/test_wheel.py; part of `make test`).
wheel-check: setup ## build the wheel and try it in a fresh venv without any framework
	$(BIN)/python -m pytest tests/test_wheel.py

notebooks: setup ## execute every chapter (nbmake)
	$(BIN)/python -m pytest book --nbmake --nbmake-timeout=600 --durations=0

# The built site as a reader gets it: every page of _build/html (built first if missing)
# opened in headless Chromium (Debian's chromium + chromium-driver) and checked for
# JavaScript errors, typeset maths, loaded images and working links; screenshots of the
# introduction, the MNIST and claims chapters and the glossary in _build/screenshots.
site-check: setup ## open every page of the built book in headless Chromium and check it
	test -f _build/html/index.html || $(MAKE) build-book
	$(BIN)/python scripts/site_check.py _build/html --config _config.yml --screenshots _build/screenshots

# Every chapter under the OpenBLAS kernels this processor can run, one and two BLAS threads,
# and seeds 0-4 injected by papermill; prints the chapter x configuration matrix
# (scripts/robustness.py; --full crosses every kernel, thread count and seed).
robustness: setup ## every chapter under other OpenBLAS kernels, thread counts and seeds
	$(BIN)/python scripts/robustness.py

# Does the pinned set install on Linux, macOS and Windows, x86-64 and ARM, Python 3.11-3.13?
# Asks pip for each requirement's wheel on each target (network: PyPI; a few minutes).
platforms: setup ## ask pip whether the pinned set installs on every platform (network)
	$(BIN)/python scripts/check_platforms.py --resolve

clean: ## remove _build and the test caches
	rm -rf _build .pytest_cache .hypothesis
