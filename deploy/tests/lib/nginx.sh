# shellcheck shell=bash
# nginx for the loopback deployment tests: a self-signed certificate, the rendered loopback
# configuration (deploy/scripts/render-nginx.sh), start, stop. (Reloads are the rolling
# update's business: deploy/scripts/drivers/loopback.sh.) Source after common.sh. Sets NGINX_DIR, HTTP_PORT, HTTPS_PORT and NGINX_URL (https).

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

nginx_stop() {
    local pid
    pid="$(cat "$NGINX_DIR/nginx.pid" 2>/dev/null)" || return 0
    stop_pid "$pid" 10
}
