# Two commands from a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install migrate run test check format manifest clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) -m storage.migrate

run: migrate
	$(PY) -m bot_app

# One worker per core; work stealing keeps both busy to the end (the end-to-end journeys take
# seconds, the unit tests milliseconds, and a fixed split left one worker idle for a minute).
# An empty PYTHONDONTWRITEBYTECODE lets Python keep bytecode (__pycache__, ignored by git and
# docker): where the environment sets it, every worker and every process the tests start
# compiled the project from source again, a tenth of the run.
test: install
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -n auto --dist worksteal

check: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

manifest: install
	$(PY) -m manifest.build

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis

# -- the Teams app package and the real-client test (README, "Real-client test") ----------
.PHONY: package e2e image-check
CHROMIUM ?= /usr/bin/chromium

# manifest/build/appPackage.zip, checked against the v1.29 schema, icon sizes and the bot's commands.
package: install
	$(PY) -m manifest.build

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# The bot in the Microsoft 365 Agents Playground, driven in headless Chromium (Debian's
# `chromium`): the journey to the CSPR Group's vote, then the review and action plan cards
# after the partners' decision (one after the other: each starts a bot of its own);
# screenshots in e2e/artifacts/ (the second's in e2e/artifacts/after-decision/).
e2e: install node_modules/.package-lock.json
	@test -x $(CHROMIUM) || { echo "$(CHROMIUM) not found: apt-get install -y chromium (or set CHROMIUM=)"; exit 2; }
	CHROMIUM=$(CHROMIUM) PYTHON=$(abspath $(PY)) node --test --test-reporter=spec e2e/playground.test.mjs
	CHROMIUM=$(CHROMIUM) PYTHON=$(abspath $(PY)) node --test --test-reporter=spec e2e/after_decision.test.mjs

# The case dashboard (the Teams tab) in headless Chromium, as a Hub officer and a practitioner,
# with the axe accessibility check; screenshots in e2e/artifacts/dashboard/.
.PHONY: dashboard-e2e vendor-teams-js
dashboard-e2e: install node_modules/.package-lock.json
	@test -x $(CHROMIUM) || { echo "$(CHROMIUM) not found: apt-get install -y chromium (or set CHROMIUM=)"; exit 2; }
	CHROMIUM=$(CHROMIUM) PYTHON=$(abspath $(PY)) node --test --test-reporter=spec e2e/dashboard.test.mjs

# The Teams JavaScript client library the tab page loads, copied from the pinned npm package
# into the folder the service serves (no CDN, no build step). Run after changing its version.
TEAMS_JS := bot_app/dashboard/static/teams-js
vendor-teams-js: node_modules/.package-lock.json
	cp node_modules/@microsoft/teams-js/dist/umd/MicrosoftTeams.min.js $(TEAMS_JS)/
	cp node_modules/@microsoft/teams-js/LICENSE $(TEAMS_JS)/
	node -e 'console.log("@microsoft/teams-js " + require("@microsoft/teams-js/package.json").version + " (dist/umd/MicrosoftTeams.min.js), copied by: make vendor-teams-js")' > $(TEAMS_JS)/VERSION

# -- performance (bench/RESULTS.md); not part of `make test` -------------------------------
.PHONY: bench
# The Agents SDK echo runs if this venv has the `bench` extra (pip install -e '.[bench]') or
# AGENTS_PYTHON names a Python that has microsoft-agents-hosting-aiohttp. BENCH_ARGS=--json.
bench: install
	$(PY) -m bench.run $(BENCH_ARGS)

# The Dockerfile's steps from scratch: `docker build` where an engine runs, else the same steps
# in a fresh virtual environment, up to /readyz and a clean stop (docs/deploy.md).
image-check:
	PYTHON=$(PYTHON) bash scripts/image_check.sh
