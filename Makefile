# One entry point for people and CI. Each command installs what it needs on a fresh machine, and no more:
# `make up` the kit, the services and a real Consul and Prometheus (install-stack); `make test` also the dev
# toolchain, newman and the bench's load generators (install); `make bench` the bench's tools (install-bench).
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
PYTHON ?= python3.11
TOOLS := $(CURDIR)/.tools
UV := $(TOOLS)/uv/bin/uv
VENV := $(CURDIR)/.venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export PATH := $(TOOLS)/bin:$(VENV)/bin:$(PATH)

TRIM ?= 2
MODE ?= auto
STACK := $(VENV)/bin/python deploy/local/stack.py

.PHONY: chaos help install install-stack install-bench tools new-service proto lint test test-unit fmt clean up restart down scale ps logs bench browser docker-tools hosts-up hosts-down hosts-ps hosts-faults swarm-up swarm-down swarm-ps swarm-drain swarm-stack swarm-test

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | sort

$(UV):
	$(PYTHON) -m venv $(TOOLS)/uv
	$(TOOLS)/uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

install-stack: $(UV) ## what the stack runs: uv, the locked runtime deps (no dev tools), Consul and Prometheus
	$(UV) sync --frozen --inexact --no-dev --python $(PYTHON)
	bash scripts/install-tools.sh

RUNTIME := $(TOOLS)/runtime

install-bench: install-stack ## what `make bench` needs besides: matplotlib (dev group), wrk, h2load, nginx, go-kit
	$(UV) sync --frozen --inexact --python $(PYTHON)
	@# the services with their runtime dependencies only: what `make bench` runs and measures the memory of
	UV_PROJECT_ENVIRONMENT=$(RUNTIME) $(UV) sync --frozen --no-dev --compile-bytecode --quiet --python $(PYTHON)
	bash scripts/install-bench-tools.sh

install: install-bench ## everything `make test` needs: the stack's, the dev toolchain, the bench tools, newman
	bash deploy/postman/install.sh

tools: ## fetch Consul and Prometheus (and the bench's wrk, h2load, nginx, Go and go-kit) into .tools/ unless on PATH
	bash scripts/install-tools.sh
	bash scripts/install-bench-tools.sh

new-service: $(UV) ## write a new service on the kit and wire it in: make new-service NAME=echo
	@# the generator runs the dev group's ruff and grpc_tools
	$(UV) sync --frozen --inexact --quiet --python $(PYTHON)
	$(VENV)/bin/python scripts/new_service $(NAME)

proto: ## regenerate the committed protobuf/gRPC code beside each .proto
	bash scripts/gen-proto.sh

fmt: ## format and auto-fix
	ruff format .
	ruff check --fix .

lint: ## ruff, mypy --strict, import-linter layer contracts
	ruff check .
	ruff format --check .
	mypy libs/kit/src $(wildcard services/*/src) bench deploy/hosts deploy/swarm tests
	lint-imports

test: install lint ## lint, then every test (unit and integration, real Consul and Prometheus)
	pytest

test-unit: ## only the tests that start no process
	pytest -m "not integration"

up: install-stack ## start the stack, or just its missing parts, and wait until healthy (MODE=local|docker|auto, TRIM=N; STACK_PORT_OFFSET=N moves every port)
	$(STACK) --mode $(MODE) up --trim $(TRIM)

chaos: ## faults injected into the running local stack under load (~1 min): one table of what callers saw
	$(VENV)/bin/python -m deploy.chaos

restart: ## stop the named parts and start them again (PART=add, PART="trim-1 consul"), then wait until healthy
	$(STACK) --mode $(MODE) restart $(PART)

scale: ## Docker Compose: run TRIM=N trims, the rest as it is
	$(STACK) --mode $(MODE) scale --trim $(TRIM)

down: ## stop exactly what `make up` started
	$(STACK) --mode $(MODE) down

ps: ## pid, alive, ports and health of each part
	$(STACK) --mode $(MODE) ps

logs: ## tail of every part's log (PART=add for one, FOLLOW=1 to follow)
	$(STACK) --mode $(MODE) logs $(PART) $(if $(FOLLOW),-f)

bench: install-bench ## kit vs go-kit, a bare FastAPI peer and fixed-reply ceilings (~5 min): targets, bench/results/
	python -m bench.run

docker-tools: ## install Debian's Docker engine, slirp4netns, mmdebstrap and Compose v2 for the container test (root)
	bash scripts/install-docker.sh

hosts-up: install-stack ## several hosts on this machine (root): Consul cluster, add, 2 trims, Prometheus (docs/multihost.md)
	python -m deploy.hosts up

hosts-down: ## stop what `make hosts-up` started and remove its namespaces
	python -m deploy.hosts down

hosts-ps: ## the hosts of `make hosts-up`, their addresses and what runs there
	python -m deploy.hosts ps

hosts-faults: ## on a running bed: each fault under load (~3.5 min; FAULTS=trim-cut for one), a table of the figures
	python -m deploy.hosts faults $(FAULTS)

swarm-up: install-stack docker-tools ## Docker swarm for real (root): 3 engines in 3 namespaces, a local registry, the stack by `docker stack deploy` (docs/multihost.md)
	python -m deploy.swarm up --trims $(or $(TRIMS),3)

swarm-down: ## remove the stack and the swarm, stop its engines and registries, remove its namespaces
	python -m deploy.swarm down

swarm-ps: ## the swarm's engines, their addresses and where the trims run
	python -m deploy.swarm ps

swarm-drain: ## on a running swarm: drain an engine of a trim under 10 requests/s (~40 s), print the figures
	python -m deploy.swarm drain

swarm-stack: ## refresh deploy/swarm/docker-stack.yml from deploy/docker-compose.yml (a test checks they agree)
	python -m deploy.swarm stack --write

swarm-test: install docker-tools ## only the swarm tests (root; about 3 minutes, 5 with no image built yet)
	pytest -p no:randomly tests/swarm

browser: ## install Debian's chromium for the browser test (.ci/run does it; needs root)
	bash scripts/install-browser.sh

clean: ## remove caches (keeps .tools and .venv)
	rm -rf .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
