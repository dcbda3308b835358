#!/usr/bin/env bash
# /metrics of a running curio passes `promtool check metrics` (Prometheus's
# own linter: HELP and TYPE on every family, names and units as
# conventions want), after a request and a summary have been counted.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null 2>&1; then
  echo "installing Debian's prometheus (for promtool)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

source scripts/lib.sh
start_curio sqlite CURIO__APP__DEMO=true
base="http://127.0.0.1:$port"
token=$(curl -fs -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"curator@curio.local","password":"curio-curator-demo"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -fs -o /dev/null -X POST "$base/api/v1/reports/2/summarize" -H "Authorization: Bearer $token"
headers=$(curl -fs -D - -o "$work/metrics.txt" "$base/metrics")
echo "$headers" | grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8' \
  || { echo "/metrics Content-Type: $(echo "$headers" | grep -i content-type)"; exit 1; }
for family in curio_build_info process_cpu_seconds_total process_resident_memory_bytes curio_llm_retries_total; do
  grep -q "^$family" "$work/metrics.txt" || { echo "/metrics has no $family"; exit 1; }
done
promtool check metrics <"$work/metrics.txt"
echo "promtool: /metrics is clean ($(grep -c '^# HELP' "$work/metrics.txt") families)"
