# shellcheck shell=bash
# rolling-update.sh driver for instances that are plain processes on 127.0.0.1 behind an
# nginx started with `nginx -p DIR` (deploy/scripts/render-nginx.sh --loopback). The
# deployment tests use it; it also fits a single host running formula-pm without
# containers. A VERSION is the path of a formula-pm executable.
#
# Environment:
#   LOOPBACK_STATE   directory describing the instances (required):
#                      instances      one line per instance: NAME PORT
#                      NAME.env       the instance's environment, one NAME=value a line
#                      NAME.pid       written here: the running process
#                      NAME.version   written here: the executable it runs
#                      NAME.log       written here: its output (appended)
#   LOOPBACK_NGINX   the directory nginx runs in (nginx.pid, nginx.conf,
#                    conf.d/formula-pm-upstream.conf) (required)
#   LOOPBACK_BACKUP_DIR  where the pre-update backup goes (default LOOPBACK_STATE/backups)
#
# Contracts (what rolling-update.sh relies on):
#   driver_init VERSION        check the environment and VERSION; non-zero to refuse
#   driver_instances           instance names, one a line, in update order
#   driver_version NAME        the version NAME runs now
#   driver_address NAME        NAME's address as written in the upstream file
#   driver_upstream_file       path of nginx's upstream file
#   driver_nginx_reload        reload nginx; return once no old worker accepts requests
#   driver_in_flight NAME      requests in flight in NAME (counting this question), or
#                              nothing when it cannot tell
#   driver_stop NAME           stop NAME gracefully; return once it is gone
#   driver_start NAME VERSION  start VERSION as NAME; return without waiting
#   driver_alive NAME          0 while NAME's process runs
#   driver_ready NAME          0 when NAME answers /health/ready with 200
#   driver_smoke NAME          0 when NAME serves its pages and API (direct, not via nginx)
#   driver_url NAME            NAME's base URL, reachable from here (may be empty)
#   driver_backup NAME VERSION write a backup of NAME's database with VERSION's formula-pm
#   driver_done VERSION        (optional) after a successful update

loopback_die() {
    echo "loopback driver: $*" >&2
    return 1
}

driver_init() {
    local version="$1"
    [ -n "${LOOPBACK_STATE:-}" ] && [ -f "$LOOPBACK_STATE/instances" ] ||
        loopback_die "LOOPBACK_STATE must name a directory with an instances file" || return 1
    [ -n "${LOOPBACK_NGINX:-}" ] && [ -f "$LOOPBACK_NGINX/nginx.pid" ] ||
        loopback_die "LOOPBACK_NGINX must name the directory of a running nginx" || return 1
    [ -x "$version" ] || loopback_die "VERSION must be an executable formula-pm: $version" || return 1
}

driver_instances() { awk 'NF { print $1 }' "$LOOPBACK_STATE/instances"; }

loopback_port() { awk -v n="$1" '$1 == n { print $2 }' "$LOOPBACK_STATE/instances"; }

driver_version() { cat "$LOOPBACK_STATE/$1.version"; }

driver_address() { echo "127.0.0.1:$(loopback_port "$1")"; }

driver_url() { echo "http://127.0.0.1:$(loopback_port "$1")"; }

driver_upstream_file() { echo "$LOOPBACK_NGINX/conf.d/formula-pm-upstream.conf"; }

loopback_nginx() {
    nginx -p "$LOOPBACK_NGINX" -c "$LOOPBACK_NGINX/nginx.conf" -e "$LOOPBACK_NGINX/error.log" "$@"
}

# The master's worker processes, "pid title" a line.
loopback_nginx_workers() {
    local pid title
    for pid in $(pgrep -P "$(cat "$LOOPBACK_NGINX/nginx.pid")"); do
        # A worker may exit while we look.
        title="$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" || continue
        echo "$pid $title"
    done
}

# Reloads, then waits until new workers run and every old one either exited or says it
# is shutting down: from then on no request goes out under the old configuration.
driver_nginx_reload() {
    local old deadline=$((SECONDS + 20)) pid fresh settled workers
    loopback_nginx -t >/dev/null 2>&1 || {
        loopback_nginx -t >&2
        return 1
    }
    old="$(loopback_nginx_workers | awk '{ print $1 }')"
    kill -HUP "$(cat "$LOOPBACK_NGINX/nginx.pid")"
    while [ "$SECONDS" -lt "$deadline" ]; do
        workers="$(loopback_nginx_workers)"
        fresh="$(awk '{ print $1 }' <<<"$workers" | grep -vxF -f <(echo "${old:-none}") || true)"
        if [ -n "$fresh" ]; then
            settled=1
            for pid in $old; do
                # Still listed without "shutting down": not told to stop yet.
                if grep -q "^$pid " <<<"$workers" && ! grep -q "^$pid .*shutting down" <<<"$workers"; then
                    settled=0
                fi
            done
            [ "$settled" -eq 0 ] || return 0
        fi
        sleep 0.05
    done
    loopback_die "nginx did not finish reloading within 20 s"
}

driver_in_flight() {
    curl -fsS --max-time 5 "$(driver_url "$1")/metrics" 2>/dev/null |
        awk '$1 == "http_requests_in_flight" { print int($2) }'
}

# A process that exited but was not reaped yet (a zombie: its parent, perhaps an earlier
# run of rolling-update.sh, is gone) counts as gone.
loopback_running() {
    kill -0 "$1" 2>/dev/null && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null
}

driver_alive() {
    local pid
    pid="$(cat "$LOOPBACK_STATE/$1.pid" 2>/dev/null)" || return 1
    loopback_running "$pid"
}

# SIGTERM, then wait: the server finishes its requests within SHUTDOWN_GRACE_SECONDS
# (default 30) and exits; SIGKILL only if it is still there 10 s after that.
driver_stop() {
    local name="$1" pid grace i
    pid="$(cat "$LOOPBACK_STATE/$name.pid" 2>/dev/null)" || return 0
    loopback_running "$pid" || return 0
    grace="$(sed -n 's/^SHUTDOWN_GRACE_SECONDS=//p' "$LOOPBACK_STATE/$name.env")"
    kill -TERM "$pid"
    for ((i = 0; i < (${grace:-30} + 10) * 10; i++)); do
        loopback_running "$pid" || return 0
        sleep 0.1
    done
    echo "loopback driver: $name (pid $pid) ignored SIGTERM; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
}

driver_start() {
    local name="$1" version="$2" pid
    local -a env_args
    mapfile -t env_args <"$LOOPBACK_STATE/$name.env"
    # setsid: the instance outlives this script (and its terminal).
    setsid env "${env_args[@]}" "$version" serve >>"$LOOPBACK_STATE/$name.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$LOOPBACK_STATE/$name.pid"
    echo "$version" >"$LOOPBACK_STATE/$name.version"
}

driver_ready() {
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$(driver_url "$1")/health/ready")" = 200 ]
}

# Readiness is not enough: the sign-in page renders and the API answers, as they would
# for the first request nginx sends.
driver_smoke() {
    local url
    url="$(driver_url "$1")"
    driver_ready "$1" &&
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url/login")" = 200 ] &&
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url/api/v1/openapi.json")" = 200 ]
}

driver_backup() {
    local name="$1" version="$2" dir="${LOOPBACK_BACKUP_DIR:-$LOOPBACK_STATE/backups}"
    local -a env_args
    mapfile -t env_args <"$LOOPBACK_STATE/$name.env"
    mkdir -p "$dir"
    # Progress lines go to the log; the result line ("Backup written: …") to the output.
    env "${env_args[@]}" LOG_LEVEL=warn "$version" backup --to "$dir" \
        2>>"$LOOPBACK_STATE/backup.log"
}
