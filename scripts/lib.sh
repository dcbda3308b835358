# Shared by the scripts: start curio (debug build) on a fresh database and a
# free port on 127.0.0.1, stop it by PID. Sets $work, $port, $pid.

# start_curio [sqlite|mariadb|postgres] [VAR=value...]
start_curio() {
  local backend=${1:-sqlite}
  shift || true
  cargo build -q -p api --bin curio
  work=$(mktemp -d)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  secret=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
  local db_name="curio_script_$$"
  local url
  case "$backend" in
    sqlite) url="sqlite://$work/curio.db" ;;
    mariadb)
      mariadb -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS $db_name; CREATE DATABASE $db_name CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
      url="mysql://root@127.0.0.1:3306/$db_name" ;;
    postgres)
      psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db_name WITH (FORCE)" -c "CREATE DATABASE $db_name"
      url="postgres://postgres@127.0.0.1:5432/$db_name" ;;
    *) echo "unknown backend $backend" >&2; return 1 ;;
  esac
  curio_backend=$backend
  curio_db=$db_name
  # No retrieval run reaches a source and no webhook its endpoint: a client
  # may configure any URL, and no check may reach the internet.
  # What it writes (mail, the demo's feed file) stays in $work, out of the
  # checkout.
  env DATABASE_URL="$url" CURIO__SERVER__PORT="$port" CURIO__AUTH__JWT_SECRET="$secret" CURIO__SOURCES__WORKERS=0 CURIO__DELIVERY__WORKERS=0 \
    CURIO__DELIVERY__OUTBOX_DIR="$work/outbox" CURIO__SOURCES__FEED_FILES_DIR="$work/feeds" "$@" \
    ./target/debug/curio >"$work/curio.log" 2>&1 &
  pid=$!
  trap stop_curio EXIT
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "curio did not start:"; cat "$work/curio.log"; return 1
}

# Stops the curio that start_curio started and drops its database.
stop_curio() {
  [ -n "${pid:-}" ] || return 0
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
  case "${curio_backend:-}" in
    mariadb) mariadb -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS $curio_db" || true ;;
    postgres) psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $curio_db WITH (FORCE)" || true ;;
  esac
  rm -rf "$work"
}
