#!/usr/bin/env bash
# The README's Rust entry points: both examples build and run against fresh
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
