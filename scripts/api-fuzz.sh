#!/usr/bin/env bash
# Fuzzes the JSON API against its own OpenAPI document with Schemathesis: every check, every
# phase, on a server filled by `seed-demo`, signed in as the demo administrator through an
# API token. Called by scripts/test.sh once per database; usable alone while iterating.
#
#   scripts/api-fuzz.sh BINARY [DATABASE_URL]
#
# BINARY is the formula-pm binary. Without DATABASE_URL the server runs on SQLite in a
# temporary DATA_DIR; with it, on that (empty) PostgreSQL database. Schemathesis is taken
# from $SCHEMATHESIS (default: schemathesis on PATH). The settings (checks, what is
# excluded and why) are in scripts/schemathesis.toml; API_FUZZ_MAX_TIME (seconds, default
# 75) bounds the run, API_FUZZ_EXAMPLES (default 8) the examples per operation.
#
# Exits non-zero when Schemathesis finds a failure or an error, or tests no operation (and
# warns when the time ran out before it reached every operation).
set -euo pipefail

bin="${1:?usage: api-fuzz.sh BINARY [DATABASE_URL]}"
database_url="${2:-}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
st="${SCHEMATHESIS:-schemathesis}"
max_time="${API_FUZZ_MAX_TIME:-75}"
examples="${API_FUZZ_EXAMPLES:-8}"

work="$(mktemp -d /tmp/formula-fuzz.XXXXXX)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
export APP_ENV=development DATA_DIR="$work/data" BIND=127.0.0.1 PORT="$port" LOG_LEVEL=warn
# The fuzzer sends thousands of requests a minute from one caller; the limits are tested
# elsewhere (crates/web/tests/api/requests.rs).
export RATE_LIMIT_ENABLED=false
if [ -n "$database_url" ]; then
    export DATABASE_URL="$database_url"
    label="PostgreSQL"
else
    unset DATABASE_URL
    label="SQLite"
fi

"$bin" seed-demo >"$work/seed.log" 2>&1 || {
    cat "$work/seed.log" >&2
    echo "api-fuzz: seed-demo failed" >&2
    exit 1
}
"$bin" serve >"$work/server.log" 2>&1 &
server_pid=$!

ready=0
for _ in $(seq 1 150); do
    if curl -fsS -o /dev/null "$base/health/ready" 2>/dev/null; then
        ready=1
        break
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
done
if [ "$ready" -ne 1 ]; then
    cat "$work/server.log" >&2
    echo "api-fuzz: the server did not become ready" >&2
    exit 1
fi

# Sign in as the demo administrator and make an API token (a cookie write needs the CSRF token).
json_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
csrf="$(curl -fsS -c "$work/cookies" -H 'content-type: application/json' \
    -d '{"email":"admin@demo.formulapm.test","password":"demo-password-2025"}' \
    "$base/api/v1/auth/login" | json_field csrf_token)"
token="$(curl -fsS -b "$work/cookies" -H "x-csrf-token: $csrf" -H 'content-type: application/json' \
    -d '{"name":"schemathesis"}' "$base/api/v1/me/tokens" | json_field secret)"
auth=(-H "Authorization: Bearer $token")

echo "==> schemathesis on $label ($base, at most ${max_time}s, ${examples} examples per operation)"
status=0
# From inside the work directory, so that Schemathesis' and Hypothesis' caches go with it.
(cd "$work" && "$st" --config-file "$here/schemathesis.toml" run "$base/api/v1/openapi.json" \
    --url "$base" "${auth[@]}" --checks all --phases examples,coverage,fuzzing,stateful \
    --max-examples "$examples" --max-time "$max_time" --seed 14 \
    --report json --report-dir "$work/report" --no-color \
    >"$work/fuzz.log" 2>&1) || status=$?
cat "$work/fuzz.log"

# A run that tested nothing passes vacuously: refuse it. One that ran out of time before
# reaching every operation is reported.
read -r selected tested < <(python3 -c 'import glob, json, sys
r = json.load(open(glob.glob(sys.argv[1] + "/json-*.json")[0]))["operations"]
print(r["selected"], r["tested"])' "$work/report" 2>/dev/null || echo "0 0")
if [ "$status" -ne 0 ]; then
    echo "api-fuzz: schemathesis failed on $label (exit $status)" >&2
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "api-fuzz: the server is gone; the end of its log:" >&2
        tail -n 30 "$work/server.log" >&2
    else
        # A 500 is logged by the server with its cause.
        grep -E '"level":"ERROR"' "$work/server.log" | tail -n 5 >&2 || true
    fi
    exit 1
fi
if [ "$tested" -eq 0 ]; then
    echo "api-fuzz: schemathesis tested no operation on $label" >&2
    exit 1
fi
if [ "$tested" -lt "$selected" ]; then
    # The time bound comes first: on a loaded machine the run reaches fewer operations.
    echo "api-fuzz: warning: only $tested of $selected operations were reached on $label within ${max_time}s (a busy machine? raise API_FUZZ_MAX_TIME)" >&2
fi
echo "api-fuzz: $tested operations, no failures on $label"
