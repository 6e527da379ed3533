# The two commands of the README, and what they need. Every step installs
# what it uses, so both work on a fresh machine with rustup.

CARGO ?= cargo
HOST_TARGET := $(shell rustc -vV | sed -n 's/^host: //p')
WASM := subnets/target/components

.PHONY: demo test setup lint bench

## Runs the main job on the embedded defaults.
demo: setup
	$(CARGO) run --quiet -- demo

## Runs every test: the native workspace, then the example mechanisms' and the
## Rust guest SDK's unit tests (natively).
test: setup
	$(CARGO) test --workspace
	$(CARGO) test --manifest-path subnets/Cargo.toml --target $(HOST_TARGET)

## Installs the toolchain pieces the build and the tests need (chopsticks:
## the real Subtensor runtime the online backend is tested against).
setup:
	rustup target add wasm32-unknown-unknown wasm32-wasip2
	tests/chopsticks/install.sh > /dev/null

## Formatting and lints, as CI runs them.
lint: setup
	$(CARGO) fmt --all --check
	$(CARGO) fmt --manifest-path subnets/Cargo.toml --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy --manifest-path subnets/Cargo.toml --target $(HOST_TARGET) --all-targets -- -D warnings

## Benchmarks (release builds; not part of CI).
bench: setup
	$(CARGO) bench -p arbiter
