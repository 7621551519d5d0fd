# Rapport — the README's commands. `make run` serves the demo; `make test` runs every test.
PORT ?= 8000
HOST ?= 127.0.0.1
UV ?= uv
export RAPPORT_DATA_DIR ?= var

.PHONY: run install test test-fast lint format typecheck bench mutation clean

install:
	$(UV) sync --frozen

run: install
	$(UV) run rapport init
	$(UV) run rapport demo --if-empty
	$(UV) run rapport serve --host $(HOST) --port $(PORT)

test: install lint
	$(UV) run pytest -n 2 --dist loadgroup

test-fast: install
	$(UV) run pytest -x -q -m "not browser"

lint: install
	$(UV) run ruff check src tests benchmarks tools
	$(UV) run ruff format --check src tests benchmarks tools
	$(UV) run mypy
	$(UV) run lint-imports

format:
	$(UV) run ruff format src tests benchmarks tools
	$(UV) run ruff check --fix src tests benchmarks tools

bench: install
	$(UV) run python benchmarks/run_all.py

# By hand, not CI: mutation testing of analytics/ (tools/mutation.md). MUTANTS narrows it,
# e.g. MUTANTS='rapport.analytics.nps*'; one child, SQLite-only conformance built once.
MUTANTS ?= rapport.analytics.intervals* rapport.analytics.estimates* rapport.analytics.nps*
mutation: install
	RAPPORT_CONFORMANCE_SQLITE_CACHE=$(CURDIR)/var/mutation-conformance \
	  $(UV) run --with mutmut==3.8.1 mutmut run --max-children 1 $(MUTANTS)
	$(UV) run --with mutmut==3.8.1 mutmut results

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache mutants
