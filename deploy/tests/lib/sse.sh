# shellcheck shell=bash
# Live updates (Server-Sent Events) through nginx. Source after common.sh, services.sh and
# nginx.sh; needs NGINX_URL and TOKEN (an administrator's API token).
#
# nginx sends every request that asks for text/event-stream — as EventSource always does —
# through its unbuffered, long-timeout location, whatever the path (deploy/nginx/conf.d/
# formula-pm.conf). The stream's path is SSE_PATH, or the first of SSE_CANDIDATES that
# answers text/event-stream.

SSE_CANDIDATES="${SSE_CANDIDATES:-/events /api/v1/events /api/v1/events/stream /live /sse /stream}"

# sse_find: prints the path of the live-update stream, or nothing when the server has none.
sse_find() {
    local path type
    for path in ${SSE_PATH:-$SSE_CANDIDATES}; do
        type="$(curl -ks --max-time 2 -o /dev/null -w '%{content_type}' \
            -H 'Accept: text/event-stream' -H "Authorization: Bearer $TOKEN" \
            "$NGINX_URL$path" || true)"
        if [[ "$type" == text/event-stream* ]]; then
            echo "$path"
            return
        fi
    done
}

api() {
    local method="$1" path="$2" body="${3:-}"
    curl -ksS --fail-with-body -X "$method" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' ${body:+-d "$body"} "$NGINX_URL$path"
}

# sse_through_nginx: three streams through nginx (least_conn puts each long-lived stream on
# another instance), one project created through nginx: each stream receives its event and
# stays open.
sse_through_nginx() {
    local path i pid me client project
    path="$(sse_find)"
    if [ -z "$path" ]; then
        log "SKIP live updates: this formula-pm serves no text/event-stream route (tried ${SSE_PATH:-$SSE_CANDIDATES}); set SSE_PATH once it does"
        return 0
    fi
    mkdir -p "$WORK/sse"
    local -a pids=()
    for i in 1 2 3; do
        curl -ksN -D "$WORK/sse/$i.headers" -H 'Accept: text/event-stream' \
            -H "Authorization: Bearer $TOKEN" "$NGINX_URL$path" >"$WORK/sse/$i.out" 2>/dev/null &
        pid=$!
        pids+=("$pid")
        on_exit "stop_pid $pid 2"
        wait_until 20 "live-update stream $i to open" grep -q '^HTTP/[0-9.]* 200' "$WORK/sse/$i.headers"
    done
    me="$(api GET /api/v1/auth/me | python3 -c 'import json, sys; print(json.load(sys.stdin)["user"]["id"])')"
    client="$(api POST /api/v1/clients '{"name":"Live Update Hotels"}' | json_field id)"
    project="$(api POST /api/v1/projects "{\"name\":\"Live lobby\",\"client_id\":\"$client\",\"manager_id\":\"$me\",\"sector\":\"hospitality\",\"business_line\":\"millwork\"}" | json_field id)"
    for i in 1 2 3; do
        wait_until 20 "the project.created event on stream $i" grep -q "$project" "$WORK/sse/$i.out"
        kill -0 "${pids[$((i - 1))]}" 2>/dev/null || die "live-update stream $i closed after its event"
        grep -qi '^content-type: text/event-stream' "$WORK/sse/$i.headers" || die "stream $i is not text/event-stream"
    done
    # Buffering and timeouts of the location these streams went through.
    sed -n '/location \^~ \/_live\/ {/,/^    }/p' "$NGINX_DIR/conf.d/formula-pm.conf" >"$WORK/sse/location"
    if ! grep -q 'proxy_buffering off;' "$WORK/sse/location" ||
        ! grep -q 'proxy_read_timeout 1h;' "$WORK/sse/location"; then
        die "the live-update location is not unbuffered with a long read timeout"
    fi
    for pid in "${pids[@]}"; do stop_pid "$pid" 2; done
    pass "live updates: 3 streams at $path through nginx each received project.created for $project and stayed open"
}
