#!/usr/bin/env bash
# The Rust entry points of docs/library.md: both examples build and run against fresh
# SQLite files, twice (the second run finds the data of the first).
set -euo pipefail
cd "$(dirname "$0")/.."

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

for _ in 1 2; do
    cargo run -q -p service --example weekly_digest -- "sqlite://$dir/digest.db"
    cargo run -q -p repository --example import_jsonl -- \
        crates/repository/examples/articles.jsonl "sqlite://$dir/import.db"
done

# Built for one database and without the LLM client, the service crate
# leaves the other drivers and async-openai out of the build. The HTTP
# client (reqwest) stays: retrieval from PubMed and feeds is part of every
# build of the service.
cargo check -q -p service --no-default-features --features sqlite
tree=$(cargo tree -p service --no-default-features --features sqlite -e normal --prefix none)
for left_out in sqlx-mysql sqlx-postgres async-openai; do
    if grep -q "^$left_out " <<<"$tree"; then
        echo "service without default features still builds $left_out" >&2
        exit 1
    fi
done
