# The two commands of the README. Both install what they need first (scripts/setup).
.PHONY: setup demo test bench lint lab-down

setup:
	@scripts/setup

## Start the local lab, run the example drills, print the scorecard.
demo:
	@scripts/demo

## The test suite (CI runs exactly this).
test:
	@scripts/setup --with-test-tools
	python3 -m ruff check src tests benchmarks
	python3 -m mypy
	python3 -m pytest

## Benchmarks on a private lab: table on stdout, JSON in benchmarks/results.json (a few minutes).
bench:
	@scripts/setup --with-test-tools
	python3 -m pip install -q -r benchmarks/requirements.txt
	python3 benchmarks/run.py

lab-down:
	@python3 -m alertdrill lab down
