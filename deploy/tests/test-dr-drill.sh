#!/usr/bin/env bash
# The disaster-recovery drill of docs/runbook.md, as an operator runs it: a seeded
# installation is backed up, then deploy/scripts/dr-drill.sh restores the latest backup into
# a fresh PostgreSQL of its own, starts the server and reports the time to ready (RTO) and
# the age of the data (RPO).
# shellcheck source-path=SCRIPTDIR disable=SC1091
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

data="$WORK/data"
DATA_DIR="$data" LOG_FORMAT=pretty SEED_PASSWORD=drill-password-2026 \
    "$FORMULA_PM_BIN" seed-demo >"$WORK/logs/seed.log" 2>&1 || die "seed-demo failed"
DATA_DIR="$data" LOG_FORMAT=pretty "$FORMULA_PM_BIN" backup >"$WORK/logs/backup.log" 2>&1 ||
    die "backup failed: $(tail -n 3 "$WORK/logs/backup.log")"
archive="$(sed -n 's/^Backup written: \([^ ]*\) .*/\1/p' "$WORK/logs/backup.log")"
pass "seeded installation backed up ($(basename "$archive"))"

report="$WORK/logs/drill.log"
BACKUP_DIR="$data/backups" FORMULA_PM_BIN="$FORMULA_PM_BIN" \
    bash "$REPO/deploy/scripts/dr-drill.sh" >"$report" 2>&1 ||
    die "the drill failed: $(tail -n 5 "$report")"
grep -q '^dr-drill: RTO (drill start to ready): [0-9.]* s$' "$report" || die "no RTO in: $(cat "$report")"
grep -q '^dr-drill: RPO of this backup: ' "$report" || die "no RPO in: $(cat "$report")"
rows="$(sed -n 's/^dr-drill: restored \([0-9]*\) rows.*/\1/p' "$report")"
[ "${rows:-0}" -gt 100 ] || die "only ${rows:-0} rows restored: $(cat "$report")"
pass "$(grep RTO "$report" | sed 's/^dr-drill: //'); $rows rows restored into a fresh PostgreSQL"

# Without an archive or LATEST, it says what to do.
if BACKUP_DIR="$WORK/none" FORMULA_PM_BIN="$FORMULA_PM_BIN" bash "$REPO/deploy/scripts/dr-drill.sh" >"$WORK/logs/none.log" 2>&1; then
    die "a drill without a backup succeeded"
fi
grep -q 'pass the archive to restore' "$WORK/logs/none.log" || die "unclear message: $(cat "$WORK/logs/none.log")"
pass "without a backup the drill stops and says what to pass"
