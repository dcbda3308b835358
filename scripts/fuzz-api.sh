#!/usr/bin/env bash
# Property-based fuzzing of every route in /openapi.json with schemathesis
# (from PyPI): no 5xx, responses match their documented schema, status codes
# and content types, and generated data is not mostly rejected (the schema
# states what validation enforces). Runs against a curio with the demo data
# on a fresh database of each backend in FUZZ_BACKENDS (default: all three,
# since SQLite does not enforce column sizes); bounded by example count and
# time.
set -euo pipefail
cd "$(dirname "$0")/.."

# Run as a module: a freshly installed console script may not be on PATH
# (pyenv shims need a rehash).
python3 -c 'import schemathesis' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check schemathesis==4.32.5
source scripts/lib.sh
for backend in ${FUZZ_BACKENDS:-sqlite mariadb postgres}; do
  echo "== schemathesis on $backend"
  start_curio "$backend" CURIO__APP__DEMO=true CURIO__AUTH__MAX_FAILED_LOGINS=100000 CURIO__AUTH__MAX_FAILED_LOGINS_PER_ADDRESS=100000 CURIO__LLM__PREVIEWS_PER_MINUTE=100000
  token=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"email":"admin@curio.local","password":"curio-admin-demo"}' | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')
  # `If-Match: *` on every request: a generated version is almost never the
  # report's current one, so the curation writes would answer 412 to nearly
  # everything and never reach their body validation (412s are tested in
  # tests/http/summary_runs.rs).
  timeout 900 python3 -m schemathesis.cli run "http://127.0.0.1:$port/openapi.json" \
    -H "Authorization: Bearer $token" -H "If-Match: *" \
    --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
    --max-examples "${FUZZ_EXAMPLES:-25}" --seed "${FUZZ_SEED:-1}" --request-timeout 30 \
    | tee "$work/schemathesis.txt"
  # "Schema validation mismatch": in some phase every valid-looking request
  # of an operation was refused as invalid, which means the schema leaves
  # out a constraint the API enforces. With 25 examples a phase may draw
  # only a handful of such requests, so a flagged operation is run again
  # with 200 examples; a missing constraint shows again, a thin sample not.
  flagged=$(awk '/^Schema validation mismatch/ {on=1; next} on && /^  - / {sub(/^  - /, ""); print} on && /^💡/ {on=0}' "$work/schemathesis.txt")
  while IFS= read -r operation; do
    [ -n "$operation" ] || continue
    echo "== $operation flagged on $backend: checking with 200 examples"
    python3 -m schemathesis.cli run "http://127.0.0.1:$port/openapi.json" \
      -H "Authorization: Bearer $token" -H "If-Match: *" --include-name "$operation" \
      --checks not_a_server_error --max-examples 200 --seed 2 --request-timeout 30 \
      | tee "$work/recheck.txt"
    if grep -q "^Schema validation mismatch" "$work/recheck.txt"; then
      echo "schemathesis on $backend: the schema of $operation does not state what the API validates" >&2
      exit 1
    fi
  done <<< "$flagged"
  stop_curio
done
