# Shared by the scripts: start curio (debug build) on a fresh SQLite file and
# a free port on 127.0.0.1, stop it by PID on exit. Sets $work, $port, $pid.
start_curio() {
  cargo build -q -p api --bin curio
  work=$(mktemp -d)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  secret=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
  env DATABASE_URL="sqlite://$work/curio.db" CURIO__SERVER__PORT="$port" CURIO__AUTH__JWT_SECRET="$secret" "$@" \
    ./target/debug/curio >"$work/curio.log" 2>&1 &
  pid=$!
  trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "curio did not start:"; cat "$work/curio.log"; return 1
}
