#!/bin/sh
# Builds the example mechanisms reproducibly:
#   subnets/build.sh [<crate>...]        (default: every crate)
# Components land in subnets/target/components/<crate>.wasm. Names ending in
# `-py`, `-js` and `-c` are Python, JavaScript and C mechanisms, built by
# build-py.sh (componentize-py), build-js.sh (componentize-js) and
# build-c.sh (zig cc and wit-bindgen).
#
# The same sources give the same bytes on any machine and in any directory:
# dependencies are locked, codegen settings are fixed in Cargo.toml, the
# absolute paths rustc would embed (the checkout and the cargo home) are
# remapped to fixed prefixes, and the componentiser is a pinned wasm-tools.
set -eu
here=$(cd "$(dirname "$0")" && pwd -P)
root=$(dirname "$here")
names=${*:-echo-double text-match hostile echo-double-solver text-match-solver text-match-py hostile-py text-match-js hostile-js text-match-c}

# Mechanisms in other languages are built by their own scripts; the rest
# are crates of the subnets workspace.
crates=
python=
js=
c=
for name in $names; do
    case "$name" in
    *-py) python="$python $name" ;;
    *-js) js="$js $name" ;;
    *-c) c="$c $name" ;;
    *) crates="$crates $name" ;;
    esac
done

need_target() {
    if ! rustup target list --installed 2>/dev/null | grep -qx "$1"; then
        echo "the $1 target is missing: run 'rustup target add $1' (or 'make setup')" >&2
        exit 1
    fi
}

# wasm-tools, pinned (subnets/wasm-tools.sh).
# shellcheck source=subnets/wasm-tools.sh
. "$here/wasm-tools.sh"

cargo_home=${CARGO_HOME:-$HOME/.cargo}
cargo_home=$(cd "$cargo_home" && pwd -P)
sep=$(printf '\037')
CARGO_ENCODED_RUSTFLAGS="--remap-path-prefix=$root=/arbiter${sep}--remap-path-prefix=$cargo_home=/cargo"
export CARGO_ENCODED_RUSTFLAGS
unset RUSTFLAGS

out="$here/target/components"
mkdir -p "$out"
for crate in $crates; do
    file=$(echo "$crate" | tr - _)
    case "$crate" in
    hostile)
        need_target wasm32-wasip2
        cargo build --manifest-path "$here/Cargo.toml" --release --locked --target wasm32-wasip2 -p "$crate"
        cp "$here/target/wasm32-wasip2/release/$file.wasm" "$out/$crate.wasm.tmp"
        ;;
    *)
        need_target wasm32-unknown-unknown
        cargo build --manifest-path "$here/Cargo.toml" --release --locked --target wasm32-unknown-unknown -p "$crate"
        "$wasm_tools" component new "$here/target/wasm32-unknown-unknown/release/$file.wasm" -o "$out/$crate.wasm.tmp"
        ;;
    esac
    mv "$out/$crate.wasm.tmp" "$out/$crate.wasm"
done

# shellcheck disable=SC2086 # lists of names
if [ -n "$python" ]; then "$here/build-py.sh" $python; fi
# shellcheck disable=SC2086
if [ -n "$js" ]; then "$here/build-js.sh" $js; fi
# shellcheck disable=SC2086
if [ -n "$c" ]; then WASM_TOOLS=$wasm_tools "$here/build-c.sh" $c; fi
