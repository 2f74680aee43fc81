#!/usr/bin/env bash
# The real Prometheus scrapes three instances of the real formula-pm binary on loopback,
# with the production alert rules (deploy/prometheus/rules/formula-pm.yml); after one
# instance is killed, InstanceDown fires for that instance — and only for it — as
# Prometheus's own API reports.
#
# Two things differ from production, both for time: the scrape and evaluation intervals
# are 1 s instead of 15 s, and InstanceDown's `for:` (2m in the rules file) is 5s in the
# copy the test loads. Everything else in the rules file is loaded unchanged and must pass
# `promtool check rules`. The instances are scraped on their main port without a token
# (production uses METRICS_BIND and METRICS_TOKEN); their `instance` labels are app1..app3,
# as the production relabelling makes them.
# shellcheck source-path=SCRIPTDIR disable=SC1091
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
. "$here/lib/common.sh"
. "$here/lib/services.sh"

need prometheus promtool psql perl

RULES="$REPO/deploy/prometheus/rules/formula-pm.yml"
[ -f "$RULES" ] || die "no $RULES"
grep -q 'job_name: formula-pm$' "$REPO/deploy/prometheus/prometheus.yml" ||
    die "deploy/prometheus/prometheus.yml has no job formula-pm, which the rules select"

# --- three instances ------------------------------------------------------------------------

pg_database
export PUBLIC_URL="https://pm.deploy.test"
PORTS=()
for i in 1 2 3; do PORTS+=("$(free_port)"); done
app_cmd migrate >/dev/null 2>"$WORK/logs/migrate.log" || die "migrate failed: $(cat "$WORK/logs/migrate.log")"
for i in 1 2 3; do app_launch "$i" "${PORTS[$((i - 1))]}"; done
for i in 1 2 3; do app_wait_ready "$i" "${PORTS[$((i - 1))]}"; done

# --- Prometheus -------------------------------------------------------------------------------

mkdir -p "$WORK/prometheus/rules"
# The production rules, with InstanceDown's `for:` shortened (and nothing else changed).
perl -0777 -pe 's/(- alert: InstanceDown\n(?:[ \t]+\S.*\n)*?[ \t]+for:) \S+/$1 5s/ or die "no for: under InstanceDown\n"' \
    "$RULES" >"$WORK/prometheus/rules/formula-pm.yml"
diff <(grep -v '^\s*for:' "$RULES") <(grep -v '^\s*for:' "$WORK/prometheus/rules/formula-pm.yml") >/dev/null ||
    die "the rules copy differs from $RULES in more than a for: line"
[ "$(diff "$RULES" "$WORK/prometheus/rules/formula-pm.yml" | grep -c '^>')" -eq 1 ] ||
    die "the rules copy should differ in exactly one for: line"

{
    cat <<EOF
# Loopback copy of deploy/prometheus/prometheus.yml's formula-pm job, 1 s intervals.
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - rules/formula-pm.yml
scrape_configs:
  - job_name: formula-pm
    static_configs:
EOF
    for i in 1 2 3; do
        printf '      - targets: ["127.0.0.1:%s"]\n        labels:\n          instance: app%s\n' "${PORTS[$((i - 1))]}" "$i"
    done
} >"$WORK/prometheus/prometheus.yml"
promtool check config "$WORK/prometheus/prometheus.yml" >"$WORK/logs/promtool.log" 2>&1 ||
    die "promtool check config failed: $(cat "$WORK/logs/promtool.log")"
pass "promtool accepts the loopback configuration and the production rules (InstanceDown for: 5s)"

PROM_PORT="$(free_port)"
PROM="http://127.0.0.1:$PROM_PORT"
prometheus --config.file="$WORK/prometheus/prometheus.yml" \
    --storage.tsdb.path="$WORK/prometheus/data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn \
    >"$WORK/logs/prometheus.log" 2>&1 &
prom_pid=$!
on_exit "stop_pid $prom_pid 10"
wait_until 60 "Prometheus to be ready" is_status 200 "$PROM/-/ready"

# query EXPR: the result vector of an instant query, one "instance value" a line.
query() {
    curl -fsS --get --data-urlencode "query=$1" "$PROM/api/v1/query" |
        python3 -c 'import json, sys
for r in json.load(sys.stdin)["data"]["result"]:
    print(r["metric"].get("instance", "-"), r["value"][1])'
}

# alerts STATE: "alertname instance" of the alerts in STATE (firing or pending).
alerts() {
    curl -fsS "$PROM/api/v1/alerts" | python3 -c 'import json, sys
for a in json.load(sys.stdin)["data"]["alerts"]:
    if a["state"] == sys.argv[1]:
        print(a["labels"]["alertname"], a["labels"].get("instance", "-"))' "$1"
}

all_up() { [ "$(query 'up{job="formula-pm"} == 1' | wc -l)" -eq 3 ]; }
wait_until 60 "Prometheus to scrape all three instances" all_up
scraped="$(query 'count(formula_pm_build_info) by (version)' | awk '{ print $2 }')"
[ "$scraped" = 3 ] || die "formula_pm_build_info scraped from $scraped instances, expected 3"
requests="$(query 'sum(http_requests_total)' | awk '{ print $2 }')"
pass "Prometheus scrapes app1, app2 and app3 (up = 1, formula_pm_build_info ×3, $requests requests counted)"
[ -z "$(alerts firing)$(alerts pending | grep InstanceDown || true)" ] ||
    die "alerts before any instance was killed: $(alerts firing) $(alerts pending)"

# --- kill one instance ------------------------------------------------------------------------

victim="$(cat "$WORK/app2.pid")"
kill -KILL "$victim"
wait "$victim" 2>/dev/null || true
killed_at=$SECONDS
instance_down_firing() { alerts firing | grep -qx 'InstanceDown app2'; }
wait_until 60 "InstanceDown to fire for app2" instance_down_firing
firing="$(alerts firing)"
# Nothing else: not InstanceDown for the others, not ServiceDown with two instances up.
[ "$firing" = "InstanceDown app2" ] || die "expected only InstanceDown for app2 to fire, got: $firing"
[ "$(query 'up{job="formula-pm"}' | sort | tr '\n' ' ')" = "app1 1 app2 0 app3 1 " ] ||
    die "up is not 1, 0, 1: $(query 'up{job="formula-pm"}')"
pass "app2 killed: InstanceDown{instance=\"app2\"} firing after $((SECONDS - killed_at)) s (for: 5s), the only alert firing"
