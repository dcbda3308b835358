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

# The report's mail, as curators preview it and subscribers get it, renders
# in the same browser with no request leaving the file: a screenshot for
# CI's artifacts, and Chromium's network log holds no http(s) request.
stop_curio
start_curio sqlite CURIO__APP__DEMO=true
token=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"curator@curio.local","password":"curio-curator-demo"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -fs "http://127.0.0.1:$port/api/v1/reports/1/email-preview" -H "Authorization: Bearer $token" -o "$work/email.html"
artifacts=target/ci-artifacts
mkdir -p "$artifacts"
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile-mail" --window-size=800,1400 --log-net-log="$work/netlog.json" \
  --screenshot="$artifacts/email-preview.png" "file://$work/email.html" >"$work/chromium-mail.log" 2>&1 || true
if [ ! -s "$artifacts/email-preview.png" ]; then
  echo "the mail did not render:"; tail -20 "$work/chromium-mail.log"; exit 1
fi
# The page's own requests are those with an initiator; Chromium's own
# (its clock, its updater) are "not an origin".
python3 - "$work/netlog.json" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
made = sorted({e["params"]["url"] for e in log["events"]
               if names.get(e["type"]) == "URL_REQUEST_START_JOB"
               and e.get("params", {}).get("url", "").startswith(("http:", "https:"))
               and e["params"].get("initiator") != "not an origin"})
if made:
    sys.exit("rendering the mail made requests: " + ", ".join(made))
PY
echo "the mail renders offline ($(stat -c %s "$artifacts/email-preview.png") bytes of screenshot in $artifacts/email-preview.png)"
