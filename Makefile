# Thin wrappers over nox. The first target bootstraps nox (with uv) into .tools/.
PYTHON ?= python3
TOOLS  := .tools
NOX    := $(TOOLS)/bin/nox
WF     ?=

.PHONY: run test unit integration performance validation lint typecheck framework matrix clean help

help:  ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(NOX):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check 'nox[uv]>=2025.2.9'
	@# PYTHONDONTWRITEBYTECODE may be set: compile once so every nox start stays quick
	$(TOOLS)/bin/python -m compileall -q $(TOOLS)/lib > /dev/null

run: $(NOX)  ## Run the main job: every workflow (or WF=name) on SQLite and the API sandbox
	$(NOX) -s run -- $(WF)

test: $(NOX)  ## Run the whole test suite: lint, types, framework, every stage of every workflow
	$(NOX) -s ci

unit integration performance validation: $(NOX)  ## One stage (WF=name for one workflow)
	$(NOX) -s $@ -- $(WF)

lint typecheck framework matrix: $(NOX)  ## ruff / mypy / framework tests / CI matrix JSON
	$(NOX) -s $@

clean:  ## Remove environments, reports and the dev database
	rm -rf $(TOOLS) .nox reports .data
