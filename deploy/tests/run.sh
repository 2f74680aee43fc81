#!/usr/bin/env bash
# Runs every deployment test (deploy/tests/test-*.sh) in order and prints one summary line.
#
#   deploy/tests/run.sh [NAME...]   only the named tests (e.g. static nginx)
#
# Each test is a self-contained script that starts what it needs on free loopback ports and
# exits non-zero on failure. The caller provides:
#   FORMULA_PM_BIN      the formula-pm binary under test (default target/debug/formula-pm)
#   TEST_DATABASE_URL   a throwaway PostgreSQL database (optional; tests that need it skip
#                       the PostgreSQL half without it)
#   TOOLS_VENV          a Python venv with hadolint and actionlint (see scripts/test.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

tests=()
if [ "$#" -gt 0 ]; then
    for name in "$@"; do tests+=("deploy/tests/test-$name.sh"); done
else
    for file in deploy/tests/test-*.sh; do tests+=("$file"); done
fi

passed=0
failed=0
failures=()
for test in "${tests[@]}"; do
    [ -f "$test" ] || {
        echo "deploy tests: no such test: $test" >&2
        exit 2
    }
    printf '==> %s\n' "$test"
    start=$SECONDS
    if bash "$test"; then
        passed=$((passed + 1))
        printf 'ok   %s (%ss)\n' "$test" "$((SECONDS - start))"
    else
        failed=$((failed + 1))
        failures+=("$test")
        printf 'FAIL %s (%ss)\n' "$test" "$((SECONDS - start))"
    fi
done

echo "deploy: $passed passed, $failed failed"
[ "$((passed + failed))" -gt 0 ] || {
    echo "deploy tests: no test ran" >&2
    exit 1
}
[ "$failed" -eq 0 ] || {
    printf 'failed: %s\n' "${failures[@]}" >&2
    exit 1
}
