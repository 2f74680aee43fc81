#!/usr/bin/env bash
# Disaster-recovery drill: restores a backup into a fresh PostgreSQL, starts formula-pm on
# it, and reports how long recovery took (the RTO) and how old the restored data is (the RPO
# this backup gives). Nothing of the running installation is touched.
#
#   deploy/scripts/dr-drill.sh [ARCHIVE]
#
# ARCHIVE   the backup to restore; default: the one BACKUP_DIR/LATEST names
#           (BACKUP_DIR defaults to ./data/backups, as for `formula-pm backup`).
#
# Environment:
#   FORMULA_PM_BIN        the binary (default: formula-pm on PATH)
#   DRILL_DATABASE_URL    an empty PostgreSQL database to restore into; without it a throwaway
#                         PostgreSQL (Debian's postgresql package) is started on a free
#                         loopback port and removed afterwards
#   DRILL_READY_TIMEOUT   seconds to wait for readiness (default 300)
#   BACKUP_ENCRYPTION_IDENTITY_FILE   needed for encrypted archives (.tar.gz.age)
#
# Exit status 0 when the restored server answered /health/ready with 200.
set -euo pipefail

BIN="${FORMULA_PM_BIN:-$(command -v formula-pm || true)}"
[ -x "$BIN" ] || {
    echo "dr-drill: formula-pm not found; set FORMULA_PM_BIN" >&2
    exit 2
}
TIMEOUT="${DRILL_READY_TIMEOUT:-300}"

archive="${1:-}"
if [ -z "$archive" ]; then
    dir="${BACKUP_DIR:-./data/backups}"
    [ -f "$dir/LATEST" ] || {
        echo "dr-drill: no archive given and no $dir/LATEST; pass the archive to restore" >&2
        exit 2
    }
    archive="$dir/$(tr -d '\n' <"$dir/LATEST")"
fi
[ -f "$archive" ] || {
    echo "dr-drill: $archive does not exist" >&2
    exit 2
}

say() { printf 'dr-drill: %s\n' "$*"; }
now_ms() { date +%s%3N; }
seconds() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

WORK="$(mktemp -d /tmp/formula-dr-drill.XXXXXX)"
chmod 0755 "$WORK"
server=""
pg_data=""
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd "$WORK" && runuser -u postgres -- "$@")
    else
        (cd "$WORK" && "$@")
    fi
}
cleanup() {
    set +e
    [ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null
    [ -n "$pg_data" ] && as_pg "$PG_BIN/pg_ctl" -D "$pg_data" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start=$(now_ms)
if [ -n "${DRILL_DATABASE_URL:-}" ]; then
    url="$DRILL_DATABASE_URL"
    say "restoring into the database given by DRILL_DATABASE_URL"
else
    PG_BIN="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n 1 | xargs -r dirname)"
    [ -n "$PG_BIN" ] || {
        echo "dr-drill: no PostgreSQL found (apt-get install postgresql) and no DRILL_DATABASE_URL" >&2
        exit 2
    }
    [ "$(id -u)" -ne 0 ] || chown postgres: "$WORK"
    port="$(free_port)"
    pg_data="$WORK/pg"
    as_pg "$PG_BIN/initdb" -D "$pg_data" -U postgres -A trust -E UTF8 --no-locale >"$WORK/initdb.log" 2>&1
    as_pg "$PG_BIN/pg_ctl" -D "$pg_data" -l "$WORK/postgres.log" -s -w \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $WORK" start
    as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres formula
    url="postgres://postgres@127.0.0.1:$port/formula"
    say "fresh PostgreSQL on 127.0.0.1:$port"
fi

data="$WORK/data"
mkdir -p "$data"
export DATABASE_URL="$url" DATA_DIR="$data" LOG_FORMAT=pretty LOG_LEVEL=warn
say "restoring $archive"
"$BIN" restore "$archive" >"$WORK/restore.log" 2>&1 || {
    cat "$WORK/restore.log" >&2
    echo "dr-drill: the restore failed" >&2
    exit 1
}
restored=$(now_ms)
rows="$(grep -Eo '[0-9]+ rows' "$WORK/restore.log" | awk '{ n += $1 } END { print n + 0 }')"

port="$(free_port)"
BIND=127.0.0.1 PORT="$port" "$BIN" serve >"$WORK/server.log" 2>&1 &
server=$!
ready=""
deadline=$((SECONDS + TIMEOUT))
while [ "$SECONDS" -lt "$deadline" ]; do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready")" = 200 ]; then
        ready=$(now_ms)
        break
    fi
    kill -0 "$server" 2>/dev/null || break
    sleep 0.2
done
if [ -z "$ready" ]; then
    tail -n 20 "$WORK/server.log" >&2
    echo "dr-drill: the restored server did not become ready within ${TIMEOUT}s" >&2
    exit 1
fi

taken=$(stat -c %Y "$archive")
age=$(($(date +%s) - taken))
say "restored $rows rows in $(seconds $((restored - start))) s; the server was ready $(seconds $((ready - restored))) s later"
say "RTO (drill start to ready): $(seconds $((ready - start))) s"
say "RPO of this backup: its data is $((age / 3600)) h $((age % 3600 / 60)) min old (written $(date -u -d "@$taken" '+%Y-%m-%d %H:%M UTC'))"
say "ok"
