# shellcheck shell=bash
# Shared helpers for the loopback deployment tests (deploy/tests/test-*.sh). Source it:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
#
# It sets REPO (the repository root), FORMULA_PM_BIN (default target/debug/formula-pm),
# WORK (a temporary directory removed at exit) and an EXIT trap that runs every cleanup
# registered with `on_exit`, newest first: processes the test started (by pid) and
# databases it created. Nothing here touches the machine's standard ports or services.

set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
FORMULA_PM_BIN="${FORMULA_PM_BIN:-$REPO/target/debug/formula-pm}"
TEST_NAME="$(basename "$0" .sh)"

log() { printf '    [%s] %s\n' "$TEST_NAME" "$*"; }
die() {
    FAILED="$*"
    printf '    [%s] FAIL: %s\n' "$TEST_NAME" "$*" >&2
    exit 1
}
pass() { printf '    [%s] ok: %s\n' "$TEST_NAME" "$*"; }

# --- cleanup --------------------------------------------------------------------------------

CLEANUPS=()
on_exit() { CLEANUPS+=("$1"); }

run_cleanups() {
    local status=$? i
    set +e
    # Show what the services said when the test failed: the cause is usually in there.
    if [ "$status" -ne 0 ] && [ -n "${WORK:-}" ] && [ -d "$WORK" ] && [ -z "${KEEP_QUIET:-}" ]; then
        local f
        for f in "$WORK"/logs/app*.log "$WORK"/logs/prometheus.log "$WORK"/nginx/error.log; do
            [ -s "$f" ] || continue
            printf '    --- last lines of %s\n' "${f#"$WORK"/}" >&2
            tail -n 8 "$f" | cut -c1-300 | sed 's/^/    | /' >&2
        done
        [ -z "${FAILED:-}" ] || printf '    [%s] FAIL: %s\n' "$TEST_NAME" "$FAILED" >&2
    fi
    for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do
        eval "${CLEANUPS[$i]}" >/dev/null 2>&1
    done
    if [ -n "${KEEP_WORK:-}" ]; then
        printf '    [%s] kept %s\n' "$TEST_NAME" "$WORK" >&2
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}

WORK="$(mktemp -d "/tmp/formula-deploy-${TEST_NAME}.XXXXXX")"
# Services that drop privileges (nginx workers, PostgreSQL as root) must reach their files.
chmod 0755 "$WORK"
mkdir -p "$WORK/logs"
trap run_cleanups EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# running PID: the process exists and is not a zombie (exited, parent gone or not waiting).
running() {
    kill -0 "$1" 2>/dev/null && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null
}

# Stops a process we started: SIGTERM, then SIGKILL if it is still there after $2 seconds.
stop_pid() {
    local pid="$1" grace="${2:-15}" i
    running "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < grace * 10; i++)); do
        running "$pid" || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

# --- tools ----------------------------------------------------------------------------------

need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (scripts/test.sh installs it)"
    done
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.1 s until it succeeds;
# fails the test naming DESCRIPTION when it has not within SECONDS.
wait_until() {
    local timeout="$1" what="$2" deadline
    shift 2
    deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || die "timed out after ${timeout}s waiting for $what"
        sleep 0.1
    done
}

# http_status URL [curl args...]: the status code, 000 when nothing answered.
http_status() {
    local url="$1"
    shift
    curl -ks -o /dev/null -w '%{http_code}' --max-time 10 "$@" "$url" || true
}

is_status() {
    local want="$1" url="$2"
    shift 2
    [ "$(http_status "$url" "$@")" = "$want" ]
}

[ -x "$FORMULA_PM_BIN" ] || die "no formula-pm binary at $FORMULA_PM_BIN (cargo build -p formula-pm --bin formula-pm, or set FORMULA_PM_BIN)"
need curl python3 openssl
