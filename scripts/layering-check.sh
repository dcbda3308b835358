#!/usr/bin/env bash
# The API crate reaches the database only through the service crate: it may
# not depend directly on repository, entity or sea-orm (tests excepted).
set -euo pipefail
cd "$(dirname "$0")/.."

direct=$(cargo tree -p api -e normal --depth 1 --prefix none)
forbidden=$(grep -E '^(repository|entity|sea-orm) ' <<<"$direct" || true)
if [[ -n "$forbidden" ]]; then
    echo "layering: crates/api depends directly on:" >&2
    echo "$forbidden" >&2
    echo "go through the service crate instead (it re-exports what the API needs)" >&2
    exit 1
fi
echo "layering: api → service only"

# One TLS crypto provider in `curio`: ring (sqlx's), never aws-lc-rs too.
if cargo tree -p api -e normal --prefix none | grep -q '^aws-lc-rs '; then
    echo "crates/api builds aws-lc-rs next to ring: reqwest must come without a provider" >&2
    exit 1
fi
echo "tls: one crypto provider (ring)"

# Nor anywhere in the workspace (the tests and the load generator speak
# plain HTTP): aws-lc-sys is a C build that would double CI's TLS stack.
if cargo tree --workspace -e normal,build,dev --prefix none | grep -q '^aws-lc-rs '; then
    echo "the workspace builds aws-lc-rs: ask reqwest for no TLS provider of its own" >&2
    exit 1
fi

# One build of the shared crates serves every command the documents and CI
# run: `cargo build -p api`, `-p api -p bench`, `-p api -p migration` and the
# workspace's tests resolve the same features for every crate they share
# (a difference rebuilds that crate and everything above it).
features() {
    cargo tree -e normal,build --prefix none -f '{p} {f}' "$@" | sed 's/ (\*)$//' | sort -u
}
api=$(features -p api)
for selection in "-p api -p bench" "-p api -p migration" "--workspace"; do
    # shellcheck disable=SC2086
    other=$(features $selection)
    differs=$(comm -23 <(echo "$api") <(echo "$other"))
    if [[ -n "$differs" ]]; then
        echo "cargo build $selection resolves other features than -p api for:" >&2
        echo "$differs" >&2
        exit 1
    fi
done
echo "features: one build of the shared crates for api, bench, migration and the tests"

# Inside the crates, no two sibling modules import each other.
python3 scripts/import_circles.py crates/service/src crates/api/src crates/repository/src crates/llm/src
