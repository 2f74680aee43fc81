#!/usr/bin/env bash
# Renders the nginx configuration of deploy/nginx/ into a directory, with your host name
# and instance list, or as a loopback variant that an unprivileged nginx runs on free ports
# (the deployment tests use that).
#
#   render-nginx.sh --out DIR [--server-name NAME] [--upstream HOST:PORT,...]
#   render-nginx.sh --loopback --out DIR --http-port N --https-port N \
#                   --cert FILE --key FILE --upstream 127.0.0.1:PORT,... [--server-name NAME]
#
#   --out DIR          where to write nginx.conf, conf.d/ (and, for --loopback, mime.types,
#                      temp/, acme/); created if missing
#   --server-name NAME host name (server_name and the /etc/letsencrypt/live/NAME paths);
#                      default pm.example.com, or localhost with --loopback
#   --upstream LIST    the instances, comma-separated HOST:PORT; default app1:5014,app2:5014
#   --resolver ADDR    DNS server nginx asks for the OCSP responder; default 127.0.0.11
#                      (Docker's); on a host, e.g. 127.0.0.53 or your network's resolver
#
# With --loopback, nginx runs with
#   nginx -p DIR -c DIR/nginx.conf -e DIR/error.log
# and writes its pid, logs and temporary files under DIR, listens on 127.0.0.1 only, uses
# the given certificate, and turns OCSP stapling off (a self-signed certificate has no
# OCSP responder, and nginx would warn). When the nginx installed here is older than
# 1.25.1 (Debian 12 ships 1.22), `http2 on;` becomes `listen … ssl http2` (either mode).
#
# Every substitution must match the template exactly as often as expected, so a template
# edit that breaks rendering fails here instead of producing a half-rendered file.
#
# The perl substitutions below are single-quoted on purpose: values reach them through
# the environment ($ENV{…}), never by expansion into the code.
# shellcheck disable=SC2016
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$(cd "$here/../nginx" && pwd)"

die() {
    printf 'render-nginx.sh: %s\n' "$*" >&2
    exit 2
}

out="" loopback=0 server_name="" upstream="app1:5014,app2:5014" resolver=""
http_port="" https_port="" cert="" key=""
while [ "$#" -gt 0 ]; do
    case "$1" in
        --out) out="${2:?--out needs a directory}"; shift 2 ;;
        --loopback) loopback=1; shift ;;
        --server-name) server_name="${2:?--server-name needs a name}"; shift 2 ;;
        --upstream) upstream="${2:?--upstream needs HOST:PORT,...}"; shift 2 ;;
        --resolver) resolver="${2:?--resolver needs an address}"; shift 2 ;;
        --http-port) http_port="${2:?--http-port needs a port}"; shift 2 ;;
        --https-port) https_port="${2:?--https-port needs a port}"; shift 2 ;;
        --cert) cert="${2:?--cert needs a file}"; shift 2 ;;
        --key) key="${2:?--key needs a file}"; shift 2 ;;
        -h | --help)
            sed -n '2,/^set /p' "$0" | grep '^#' | cut -c3-
            exit 0
            ;;
        *) die "unknown argument: $1 (try --help)" ;;
    esac
done

[ -n "$out" ] || die "--out DIR is required"
if [ "$loopback" -eq 1 ]; then
    if [ -z "$http_port" ] || [ -z "$https_port" ]; then
        die "--loopback needs --http-port and --https-port"
    fi
    if ! [ -f "$cert" ] || ! [ -f "$key" ]; then
        die "--loopback needs --cert and --key (existing files)"
    fi
    server_name="${server_name:-localhost}"
else
    server_name="${server_name:-pm.example.com}"
fi
[[ "$server_name" =~ ^[A-Za-z0-9.-]+$ ]] || die "--server-name: not a host name: $server_name"
ip_chars='^[][0-9A-Fa-f.:]*$'
[[ "$resolver" =~ $ip_chars ]] || die "--resolver: not an IP address: $resolver"
servers=()
IFS=',' read -r -a servers <<<"$upstream"
[ "${#servers[@]}" -gt 0 ] || die "--upstream: no instance given"
for s in "${servers[@]}"; do
    [[ "$s" =~ ^[A-Za-z0-9.-]+:[0-9]+$ ]] || die "--upstream: not HOST:PORT: $s"
done

mkdir -p "$out/conf.d/snippets"
out="$(cd "$out" && pwd)"
cp "$src/nginx.conf" "$out/nginx.conf"
cp "$src/conf.d/formula-pm.conf" "$src/conf.d/formula-pm-upstream.conf" "$out/conf.d/"
cp "$src/conf.d/snippets/"*.inc "$out/conf.d/snippets/"

# subst FILE COUNT PERL-SUBSTITUTION: applies the substitution (s{…}{…}gm over the whole
# file) and fails unless it replaced exactly COUNT times.
subst() {
    local file="$1" want="$2" expr="$3" got
    got="$(EXPR="$expr" perl -0777 -i -pe 'BEGIN { $n = 0 } $n += eval "$ENV{EXPR}"; die $@ if $@; END { print STDERR "$n\n" }' "$file" 2>&1 >/dev/null | tail -n 1)"
    [ "$got" = "$want" ] || die "template drift in ${file#"$out"/}: '$expr' matched $got times, expected $want"
}
# Values go into the files through the environment, never into the perl code.
export SERVER_NAME="$server_name" OUT="$out" HTTP_PORT="$http_port" HTTPS_PORT="$https_port"
export CERT="$cert" KEY="$key" RESOLVER="$resolver"
SERVERS="$(for s in "${servers[@]}"; do
    printf '    server %s max_fails=3 fail_timeout=10s;\n' "$s"
done)"
export SERVERS

site="$out/conf.d/formula-pm.conf"
subst "$out/conf.d/formula-pm-upstream.conf" 1 's{(?:^    server \S+ max_fails=3 fail_timeout=10s;\n)+}{$ENV{SERVERS}\n}gm'
subst "$site" 2 's{^(\s*server_name) pm\.example\.com;}{$1 $ENV{SERVER_NAME};}gm'
subst "$site" 3 's{/etc/letsencrypt/live/pm\.example\.com/}{/etc/letsencrypt/live/$ENV{SERVER_NAME}/}gm'
if [ -n "$resolver" ]; then
    subst "$site" 1 's{^(\s*resolver) 127\.0\.0\.11 }{$1 $ENV{RESOLVER} }gm'
fi

if [ "$loopback" -eq 1 ]; then
    conf="$out/nginx.conf"
    mime=/etc/nginx/mime.types
    [ -f "$mime" ] || die "no $mime to copy (is nginx installed?)"
    cp "$mime" "$out/mime.types"
    mkdir -p "$out/temp" "$out/acme/.well-known/acme-challenge"

    # Runs as the invoking user: no `user`, everything under DIR.
    subst "$conf" 1 's{^user nginx;\n}{}gm'
    subst "$conf" 1 's{^pid .*;$}{pid $ENV{OUT}/nginx.pid;}gm'
    subst "$conf" 1 's{^error_log /var/log/nginx/error\.log (\w+);$}{error_log $ENV{OUT}/error.log $1;}gm'
    subst "$conf" 1 's{access_log /var/log/nginx/access\.log main;}{access_log $ENV{OUT}/access.log main;}gm'
    subst "$conf" 1 's{^(http \{\n)}{$1    client_body_temp_path $ENV{OUT}/temp/body;\n    proxy_temp_path $ENV{OUT}/temp/proxy;\n    fastcgi_temp_path $ENV{OUT}/temp/fastcgi;\n    uwsgi_temp_path $ENV{OUT}/temp/uwsgi;\n    scgi_temp_path $ENV{OUT}/temp/scgi;\n\n}gm'

    subst "$site" 1 's{^(\s*)listen 80;$}{$1listen 127.0.0.1:$ENV{HTTP_PORT};}gm'
    subst "$site" 1 's{^(\s*)listen 443 ssl;$}{$1listen 127.0.0.1:$ENV{HTTPS_PORT} ssl;}gm'
    subst "$site" 2 's{^\s*listen \[::\]:\d+( ssl)?;\n}{}gm'
    subst "$site" 1 's{^(\s*ssl_certificate) \S+;$}{$1 $ENV{CERT};}gm'
    subst "$site" 1 's{^(\s*ssl_certificate_key) \S+;$}{$1 $ENV{KEY};}gm'
    # A self-signed certificate has no OCSP responder to staple.
    subst "$site" 1 's{^(\s*ssl_stapling) on;$}{$1 off;}gm'
    subst "$site" 1 's{^\s*ssl_stapling_verify on;\n}{}gm'
    subst "$site" 1 's{^\s*ssl_trusted_certificate \S+;\n}{}gm'
    subst "$site" 1 's{^\s*resolver \S.*;\n}{}gm'
    subst "$site" 1 's{^\s*resolver_timeout \S+;\n}{}gm'
    subst "$site" 1 's{root /var/www/certbot;}{root $ENV{OUT}/acme;}gm'
    # The redirect names the https port, which is not 443 here.
    subst "$site" 1 's{return 301 https://\$host\$request_uri;}{return 301 https://\$host:$ENV{HTTPS_PORT}\$request_uri;}gm'

fi

# `http2 on;` arrived in nginx 1.25.1; older ones (Debian 12 has 1.22) take http2 as a
# listen parameter. Rendered for the nginx installed here, if any.
if command -v nginx >/dev/null 2>&1; then
    version="$(nginx -v 2>&1 | sed -nE 's#.*nginx/([0-9.]+).*#\1#p')"
    [ -n "$version" ] || die "cannot read the version of the installed nginx"
    if [ "$(printf '%s\n' "$version" 1.25.1 | sort -V | head -n 1)" != 1.25.1 ]; then
        subst "$site" 1 's{^\s*http2 on;\n}{}gm'
        subst "$site" "$((loopback ? 1 : 2))" 's{^(\s*listen \S+ ssl);$}{$1 http2;}gm'
    fi
elif [ "$loopback" -eq 1 ]; then
    die "--loopback needs nginx installed"
fi

printf 'rendered %s (server %s, upstream %s)\n' "$out" "$server_name" "$upstream"
