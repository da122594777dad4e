# Two commands for a newcomer: `make demo` and `make test`. Everything else is installed by them.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: demo test test-slow test-all bench model clean browser-deps ray-deps

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the toolkit into $(VENV) (first run: a few minutes; torch is the CPU build)..."
	$(PY) -m pip install -q -e '.[test,review]'
	@rm -f $(VENV)/.installed-*; touch $@

demo: $(STAMP)
	$(VENV)/bin/rupture demo

# Headless Chromium for the browser tests, from Debian's packages (skipped where apt is not usable).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| echo "note: could not install chromium; browser tests will be skipped"; }
	@$(PY) -c "import playwright" 2>/dev/null || $(PY) -m pip install -q 'playwright>=1.44' \
		|| echo "note: could not install playwright; browser tests will be skipped"

# The Ray engine's optional extra, for its slow tests (tests/test_engines_ray.py skip without it).
ray-deps: $(STAMP)
	@$(PY) -c "import ray.data" 2>/dev/null || $(PY) -m pip install -q -e '.[ray]' \
		|| echo "note: could not install the ray extra; the Ray engine tests will be skipped"

test: $(STAMP) browser-deps
	$(PY) -m pytest -q

test-slow: $(STAMP) browser-deps ray-deps
	$(PY) -m pytest -q -m slow

test-all: $(STAMP) browser-deps ray-deps
	$(PY) -m pytest -q -m 'slow or not slow'

model: $(STAMP)
	$(VENV)/bin/rupture train --config configs/default.yaml

# All benchmarks (about 20 minutes on 2 cores); e.g. make bench BENCH_ARGS="--model DIR" or "--quick".
bench: $(STAMP)
	$(PY) benchmarks/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info
