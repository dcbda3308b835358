#!/usr/bin/env bash
# Runs the shell blocks of README.md and docs/*.md as they are written
# (read from the documents by scripts/doc_blocks.py, never copied), on this
# machine, against the local MariaDB and PostgreSQL: a failing command, or a
# curl of the quick start answered with a non-2xx, fails the check. Each
# block is listed below with how it is run; a block that appears in the
# documents and not here fails the check, so a new block is run or
# deliberately left out.
#
# Run it from a checkout without data/ (a fresh clone: `make run` must meet
# an empty embedded database); what the blocks write there is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

for tool in curl jq openssl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "installing Debian's $tool"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null
  fi
done

# Each block with how it is run, and the one left out with why.
run_here="two-commands quickstart client-generation service-example repository-example migrate server-database multi-process bench bench-allocator"
left_out="bench-baseline"
# bench-baseline builds a second copy of the workspace in release mode from
# an empty target directory (10-15 minutes on two cores) to compare two
# commits; the comparison machinery it drives (BENCH_BASELINE) is the one
# bench-allocator runs here.

listed=$(python3 "$root/scripts/doc_blocks.py" list | cut -d' ' -f1 | sort)
expected=$(printf '%s\n' $run_here $left_out | sort)
if [ "$listed" != "$expected" ]; then
  echo "the documents' sh blocks and this check's list differ:" >&2
  diff <(echo "$expected") <(echo "$listed") >&2 || true
  exit 1
fi
block() { python3 "$root/scripts/doc_blocks.py" show "$1"; }

if [ -e data ]; then
  echo "data/ exists: the documents' commands are those of a fresh clone; move it away first" >&2
  exit 1
fi
for port in 8080 8081 8082; do
  if curl -s -o /dev/null "http://127.0.0.1:$port/health"; then
    echo "port $port is taken: the documents' commands need it free" >&2
    exit 1
  fi
done

work=$(mktemp -d)
groups=()
results_before=$(ls bench/results 2>/dev/null | sort || true)
cleanup() {
  for group in "${groups[@]}"; do
    kill -TERM -- "-$group" 2>/dev/null || true
  done
  sleep 1
  for group in "${groups[@]}"; do
    kill -KILL -- "-$group" 2>/dev/null || true
  done
  rm -rf "$root/data" "$work"
  # What the narrowed bench runs wrote; the committed results stay as they are.
  for file in $(ls bench/results 2>/dev/null | sort | comm -13 <(echo "$results_before") -); do
    rm -f "bench/results/$file"
  done
  git checkout -q -- bench/results 2>/dev/null || true
}
trap cleanup EXIT

# Starts a command in a process group of its own (stopped as one at exit).
start_group() {
  local log=$1
  shift
  setsid "$@" >"$log" 2>&1 &
  groups+=($!)
}
stop_group() {
  local group=$1
  kill -TERM -- "-$group" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 -- "-$group" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$group" 2>/dev/null || true
}
# Waits until the group's server answers /ready on `port`; the group may
# build first (a release build from scratch takes many minutes), so the wait
# ends when the group exits or after an hour.
wait_ready() {
  local port=$1 log=$2 group=${groups[-1]}
  for _ in $(seq 1 18000); do
    curl -fs "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && return 0
    kill -0 -- "-$group" 2>/dev/null || break
    sleep 0.2
  done
  echo "nothing became ready on port $port:" >&2
  tail -n 40 "$log" >&2
  exit 1
}
# A fresh `test` database on the local PostgreSQL, as the blocks expect it.
fresh_postgres_test() {
  psql -q -h 127.0.0.1 -U postgres -d postgres -c 'DROP DATABASE IF EXISTS test WITH (FORCE)' -c 'CREATE DATABASE test'
}
banner() { printf '\n== %s (%s)\n' "$1" "$(python3 "$root/scripts/doc_blocks.py" list | grep "^$1 " | cut -d' ' -f2)"; block "$1"; }

# --- two-commands + quickstart + client-generation, against `make run` -----
banner two-commands
# `make run` serves until stopped: started here, and stopped once the blocks
# that need it have run. `make test` is .ci/run's own step, as written.
run_line=$(block two-commands | grep -E '^make run( |$)')
test_line=$(block two-commands | grep -E '^make test( |$)')
[ -n "$run_line" ] && [ -n "$test_line" ] && [ "$(block two-commands | grep -c .)" = 2 ]
start_group "$work/make-run.log" bash -c "$run_line"
make_run=${groups[-1]}
wait_ready 8080 "$work/make-run.log"

banner quickstart
# Every curl of the block fails on a non-2xx answer, and every pipeline on
# its first failing command.
bash -euo pipefail -c "curl() { command curl --fail-with-body \"\$@\"; }
$(block quickstart)" >"$work/quickstart.txt" \
  || { echo "the quick start failed:"; cat "$work/quickstart.txt"; exit 1; }
grep -qx '"approved"' "$work/quickstart.txt" || { echo "the quick start did not end approved:"; cat "$work/quickstart.txt"; exit 1; }

banner client-generation
(cd "$work" && bash -euo pipefail -c "$(block client-generation)")
# The generated package imports and names the operations the document has.
(cd "$work" && python3 -c 'from curio_client.api.reports import get_report; from curio_client import AuthenticatedClient')
stop_group "$make_run"

# --- the Rust examples -------------------------------------------------------
banner service-example
bash -euo pipefail -c "$(block service-example)"
banner repository-example
bash -euo pipefail -c "$(block repository-example)"

# --- operations: migrations, a server database, several processes -----------
# `make migrate` creates the embedded database when it is missing.
rm -rf data
fresh_postgres_test
banner migrate
bash -euo pipefail -c "$(block migrate)"
test -s data/curio.db

fresh_postgres_test
banner server-database
# The block's last command serves until stopped.
start_group "$work/server-database.log" bash -euo pipefail -c "$(block server-database)"
server=${groups[-1]}
wait_ready 8080 "$work/server-database.log"
# The admin it created signs in.
curl -fs -X POST localhost:8080/api/v1/auth/login -H 'content-type: application/json' \
  -d '{"email":"ops@example.org","password":"a long admin password"}' | jq -e .access_token >/dev/null
stop_group "$server"

fresh_postgres_test
banner multi-process
# The block, then the document's own way of stopping what it started
# (`kill %1 %2 %3`), in the same shell so that the job numbers hold.
cat >"$work/multi-process.sh" <<EOF
set -euo pipefail
$(block multi-process)
ready() { for _ in \$(seq 1 600); do curl -fs "http://127.0.0.1:\$1/ready" >/dev/null 2>&1 && return 0; sleep 0.2; done; return 1; }
ready 8081
ready 8082
kill -0 %3   # the worker runs
kill %1 %2 %3
wait
EOF
start_group "$work/multi-process.log" bash "$work/multi-process.sh"
multi=${groups[-1]}
while kill -0 "$multi" 2>/dev/null; do sleep 0.5; done
wait "$multi" || { echo "the multi-process block failed:"; tail -n 40 "$work/multi-process.log"; exit 1; }
for port in 8081 8082; do
  if curl -s -o /dev/null "http://127.0.0.1:$port/health"; then
    echo "port $port still serves after kill %1 %2 %3" >&2
    exit 1
  fi
done

# --- benchmarks, narrowed ------------------------------------------------------
# As written, with the environment shortening each point to one second and
# S1 to small levels: what is checked is that the commands run and write
# their reports, not the figures (those are in docs/benchmarks.md).
export BENCH_POINT_SECS=1 BENCH_S1_LEVELS=8 BENCH_ONLY=S1
banner bench
bash -euo pipefail -c "$(block bench)"
banner bench-allocator
bash -euo pipefail -c "$(block bench-allocator)"
rm -f target/curio-glibc
echo
echo "every sh block of README.md and docs/ ran (left out: $left_out)"
