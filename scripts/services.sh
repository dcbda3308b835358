#!/usr/bin/env bash
# Starts the local MariaDB and PostgreSQL when they do not answer, and waits
# until both accept connections on 127.0.0.1.
set -euo pipefail

answers() { timeout 2 bash -c ">/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

if ! answers 3306; then
  echo "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
fi
if ! answers 5432; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
fi
for i in $(seq 1 60); do
  if answers 3306 && answers 5432 \
     && mariadb -uroot -h127.0.0.1 -e 'SELECT 1' >/dev/null 2>&1 \
     && psql -h 127.0.0.1 -U postgres -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; then
    echo "MariaDB and PostgreSQL answer"
    exit 0
  fi
  sleep 1
done
echo "MariaDB or PostgreSQL did not come up within 60 s" >&2
exit 1
