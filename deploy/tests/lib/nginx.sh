# shellcheck shell=bash
# nginx for the loopback deployment tests: a self-signed certificate, the rendered loopback
# configuration (deploy/scripts/render-nginx.sh), start, synchronous reload, stop. Source
# after common.sh. Sets NGINX_DIR, HTTP_PORT, HTTPS_PORT and NGINX_URL (https).

NGINX_DIR="$WORK/nginx"

# self_signed_cert DIR: a certificate for localhost and 127.0.0.1 (DIR/cert.pem, DIR/key.pem).
self_signed_cert() {
    local dir="$1"
    mkdir -p "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
        -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1 ||
        die "openssl could not make a certificate"
}

# nginx_ports: picks the two nginx ports and sets NGINX_URL (needed before the instances
# start: their PUBLIC_URL is nginx's address).
nginx_ports() {
    HTTP_PORT="$(free_port)"
    HTTPS_PORT="$(free_port)"
    NGINX_URL="https://127.0.0.1:$HTTPS_PORT"
    PUBLIC_URL="$NGINX_URL"
    export PUBLIC_URL
}

# nginx_render UPSTREAM_LIST: renders the loopback configuration into NGINX_DIR and checks
# it with `nginx -t`, which must print no warning.
nginx_render() {
    need nginx perl
    self_signed_cert "$WORK/tls"
    "$REPO/deploy/scripts/render-nginx.sh" --loopback --out "$NGINX_DIR" \
        --http-port "$HTTP_PORT" --https-port "$HTTPS_PORT" \
        --cert "$WORK/tls/cert.pem" --key "$WORK/tls/key.pem" --upstream "$1" >/dev/null
    local out
    out="$(nginx_cmd -t 2>&1)" || die "nginx -t failed: $out"
    ! grep -q '\[warn\]' <<<"$out" || die "nginx -t warns: $out"
}

nginx_cmd() {
    nginx -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" "$@"
}

nginx_start() {
    nginx_cmd || die "nginx did not start: $(tail -n 5 "$NGINX_DIR/error.log")"
    on_exit "nginx_stop"
    wait_until 20 "nginx to answer on port $HTTPS_PORT" is_status 200 "$NGINX_URL/health/live"
}

nginx_master() { cat "$NGINX_DIR/nginx.pid"; }

nginx_stop() {
    local pid
    pid="$(nginx_master 2>/dev/null)" || return 0
    stop_pid "$pid" 10
}

# The pids of the master's worker processes.
nginx_workers() { pgrep -P "$(nginx_master)" | sort; }

# nginx_reload: reloads the configuration and returns once the new workers run and every
# old worker has stopped accepting (its title says "shutting down", or it is gone), so no
# request reaches an instance marked down after this returns.
nginx_reload() {
    local old new pid deadline=$((SECONDS + 20))
    old="$(nginx_workers)"
    nginx_cmd -t >/dev/null 2>&1 || die "nginx -t failed before reload: $(nginx_cmd -t 2>&1)"
    kill -HUP "$(nginx_master)"
    while :; do
        [ "$SECONDS" -lt "$deadline" ] || die "nginx did not finish reloading within 20 s"
        new="$(nginx_workers)"
        if [ -n "$(comm -13 <(echo "$old") <(echo "$new"))" ]; then
            local settled=1
            for pid in $old; do
                [ -r "/proc/$pid/cmdline" ] || continue
                tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'shutting down' || settled=0
            done
            [ "$settled" -eq 0 ] || return 0
        fi
        sleep 0.05
    done
}
