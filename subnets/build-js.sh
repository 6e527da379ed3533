#!/bin/sh
# Builds the JavaScript example mechanisms with a pinned componentize-js:
#   subnets/build-js.sh [<name>...]        (default: text-match-js hostile-js)
# Components land in subnets/target/components/<name>.wasm.
#
# The tools (componentize-js 0.23.0 and the rolldown bundler, with every
# dependency locked by guest-sdk/js/toolchain/package-lock.json) are
# installed into subnets/.tools on first use with `npm ci`;
# COMPONENTIZE_JS=<dir> reuses an installed set, which must hold that same
# lock. Each mechanism is an `app.js` (text-match-js: subnets/text-match-js;
# hostile-js, the sandbox tests' misbehaving one: guest-sdk/js/tests/hostile)
# importing the JS SDK (guest-sdk/js) by relative path. componentize-js
# takes one module, so rolldown first bundles the app, the SDK and the
# files the app embeds (`.tsv` imports become bytes: text-match's corpus)
# into subnets/target/js/<name>/app.js. The component is built with every
# WASI feature disabled: it imports only `arbiter:mechanism/log`, so a
# fetch, clock or random call cannot reach the host.
set -eu
here=$(cd "$(dirname "$0")" && pwd -P)
root=$(dirname "$here")
COMPONENTIZE_JS_VERSION=0.23.0
# Every WASI feature of the engine off: the component imports only `log`.
DISABLED_FEATURES="stdio random clocks http fetch-event"
names=${*:-text-match-js hostile-js}

lock="$root/guest-sdk/js/toolchain/package-lock.json"
tools=${COMPONENTIZE_JS:-"$here/.tools/componentize-js-$COMPONENTIZE_JS_VERSION"}
if ! cmp -s "$lock" "$tools/package-lock.json"; then
    if [ -n "${COMPONENTIZE_JS:-}" ]; then
        echo "$tools does not hold the tools locked by $lock" >&2
        exit 1
    fi
    rm -rf "$tools.tmp"
    mkdir -p "$tools.tmp"
    cp "$root/guest-sdk/js/toolchain/package.json" "$lock" "$tools.tmp/"
    npm ci --prefix "$tools.tmp" --ignore-scripts --no-audit --no-fund --loglevel=error >&2
    rm -rf "$tools"
    mv "$tools.tmp" "$tools"
fi
modules="$tools/node_modules"

# The JS SDK's golden values (ALGORITHMS.md) first: a fraction of a second.
if ! report=$(node --test "$root/guest-sdk/js/tests/golden.test.mjs" 2>&1); then
    echo "$report" >&2
    exit 1
fi

out="$here/target/components"
mkdir -p "$out"
for name in $names; do
    case "$name" in
    hostile-js) src="guest-sdk/js/tests/hostile" ;;
    *) src="subnets/$name" ;;
    esac
    gen="$here/target/js/$name"
    rm -rf "$gen"
    mkdir -p "$gen"
    # From the checkout's root, so the paths rolldown writes into the bundle's
    # comments do not depend on where the checkout is.
    (cd "$root" && node "$modules/rolldown/bin/cli.mjs" "$src/app.js" \
        --file "$gen/app.js" --format esm --platform neutral \
        --external arbiter:mechanism/log@0.1.0 --moduleTypes .tsv:binary >/dev/null)
    # componentize-js does not give the same bytes twice for the same input
    # (its snapshot holds a random temporary path and whatever the engine
    # drew from WASI random while initialising), so an unchanged input keeps
    # the component already built rather than making a new one.
    stamp=$(cat "$gen/app.js" "$lock" "$root"/wit/*.wit | sha256sum | cut -c1-64)
    stamp="$COMPONENTIZE_JS_VERSION -d $DISABLED_FEATURES $stamp"
    if [ -f "$out/$name.wasm" ] && [ "$(cat "$out/$name.wasm.input" 2>/dev/null)" = "$stamp" ]; then
        continue
    fi
    # shellcheck disable=SC2086 # a list of features
    (cd "$gen" && node "$modules/@bytecodealliance/componentize-js/src/cli.js" app.js \
        --wit "$root/wit" --world-name subnet \
        --disable $DISABLED_FEATURES \
        --out "$out/$name.wasm.tmp")
    mv "$out/$name.wasm.tmp" "$out/$name.wasm"
    echo "$stamp" >"$out/$name.wasm.input"
done
