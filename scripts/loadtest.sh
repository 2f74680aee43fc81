#!/usr/bin/env bash
# Load test: the scenario of deploy/perf/k6.js, driven by formula-loadgen on this machine,
# against a release build on SQLite and on PostgreSQL with a realistic data set. Writes the
# results into the "Load test (scenario)" section of docs/performance.md.
#
#   scripts/loadtest.sh                 SQLite, and PostgreSQL when it can (see below)
#   LOADTEST_VUS="100 200" scripts/loadtest.sh
#
# Settings (environment):
#   LOADTEST_VUS           virtual users; several (space-separated) run one after another on
#                          the same data (default 100)
#   LOADTEST_RAMP          seconds over which the users start (default 15)
#   LOADTEST_DURATION      seconds per run, ramp included, at most 3600 (default 60)
#   LOADTEST_THINK_MS      think time after each loop, MIN-MAX ms (default 1000-3000)
#   LOADTEST_PROJECTS      projects to add to the demo company (default 50)
#   LOADTEST_TASKS         tasks to reach (default 20000)
#   LOADTEST_SCOPE_ITEMS   scope items to reach, imported one CSV per project (default 20000)
#   LOADTEST_COMMENTS      comments to add, posted one by one (default 50000)
#   LOADTEST_LOG_LEVEL     server LOG_LEVEL (default info, as in production: request logs on)
#   LOADTEST_BACKENDS      "sqlite postgres" (default), or one of them
#   LOADTEST_DATABASE_URL  an empty PostgreSQL database to use; without it a throwaway
#                          PostgreSQL is started on a free loopback port when the binaries are
#                          installed (/usr/lib/postgresql/*/bin), else PostgreSQL is skipped
#   LOADTEST_QUIET_WAIT    before each run, wait up to this many seconds for the machine to
#                          be quiet (under 25 % of all cores busy over 3 s) (default 300);
#                          how busy it was is recorded either way
#   LOADTEST_DOCS          0: do not touch docs/performance.md (default 1)
#
# Everything listens on 127.0.0.1 on free ports (never 5432 or 6379); the data directories
# and the throwaway PostgreSQL are deleted at the end.
set -euo pipefail

case "${1:-}" in
    -h | --help)
        sed -n '2,/^set /p' "$0" | grep '^#' | cut -c3-
        exit 0
        ;;
    "") ;;
    *)
        echo "loadtest.sh: no arguments, only environment settings (try --help)" >&2
        exit 2
        ;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."

VUS_LIST="${LOADTEST_VUS:-100}"
RAMP="${LOADTEST_RAMP:-15}"
DURATION="${LOADTEST_DURATION:-60}"
THINK_MS="${LOADTEST_THINK_MS:-1000-3000}"
PROJECTS="${LOADTEST_PROJECTS:-50}"
TASKS="${LOADTEST_TASKS:-20000}"
SCOPE_ITEMS="${LOADTEST_SCOPE_ITEMS:-20000}"
COMMENTS="${LOADTEST_COMMENTS:-50000}"
SERVER_LOG_LEVEL="${LOADTEST_LOG_LEVEL:-info}"
BACKENDS="${LOADTEST_BACKENDS:-sqlite postgres}"
WRITE_DOCS="${LOADTEST_DOCS:-1}"
QUIET_WAIT="${LOADTEST_QUIET_WAIT:-300}"
EMAIL=admin@demo.formulapm.test
PASSWORD=demo-password-2025
OUT=docs/performance.md

log() { printf '==> %s\n' "$*" >&2; }
die() {
    printf 'loadtest.sh: %s\n' "$*" >&2
    exit 1
}

command -v python3 >/dev/null || die "python3 is needed (the data loader is scripts/bench/load.py)"
command -v curl >/dev/null || die "curl is needed"

log "cargo build --release -p formula-pm -p formula-loadgen"
cargo build --release -p formula-pm -p formula-loadgen
TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
BIN="$TARGET/release/formula-pm"
LOADGEN="$TARGET/release/formula-loadgen"

work="$(mktemp -d /tmp/formula-loadtest.XXXXXX)"
pid=""
PG_DIR=""
PG_BIN=""
PG_URL=""

is_root() { [ "$(id -u)" -eq 0 ]; }

# PostgreSQL refuses to run as root: as root it runs as the `postgres` system user, from
# inside its own directory (which that user can read), as scripts/test.sh does it.
as_pg() {
    if is_root; then
        (cd "$PG_DIR" && runuser -u postgres -- "$@")
    else
        (cd "$PG_DIR" && "$@")
    fi
}

stop_server() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        pid=""
    fi
}

cleanup() {
    stop_server
    if [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    [ -n "$PG_DIR" ] && rm -rf "$PG_DIR"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    local port
    while :; do
        port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
        case "$port" in
            5432 | 6379 | 5014) ;; # leave the machine's usual services alone
            *)
                echo "$port"
                return
                ;;
        esac
    done
}

pg_bin_dir() {
    local f
    f="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$f" ] && dirname "$f"
}

# A throwaway PostgreSQL for the run; sets PG_URL. Durability is off (fsync,
# synchronous_commit, full_page_writes), as for the tests: it measures the server, not the disk.
start_postgres() {
    PG_BIN="$(pg_bin_dir)" || return 1
    PG_DIR="$(mktemp -d /tmp/formula-loadtest-pg.XXXXXX)"
    if is_root; then
        id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' system user"
        chown postgres:postgres "$PG_DIR"
    fi
    local port
    port="$(free_port)"
    as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
        >"$PG_DIR/initdb.log" 2>&1 || {
        cat "$PG_DIR/initdb.log" >&2
        die "initdb failed"
    }
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -s \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start || {
        cat "$PG_DIR/postgres.log" >&2 || true
        die "PostgreSQL did not start"
    }
    local _
    for _ in $(seq 1 150); do
        "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres && break
        sleep 0.2
    done
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres formula_loadtest
    PG_URL="postgres://postgres@127.0.0.1:$port/formula_loadtest"
}

# start_server BASE LOGFILE [NAME=VALUE…]: starts the server with the exported settings plus
# these; sets $pid.
start_server() {
    local base="$1" logfile="$2"
    shift 2
    env "$@" "$BIN" serve >>"$logfile" 2>&1 &
    pid=$!
    local _
    for _ in $(seq 1 600); do
        curl -fs "$base/health/ready" >/dev/null 2>&1 && return 0
        kill -0 "$pid" 2>/dev/null || {
            tail -n 20 "$logfile" >&2
            die "the server exited"
        }
        sleep 0.05
    done
    die "the server was not ready after 30 s"
}

# Share of all cores busy over 3 s, in percent (from /proc/stat).
busy_pct() {
    local -a a b
    read -r -a a </proc/stat
    sleep 3
    read -r -a b </proc/stat
    awk -v a="${a[*]:1:8}" -v b="${b[*]:1:8}" 'BEGIN {
        n = split(a, x, " "); split(b, y, " "); total = 0
        for (i = 1; i <= n; i++) total += y[i] - x[i]
        idle = (y[4] - x[4]) + (y[5] - x[5])
        pct = 0
        if (total > 0) pct = (total - idle) * 100 / total
        printf "%d\n", pct }'
}

# Waits (up to QUIET_WAIT s) until other work on the machine has calmed down; prints the last
# measurement. Other people's compilers share these cores: the report says how busy it was.
wait_quiet() {
    local busy waited=0
    busy="$(busy_pct)"
    while [ "$busy" -ge 25 ] && [ "$waited" -lt "$QUIET_WAIT" ]; do
        sleep 7
        waited=$((waited + 10))
        busy="$(busy_pct)"
    done
    echo "$busy"
}

# CPU clock ticks used so far by the throwaway PostgreSQL (postmaster and its children); 0
# for an outside one.
pg_ticks() {
    local pm=""
    [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ] && pm="$(head -n 1 "$PG_DIR/data/postmaster.pid")"
    python3 - "$pm" <<'PY'
import glob, sys
pm, total = sys.argv[1], 0
if pm:
    for path in glob.glob("/proc/[0-9]*/stat"):
        try:
            data = open(path).read()
        except OSError:
            continue
        pid = path.split("/")[2]
        f = data[data.rfind(")") + 2:].split()
        if pid == pm or f[1] == pm:
            total += int(f[11]) + int(f[12])
print(total)
PY
}

api_token() {
    python3 - "$1" "$EMAIL" "$PASSWORD" <<'PY'
import http.client, json, sys, urllib.parse
base, email, password = sys.argv[1:]
u = urllib.parse.urlparse(base)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
c.request("POST", "/api/v1/auth/login", json.dumps({"email": email, "password": password}),
          {"Content-Type": "application/json"})
r = c.getresponse()
body = json.loads(r.read())
cookie = r.getheader("Set-Cookie").split(";")[0]
c.request("POST", "/api/v1/me/tokens", json.dumps({"name": "loadtest data loader"}),
          {"Content-Type": "application/json", "Cookie": cookie, "X-CSRF-Token": body["csrf_token"]})
print(json.loads(c.getresponse().read())["secret"])
PY
}

run_backend() {
    local name="$1" url="$2"
    local port data base
    port="$(free_port)"
    data="$work/$name"
    mkdir -p "$data"
    base="http://127.0.0.1:$port"
    export PORT="$port" BIND=127.0.0.1 DATA_DIR="$data" LOG_LEVEL="$SERVER_LOG_LEVEL" \
        BACKUP_SCHEDULE=off
    if [ -n "$url" ]; then export DATABASE_URL="$url"; else unset DATABASE_URL; fi

    log "$name: seeding the demo company and loading $PROJECTS projects, $TASKS tasks, $SCOPE_ITEMS scope items, $COMMENTS comments"
    "$BIN" seed-demo >"$data/seed.log" 2>&1 || {
        cat "$data/seed.log" >&2
        die "seed-demo failed on $name"
    }
    # Loading goes through the API with one token (≈ 70,000 writes): no rate limits for it.
    start_server "$base" "$data/server.log" RATE_LIMIT_ENABLED=false
    local token t0
    token="$(api_token "$base")"
    t0=$(date +%s)
    # load.py shares the tasks among 4 loaders and may fall 3 short: ask for 3 more.
    python3 scripts/bench/load.py "$base" "$token" "$PROJECTS" "$((TASKS + 3))" "$SCOPE_ITEMS" "$COMMENTS" 2>"$data/load.log" || {
        cat "$data/load.log" >&2
        die "loading the data set failed on $name"
    }
    local load_s=$(($(date +%s) - t0))
    local counts
    counts="$(tail -n 1 "$data/load.log")"
    stop_server
    # A server that has run for a while has had autovacuum update PostgreSQL's statistics
    # and visibility map; a freshly bulk-loaded one has not.
    if [ -n "$url" ] && [ -n "$PG_BIN" ]; then
        "$PG_BIN/vacuumdb" -q --analyze -d "$url"
    fi

    local vus
    for vus in $VUS_LIST; do
        # Restart for each run: memory is measured from a server that has not served yet.
        # The rate limits stay on (each user has its own session, far below the per-caller
        # API limits), except sign-ins: all users sign in from 127.0.0.1 within the ramp,
        # and hold their connections from that one address too (no per-address cap).
        start_server "$base" "$data/server.log" RATE_LIMIT_LOGIN_PER_MINUTE=1000000 \
            MAX_CONNECTIONS_PER_IP=0
        log "$name: $vus users, ${DURATION}s (ramp ${RAMP}s), think $THINK_MS ms"
        local stat_before stat_after loadavg quiet pg_before pg_after
        quiet="$(wait_quiet)"
        loadavg="$(cut -d' ' -f1-3 /proc/loadavg)"
        stat_before="$(head -n 1 /proc/stat)"
        pg_before="$(pg_ticks)"
        "$LOADGEN" --url "$base" --email "$EMAIL" --password "$PASSWORD" \
            --vus "$vus" --ramp "$RAMP" --duration "$DURATION" --think-ms "$THINK_MS" \
            --pid "$pid" --label "$name" --out "$work/result-$name-$vus.json" |
            tee "$work/table-$name-$vus.txt"
        stat_after="$(head -n 1 /proc/stat)"
        pg_after="$(pg_ticks)"
        local slow
        slow="$(grep -c '"slow request"' "$data/server.log" || true)"
        python3 - "$work/result-$name-$vus.json" "$load_s" "$counts" "$slow" \
            "$stat_before" "$stat_after" "$loadavg" "$quiet" "$pg_before" "$pg_after" <<'PY'
import json, sys
path, load_s, counts, slow, before, after, loadavg, quiet, pg_before, pg_after = sys.argv[1:]
d = json.load(open(path))
d["data"] = {"load_s": int(load_s), "counts": counts.strip()}
d["slow_request_log_lines"] = int(slow)
# Whole machine during the run, from /proc/stat: busy = everything but idle and iowait, in
# clock ticks (100 per second) summed over all cores.
b = [int(x) for x in before.split()[1:]]
a = [int(x) for x in after.split()[1:]]
delta = [y - x for x, y in zip(b, a)]
idle = delta[3] + (delta[4] if len(delta) > 4 else 0)
d["machine"] = {
    "busy_cpu_s": round((sum(delta[:8]) - idle) / 100, 1),
    "loadavg_before": loadavg,
    "busy_pct_before": int(quiet),
    "postgres_cpu_s": round((int(pg_after) - int(pg_before)) / 100, 1),
}
json.dump(d, open(path, "w"), indent=2)
PY
        : >"$data/server.log" # slow requests are counted per run
        stop_server
    done
}

ran=()
for backend in $BACKENDS; do
    case "$backend" in
        sqlite)
            run_backend sqlite ""
            ran+=(sqlite)
            ;;
        postgres)
            pg_url="${LOADTEST_DATABASE_URL:-}"
            pg_note="LOADTEST_DATABASE_URL"
            if [ -z "$pg_url" ]; then
                if start_postgres; then
                    pg_url="$PG_URL"
                    pg_note="throwaway PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on the same machine, fsync off"
                else
                    log "postgres: skipped (no PostgreSQL binaries under /usr/lib/postgresql and no LOADTEST_DATABASE_URL)"
                    continue
                fi
            fi
            echo "$pg_note" >"$work/postgres-note"
            run_backend postgres "$pg_url"
            ran+=(postgres)
            ;;
        *) die "unknown backend in LOADTEST_BACKENDS: $backend" ;;
    esac
done
[ "${#ran[@]}" -gt 0 ] || die "nothing ran"
# What was measured: the working tree, which may hold others' uncommitted changes.
echo "$(git rev-parse --short HEAD 2>/dev/null || echo unknown) $(git status --porcelain -- crates Cargo.toml Cargo.lock 2>/dev/null | wc -l)" >"$work/build-note"

[ "$WRITE_DOCS" = 1 ] || exit 0

log "writing the results into $OUT"
python3 - "$work" "$OUT" "$SERVER_LOG_LEVEL" <<'PY'
import datetime, glob, json, os, platform, re, sys
work, out, log_level = sys.argv[1:]

def first(path, key, sep, default="unknown"):
    try:
        for line in open(path):
            k, _, v = line.partition(sep)
            if k.strip() == key:
                return v.strip().strip('"')
    except OSError:
        pass
    return default

cpu = first("/proc/cpuinfo", "model name", ":")
mem_gib = int(first("/proc/meminfo", "MemTotal", ":", "0 kB").split()[0]) / 1024 / 1024
distro = first("/etc/os-release", "PRETTY_NAME", "=")
results = [json.load(open(p)) for p in glob.glob(os.path.join(work, "result-*.json"))]
order = {"sqlite": 0, "postgres": 1}
results.sort(key=lambda d: (order.get(d["label"], 9), d["settings"]["vus"]))
pg_note = open(os.path.join(work, "postgres-note")).read().strip() if os.path.exists(os.path.join(work, "postgres-note")) else None
commit, dirty = open(os.path.join(work, "build-note")).read().split()
build = f"commit {commit}" + (f" plus {dirty} uncommitted changed files under crates/ (work in progress of others)" if dirty != "0" else "")
s = results[0]["settings"]

def mb(kib):
    return f"{kib / 1024:.0f} MB" if kib else "–"

lines = [
    "## Load test (scenario)",
    "",
    "<!-- Written by scripts/loadtest.sh from here to the end marker; re-run it to refresh. -->",
    "Measured by `scripts/loadtest.sh`: the release build, driven over loopback by `formula-loadgen`",
    "with the scenario of `deploy/perf/k6.js` (each user signs in with its own session, then loops",
    "over project list, project detail, project tasks, my work, a project search, a global search",
    "(`GET /api/v1/search`, every kind with its count), a comment mentioning an executive (its",
    "notifications stored and its mail queued in the request), creating a task and deleting it,",
    "then thinks). The load generator shares the machine's cores with the server",
    "(and with PostgreSQL).",
    "",
    f"- Date: {datetime.date.today()}",
    f"- Machine: {os.cpu_count()} cores ({cpu}), {mem_gib:.0f} GiB RAM, {distro}, Linux {platform.release()}",
    f"- Load: {', '.join(sorted({str(d['settings']['vus']) for d in results}, key=int))} users, "
    f"{s['duration_s']} s per run of which {s['ramp_s']} s ramp, think time {s['think_ms'][0]}–{s['think_ms'][1]} ms "
    "after each loop; latencies are over the requests started after the ramp (all users running)",
    f"- Build: release, {build}",
    f"- Server: `LOG_LEVEL={log_level}` (request logs written), rate limits on except sign-ins "
    "(`RATE_LIMIT_LOGIN_PER_MINUTE=1000000`), restarted before each run"
    + (f"; PostgreSQL: {pg_note}" if pg_note else ""),
    "- Data: the seed-demo company plus projects, tasks, scope items (one CSV import per "
    "project) and comments (one POST each) loaded through the API by `scripts/bench/load.py`, then, "
    "on PostgreSQL, `vacuumdb --analyze` ("
    + "; ".join(sorted({f"{d['label']}: {d['data']['counts']}, loaded in {d['data']['load_s']} s" for d in results}))
    + "); the signed-in administrator is on every project's team and holds a fifth of the tasks",
    "",
    "| backend | users | endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors |",
    "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
]
for d in results:
    vus = d["settings"]["vus"]
    rows = [(e["name"], e) for e in d["endpoints"]]
    rows += [("**reads**", d["reads"]), ("**writes**", d["writes"])]
    if d.get("searches", {}).get("requests"):
        rows.append(("**searches**", d["searches"]))
    rows.append(("**all**", d["overall"]))
    login = next((e for e in d["whole_run_endpoints"] if e["name"] == "login"), None)
    for name, e in rows:
        lines.append(
            f"| {d['label']} | {vus} | {name} | {e['requests']} | {e['rps']:.1f} | {e['p50_ms']:.1f} "
            f"| {e['p95_ms']:.1f} | {e['p99_ms']:.1f} | {e['max_ms']:.1f} | {e['errors']} |"
        )
    if login:
        lines.append(
            f"| {d['label']} | {vus} | sign-in (during the ramp) | {login['requests']} | – | {login['p50_ms']:.1f} "
            f"| {login['p95_ms']:.1f} | {login['p99_ms']:.1f} | {login['max_ms']:.1f} | {login['errors']} |"
        )
lines += [
    "",
    "| backend | users | loops | req/s | errors (whole run) | server RSS start / peak / end | CPU: server | PostgreSQL | load generator | anything else | machine busy before | slow-request log lines | k6 thresholds | DESIGN §9 |",
    "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---|",
]
for d in results:
    srv, wall = d["server"], d["wall_s"]
    cpu_pct = lambda c: f"{c / wall * 100:.0f} %" if c is not None and wall else "–"
    m = d["machine"]
    other = m["busy_cpu_s"] - (srv["cpu_s"] or 0) - (d["loadgen_cpu_s"] or 0) - m["postgres_cpu_s"]
    pg_cpu = cpu_pct(m["postgres_cpu_s"]) if d["label"] == "postgres" else "–"
    lines.append(
        f"| {d['label']} | {d['settings']['vus']} | {d['iterations']} | {d['overall']['rps']:.0f} "
        f"| {d['whole_run']['errors']} of {d['whole_run']['requests']} "
        f"| {mb(srv['rss_start_kib'])} / {mb(srv['rss_peak_kib'])} / {mb(srv['rss_end_kib'])} "
        f"| {cpu_pct(srv['cpu_s'])} | {pg_cpu} | {cpu_pct(d['loadgen_cpu_s'])} | {cpu_pct(max(other, 0))} "
        f"| {m['busy_pct_before']} % (load {m['loadavg_before']}) "
        f"| {d['slow_request_log_lines']} "
        f"| {'pass' if d['k6_thresholds_pass'] else 'fail'} | {'met' if d['design_budgets_pass'] else 'not met'} |"
    )
lines += [
    "",
    "k6 thresholds: p95 of every request of the run < 500 ms and < 1 % errors. DESIGN §9: reads",
    "p95 ≤ 20 ms, writes p95 ≤ 50 ms (create and delete a task, a comment with its notifications) and the global search p95 ≤ 50 ms",
    "(searches), no errors. CPU is in % of one core",
    f"({os.cpu_count()} cores = {100 * (os.cpu_count() or 1)} %) over the run; \"anything else\" is the rest of the machine's busy time",
    "(other people's builds on a shared machine). \"Machine busy before\" is the share of all cores",
    "in use just before the run (the script waits for it to drop below 25 %, at most",
    "`LOADTEST_QUIET_WAIT` seconds) and the load average then.",
    "<!-- End of scripts/loadtest.sh output. -->",
]
section = "\n".join(lines) + "\n"

text = open(out).read() if os.path.exists(out) else "# Performance\n"
start = text.find("## Load test (scenario)")
end_marker = "<!-- End of scripts/loadtest.sh output. -->\n"
if start >= 0 and text.find(end_marker, start) >= 0:
    end = text.find(end_marker, start) + len(end_marker)
    text = text[:start] + section + text[end:]
else:
    text = text.rstrip("\n") + "\n\n" + section
open(out, "w").write(text)
print(section)
PY
