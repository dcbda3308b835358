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
  start_curio "$backend" CURIO__APP__DEMO=true CURIO__AUTH__MAX_FAILED_LOGINS=100000 CURIO__AUTH__MAX_FAILED_LOGINS_PER_ADDRESS=100000
  token=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"email":"admin@curio.local","password":"curio-admin-demo"}' | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')
  timeout 900 python3 -m schemathesis.cli run "http://127.0.0.1:$port/openapi.json" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
    --max-examples "${FUZZ_EXAMPLES:-25}" --seed "${FUZZ_SEED:-1}" --request-timeout 30 \
    | tee "$work/schemathesis.txt"
  # A warning that generated data was mostly rejected means the schema
  # does not state a constraint the API enforces.
  if grep -qi "schema validation mismatch" "$work/schemathesis.txt"; then
    echo "schemathesis on $backend: schema constraints do not match API validation" >&2
    exit 1
  fi
  stop_curio
done
