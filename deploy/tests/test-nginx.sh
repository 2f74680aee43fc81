#!/usr/bin/env bash
# nginx in front of three instances of the real formula-pm binary, on loopback: the
# rendered deploy/nginx configuration passes `nginx -t` without a warning; over HTTPS with a
# self-signed certificate, requests spread over all three instances; only TLS 1.2 and 1.3
# are accepted, with the configured ciphers and a session cache; port 80 redirects except
# for ACME challenges; the login rate limit answers 429 at exactly the configured count;
# the security headers appear exactly once on pages, API errors, static files, 404s and
# nginx's own answers; text is compressed, hashed assets cached for a year, dotfiles and
# /metrics hidden, oversized bodies refused; a live-update stream stays open through nginx
# and receives events; and killing one instance (SIGKILL) under continuous load fails no
# request.
#
# The instances share a PostgreSQL database (TEST_DATABASE_URL's server, or a throwaway
# one) and a throwaway Redis, as a scaled deployment does. They are the debug binary
# (FORMULA_PM_BIN): a release build would cost CI minutes and prove nothing more here.
# shellcheck source-path=SCRIPTDIR disable=SC1091
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
. "$here/lib/common.sh"
. "$here/lib/services.sh"
. "$here/lib/nginx.sh"
. "$here/lib/load.sh"
. "$here/lib/sse.sh"

need nginx psql redis-server

SECURITY_HEADERS=(content-security-policy strict-transport-security x-content-type-options
    referrer-policy x-frame-options permissions-policy cross-origin-opener-policy)

# --- set-up ---------------------------------------------------------------------------------

pg_database
redis_start
nginx_ports
PORTS=()
for i in 1 2 3; do PORTS+=("$(free_port)"); done
upstream="$(printf '127.0.0.1:%s,' "${PORTS[@]}")"
upstream="${upstream%,}"

app_cmd migrate >/dev/null 2>"$WORK/logs/migrate.log" || die "migrate failed: $(cat "$WORK/logs/migrate.log")"
for i in 1 2 3; do app_launch "$i" "${PORTS[$((i - 1))]}"; done
for i in 1 2 3; do app_wait_ready "$i" "${PORTS[$((i - 1))]}"; done

nginx_render "$upstream"
pass "nginx -t accepts the rendered configuration without a warning"
nginx_start
SITE="$NGINX_DIR/conf.d/formula-pm.conf"

create_admin
TOKEN="$(api_token "$NGINX_URL")"

# --- requests spread over all three instances ---------------------------------------------

# health_count PORT: requests for /health/live the instance has answered.
health_count() {
    curl -fsS "http://127.0.0.1:$1/metrics" |
        awk '/^http_requests_total\{/ && /route="\/health\/live"/ { n += $NF } END { print n + 0 }'
}
before=()
for p in "${PORTS[@]}"; do before+=("$(health_count "$p")"); done
for _ in $(seq 1 30); do
    [ "$(http_status "$NGINX_URL/health/live")" = 200 ] || die "GET /health/live through nginx failed"
done
spread=()
for i in 0 1 2; do
    served=$(($(health_count "${PORTS[$i]}") - before[i]))
    [ "$served" -gt 0 ] || die "instance $((i + 1)) served none of 30 requests (least_conn should spread them)"
    spread+=("$served")
done
pass "30 requests spread over the three instances: ${spread[*]}"

# --- TLS ------------------------------------------------------------------------------------

grep -qE '^\s*ssl_protocols TLSv1\.2 TLSv1\.3;' "$SITE" || die "ssl_protocols is not TLSv1.2 TLSv1.3"
ciphers="$(sed -nE 's/^\s*ssl_ciphers ([^;]+);/\1/p' "$SITE")"
[ -n "$ciphers" ] || die "no ssl_ciphers in the configuration"
known="$(openssl ciphers -v "$ciphers" | awk '{ print $1 }')"
IFS=':' read -r -a named <<<"$ciphers"
for c in "${named[@]}"; do
    grep -qxF "$c" <<<"$known" || die "OpenSSL does not know the cipher $c named in ssl_ciphers"
done
pass "OpenSSL accepts all ${#named[@]} names of ssl_ciphers unchanged"

tls() {
    openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -servername localhost "$@" </dev/null 2>&1 || true
}
# SECLEVEL=0 lets this OpenSSL offer TLS 1.1 at all, so the refusal is the server's.
out="$(tls -tls1_1 -cipher 'DEFAULT@SECLEVEL=0')"
grep -q 'alert protocol version' <<<"$out" || die "TLS 1.1 was not refused by the server: $out"
for v in 1.2 1.3; do
    out="$(tls "-tls1_${v#1.}" -brief)"
    grep -q "Protocol version: TLSv$v" <<<"$out" || die "TLS $v handshake failed: $out"
done
cipher12="$(tls -tls1_2 -brief | sed -nE 's/^Ciphersuite: (.*)$/\1/p')"
grep -qxF "$cipher12" <<<"$known" || die "TLS 1.2 negotiated $cipher12, not one of ssl_ciphers"
tls -tls1_2 -sess_out "$WORK/tls/session" >/dev/null
grep -q '^Reused, TLSv1.2' <<<"$(tls -tls1_2 -sess_in "$WORK/tls/session")" ||
    die "a TLS 1.2 session was not resumed from the session cache"
pass "TLS 1.1 refused by the server; 1.2 ($cipher12) and 1.3 accepted; sessions resumed"

# --- port 80 --------------------------------------------------------------------------------

loc="$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$HTTP_PORT/projects?x=1")"
[ "$loc" = "301 https://127.0.0.1:$HTTPS_PORT/projects?x=1" ] || die "port 80 answered $loc, not a redirect to https"
printf challenge-token-body >"$NGINX_DIR/acme/.well-known/acme-challenge/abc123"
body="$(curl -sS -w ' %{http_code}' "http://127.0.0.1:$HTTP_PORT/.well-known/acme-challenge/abc123")"
[ "$body" = "challenge-token-body 200" ] || die "ACME challenge over port 80 answered: $body"
[ "$(http_status "http://127.0.0.1:$HTTP_PORT/.well-known/acme-challenge/nope")" = 404 ] ||
    die "a missing ACME challenge file is not a plain 404"
pass "port 80 redirects to https, except ACME challenges, which are served"

# --- security headers exactly once -----------------------------------------------------------

# headers_once DESCRIPTION EXPECTED_STATUS CURL_ARGS...: each security header exactly once.
headers_once() {
    local what="$1" want="$2" h status name n
    shift 2
    h="$(curl -ksS -D - -o /dev/null "$@")"
    status="$(awk 'NR == 1 { print $2 }' <<<"$h")"
    [ "$status" = "$want" ] || die "$what answered $status, expected $want"
    for name in "${SECURITY_HEADERS[@]}"; do
        n="$(grep -ci "^$name:" <<<"$h" || true)"
        [ "$n" -eq 1 ] || die "$what: $name appears $n times (expected exactly once)"
    done
}
css="$(curl -ksS "$NGINX_URL/login" | grep -oE '/assets/app\.[0-9a-f]{12}\.css' | head -n 1)"
[ -n "$css" ] || die "no hashed stylesheet URL in the sign-in page"
headers_once "the sign-in page" 200 "$NGINX_URL/login"
headers_once "an API error (unauthenticated)" 401 "$NGINX_URL/api/v1/projects"
headers_once "an API read" 200 -H "Authorization: Bearer $TOKEN" "$NGINX_URL/api/v1/projects"
headers_once "a static file" 200 "$NGINX_URL$css"
headers_once "an unknown page (404)" 404 "$NGINX_URL/no/such/page"
headers_once "a dotfile (nginx's 404)" 404 "$NGINX_URL/.env"
headers_once "the redirect on port 80" 301 "http://127.0.0.1:$HTTP_PORT/"
pass "all ${#SECURITY_HEADERS[@]} security headers exactly once on pages, API answers, static files, 404s and redirects"

# --- static files, compression, hidden paths, body size ----------------------------------------

h="$(curl -ksS -D - -o /dev/null -H 'Accept-Encoding: gzip' "$NGINX_URL$css")"
grep -qi '^content-encoding: gzip' <<<"$h" || die "the stylesheet was not gzip-compressed: $h"
if [ "$(grep -ci '^cache-control:' <<<"$h")" -ne 1 ] ||
    ! grep -qi '^cache-control: public, max-age=31536000, immutable' <<<"$h"; then
    die "a hashed asset is not cached for a year (exactly one Cache-Control): $h"
fi
h="$(curl -ksS -D - -o /dev/null -H 'Accept-Encoding: gzip' "$NGINX_URL/login")"
grep -qi '^content-encoding: gzip' <<<"$h" || die "the sign-in page was not gzip-compressed"
pass "text compressed with gzip; hashed assets: Cache-Control public, max-age=31536000, immutable"

for path in /.env /.git/config /assets/.secret /metrics; do
    [ "$(http_status "$NGINX_URL$path")" = 404 ] || die "$path is reachable through nginx"
done
pass "dotfiles and /metrics answer 404 through nginx"

limit="$(sed -nE 's/^\s*client_max_body_size ([0-9]+)m;/\1/p' "$SITE")"
[ -n "$limit" ] || die "no client_max_body_size in the configuration"
code="$(curl -ks --http1.1 -o /dev/null -w '%{http_code}' --max-time 10 -X POST \
    -H "Content-Length: $(((limit + 1) * 1024 * 1024))" -H 'Content-Type: application/octet-stream' \
    "$NGINX_URL/api/v1/projects" || true)"
[ "$code" = 413 ] || die "a body over client_max_body_size (${limit}m) got $code, not 413"
pass "bodies over ${limit} MiB are refused with 413 (MAX_UPLOAD_SIZE is 100 MiB)"

# --- login rate limit -------------------------------------------------------------------------

burst="$(sed -nE '/location = \/login \{/,/\}/ s/.*limit_req zone=formula_login burst=([0-9]+) nodelay;.*/\1/p' "$SITE")"
rate="$(sed -nE 's/.*zone=formula_login:[^ ]+ rate=([0-9]+r\/m);.*/\1/p' "$SITE")"
if [ -z "$burst" ] || [ -z "$rate" ]; then
    die "cannot read the login zone's rate and burst from the configuration"
fi
allowed=$((burst + 1))
extra=3
# From 127.0.0.2, a client address nothing else in this test used, so its bucket is full.
# All at once: at $rate the bucket refills one request every few seconds, far slower.
mkdir -p "$WORK/login"
seq 1 $((allowed + extra)) | xargs -P "$((allowed + extra))" -I{} \
    curl -ksS --interface 127.0.0.2 -o /dev/null -D "$WORK/login/{}.h" -w '%{http_code}\n' \
    --data-urlencode 'email=nobody{}@deploy.test' --data-urlencode 'password=wrong-password' \
    "$NGINX_URL/login" >"$WORK/login/codes"
passed="$(grep -vc '^429$' "$WORK/login/codes" || true)"
refused="$(grep -c '^429$' "$WORK/login/codes" || true)"
[ "$passed-$refused" = "$allowed-$extra" ] ||
    die "login limit ($rate, burst $burst): $passed passed and $refused got 429; expected $allowed and $extra ($(sort "$WORK/login/codes" | uniq -c | tr '\n' ' '))"
grep -qvx '401' <(grep -v '^429$' "$WORK/login/codes") && die "a sign-in that passed the limit was not answered 401"
h="$(grep -l '^HTTP/[0-9.]* 429' "$WORK"/login/*.h | head -n 1)"
for name in "${SECURITY_HEADERS[@]}"; do
    [ "$(grep -ci "^$name:" "$h")" -eq 1 ] || die "nginx's 429 lacks $name (or has it twice)"
done
# The app saw the real client through nginx (TRUSTED_PROXIES=127.0.0.1), not nginx itself.
grep -hq '"client_ip":"127.0.0.2"' "$WORK"/logs/app*.log ||
    die "the instances did not log the forwarded client address 127.0.0.2"
pass "login limit ($rate, burst $burst): $allowed sign-ins passed (401), the next $extra got nginx's 429 with the security headers; the app saw client 127.0.0.2"

# The API's sign-in shares the zone; its refusals are problem+json, like the app's own.
seq 1 $((allowed + 1)) | xargs -P "$((allowed + 1))" -I{} \
    curl -ksS --interface 127.0.0.5 -o "$WORK/login/api{}.body" -w '%{http_code} %{content_type}\n' \
    -H 'Content-Type: application/json' -d '{"email":"nobody{}@deploy.test","password":"wrong-password"}' \
    "$NGINX_URL/api/v1/auth/login" >"$WORK/login/api-codes"
grep -q '^429 application/problem+json$' "$WORK/login/api-codes" ||
    die "no problem+json 429 from POST /api/v1/auth/login after $((allowed + 1)) attempts: $(sort "$WORK/login/api-codes" | uniq -c | tr '\n' ' ')"
grep -h '"code":"rate_limited"' "$WORK"/login/api*.body | python3 -m json.tool >/dev/null ||
    die "nginx's API 429 is not a JSON problem with code rate_limited"
pass "POST /api/v1/auth/login shares the login zone; its 429 is application/problem+json (code rate_limited)"

# --- live updates through nginx -------------------------------------------------------------------

sse_through_nginx

# --- killing one instance under load ---------------------------------------------------------------

# Idempotent reads, as browsers and API clients make them: readiness (a database round
# trip) and an authenticated API list, from three workers each, as fast as they go.
load_start "$NGINX_URL/health/ready" 3
load_start "$NGINX_URL/api/v1/projects?limit=5" 2 --interface 127.0.0.3 -H "Authorization: Bearer $TOKEN" --rate 40/s
load_wait_more 300
before_kill="$(load_count)"
victim="$(cat "$WORK/app2.pid")"
kill -KILL "$victim"
wait "$victim" 2>/dev/null || true
load_wait_more 600
load_stop
report="$(load_report)"
failures="$(load_failures)"
[ "$failures" -eq 0 ] || die "killing an instance under load failed $failures requests: $report: $(load_failure_lines)"
# What nginx had to absorb: attempts on the dead instance that it passed to another one.
absorbed="$(grep -c "upstream: \"http://127.0.0.1:${PORTS[1]}/" "$NGINX_DIR/error.log" || true)"
pass "SIGKILL of instance 2 under load: $report ($before_kill before the kill), 0 failed; nginx logged $absorbed failed attempts on it and retried each on another instance"
