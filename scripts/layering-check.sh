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
