#!/usr/bin/env bash
# deploy/scripts/rolling-update.sh on loopback: three instances of the real formula-pm
# binary behind the real nginx (HTTPS), on a shared PostgreSQL and Redis, with continuous
# load through nginx — reads (readiness, an API list) and writes (API creates) — during
# every update. Proves:
#   1. an update replaces all three, one at a time, with a backup first and 0 failed
#      requests;
#   2. a release that does not become ready in time (here: on its second instance) is
#      rolled back — both the instance that failed and the one already updated return to
#      the previous version — the script exits 1, and no request fails;
#   3. a release that fails a smoke test is rolled back the same way.
#
# "Versions" are copies of one debug binary under different paths (which is what the
# loopback driver calls a version), so the test checks which executable each instance
# runs. The broken releases are wrappers around a copy: one that turns readiness off from
# its second start on, one that sets its own security headers (which the smoke test, as
# a production one would, refuses: nginx sets them).
# shellcheck source-path=SCRIPTDIR disable=SC1091
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
. "$here/lib/common.sh"
. "$here/lib/services.sh"
. "$here/lib/nginx.sh"
. "$here/lib/load.sh"

need nginx psql redis-server flock setsid

# --- releases -------------------------------------------------------------------------------

release() {
    mkdir -p "$WORK/releases/$1"
    ln "$FORMULA_PM_BIN" "$WORK/releases/$1/formula-pm" 2>/dev/null ||
        cp "$FORMULA_PM_BIN" "$WORK/releases/$1/formula-pm"
    echo "$WORK/releases/$1/formula-pm"
}
V1="$(release v1)"
V2="$(release v2)"
# Starts and becomes ready once, then never again: a release that works on one host and
# not on the next. (HEALTH_DISK_FAIL_PERCENT=100: readiness answers 503 for ever.)
real="$(release not-ready)"
mv "$real" "$real-real"
NOT_READY="$WORK/releases/not-ready/formula-pm"
cat >"$NOT_READY" <<'EOF'
#!/bin/sh
starts=$(($(cat "$0.starts" 2>/dev/null || echo 0) + 1))
echo "$starts" >"$0.starts"
if [ "$starts" -ge 2 ]; then
    export HEALTH_DISK_WARN_PERCENT=100 HEALTH_DISK_FAIL_PERCENT=100
fi
exec "$0-real" "$@"
EOF
# Ready, but sends its own security headers, which the smoke test below refuses.
real="$(release bad-headers)"
mv "$real" "$real-real"
BAD_HEADERS="$WORK/releases/bad-headers/formula-pm"
cat >"$BAD_HEADERS" <<'EOF'
#!/bin/sh
SECURITY_HEADERS=app exec "$0-real" "$@"
EOF
chmod +x "$NOT_READY" "$BAD_HEADERS"

# --- three instances behind nginx ---------------------------------------------------------------

pg_database
redis_start
nginx_ports
STATE="$WORK/state"
mkdir -p "$STATE"
export LOOPBACK_STATE="$STATE" LOOPBACK_NGINX="$NGINX_DIR" LOOPBACK_BACKUP_DIR="$WORK/backups"
. "$REPO/deploy/scripts/drivers/loopback.sh"

stop_instances() {
    local f
    for f in "$STATE"/*.pid; do
        [ -f "$f" ] && stop_pid "$(cat "$f")" 15
    done
}
on_exit stop_instances

upstream=""
for i in 1 2 3; do
    port="$(free_port)"
    echo "app$i $port" >>"$STATE/instances"
    app_env "$i" "$port" >"$STATE/app$i.env"
    upstream="$upstream${upstream:+,}127.0.0.1:$port"
done
app_cmd migrate >/dev/null 2>"$WORK/logs/migrate.log" || die "migrate failed: $(cat "$WORK/logs/migrate.log")"
for name in app1 app2 app3; do driver_start "$name" "$V1"; done
for name in app1 app2 app3; do wait_until 60 "$name ready" driver_ready "$name"; done
nginx_render "$upstream"
nginx_start
create_admin
TOKEN="$(api_token "$NGINX_URL")"
# The load's writes: tasks in one project.
api() {
    curl -ksS --fail-with-body -X "$1" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' -d "$3" "$NGINX_URL$2"
}
me="$(curl -ksS --fail-with-body -H "Authorization: Bearer $TOKEN" "$NGINX_URL/api/v1/auth/me" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["user"]["id"])')"
client="$(api POST /api/v1/clients '{"name":"Rolling Update Hotels"}' | json_field id)"
PROJECT="$(api POST /api/v1/projects "{\"name\":\"Rolling lobby\",\"client_id\":\"$client\",\"manager_id\":\"$me\",\"sector\":\"hospitality\",\"business_line\":\"millwork\"}" | json_field id)"
pass "three instances of $V1 behind nginx at $NGINX_URL"

# --- helpers --------------------------------------------------------------------------------

# Every instance runs EXECUTABLE: per the driver's record and per the kernel.
all_on() {
    local want="$1" name pid exe
    for name in app1 app2 app3; do
        [ "$(driver_version "$name")" = "$want" ] || die "$name runs $(driver_version "$name"), expected $want"
        pid="$(cat "$STATE/$name.pid")"
        exe="$(readlink "/proc/$pid/exe")"
        [ "$exe" = "$want" ] || die "$name (pid $pid) executes $exe, expected $want"
        driver_ready "$name" || die "$name is not ready"
    done
    ! grep -q ' down;' "$NGINX_DIR/conf.d/formula-pm-upstream.conf" ||
        die "an instance is still marked down in nginx: $(grep ' down;' "$NGINX_DIR/conf.d/formula-pm-upstream.conf")"
}

backups() { find "$WORK/backups" -name 'formula-pm-*.tar.gz' 2>/dev/null | wc -l; }

# update EXPECTED_STATUS ARGS...: runs rolling-update.sh under continuous load through
# nginx and checks its exit status and that no request failed. Sets UPDATE_LOG.
update() {
    local want="$1" status=0 report failures
    shift
    UPDATE_LOG="$WORK/logs/update-$((++updates)).log"
    load_reset
    load_start "$NGINX_URL/health/ready" 2
    load_start "$NGINX_URL/api/v1/projects?limit=5" 1 --interface 127.0.0.3 --rate 40/s \
        -H "Authorization: Bearer $TOKEN"
    load_start "$NGINX_URL/api/v1/projects/$PROJECT/tasks" 1 --interface 127.0.0.4 --rate 10/s \
        -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        -d '{"title":"Written during a rolling update"}'
    load_wait_more 100
    "$REPO/deploy/scripts/rolling-update.sh" --driver loopback "$@" >"$UPDATE_LOG" 2>&1 || status=$?
    load_wait_more 100
    load_stop
    report="$(load_report)"
    failures="$(load_failures)"
    WRITES=$((WRITES + $(cat "$LOAD_DIR"/w*.log | grep -c '^201$' || true)))
    sed 's/^/      /' "$UPDATE_LOG"
    [ "$status" -eq "$want" ] || die "rolling-update.sh exited $status, expected $want"
    [ "$failures" -eq 0 ] || die "$failures requests failed during the update: $report: $(load_failure_lines)"
    LOAD_REPORT="$report"
}
updates=0
WRITES=0

# --- 1. success -----------------------------------------------------------------------------

update 0 --ready-timeout 60 "$V2"
all_on "$V2"
[ "$(backups)" -eq 1 ] || die "no backup was written before the update"
pass "update to v2: all three replaced one by one; 1 backup; load: $LOAD_REPORT, 0 failed"

# --- 2. a release that does not become ready -------------------------------------------------

update 1 --ready-timeout 10 "$NOT_READY"
[ "$(cat "$NOT_READY.starts")" -eq 2 ] || die "the failing release started $(cat "$NOT_READY.starts") times, expected 2 (app1 fine, app2 never ready)"
grep -q 'ROLLBACK' "$UPDATE_LOG" || die "the update log does not say it rolled back"
all_on "$V2"
[ "$(backups)" -eq 2 ] || die "no backup was written before the second update"
pass "not-ready release: app1 updated, app2 never ready in 10 s, both back on v2, exit 1; load: $LOAD_REPORT, 0 failed"

# --- 3. a release that fails the smoke test --------------------------------------------------

# As in production, the instances must leave the security headers to nginx.
# shellcheck disable=SC2016 # expanded by rolling-update.sh, which sets INSTANCE_URL
smoke='! curl -sS -D - -o /dev/null "$INSTANCE_URL/login" | grep -qi "^content-security-policy:"'
update 1 --ready-timeout 60 --smoke "$smoke" "$BAD_HEADERS"
grep -q 'failed the smoke test' "$UPDATE_LOG" || die "the update log does not name the failed smoke test"
all_on "$V2"
pass "release failing the smoke test: rolled back to v2, exit 1; load: $LOAD_REPORT, 0 failed"

# Every write answered 201 is in the database once, and no other: nothing was lost, and
# nginx never sent a POST twice.
stored="$(psql -tA "$DEPLOY_DATABASE_URL" -c "SELECT count(*) FROM tasks WHERE project_id = '$PROJECT'")"
[ "$stored" -eq "$WRITES" ] || die "$WRITES creates were answered 201 but the database holds $stored"
pass "all $WRITES writes answered 201 during the three updates are stored exactly once"
