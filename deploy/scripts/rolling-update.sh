#!/usr/bin/env bash
# Rolling update of the Formula PM instances behind nginx, one at a time, with rollback.
#
#   rolling-update.sh [OPTIONS] VERSION
#
#   VERSION                 what to run: an image tag (compose driver), a binary path
#                           (loopback driver)
#   --driver NAME           compose (default; deploy/compose.prod.yaml) or loopback (the
#                           tests' instances: processes on 127.0.0.1); see drivers/
#   --ready-timeout SECONDS how long a new instance may take to answer /health/ready 200
#                           (default 120)
#   --drain-timeout SECONDS how long to wait for a drained instance's requests in flight
#                           (default 30; the instance's SIGTERM grace follows anyway)
#   --smoke COMMAND         an extra smoke test, run with INSTANCE and INSTANCE_URL set
#                           (INSTANCE_URL is empty when the driver cannot reach the
#                           instance from here); must exit 0
#
# For each instance in turn:
#   1. drain: mark it `down` in nginx's upstream file and reload nginx (new connections go
#      to the others; requests already sent finish), then wait until it has no request in
#      flight;
#   2. stop it gracefully (SIGTERM: it finishes what it has, then exits);
#   3. start VERSION in its place and wait until /health/ready answers 200;
#   4. smoke-test it directly (the driver's checks, then --smoke);
#   5. re-enable it in nginx and reload.
# Before the first instance: every instance must be ready, and a backup is taken with the
# version now running (`formula-pm backup`); without a backup nothing is changed.
#
# If an instance does not become ready within --ready-timeout or fails a smoke test, it and
# every instance already updated go back to the version each ran before, the same way (the
# others keep serving throughout), and the script exits 1. The new version migrates the
# database when it starts; the previous version must run on that schema, which is why
# migrations follow expand/contract (docs/deployment.md, "Upgrading").
#
# Exit status: 0 updated; 1 failed and rolled back (every instance on its previous
# version); 2 nothing done (bad arguments, an instance not ready, backup failed, another
# update running); 3 failed and the rollback did not complete either (the output says which
# instance runs what; none is left out of nginx while it serves).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

driver=compose
ready_timeout=120
drain_timeout=30
smoke=""
version=""
while [ "$#" -gt 0 ]; do
    case "$1" in
        --driver) driver="${2:?--driver needs a name}"; shift 2 ;;
        --ready-timeout) ready_timeout="${2:?--ready-timeout needs seconds}"; shift 2 ;;
        --drain-timeout) drain_timeout="${2:?--drain-timeout needs seconds}"; shift 2 ;;
        --smoke) smoke="${2:?--smoke needs a command}"; shift 2 ;;
        -h | --help)
            sed -n '2,/^set /p' "$0" | grep '^#' | cut -c3-
            exit 0
            ;;
        -*)
            echo "rolling-update.sh: unknown option $1 (try --help)" >&2
            exit 2
            ;;
        *)
            [ -z "$version" ] || {
                echo "rolling-update.sh: one VERSION only (try --help)" >&2
                exit 2
            }
            version="$1"
            shift
            ;;
    esac
done

say() { printf '%s rolling-update: %s\n' "$(date -u +%H:%M:%S)" "$*"; }
fail() {
    say "ERROR: $1"
    exit "${2:-2}"
}

[ -n "$version" ] || fail "VERSION is required (try --help)"
[[ "$ready_timeout" =~ ^[0-9]+$ ]] || fail "--ready-timeout: not a number of seconds"
[[ "$drain_timeout" =~ ^[0-9]+$ ]] || fail "--drain-timeout: not a number of seconds"
[ -f "$here/drivers/$driver.sh" ] || fail "no driver $driver (see $here/drivers/)"

# The driver defines: driver_init, driver_instances, driver_version NAME, driver_address
# NAME, driver_upstream_file, driver_nginx_reload, driver_in_flight NAME, driver_stop
# NAME, driver_start NAME VERSION, driver_alive NAME, driver_ready NAME, driver_smoke NAME,
# driver_url NAME and driver_backup NAME VERSION, and may define driver_done VERSION, called after
# a successful update (see drivers/loopback.sh for the contracts).
# shellcheck source=/dev/null
. "$here/drivers/$driver.sh"
driver_init "$version" || fail "the $driver driver cannot run here"

upstream_file="$(driver_upstream_file)"
[ -w "$upstream_file" ] || fail "cannot write nginx's upstream file $upstream_file"
# One update at a time.
exec 9>>"$upstream_file.lock"
flock -n 9 || fail "another rolling update holds $upstream_file.lock"

mapfile -t instances < <(driver_instances)
[ "${#instances[@]}" -ge 2 ] ||
    fail "a rolling update needs at least 2 instances behind nginx (found ${#instances[@]}); with one, use a plain restart"

# --- nginx upstream -------------------------------------------------------------------------

# set_upstream NAME up|down: rewrites the instance's `server` line and reloads nginx.
set_upstream() {
    local name="$1" state="$2" address tmp
    address="$(driver_address "$name")"
    grep -Eq "^\s*server ${address//./\\.}( |;)" "$upstream_file" ||
        fail "instance $name ($address) has no server line in $upstream_file" 3
    tmp="$(mktemp "$upstream_file.XXXXXX")"
    ADDRESS="$address" STATE="$state" perl -pe '
        if (/^\s*server \Q$ENV{ADDRESS}\E[ ;]/) {
            s/ down;/;/;
            s/;\s*$/ down;\n/ if $ENV{STATE} eq "down";
        }' "$upstream_file" >"$tmp"
    chmod --reference="$upstream_file" "$tmp"
    mv "$tmp" "$upstream_file"
    driver_nginx_reload || fail "nginx did not reload (instance $name marked $state in $upstream_file)" 3
}

# --- one instance ---------------------------------------------------------------------------

wait_drained() {
    local name="$1" deadline=$((SECONDS + drain_timeout)) n
    while :; do
        n="$(driver_in_flight "$name" || true)"
        # The driver counts its own metrics request; no figure means it cannot tell.
        [ -n "$n" ] || return 0
        [ "$n" -le 1 ] && return 0
        if [ "$SECONDS" -ge "$deadline" ]; then
            say "$name still has $((n - 1)) requests in flight after ${drain_timeout}s; stopping it gracefully anyway"
            return 0
        fi
        sleep 0.2
    done
}

wait_ready() {
    local name="$1" deadline=$((SECONDS + ready_timeout))
    until driver_ready "$name"; do
        if ! driver_alive "$name"; then
            say "$name exited instead of becoming ready"
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            say "$name not ready after ${ready_timeout}s"
            return 1
        fi
        sleep 0.5
    done
}

smoke_test() {
    local name="$1"
    driver_smoke "$name" || {
        say "$name failed the driver's smoke test"
        return 1
    }
    if [ -n "$smoke" ]; then
        INSTANCE="$name" INSTANCE_URL="$(driver_url "$name")" bash -c "$smoke" || {
            say "$name failed the smoke test: $smoke"
            return 1
        }
    fi
}

# The instance must not inherit the lock (fd 9), or it would hold it after we exit.
start_instance() { driver_start "$@" 9>&-; }

# replace NAME VERSION: drain, stop, start VERSION, wait, smoke-test, re-enable. Returns 1
# (leaving the instance out of nginx) when VERSION does not come up healthy.
replace() {
    local name="$1" to="$2"
    say "$name: draining (marked down in nginx)"
    set_upstream "$name" down
    wait_drained "$name"
    say "$name: stopping $(driver_version "$name")"
    driver_stop "$name"
    say "$name: starting $to"
    start_instance "$name" "$to" || {
        say "$name: could not start $to"
        return 1
    }
    wait_ready "$name" || return 1
    smoke_test "$name" || return 1
    set_upstream "$name" up
    say "$name: serving $to"
}

# --- the update -----------------------------------------------------------------------------

declare -A previous
for name in "${instances[@]}"; do
    previous[$name]="$(driver_version "$name")"
    driver_ready "$name" || fail "$name is not ready now; fix it before updating (nothing was changed)"
    if grep -Eq "^\s*server $(driver_address "$name" | sed 's/\./\\./g') .* down;" "$upstream_file"; then
        fail "$name is marked down in $upstream_file; re-enable it before updating (nothing was changed)"
    fi
done
say "updating ${instances[*]} to $version (now: $(for n in "${instances[@]}"; do printf '%s=%s ' "$n" "${previous[$n]}"; done))"

# With the version running now; if the database was already migrated for VERSION (a
# deploy pipeline may migrate first), that one refuses the newer schema, and VERSION's
# formula-pm writes the backup instead.
say "backup before the update"
if ! driver_backup "${instances[0]}" "${previous[${instances[0]}]}"; then
    say "the backup with ${previous[${instances[0]}]} failed; trying with $version (the schema may be $version's already)"
    driver_backup "${instances[0]}" "$version" || fail "the pre-update backup failed; nothing was changed"
fi

done_names=()
failed=""
for name in "${instances[@]}"; do
    if [ "${previous[$name]}" = "$version" ]; then
        say "$name already runs $version"
        continue
    fi
    if replace "$name" "$version"; then
        done_names+=("$name")
    else
        failed="$name"
        break
    fi
done

if [ -z "$failed" ]; then
    ! declare -F driver_done >/dev/null || driver_done "$version"
    say "done: every instance runs $version"
    exit 0
fi

# --- rollback -------------------------------------------------------------------------------

say "ROLLBACK: $failed did not come up healthy on $version; returning it and ${done_names[*]:-no other instance} to the previous version"
status=1
for name in "$failed" $(printf '%s\n' "${done_names[@]}" | tac); do
    [ -n "$name" ] || continue
    if [ "$name" = "$failed" ]; then
        # Already out of nginx and stopped or unhealthy: start the previous version.
        driver_stop "$name"
        if start_instance "$name" "${previous[$name]}" && wait_ready "$name" && smoke_test "$name"; then
            set_upstream "$name" up
            say "$name: back on ${previous[$name]}"
        else
            say "$name: the previous version ${previous[$name]} did not come up either; $name stays out of nginx"
            status=3
        fi
    elif ! replace "$name" "${previous[$name]}"; then
        # The instance served fine on the new version: put that back rather than lose it.
        say "$name: the previous version ${previous[$name]} did not come up; $name goes back to $version"
        status=3
        if replace "$name" "$version"; then
            say "$name: serving $version again"
        else
            say "$name: stays out of nginx"
        fi
    fi
done

if [ "$status" -eq 1 ]; then
    say "rolled back: every instance runs its previous version; the update FAILED"
else
    say "the update FAILED and the rollback is incomplete:"
    for name in "${instances[@]}"; do
        if driver_ready "$name"; then
            say "  $name: serving $(driver_version "$name")"
        else
            say "  $name: NOT serving (out of nginx); last started: $(driver_version "$name")"
        fi
    done
fi
exit "$status"
