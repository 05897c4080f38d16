# Fleetwatch. `make run` and `make test` are all a newcomer needs (see README.md).
SHELL := /bin/bash
CARGO ?= cargo
DIST ?= dist
RUN_ARGS ?= serve

.PHONY: build-deps run build frontend test test-deps lint fmt check-fmt clean help

help:
	@echo "make run       build everything (dashboard included) and start fleetwatch serve with SQLite"
	@echo "make test      install what the tests need, then run every test"
	@echo "make build     release binary + dashboard"
	@echo "make lint      cargo fmt --check and clippy -D warnings"

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
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p fleetwatch-frontend --target wasm32-unknown-unknown -- -D warnings

check-fmt:
	$(CARGO) fmt --all -- --check

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
	rm -rf $(DIST)
