#!/bin/sh
# Installs chopsticks, pinned by tests/chopsticks/package-lock.json, into
# tests/target/chopsticks (once: again only when the lock changes) and
# prints the path of its entry script, for `node <path> --chain-spec ...`.
#
# chopsticks runs a real Substrate runtime (the Subtensor runtime embedded
# in tests/fixtures/subtensor/raonet.json) behind a node's JSON-RPC API on
# loopback: the online backend's end-to-end tests talk to it. It needs
# Node.js >= 20 and npm, which the machine provides. Install scripts are
# skipped: they only build sqlite3, for the `--db` cache, which is not used.
set -eu
here=$(cd "$(dirname "$0")" && pwd -P)
root=$(dirname "$(dirname "$here")")
dest="$root/tests/target/chopsticks"
entry="$dest/node_modules/@acala-network/chopsticks/chopsticks.cjs"
if ! cmp -s "$here/package-lock.json" "$dest/package-lock.json" || [ ! -f "$entry" ]; then
    rm -rf "$dest.tmp"
    mkdir -p "$dest.tmp"
    cp "$here/package.json" "$here/package-lock.json" "$dest.tmp/"
    npm ci --prefix "$dest.tmp" --ignore-scripts --no-audit --no-fund --loglevel=error >&2
    rm -rf "$dest"
    mv "$dest.tmp" "$dest"
fi
echo "$entry"
