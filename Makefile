# The two commands of the quick start: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
DATA   ?= data
HOST   ?= 0.0.0.0
PORT   ?= 8080
BIN     = $(VENV)/bin

.PHONY: setup native demo test bench clean

$(BIN)/shoudi: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

setup: $(BIN)/shoudi

# Rebuild the mypyc-compiled scoring modules (scoring/_native/) after editing scoring/*.py;
# until then scoring runs as pure Python and warns that the compiled build is stale.
native: setup
	$(BIN)/python setup.py build_scoring

demo: setup
	$(BIN)/shoudi init --data-dir $(DATA) --demo --host $(HOST) --port $(PORT)
	$(BIN)/shoudi serve --data-dir $(DATA) --host $(HOST) --port $(PORT)

test: setup
	bash tests/run_all.sh

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info scoring/_native
