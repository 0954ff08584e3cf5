# Set-up and everyday tasks. `make serve` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium

LOCK := requirements.lock
UV := uv==0.13.9

.PHONY: install lock serve test test-fast test-wheel browser reindex eval ablation bench bench-small load lint typecheck clean

install: $(STAMP)

# Exactly the versions and files of requirements.lock (runtime and test
# dependencies, hashes checked), then searchapp itself, neither resolved again:
# the lock is complete, and pip's resolver would look past it for the newest
# release of a dependency named with an extra (lxml[html_clean]).
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	@# Compiled once here, as pip compiles an installed package: where bytecode
	@# is never written (PYTHONDONTWRITEBYTECODE), every command would compile
	@# the package anew, a tenth of a second of `searchapp search`.
	$(BIN)/python -m compileall -q searchapp
	touch $(STAMP)

# After changing a pin in pyproject.toml: resolve again for Python 3.11 on
# Linux x86_64, with the hash of every file of each version (needs the package index).
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(UV)
	$(BIN)/uv pip compile pyproject.toml --extra test --generate-hashes --python-version 3.11 \
		--python-platform x86_64-unknown-linux-gnu --no-header --quiet -o $(LOCK)

# Browser tests drive Debian's Chromium (a downloaded browser cannot work offline).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "Installing chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

reindex: $(STAMP)
	$(BIN)/searchapp reindex

# Reindexing first is cheap when nothing changed, and brings an index built
# by an older version up to date. Another port: `make serve PORT=5001`;
# another address: `make serve HOST=::1` (without HOST, config.toml's
# [server] host). Other options of `searchapp serve` go in SERVE_ARGS, e.g.
# `make serve HOST=0.0.0.0 SERVE_ARGS=--allow-remote`.
PORT ?= 5000
HOST ?=
SERVE_ARGS ?=
serve: $(STAMP)
	$(BIN)/searchapp reindex
	$(BIN)/searchapp serve$(if $(HOST), --host $(HOST)) --port $(PORT)$(if $(SERVE_ARGS), $(SERVE_ARGS))

test: lint typecheck browser
	$(BIN)/pytest -q

test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not browser"

# The wheel installed into a fresh virtual environment, as a user installs it
# (part of `make test` too; needs the package index, a minute or two).
test-wheel: $(STAMP)
	$(BIN)/pytest -q -m wheel

eval: $(STAMP)
	$(BIN)/python bench/evaluate.py

ablation: $(STAMP)
	$(BIN)/python bench/evaluate.py --ablation

bench-small: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run.py --size 10000

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run.py --size 100000

# Bounded load test on loopback (stops by itself, fails on any error): the
# sample index with 8 and 16 clients, then every benchmark index that
# `make bench-small` or `make bench` left in bench/data/.
LOAD_SECONDS ?= 60
load: $(STAMP)
	$(BIN)/searchapp reindex
	$(BIN)/python bench/load.py --config config.toml --clients 8 --seconds $(LOAD_SECONDS)
	$(BIN)/python bench/load.py --config config.toml --clients 16 --seconds $(LOAD_SECONDS)
	@for cfg in bench/data/*/config.toml; do \
		[ -d "$$(dirname $$cfg)/index" ] || continue; \
		$(BIN)/python bench/load.py --config $$cfg --clients 8 --seconds $(LOAD_SECONDS) || exit 1; \
	done

lint: $(STAMP)
	$(BIN)/ruff check searchapp tests bench
	$(BIN)/ruff format --check searchapp tests bench

# The package's types ([tool.mypy] in pyproject.toml).
typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) index/CURRENT index/gen-* index/segments.sqlite .eval
