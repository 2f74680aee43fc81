# shellcheck shell=bash
# Live updates (Server-Sent Events) through nginx. Source after common.sh, services.sh and
# nginx.sh; needs NGINX_URL, TOKEN (an administrator's API token) and the session cookie
# jar $WORK/admin.cookies (both from api_token).
#
# The app serves GET /events (browser tabs, session cookie) and GET /api/v1/events (API
# clients, token); nginx passes both unbuffered with long timeouts (conf.d/snippets/
# live.inc).

api() {
    local method="$1" path="$2" body="${3:-}"
    curl -ksS --fail-with-body -X "$method" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' ${body:+-d "$body"} "$NGINX_URL$path"
}

# sse_through_nginx: three streams through nginx — two with the token, one with the
# session cookie — which least_conn puts on three different instances (each stream holds
# a connection); one project created through nginx by another person, on whichever
# instance: every stream receives its event (Redis fans events out across instances) and stays open.
sse_through_nginx() {
    local i pid client project lines
    local -a pids=() auth
    mkdir -p "$WORK/sse"
    : >"$NGINX_DIR/access.log"
    for i in 1 2 3; do
        if [ "$i" -eq 3 ]; then
            auth=(-b "$WORK/admin.cookies" "$NGINX_URL/events")
        else
            auth=(-H "Authorization: Bearer $TOKEN" "$NGINX_URL/api/v1/events")
        fi
        curl -ksN --http1.1 -D "$WORK/sse/$i.headers" -H 'Accept: text/event-stream' "${auth[@]}" \
            >"$WORK/sse/$i.out" 2>/dev/null &
        pid=$!
        pids+=("$pid")
        on_exit "stop_pid $pid 2"
        # The first frame tells the client how soon to reconnect.
        wait_until 20 "live-update stream $i to open" grep -q '^retry:' "$WORK/sse/$i.out"
        grep -qi '^content-type: text/event-stream' "$WORK/sse/$i.headers" ||
            die "stream $i is not text/event-stream: $(cat "$WORK/sse/$i.headers")"
    done
    # Nobody is told of their own changes: the project is created by another person, a project
    # manager signed in through nginx with a session of their own.
    local pm_email="live.pm@example.com" pm_pass="live updates password 1" pm csrf
    pm="$(api POST /api/v1/users "{\"email\":\"$pm_email\",\"name\":\"Live Manager\",\"role\":\"project_manager\",\"password\":\"$pm_pass\"}" | json_field id)"
    client="$(api POST /api/v1/clients '{"name":"Live Update Hotels"}' | json_field id)"
    wait_until 30 "the project manager to sign in through nginx" \
        curl -ksS --fail -c "$WORK/pm.cookies" -o "$WORK/pm.login" -H 'Content-Type: application/json' \
        -d "{\"email\":\"$pm_email\",\"password\":\"$pm_pass\"}" "$NGINX_URL/api/v1/auth/login"
    csrf="$(json_field csrf_token <"$WORK/pm.login")"
    project="$(curl -ksS --fail-with-body -b "$WORK/pm.cookies" -H "X-CSRF-Token: $csrf" \
        -H 'Content-Type: application/json' -X POST \
        -d "{\"name\":\"Live lobby\",\"client_id\":\"$client\",\"manager_id\":\"$pm\",\"sector\":\"hospitality\",\"business_line\":\"millwork\"}" \
        "$NGINX_URL/api/v1/projects" | json_field id)"
    for i in 1 2 3; do
        wait_until 20 "the project.created event on stream $i" \
            grep -q "^data:.*project\.created.*$project" "$WORK/sse/$i.out"
        running "${pids[$((i - 1))]}" || die "live-update stream $i closed after its event"
    done
    for pid in "${pids[@]}"; do stop_pid "$pid" 2; done
    # nginx logs each stream when it ends, with the instance that served it.
    wait_until 10 "nginx to log the three streams" \
        bash -c "[ \$(grep -c 'GET /\(api/v1/\)\?events ' '$NGINX_DIR/access.log') -ge 3 ]"
    lines="$(grep 'GET /\(api/v1/\)\?events ' "$NGINX_DIR/access.log" | grep -o 'upstream=[0-9.:]*' | sort -u | wc -l)"
    [ "$lines" -eq 3 ] || die "the three streams were served by $lines instances, expected 3: $(grep events "$NGINX_DIR/access.log")"
    # What keeps them flowing: both locations unbuffered, with an hour's read timeout.
    local site="$NGINX_DIR/conf.d/formula-pm.conf" live="$NGINX_DIR/conf.d/snippets/live.inc" loc
    for loc in /events /api/v1/events; do
        sed -n "\#location = $loc {#,/}/p" "$site" | grep -q 'include conf.d/snippets/live.inc;' ||
            die "location $loc does not include live.inc"
    done
    if ! grep -q '^proxy_buffering off;' "$live" || ! grep -q '^proxy_read_timeout 1h;' "$live"; then
        die "live.inc does not turn buffering off with a long read timeout"
    fi
    pass "live updates: 3 streams through nginx (/api/v1/events ×2, /events ×1) on 3 different instances each received project.created and stayed open"
}
