# Curio — the commands the README shows.
SHELL := /bin/bash
CARGO ?= cargo
NEXTEST := $(shell $(CARGO) nextest --version >/dev/null 2>&1 && echo yes)

.PHONY: run test test-deps test-pinned migrate examples bench profile soak lint fmt docs-check openapi-check fuzz services

## Start curio on the embedded SQLite default (migrated, demo data, offline summarizer).
run:
	$(CARGO) run -p api --bin curio -- --demo

## The peers the tests start that come from PyPI: aiosmtpd (a real SMTP server) and standardwebhooks (a signature verifier of its own).
test-deps:
	@python3 -c 'import aiosmtpd, standardwebhooks' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check aiosmtpd==1.4.6 standardwebhooks==1.3.0

## The whole suite on SQLite, MariaDB and PostgreSQL (narrow with TEST_BACKENDS=sqlite).
test: test-deps
	$(CARGO) test --workspace --doc
ifeq ($(NEXTEST),yes)
	$(CARGO) nextest run --workspace --no-fail-fast
else
	$(CARGO) test --workspace --no-fail-fast
endif

## The tests that assert on time, pinned to one core: a slow machine's view.
test-pinned: test-deps
	taskset -c 0 $(CARGO) nextest run --workspace --profile pinned --no-fail-fast

## Apply pending migrations to the database curio would use (its configuration layers; default: data/curio.db).
migrate:
	$(CARGO) run -p migration -- up

## Release build, then the load scenarios against BENCH_DB (mariadb|postgres|sqlite); S11 mails through aiosmtpd (test-deps).
bench: test-deps
	$(CARGO) build --release -p api -p bench
	./target/release/bench-run

## perf profiles of curio under S1 (c=128, 256), S2 and S3: flame graphs and top-20 symbols in bench/results/.
## Installs inferno (crates.io) into target/tools once; perf must be allowed to attach (root, or kernel.perf_event_paranoid <= 1).
profile:
	$(CARGO) build --release -p api -p bench
	test -x target/tools/bin/inferno-flamegraph || $(CARGO) install --locked --root target/tools inferno
	BENCH_PROFILE=1 BENCH_ONLY=$${BENCH_ONLY-S1} BENCH_S1_LEVELS=$${BENCH_S1_LEVELS:-128,256} ./target/release/bench-run

## 10 minutes of mixed traffic at concurrency 64 with 1 % injected LLM failures.
soak:
	$(CARGO) build --release -p api -p bench
	BENCH_SOAK_SECS=$${BENCH_SOAK_SECS:-600} BENCH_MOCK_FAILURE_RATE=0.01 ./target/release/bench-run

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	./scripts/layering-check.sh

fmt:
	$(CARGO) fmt --all

## /docs in headless Chromium, offline (installs Debian's chromium if missing).
docs-check:
	./scripts/docs-check.sh

## Validate /openapi.json and run a scenario through a generated Python client.
openapi-check:
	./scripts/openapi-check.sh

## schemathesis over every route on SQLite, MariaDB and PostgreSQL (FUZZ_BACKENDS to narrow).
fuzz:
	./scripts/fuzz-api.sh

## Build and run the service and repository examples against fresh SQLite files.
examples:
	./scripts/examples-check.sh

## Start MariaDB and PostgreSQL if they are not running.
services:
	./scripts/services.sh
