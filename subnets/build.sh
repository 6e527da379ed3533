#!/bin/sh
# Builds the example mechanisms reproducibly:
#   subnets/build.sh [-p <crate>]...
# Components land in subnets/target/wasm32-wasip2/release/<crate>.wasm.
#
# The same sources give the same bytes on any machine and in any directory:
# dependencies are locked, codegen settings are fixed in Cargo.toml, and the
# absolute paths rustc would embed (the checkout and the cargo home) are
# remapped to fixed prefixes.
set -eu
here=$(cd "$(dirname "$0")" && pwd -P)
root=$(dirname "$here")
cargo_home=${CARGO_HOME:-$HOME/.cargo}
cargo_home=$(cd "$cargo_home" && pwd -P)
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
    echo "the wasm32-wasip2 target is missing: run 'rustup target add wasm32-wasip2'" >&2
    exit 1
fi
sep=$(printf '\037')
CARGO_ENCODED_RUSTFLAGS="--remap-path-prefix=$root=/arbiter${sep}--remap-path-prefix=$cargo_home=/cargo"
export CARGO_ENCODED_RUSTFLAGS
unset RUSTFLAGS
exec cargo build --manifest-path "$here/Cargo.toml" --release --locked --target wasm32-wasip2 "$@"
