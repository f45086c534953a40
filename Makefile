# The two commands of the README. Both install what they need first (scripts/setup) into .venv;
# the system Python is never touched.
.PHONY: setup demo test check bench lab-down
PY := .venv/bin/python

setup:
	@scripts/setup

## Start the local lab, run the example drills, print the scorecard.
demo:
	@scripts/demo

## The fast habit: lint, format, types, import rules, and the tests that need no lab and no new interpreter
## per case (`make test` runs everything).
check:
	@scripts/setup --with-test-tools >/dev/null
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m ruff format --check src tests benchmarks
	$(PY) -m mypy
	.venv/bin/lint-imports
	$(PY) -m pytest -q -m "not live and not slow" -p no:cacheprovider

## The full test suite (CI runs exactly this). The live tests mostly wait on real timers, so three
## pytest-xdist workers (each with its own lab on free ports; a file's tests stay on one worker) take
## under half the wall time of one. `$(PY) -m pytest` alone runs them one by one.
test:
	@scripts/setup --with-test-tools
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m mypy
	.venv/bin/lint-imports
	$(PY) -m pytest -n 3 --dist loadfile

## Benchmarks on a private lab: table on stdout, JSON in benchmarks/results.json (a few minutes).
bench:
	@scripts/setup --with-test-tools
	$(PY) -m pip install -q -r benchmarks/requirements.txt
	$(PY) benchmarks/run.py

lab-down:
	@$(PY) -m alertdrill lab down
