#!/usr/bin/env bash
# Measures Formula PM against the budgets in DESIGN.md §9 and writes docs/performance.md.
#
#   scripts/bench.sh                 SQLite
#   BENCH_DATABASE_URL=postgres://… scripts/bench.sh   also PostgreSQL (an empty database)
#   BENCH_BIN=/path/to/formula-pm BENCH_OUT=/tmp/x.md scripts/bench.sh
#                                    measure another build (e.g. the commit before a change)
#                                    with the same load, writing its report elsewhere
#
# Builds the release binary, starts it on a free loopback port with a fresh data directory,
# seeds the demo company, loads ≥ 50 projects, ≥ 20,000 tasks, 20,000 scope items and 50,000
# comments through the API (BENCH_SCOPE_ITEMS, BENCH_COMMENTS), then drives 200 concurrent
# connections with wrk (Debian package `wrk`) against typical reads, writes and the global search.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CONNECTIONS="${BENCH_CONNECTIONS:-200}"
DURATION="${BENCH_DURATION:-20s}"
TASKS="${BENCH_TASKS:-20000}"
PROJECTS="${BENCH_PROJECTS:-50}"
SCOPE_ITEMS="${BENCH_SCOPE_ITEMS:-20000}"
COMMENTS="${BENCH_COMMENTS:-50000}"
OUT="${BENCH_OUT:-docs/performance.md}"

command -v wrk >/dev/null || { echo "bench.sh: install wrk (apt-get install wrk)" >&2; exit 1; }
if [ -n "${BENCH_BIN:-}" ]; then
    BIN="$BENCH_BIN"
else
    cargo build --release -p formula-pm
    BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/formula-pm"
fi

work="$(mktemp -d)"
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

bench_backend() {
    local name="$1" url="$2"
    local port data base
    port="$(free_port)"
    data="$work/$name"
    mkdir -p "$data"
    # Every connection comes from 127.0.0.1: no rate limits, no per-address connection cap.
    export PORT="$port" BIND=127.0.0.1 DATA_DIR="$data" LOG_LEVEL=warn RATE_LIMIT_ENABLED=false \
        MAX_CONNECTIONS_PER_IP=0
    if [ -n "$url" ]; then export DATABASE_URL="$url"; else unset DATABASE_URL; fi
    base="http://127.0.0.1:$port"

    "$BIN" seed-demo >/dev/null 2>&1
    "$BIN" serve >"$data/server.log" 2>&1 &
    pid=$!
    until curl -fs "$base/health/ready" >/dev/null 2>&1; do sleep 0.05; done
    local idle_rss
    idle_rss="$(rss_kb "$pid")"

    local token
    token="$(python3 - "$base" <<'PY'
import http.client, json, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port)
c.request("POST", "/api/v1/auth/login", json.dumps({"email": "admin@demo.formulapm.test", "password": "demo-password-2025"}), {"Content-Type": "application/json"})
r = c.getresponse(); csrf = json.loads(r.read())["csrf_token"]; cookie = r.getheader("Set-Cookie").split(";")[0]
c.request("POST", "/api/v1/me/tokens", json.dumps({"name": "bench"}), {"Content-Type": "application/json", "Cookie": cookie, "X-CSRF-Token": csrf})
print(json.loads(c.getresponse().read())["secret"])
PY
)"
    local load_start load_s
    load_start=$(date +%s)
    python3 scripts/bench/load.py "$base" "$token" "$PROJECTS" "$TASKS" "$SCOPE_ITEMS" "$COMMENTS"
    load_s=$(( $(date +%s) - load_start ))

    # Restart on the now-large database: start-up time on an existing database.
    kill "$pid"; wait "$pid" 2>/dev/null || true
    local t0 t1
    t0=$(date +%s%N)
    "$BIN" serve >"$data/server.log" 2>&1 &
    pid=$!
    until curl -fs "$base/health/ready" >/dev/null 2>&1; do sleep 0.01; done
    t1=$(date +%s%N)
    local startup_ms=$(( (t1 - t0) / 1000000 ))

    local project_id
    project_id="$(curl -fs -H "Authorization: Bearer $token" "$base/api/v1/projects?limit=1&status=active" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')"

    export WRK_TOKEN="$token"
    run() { # label method path [body]
        local label="$1" method="$2" path="$3" body="${4:-}"
        WRK_METHOD="$method" WRK_BODY="$body" wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout 10s \
            -s scripts/bench/report.lua "$base$path" | tail -n 1 |
            while read -r line; do printf '%s|%s|%s %s|%s\n' "$name" "$label" "$method" "$path" "$line"; done
    }
    {
        run "project list" GET "/api/v1/projects?limit=50"
        run "project detail" GET "/api/v1/projects/$project_id"
        run "project tasks (page of 50)" GET "/api/v1/projects/$project_id/tasks?limit=50"
        run "my work" GET "/api/v1/me/tasks"
        run "dashboard" GET "/api/v1/dashboard"
        run "global search" GET "/api/v1/search?q=walnut&limit=10"
        run "global search, two words, prefix" GET "/api/v1/search?q=oak%20ven&limit=10"
        run "create task" POST "/api/v1/projects/$project_id/tasks" '{"title":"Bench task {n}","priority":"medium"}'
    } >>"$work/results"
    echo "$name|meta|idle_rss_kb=$idle_rss startup_ms=$startup_ms load_s=$load_s" >>"$work/results"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    pid=""
}

: >"$work/results"
bench_backend sqlite ""
if [ -n "${BENCH_DATABASE_URL:-}" ]; then bench_backend postgres "$BENCH_DATABASE_URL"; fi

python3 - "$work/results" "$OUT" "$CONNECTIONS" "$DURATION" "$TASKS" "$PROJECTS" "$SCOPE_ITEMS" "$COMMENTS" <<'PY'
import json, os, platform, subprocess, sys, datetime
results, out, conns, dur, tasks, projects, scope_items, comments = sys.argv[1:]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
mem_gb = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))) / 1024 / 1024
rows, meta = [], {}
for line in open(results):
    backend, label, rest = line.rstrip("\n").split("|", 2)
    if label == "meta":
        meta[backend] = dict(kv.split("=") for kv in rest.split())
        continue
    what, data = rest.split("|", 1)
    rows.append((backend, label, what, json.loads(data)))
lines = [
    "# Performance",
    "",
    "Measured by `scripts/bench.sh` (release build, wrk, the API over loopback). Numbers are from",
    "one run on the machine below; re-run the script to refresh them. Budgets are in DESIGN.md §9:",
    "reads p95 ≤ 20 ms, writes and the global search p95 ≤ 50 ms at 200 concurrent users, 0 errors;",
    "idle RSS ≤ 40 MB; start-up ≤ 1 s on an existing database.",
    "",
    f"- Date: {datetime.date.today()}",
    f"- Machine: {os.cpu_count()} cores ({cpu}), {mem_gb:.0f} GB RAM, {platform.system()} {platform.release()}",
    f"- Load: {conns} connections for {dur} per endpoint (wrk, 2 threads, on the same machine as the server)",
    f"- Data: seed-demo company plus ≥ {projects} projects, ≥ {tasks} tasks, {scope_items} scope items and "
    f"{comments} comments loaded through the API",
    "",
    "| backend | endpoint | request | req/s | p50 ms | p95 ms | p99 ms | errors |",
    "|---|---|---|---:|---:|---:|---:|---:|",
]
for backend, label, what, d in rows:
    lines.append(f"| {backend} | {label} | `{what}` | {d['rps']:.0f} | {d['p50_ms']:.1f} | {d['p95_ms']:.1f} | {d['p99_ms']:.1f} | {d['errors']} |")
lines += ["", "| backend | idle RSS | start-up on existing database | time to load the data set |", "|---|---:|---:|---:|"]
for backend, m in meta.items():
    lines.append(f"| {backend} | {int(m['idle_rss_kb']) / 1024:.1f} MB | {m['startup_ms']} ms | {m['load_s']} s |")
lines += ["", "The load generator shares the two cores with the server, so these numbers are conservative."]
# scripts/loadtest.sh owns the "Load test (scenario)" section: keep it as it is.
keep = ""
if os.path.exists(out):
    old = open(out).read()
    at = old.find("\n## Load test (scenario)")
    if at >= 0:
        keep = old[at:]
open(out, "w").write("\n".join(lines) + "\n" + keep)
print("\n".join(lines))
PY
