#!/usr/bin/env bash
# The operator guides (docs/deployment.md, docs/runbook.md) mention only things that exist:
# every repository file or directory they name, every `formula-pm` subcommand, every script
# they run, and every environment variable (known to the server's configuration, to the
# compose files' variables, or to the scripts). A guide that drifts from the code fails here.
# shellcheck source-path=SCRIPTDIR disable=SC1091,SC2016
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

guides=(docs/deployment.md docs/runbook.md)
for g in "${guides[@]}"; do
    [ -f "$REPO/$g" ] || die "$g is missing"
done
cd "$REPO"

# Inline code spans and code blocks, one token per line.
spans="$WORK/spans"
for g in "${guides[@]}"; do
    # `code` spans…
    grep -o '`[^`]*`' "$g" | tr -d '`'
    # …and the lines of fenced code blocks.
    awk '/^```/ { inside = !inside; next } inside' "$g"
done >"$spans"

# 1. Repository paths: deploy/…, docs/…, scripts/…, crates/…, .github/…
missing=()
while read -r path; do
    path="${path%%[:#)]*}"
    path="${path%.}"
    # Files the operator creates (the host's .env, secrets) are git-ignored on purpose.
    [ -e "$path" ] || git check-ignore -q "$path" || git check-ignore -q "$path/x" || missing+=("$path")
done < <(grep -oE '(^|[[:space:]"=(])(deploy|docs|scripts|crates|\.github)/[A-Za-z0-9._/-]+' "$spans" |
    sed -E 's/^[[:space:]"=(]//' | grep -v '[<>*]' | sort -u)
[ "${#missing[@]}" -eq 0 ] || die "the guides name files that do not exist: ${missing[*]}"
pass "every repository file the guides name exists"

# 2. formula-pm subcommands: the word after the program name, where it is one (not the
#    system user of the same name in `sudo -u formula-pm`, nor a path like /var/lib/formula-pm).
commands="$("$FORMULA_PM_BIN" --help | awk '/^Commands:/ { on = 1; next } on && NF { print $1 }')"
sed -E 's/-u formula-pm//g; s/useradd .*//; s#[/.]formula-pm##g' "$spans" >"$WORK/invocations"
bad=()
while read -r sub; do
    grep -qx "$sub" <<<"$commands" || bad+=("$sub")
done < <(grep -oE '(^|[[:space:];&|(])formula-pm [a-z][a-z-]+' "$WORK/invocations" | awk '{ print $2 }' | sort -u)
[ "${#bad[@]}" -eq 0 ] || die "the guides use formula-pm subcommands that do not exist: ${bad[*]}"
pass "every formula-pm subcommand the guides use exists"

# 3. Environment variables: the server's (docs/configuration.md), the compose files', the
#    scripts' own. A variable is a code token of capitals and underscores, at least one
#    underscore or one of the short known names.
known="$WORK/known"
{
    grep -oE '^\| `[A-Z][A-Z0-9_]+`' docs/configuration.md | tr -d '|` '
    grep -ohE '\$\{?[A-Z][A-Z0-9_]+' deploy/compose*.yaml deploy/.env.example deploy/scripts/*.sh 2>/dev/null | tr -d '${'
    grep -ohE '^[#[:space:]]*[A-Z][A-Z0-9_]+=' deploy/.env.example .env.example 2>/dev/null | tr -d '#= '
    grep -rohE '\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b' deploy/scripts deploy/systemd scripts .github/workflows 2>/dev/null
    # Variables of the tools the guides drive (docker compose, redis-cli, psql).
    printf '%s\n' COMPOSE_FILE COMPOSE_PROFILES COMPOSE_PROJECT_NAME REDISCLI_AUTH PGPASSWORD
} | sort -u >"$known"
unknown=()
while read -r var; do
    grep -qx "$var" "$known" || unknown+=("$var")
done < <(grep -oE '(^|[^A-Za-z0-9_])[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]=?' "$spans" | sed -E 's/^[^A-Z]//; s/=$//' |
    grep -vE '^(HTTP|TLS1|SIG[A-Z]+|X_|GET|POST|PUT|DELETE|RTO|RPO)' | sort -u)
[ "${#unknown[@]}" -eq 0 ] || die "the guides name variables nothing reads: ${unknown[*]}"
pass "every variable the guides name is read by the server, a compose file or a script"
