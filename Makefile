# Fleetwatch. `make` builds and starts the production stack (Docker Compose behind nginx; README
# "Production"). `make run` and `make test` are the native paths and need no Docker.
SHELL := /bin/bash
CARGO ?= cargo
DIST ?= dist
RUN_ARGS ?= serve

# ---- The compose stack ---------------------------------------------------------------------------
COMPOSE ?= docker compose
SERVICES := nginx api collector postgres
TAIL ?= 200
# logs-errors: the levels kept from the JSON logs (Fleetwatch's and nginx's access log).
LEVELS ?= ERROR|WARN
# cleanup-data: roll up and apply the config's [retention] now; RETENTION=30d keeps raw samples
# that long instead of `retention.raw` (a server's latest sample is always kept).
RETENTION ?=
CERT_NAMES ?= localhost 127.0.0.1
# collect-once, db-stats, cleanup-data outside the stack (or with NATIVE=1): the binary built
# from this tree, with ./fleetwatch.toml or $$FLEETWATCH_CONFIG, as `make run` uses it.
FLEETWATCH ?= $(CARGO) run --quiet --release --bin fleetwatch --

.DEFAULT_GOAL := all
.PHONY: all images up down restart restart-service logs logs-follow logs-errors ps health \
	logs-Frontend logs-API logs-DataCollection logs-db logs-all \
	collect-once db-stats cleanup-data debug shell rebuild-service cclean cert \
	build-deps run build frontend test test-deps lint fmt check-fmt clean help

# Docker targets stop with one line when no Docker engine answers (the client alone is not enough).
docker_engine = $(shell docker info --format '{{.ServerVersion}}' 2>/dev/null)
define need_stack
$(if $(docker_engine),,$(error make $@: no Docker engine answers here (`docker info` fails), so the compose stack cannot run; `make run` is the native path))
$(if $(shell $(COMPOSE) version 2>/dev/null),,$(error make $@: `$(COMPOSE)` does not work here: install the Docker Compose v2 plugin))
$(if $(wildcard .env),,$(error make $@: no .env file: cp .env.example .env, then set POSTGRES_PASSWORD and the servers (README "Production")))
endef
define need_password
$(if $(shell grep -s '^POSTGRES_PASSWORD=change-me' .env),$(error make $@: POSTGRES_PASSWORD in .env is still the example's placeholder: set a long random one (openssl rand -base64 32)))
endef
define need_service
$(if $(filter $(SERVICE),$(SERVICES)),,$(error make $@: say which service: SERVICE=<$(subst $() ,|,$(SERVICES))>))
endef

# collect-once, db-stats, cleanup-data run in the stack's collector container when it is running,
# natively otherwise; NATIVE=1 always runs them natively.
stack_running = $(if $(NATIVE),,$(if $(docker_engine),$(if $(wildcard .env),$(filter collector,$(shell $(COMPOSE) ps --status running --services 2>/dev/null)))))
fleetwatch_cmd = $(if $(stack_running),\
	echo "make $@: in the compose stack (collector container); NATIVE=1 runs it here instead" >&2 && $(COMPOSE) exec -T collector fleetwatch $(1),\
	echo "make $@: natively ($(if $(NATIVE),NATIVE=1,no running compose stack))" >&2 && $(FLEETWATCH) $(1))

help:
	@echo "Production stack (Docker Compose; README \"Production\"):"
	@echo "  make                   build the images and start the stack (= make images up)"
	@echo "  make images            build the images            make up / down / restart"
	@echo "  make ps                containers and their state  make health   healthchecks + readiness"
	@echo "  make logs              last $(TAIL) lines of each   make logs-<service>  (nginx api collector postgres)"
	@echo "  make logs-follow       follow all logs             make logs-errors     only $(LEVELS) lines"
	@echo "    (also seed 003's names: logs-Frontend logs-API logs-DataCollection logs-db logs-all)"
	@echo "  make restart-service SERVICE=api    make rebuild-service SERVICE=api    make shell SERVICE=api"
	@echo "  make collect-once      one collection now          make db-stats        rows, sizes, oldest/newest"
	@echo "  make cleanup-data      roll up and apply [retention] now (RETENTION=30d: raw samples' age)"
	@echo "    (these three run in the stack when it is up, natively otherwise; NATIVE=1 forces native)"
	@echo "  make debug             versions, state, resources and recent logs, for a bug report"
	@echo "  make cert              self-signed certificate for HTTPS in nginx/certs"
	@echo "  make cclean            remove the stack's containers, networks and images (keeps the data)"
	@echo "Native (no Docker):"
	@echo "  make run               build everything (dashboard included) and start fleetwatch serve with SQLite"
	@echo "  make test              install what the tests need, then run every test"
	@echo "  make build             release binary + dashboard"
	@echo "  make lint              cargo fmt --check and clippy -D warnings (native and wasm32)"

all: images up

images:
	$(need_stack)
	$(COMPOSE) build

up:
	$(need_stack)
	$(need_password)
	$(COMPOSE) up -d --wait --remove-orphans

down:
	$(need_stack)
	$(COMPOSE) down

restart:
	$(need_stack)
	$(COMPOSE) restart

restart-service:
	$(need_service)
	$(need_stack)
	$(COMPOSE) restart $(SERVICE)

rebuild-service:
	$(need_service)
	$(need_stack)
	$(COMPOSE) build $(SERVICE)
	$(COMPOSE) up -d --no-deps --wait $(SERVICE)

logs:
	$(need_stack)
	$(COMPOSE) logs --no-color --tail=$(TAIL)

logs-follow:
	$(need_stack)
	$(COMPOSE) logs --no-color --follow --tail=$(TAIL)

# JSON lines whose "level" is in LEVELS, plus nginx's and PostgreSQL's own error lines.
logs-errors:
	$(need_stack)
	set -o pipefail; $(COMPOSE) logs --no-color --tail=$(TAIL) \
	  | { grep -E '"level":"($(LEVELS))"|\[(error|crit|alert|emerg)\]| (ERROR|FATAL|PANIC): ' \
	      || echo "logs-errors: no $(LEVELS) line in the last $(TAIL) lines of each service"; }

# The same logs under seed 003's service names.
logs-Frontend: logs-nginx
logs-API: logs-api
logs-DataCollection: logs-collector
logs-db: logs-postgres
logs-all: logs

logs-%:
	$(if $(filter $*,$(SERVICES)),,$(error make $@: no service "$*"; the services are $(SERVICES)))
	$(need_stack)
	$(COMPOSE) logs --no-color --tail=$(TAIL) $*

ps:
	$(need_stack)
	$(COMPOSE) ps --all

# Every service must be running and healthy, and the api ready (its database reachable).
health:
	$(need_stack)
	@set -o pipefail; $(COMPOSE) ps --all --format '{{.Service}}	{{.State}}	{{.Health}}' \
	  | awk -F'\t' -v want="$(SERVICES)" ' \
	      { printf "%-10s %-10s %s\n", $$1, $$2, ($$3 == "" ? "-" : $$3); seen[$$1] = ($$2 == "running" && $$3 == "healthy") } \
	      END { n = split(want, s, " "); bad = 0; \
	            for (i = 1; i <= n; i++) if (!seen[s[i]]) { print "health: " s[i] " is not running and healthy"; bad = 1 } \
	            exit bad }'
	@$(COMPOSE) exec -T api curl -fsS http://127.0.0.1:8080/readyz && echo

collect-once:
	@$(call fleetwatch_cmd,collect-once)

db-stats:
	@$(call fleetwatch_cmd,db-stats)

cleanup-data:
	@$(call fleetwatch_cmd,cleanup$(if $(RETENTION), --older-than $(RETENTION)))

debug:
	$(need_stack)
	-docker version --format 'Docker engine {{.Server.Version}}, client {{.Client.Version}}'
	-$(COMPOSE) version
	-$(COMPOSE) config --services
	-$(COMPOSE) ps --all
	-docker stats --no-stream $$($(COMPOSE) ps --quiet)
	-$(COMPOSE) exec -T api curl -sS http://127.0.0.1:8080/readyz
	-$(COMPOSE) logs --no-color --tail=50

shell:
	$(need_service)
	$(need_stack)
	$(COMPOSE) exec $(SERVICE) sh

# Containers, networks and the images built here; the database volume is kept.
cclean:
	$(need_stack)
	$(COMPOSE) down --remove-orphans --rmi all
	@echo "cclean: done; the PostgreSQL volume is kept (docker volume ls; README \"Production\", backups)"

cert:
	nginx/make-cert.sh nginx/certs $(CERT_NAMES)

# ---- Native -------------------------------------------------------------------------------------

## Build tools the dashboard needs: the wasm32 target and the wasm-bindgen CLI.
build-deps:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@.ci/wasm-bindgen.sh

frontend: build-deps
	frontend/build.sh $(DIST)

build: frontend
	$(CARGO) build --release --bin fleetwatch

run: build
	@mkdir -p data
	./target/release/fleetwatch $(RUN_ARGS)

test-deps:
	.ci/test-deps.sh

test: test-deps frontend
	FLEETWATCH_TEST_WEB_DIR=$(CURDIR)/$(DIST) $(CARGO) test --workspace --no-fail-fast

lint: check-fmt
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p fleetwatch-frontend --target wasm32-unknown-unknown -- -D warnings

check-fmt:
	$(CARGO) fmt --all -- --check

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
	rm -rf $(DIST)
