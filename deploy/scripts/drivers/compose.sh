# shellcheck shell=bash
# rolling-update.sh driver for deploy/compose.prod.yaml: the instances are the services
# app1, app2 (FORMULA_PM_INSTANCES to change the list), nginx is the `nginx` service, and a
# VERSION is an image tag of FORMULA_PM_IMAGE (FORMULA_PM_TAG in deploy/.env). Run it on
# the Docker host, from anywhere:
#
#   deploy/scripts/rolling-update.sh 1.4.0
#
# Environment (all optional):
#   COMPOSE_FILE          default: deploy/compose.prod.yaml
#   FORMULA_PM_INSTANCES  default: "app1 app2"
#   COMPOSE               the compose command; default `docker compose`, else
#                         `docker-compose`
#
# The loopback driver (drivers/loopback.sh) documents the functions' contracts; this one
# is exercised by hand, not by the loopback tests (they have no Docker daemon).

compose_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
COMPOSE_FILE="${COMPOSE_FILE:-$compose_dir/compose.prod.yaml}"

compose() {
    if [ -n "${COMPOSE:-}" ]; then
        # shellcheck disable=SC2086 # COMPOSE is a command with arguments
        $COMPOSE -f "$COMPOSE_FILE" "$@"
    elif docker compose version >/dev/null 2>&1; then
        docker compose -f "$COMPOSE_FILE" "$@"
    else
        docker-compose -f "$COMPOSE_FILE" "$@"
    fi
}

driver_init() {
    local version="$1"
    [[ "$version" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || {
        echo "compose driver: VERSION must be an image tag, got: $version" >&2
        return 1
    }
    [ -f "$COMPOSE_FILE" ] || {
        echo "compose driver: no compose file at $COMPOSE_FILE" >&2
        return 1
    }
    compose ps -q nginx | grep -q . || {
        echo "compose driver: the nginx service is not running" >&2
        return 1
    }
}

driver_instances() { tr ' ' '\n' <<<"${FORMULA_PM_INSTANCES:-app1 app2}" | awk 'NF'; }

compose_container() { compose ps -q "$1" | head -n 1; }

driver_version() {
    local image
    image="$(docker inspect -f '{{.Config.Image}}' "$(compose_container "$1")" 2>/dev/null)" || {
        echo "unknown"
        return 0
    }
    echo "${image##*:}"
}

driver_address() { echo "$1:5014"; }

driver_url() { echo ""; }

driver_upstream_file() { echo "$compose_dir/nginx/conf.d/formula-pm-upstream.conf"; }

# "pid title" of nginx's worker processes, inside the container (busybox ps).
compose_nginx_workers() {
    compose exec -T nginx ps -o pid,args 2>/dev/null | awk '/nginx: worker process/ { print }'
}

driver_nginx_reload() {
    local old workers fresh pid settled deadline=$((SECONDS + 30))
    compose exec -T nginx nginx -t -q || return 1
    old="$(compose_nginx_workers | awk '{ print $1 }')"
    compose exec -T nginx nginx -s reload || return 1
    while [ "$SECONDS" -lt "$deadline" ]; do
        workers="$(compose_nginx_workers)"
        fresh="$(awk '{ print $1 }' <<<"$workers" | grep -vxF -f <(echo "${old:-none}") || true)"
        if [ -n "$fresh" ]; then
            settled=1
            for pid in $old; do
                if grep -q "^ *$pid " <<<"$workers" && ! grep -q "^ *$pid .*shutting down" <<<"$workers"; then
                    settled=0
                fi
            done
            [ "$settled" -eq 0 ] || return 0
        fi
        sleep 0.2
    done
    echo "compose driver: nginx did not finish reloading within 30 s" >&2
    return 1
}

# The metrics listener (METRICS_BIND) is on the internal network and needs the token; the
# instance's own SIGTERM grace (stop_grace_period) lets in-flight requests finish instead.
driver_in_flight() { echo ""; }

driver_stop() { compose stop -t 40 "$1" >/dev/null; }

driver_start() { FORMULA_PM_TAG="$2" compose up -d --no-deps "$1" >/dev/null; }

driver_alive() {
    [ "$(docker inspect -f '{{.State.Running}}' "$(compose_container "$1")" 2>/dev/null)" = true ]
}

compose_get() {
    compose exec -T "$1" formula-pm healthcheck --url "http://127.0.0.1:5014$2" >/dev/null 2>&1
}

driver_ready() { compose_get "$1" /health/ready; }

driver_smoke() { compose_get "$1" /health/ready && compose_get "$1" /login && compose_get "$1" /api/v1/openapi.json; }

# Into BACKUP_DIR (/backups, the `backups` volume): in the running container when it runs
# VERSION, else in a one-off container of VERSION with the same configuration.
driver_backup() {
    if [ "$(driver_version "$1")" = "$2" ]; then
        compose exec -T "$1" formula-pm backup
    else
        FORMULA_PM_TAG="$2" compose run --rm --no-deps -T "$1" backup
    fi
}

# After a successful update: record the tag in deploy/.env, so that a later
# `docker compose up -d` keeps running it.
driver_done() {
    local version="$1" env="$compose_dir/.env"
    if [ -f "$env" ] && grep -q '^FORMULA_PM_TAG=' "$env"; then
        sed -i "s/^FORMULA_PM_TAG=.*/FORMULA_PM_TAG=$version/" "$env"
        echo "compose driver: FORMULA_PM_TAG=$version written to $env"
    else
        echo "compose driver: set FORMULA_PM_TAG=$version in $env, or the next \`up -d\` goes back to the old tag"
    fi
}
