#!/usr/bin/env bash
# The served /openapi.json is a valid OpenAPI document (openapi-spec-validator)
# and a client generated from it (openapi-python-client) runs a short
# scenario against a curio on a fresh SQLite database with the demo data.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -c 'import openapi_spec_validator, openapi_python_client' 2>/dev/null \
  || python3 -m pip install -q --disable-pip-version-check openapi-spec-validator==0.9.0 openapi-python-client==0.29.1
source scripts/lib.sh
start_curio sqlite CURIO__APP__DEMO=true
curl -fs "http://127.0.0.1:$port/openapi.json" -o "$work/openapi.json"
python3 -m openapi_spec_validator "$work/openapi.json"
python3 -m openapi_python_client generate --path "$work/openapi.json" --meta none --output-path "$work/client/curio_client"
PYTHONPATH="$work/client" python3 scripts/client_scenario.py "http://127.0.0.1:$port" admin@curio.local curio-admin-demo
