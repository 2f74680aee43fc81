#!/usr/bin/env bash
# Measures how Formula PM refuses spreadsheet import bombs (issue 14, item 9): for each
# crafted file, the answer of both imports, the time it took and the server's VmRSS after it;
# then all of them at once. Numbers go in docs/performance.md by hand.
#
#   scripts/import_bombs.sh                          the debug build (cargo build)
#   BOMB_BIN=target/release/formula-pm scripts/import_bombs.sh
#
# Starts the server on a free loopback port with a fresh data directory (SQLite), seeds the
# demo company, and generates the bombs (a gigabyte of zeros, ten million rows, 16,384
# columns, a 500 MB shared-strings table) in a temporary directory.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ -n "${BOMB_BIN:-}" ]; then
    BIN="$BOMB_BIN"
else
    cargo build --workspace
    BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/formula-pm"
fi

work="$(mktemp -d)"
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
export PORT="$port" BIND=127.0.0.1 DATA_DIR="$work/data" LOG_LEVEL=warn RATE_LIMIT_ENABLED=false
unset DATABASE_URL
mkdir -p "$DATA_DIR"
base="http://127.0.0.1:$port"

"$BIN" seed-demo >/dev/null 2>&1
"$BIN" serve >"$work/server.log" 2>&1 &
pid=$!
until curl -fs "$base/health/ready" >/dev/null 2>&1; do sleep 0.05; done

read -r token project < <(python3 - "$base" <<'PY'
import http.client, json, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port)
c.request("POST", "/api/v1/auth/login", json.dumps({"email": "admin@demo.formulapm.test", "password": "demo-password-2025"}), {"Content-Type": "application/json"})
r = c.getresponse(); csrf = json.loads(r.read())["csrf_token"]; cookie = r.getheader("Set-Cookie").split(";")[0]
c.request("POST", "/api/v1/me/tokens", json.dumps({"name": "bombs"}), {"Content-Type": "application/json", "Cookie": cookie, "X-CSRF-Token": csrf})
secret = json.loads(c.getresponse().read())["secret"]
c.request("GET", "/api/v1/projects?limit=1", headers={"Authorization": f"Bearer {secret}"})
print(secret, json.loads(c.getresponse().read())["items"][0]["id"])
PY
)

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GB", $2/1048576}' /proc/meminfo), $(uname -r); binary: $BIN"
python3 scripts/bench/import_bombs.py "$base" "$token" "$project" "$pid" "$work"
