#!/usr/bin/env bash
# The served /openapi.json is a valid OpenAPI document (openapi-spec-validator)
# whose request examples its schemas accept (scripts/openapi_examples.py),
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
# Its request examples are valid bodies under its own schemas (JSON Schema
# 2020-12); at least the three the document has today.
python3 scripts/openapi_examples.py "$work/openapi.json" 3
python3 -m openapi_python_client generate --path "$work/openapi.json" --meta none --output-path "$work/client/curio_client"
PYTHONPATH="$work/client" python3 scripts/client_scenario.py "http://127.0.0.1:$port" admin@curio.local curio-admin-demo

# A TypeScript client (openapi-typescript types, openapi-fetch requests)
# compiles the scenario in scripts/client_scenario.ts with `tsc --strict`
# and no cast, then runs it: typed bodies such as a stream's categories
# are described well enough to be written without escaping the types.
if ! command -v npm >/dev/null 2>&1; then
  echo "installing Debian's nodejs and npm"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
ts="$work/ts"
mkdir -p "$ts"
(cd "$ts" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund \
  openapi-typescript@7.13.0 openapi-fetch@0.17.0 typescript@5.9.3 @types/node@20.19.9)
cp scripts/client_scenario.ts "$ts/"
cat >"$ts/tsconfig.json" <<'JSON'
{"compilerOptions": {"strict": true, "target": "es2022", "module": "nodenext",
  "moduleResolution": "nodenext", "skipLibCheck": true, "noEmitOnError": true},
 "files": ["client_scenario.ts"]}
JSON
(cd "$ts" && npx openapi-typescript "$work/openapi.json" -o curio.d.ts && npx tsc -p .)
(cd "$ts" && node client_scenario.js "http://127.0.0.1:$port" curator@curio.local curio-curator-demo)
