#!/usr/bin/env bash
# Loads /docs from a running curio in headless Chromium with no network and
# checks that Swagger UI rendered the operations of the contract.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

source scripts/lib.sh
start_curio

# The flags keep Chromium off the network: only 127.0.0.1 is reachable.
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --virtual-time-budget=20000 \
  --dump-dom "http://127.0.0.1:$port/docs/" >"$work/dom.html" 2>"$work/chromium.log" || true

missing=0
for op in "/api/v1/auth/login" "/api/v1/reports/{report_id}/summarize" "/api/v1/articles/bulk" \
          "/api/v1/reports/{report_id}/ranking" "/api/v1/organizations/{org_id}/usage" "/api/v1/streams/{stream_id}/reports"; do
  if ! grep -qF "data-path=\"$op\"" "$work/dom.html"; then
    echo "missing on the rendered /docs page: $op"
    missing=1
  fi
done
operations=$(grep -o 'class="opblock opblock-' "$work/dom.html" | wc -l)
echo "Swagger UI rendered $operations operations"
if [ "$missing" -ne 0 ] || [ "$operations" -lt 40 ]; then
  head -c 2000 "$work/dom.html"; echo; tail -20 "$work/chromium.log"
  exit 1
fi
echo "/docs renders the contract's operations offline"
