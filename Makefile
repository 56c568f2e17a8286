PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
HOST   ?= 127.0.0.1
STORE  ?= data/store

.PHONY: setup run load test bench clean

# The stamp is rebuilt whenever pyproject.toml changes, so a pull that adds a dependency re-installs.
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/.installed

load: setup
	$(BIN)/trialgraph --store $(STORE) load examples/

run: load
	$(BIN)/trialgraph --store $(STORE) serve --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/python -m pytest -n 2 -q

# Speed and quality figures (need ../shared/corpus); each script prints its own figures.
bench: setup
	$(BIN)/python benchmarks/load_corpus.py
	$(BIN)/python benchmarks/load_corpus.py --bulk
	$(BIN)/python benchmarks/normalisation/run.py
	$(BIN)/python benchmarks/queries.py

clean:
	rm -rf $(VENV) data .pytest_cache
