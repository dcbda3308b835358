#!/usr/bin/env bash
# Runs the README's "Try it" block as pasted, against what `make run` starts
# (`curio --demo` on a fresh embedded SQLite database, port 8080): a command
# that fails, or any answer that is not 2xx, fails the check. The block is
# read from README.md, so the check follows the README as it is edited.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

for tool in curl jq; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "installing Debian's $tool"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null
  fi
done

block=$(python3 - <<'PY'
import re
text = open("README.md", encoding="utf-8").read()
start = text.index("Try it:")
match = re.search(r"```sh\n(.*?)```", text[start:], re.S)
print(match.group(1))
PY
)

if curl -s -o /dev/null http://127.0.0.1:8080/health; then
  echo "port 8080 is taken: the README's commands need it free" >&2
  exit 1
fi

cargo build -q -p api --bin curio
work=$(mktemp -d)
# What `make run` runs, from a directory with no data/ yet (a fresh clone).
(cd "$work" && exec "$root/target/debug/curio" --demo) >"$work/curio.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 200); do
  curl -fs http://127.0.0.1:8080/ready >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs http://127.0.0.1:8080/ready >/dev/null || { echo "curio did not start:"; cat "$work/curio.log"; exit 1; }

echo "running the README's \"Try it\" block:"
printf '%s\n' "$block"
# Every curl of the block fails on a non-2xx answer, and every pipeline on
# its first failing command.
bash -euo pipefail -c "curl() { command curl --fail-with-body \"\$@\"; }
$block" >"$work/out.txt" || { echo "the README's block failed:"; cat "$work/out.txt"; exit 1; }
echo "the README's block ran: $(wc -l <"$work/out.txt") lines of output"
