# shellcheck shell=bash
# PostgreSQL, Redis and formula-pm instances for the loopback deployment tests. Source
# after common.sh. Several instances must share one database, so these tests run on
# PostgreSQL (a SQLite file refuses a second server).

# --- PostgreSQL -----------------------------------------------------------------------------

pg_bin_dir() {
    local dir
    dir="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null |
        sort -V | tail -n 1)"
    [ -n "$dir" ] && dirname "$dir"
}

# PostgreSQL refuses to run as root: as root it runs as the `postgres` system user.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd "$WORK" && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# Starts a throwaway PostgreSQL in $WORK/pg on a free port (the way scripts/test.sh does)
# and prints the URL of its `postgres` database.
pg_start_own() {
    local bin port i
    bin="$(pg_bin_dir)" || die "TEST_DATABASE_URL is unset and no PostgreSQL server is installed (apt-get install postgresql, or run scripts/test.sh)"
    port="$(free_port)"
    mkdir -p "$WORK/pg"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$WORK/pg"
    as_pg "$bin/initdb" -D "$WORK/pg/data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
        >"$WORK/logs/initdb.log" 2>&1 || die "initdb failed (see $WORK/logs/initdb.log)"
    as_pg "$bin/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/postgres.log" -s \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $WORK/pg -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || die "PostgreSQL did not start"
    on_exit "as_pg '$bin/pg_ctl' -D '$WORK/pg/data' -m immediate -w stop"
    for ((i = 0; i < 300; i++)); do
        "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres && break
        sleep 0.1
    done
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres || die "PostgreSQL not ready after 30 s"
    echo "postgres://postgres@127.0.0.1:$port/postgres"
}

# pg_database: creates an empty database of this test's own and sets DEPLOY_DATABASE_URL.
# In the server named by TEST_DATABASE_URL (exported by scripts/test.sh) when set, else in a
# throwaway server started here. The database is dropped at exit.
pg_database() {
    need psql
    local admin name
    if [ -n "${TEST_DATABASE_URL:-}" ]; then
        # Same server and credentials, maintenance database `postgres`.
        admin="$(sed -E 's#^(postgres(ql)?://[^/]+)/[^?]*#\1/postgres#' <<<"$TEST_DATABASE_URL")"
    else
        log "TEST_DATABASE_URL is unset: starting a throwaway PostgreSQL"
        admin="$(pg_start_own)"
    fi
    name="formula_deploy_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
    psql -q -v ON_ERROR_STOP=1 "$admin" -c "CREATE DATABASE $name" >/dev/null ||
        die "cannot create a database in $admin"
    on_exit "psql -q '$admin' -c 'DROP DATABASE IF EXISTS $name WITH (FORCE)'"
    DEPLOY_DATABASE_URL="$(sed -E "s#^(postgres(ql)?://[^/]+)/postgres#\\1/$name#" <<<"$admin")"
    export DEPLOY_DATABASE_URL
}

# --- Redis ----------------------------------------------------------------------------------

# redis_start: a throwaway redis-server on a free port, no persistence; sets DEPLOY_REDIS_URL.
redis_start() {
    need redis-server redis-cli
    local port pid
    port="$(free_port)"
    redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
        --dir "$WORK" --daemonize no >"$WORK/logs/redis.log" 2>&1 &
    pid=$!
    on_exit "stop_pid $pid 5"
    wait_until 20 "redis-server on port $port" redis-cli -p "$port" ping
    DEPLOY_REDIS_URL="redis://127.0.0.1:$port/0"
    export DEPLOY_REDIS_URL
}

# --- formula-pm instances -------------------------------------------------------------------

# The environment every loopback instance gets: the shared database and Redis, nginx on
# 127.0.0.1 as the one trusted proxy, and the proxy setting the security headers.
# PUBLIC_URL must be set by the caller (the https address nginx serves).
app_env() {
    local i="$1" port="$2"
    mkdir -p "$WORK/app$i"
    printf '%s\n' \
        "BIND=127.0.0.1" \
        "PORT=$port" \
        "DATA_DIR=$WORK/app$i" \
        "DATABASE_URL=$DEPLOY_DATABASE_URL" \
        "REDIS_URL=${DEPLOY_REDIS_URL:-}" \
        "PUBLIC_URL=$PUBLIC_URL" \
        "TRUSTED_PROXIES=127.0.0.1" \
        "SECURITY_HEADERS=proxy" \
        "SHUTDOWN_GRACE_SECONDS=10" \
        "BACKUP_SCHEDULE=off" \
        "LOG_LEVEL=${APP_LOG_LEVEL:-warn}" \
        "RATE_LIMIT_API_READ_PER_MINUTE=1000000" \
        "RATE_LIMIT_API_WRITE_PER_MINUTE=1000000" \
        "RATE_LIMIT_PAGES_PER_MINUTE=1000000"
}

# app_launch I PORT [BINARY]: starts instance I on PORT in the background (stopped at
# exit) and records its pid in $WORK/app$I.pid. app_wait_ready I PORT waits for readiness;
# app_start does both.
app_launch() {
    local i="$1" port="$2" bin="${3:-$FORMULA_PM_BIN}" pid
    local -a env_args
    mapfile -t env_args < <(app_env "$i" "$port")
    env "${env_args[@]}" "$bin" serve >>"$WORK/logs/app$i.log" 2>&1 &
    pid=$!
    echo "$pid" >"$WORK/app$i.pid"
    on_exit "stop_pid $pid 15"
}

app_wait_ready() {
    wait_until 60 "instance $1 ready on port $2" is_status 200 "http://127.0.0.1:$2/health/ready"
}

app_start() {
    app_launch "$@"
    app_wait_ready "$1" "$2"
}

# Runs a one-shot formula-pm command against the shared database.
app_cmd() {
    env DATABASE_URL="$DEPLOY_DATABASE_URL" DATA_DIR="$WORK/cmd" LOG_LEVEL=warn \
        "$FORMULA_PM_BIN" "$@"
}

# admin_token BASE_URL: creates an administrator (once) and prints a fresh API token,
# signing in through BASE_URL (normally nginx).
ADMIN_EMAIL="admin@deploy.test"
ADMIN_PASSWORD_VALUE="deploy-test-password-1"
create_admin() {
    ADMIN_PASSWORD="$ADMIN_PASSWORD_VALUE" app_cmd create-admin --email "$ADMIN_EMAIL" \
        --name "Deploy Test" >/dev/null 2>"$WORK/logs/create-admin.log" ||
        die "create-admin failed: $(cat "$WORK/logs/create-admin.log")"
}

# api_token BASE_URL: signs in over the API and creates a personal API token; prints it.
api_token() {
    local base="$1" jar="$WORK/admin.cookies" login csrf token
    login="$(curl -ksS --fail-with-body -c "$jar" -H 'Content-Type: application/json' \
        -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD_VALUE\"}" \
        "$base/api/v1/auth/login")" || die "API sign-in failed: $login"
    csrf="$(json_field csrf_token <<<"$login")"
    token="$(curl -ksS --fail-with-body -b "$jar" -H 'Content-Type: application/json' \
        -H "X-CSRF-Token: $csrf" -d '{"name":"deploy test"}' "$base/api/v1/me/tokens")" ||
        die "creating an API token failed: $token"
    json_field secret <<<"$token"
}

# json_field NAME: prints the top-level field NAME of the JSON document on stdin.
json_field() {
    python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}
