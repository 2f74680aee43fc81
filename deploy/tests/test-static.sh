#!/usr/bin/env bash
# Static checks of every deployment file: each is parsed or run by the tool that will use
# it, and held to the rules the deployment depends on. Needs no Docker daemon, no network
# and no formula-pm binary (deploy/tests/run.sh static).
#
#   Dockerfile        hadolint; the dependency layer built from every crate's manifest;
#                     non-root USER, only port 5014, HEALTHCHECK, STOPSIGNAL, pinned bases
#   compose files     docker-compose config -q for each file and profile; leaving any
#                     required ${VAR:?} unset fails; .env.example satisfies them; limits,
#                     logging, networks, published ports and mounted files as intended
#   redis.conf        loaded by a real redis-server: password required, dangerous commands
#                     gone, scripts allowed, eviction policy
#   Prometheus        promtool check config / check rules / test rules; every alert has
#                     a firing and a silent test, labels, annotations and a runbook section
#   Alertmanager      amtool check-config, and where critical and warning alerts go
#   Grafana           provisioning parses; dashboards are valid JSON using the provisioned
#                     datasource; every PromQL expression (dashboards and rules) parses and
#                     names only metrics that exist
#   TLS textfile      deploy/node-exporter/tls-cert-expiry.sh output passes promtool
#   scripts, YAML     shellcheck on every *.sh; actionlint; yamllint (.yamllint.yaml)
#
# Tools: hadolint and actionlint from $TOOLS_VENV (scripts/test.sh installs them there),
# docker-compose, promtool, amtool, redis-server, shellcheck, yamllint, openssl, python3
# with PyYAML. Every check runs even after one failed; the summary lists the failures.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
TOOLS_VENV="${TOOLS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/formula-pm/tools-venv}"

WORK="$(mktemp -d /tmp/formula-deploy-static.XXXXXX)"
REDIS_PID=""
cleanup() {
    if [ -n "$REDIS_PID" ]; then
        kill "$REDIS_PID" 2>/dev/null || true
        wait "$REDIS_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

FAILED=()
log() { printf '    [static] %s\n' "$*"; }
pass() { printf '    [static] ok: %s\n' "$*"; }
fail() {
    printf '    [static] FAIL: %s\n' "$*" >&2
    FAILED+=("$1")
}
# Indented tool output under a failure.
show() { sed 's/^/        | /' >&2; }

# check DESCRIPTION COMMAND...: runs COMMAND; passes on exit 0, else fails showing its output.
check() {
    local what="$1" out
    shift
    if out="$("$@" 2>&1)"; then
        pass "$what"
    else
        fail "$what"
        printf '%s\n' "$out" | show
    fi
}

# check_fails DESCRIPTION PATTERN COMMAND...: COMMAND must fail, saying PATTERN (grep -E).
check_fails() {
    local what="$1" pattern="$2" out
    shift 2
    if out="$("$@" 2>&1)"; then
        fail "$what (it succeeded)"
    elif grep -Eq -- "$pattern" <<<"$out"; then
        pass "$what"
    else
        fail "$what (failed, but without saying /$pattern/)"
        printf '%s\n' "$out" | show
    fi
}

# have TOOL...: true when every TOOL is on PATH (or an executable path); else fails naming it.
have() {
    local tool ok=0
    for tool in "$@"; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            fail "$tool is not installed (scripts/test.sh installs it)"
            ok=1
        fi
    done
    return "$ok"
}

# Python with PyYAML runs the structural checks.
PY=python3
if ! "$PY" -c 'import yaml' 2>/dev/null; then
    fail "python3 with PyYAML is needed (apt-get install python3-yaml)"
    PY=""
fi
py() { [ -n "$PY" ] && "$PY" - "$@"; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- 1. Dockerfile --------------------------------------------------------------------------

log "Dockerfile"
if have "$TOOLS_VENV/bin/hadolint"; then
    check "hadolint deploy/Dockerfile" "$TOOLS_VENV/bin/hadolint" deploy/Dockerfile
fi
check "Dockerfile: locked build, non-root, one port, health check, pinned bases" py <<'PY'
import re, sys
try:
    import tomllib
except ImportError:
    tomllib = None
text = open("deploy/Dockerfile").read()
lines = [l.strip() for l in re.sub(r"\\\n", " ", text).splitlines() if l.strip() and not l.strip().startswith("#")]
problems = []
members = re.findall(r'"(crates/[^"]+)"', re.search(r"members\s*=\s*\[([^\]]*)\]", open("Cargo.toml").read()).group(1))
# The manifests stage copies crates/ and keeps each crate's Cargo.toml: a member elsewhere
# would be missing from the dependency layer.
for m in members:
    if not re.fullmatch(r"crates/[A-Za-z0-9_-]+", m):
        problems.append(f"workspace member {m} is not directly under crates/, which the manifests stage copies")
if "COPY --from=manifests /src/crates crates" not in text or "COPY Cargo.toml Cargo.lock ./" not in text:
    problems.append("the dependency layer must be built from the manifests stage, Cargo.toml and Cargo.lock")
if "cargo build --release --locked -p formula-pm" not in text:
    problems.append("the build must be `cargo build --release --locked -p formula-pm`")
froms = [l.split()[1] for l in lines if l.startswith("FROM ")]
for image in froms:
    if ":" not in image or image.endswith(":latest"):
        problems.append(f"base image not pinned to a tag: {image}")
users = [l.split()[1] for l in lines if l.startswith("USER ")]
if not users or users[-1].split(":")[0] in ("0", "root"):
    problems.append("the image must end with a non-root USER")
elif not users[-1].split(":")[0].isdigit():
    problems.append("USER must be numeric (uid:gid), so runtimes can check it is not root")
exposed = [p for l in lines if l.startswith("EXPOSE ") for p in l.split()[1:]]
if exposed != ["5014"]:
    problems.append(f"EXPOSE must be exactly 5014, got {exposed}")
health = [l for l in lines if l.startswith("HEALTHCHECK ")]
if not health or '"formula-pm", "healthcheck"' not in health[-1]:
    problems.append("HEALTHCHECK must run formula-pm healthcheck")
if "STOPSIGNAL SIGTERM" not in lines:
    problems.append("STOPSIGNAL SIGTERM is missing")
for l in lines:
    if re.match(r"(ARG|ENV)\s", l) and re.search(r"(PASSWORD|SECRET|TOKEN|_KEY)\b", l.upper()):
        problems.append(f"a secret-looking build argument or variable would end up in a layer: {l}")
if 'FORMULA_PM_COMMIT' not in text:
    problems.append("the FORMULA_PM_COMMIT build argument is missing")
if not re.search(r"^LABEL org\.opencontainers\.image\.", text, re.M):
    problems.append("OCI labels are missing")
ignore = [l.strip() for l in open(".dockerignore") if l.strip() and not l.startswith("#")]
if ignore[:1] != ["*"] or "**/.env" not in ignore:
    problems.append(".dockerignore must exclude everything but the workspace (start with *) and every .env")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY

# --- 2. Compose files -------------------------------------------------------------------------

log "compose files"
COMPOSE_OK=0
have docker-compose || COMPOSE_OK=1
EMPTY_ENV="$WORK/empty.env"
: >"$EMPTY_ENV"

# The required variables, from the ${VAR:?message} forms in the production file.
mapfile -t REQUIRED < <(grep -v '^ *#' deploy/compose.prod.yaml | grep -oE '\$\{[A-Z0-9_]+:\?' | sed -E 's/^\$\{//; s/:\?$//' | sort -u)
[ "${#REQUIRED[@]}" -gt 0 ] || fail "compose.prod.yaml requires no variable: expected \${FORMULA_PM_TAG:?…} and the rest"

# dummy_env [SKIP]: NAME=value for every required variable but SKIP.
dummy_env() {
    local name
    for name in "${REQUIRED[@]}"; do
        [ "$name" = "${1:-}" ] && continue
        case "$name" in
            PUBLIC_URL) echo "$name=https://pm.example.com" ;;
            FORMULA_PM_IMAGE) echo "$name=ghcr.io/example/formula-pm" ;;
            FORMULA_PM_TAG) echo "$name=0123456789abcdef0123456789abcdef01234567" ;;
            SMTP_FROM) echo "$name=pm@example.com" ;;
            *) echo "$name=dummy" ;;
        esac
    done
}

# compose_config ENV_FILE FILE [ARGS...]: docker-compose config with only ENV_FILE's
# variables (a stray deploy/.env or shell variable must not make a check pass).
compose_config() {
    local env_file="$1" file="$2"
    shift 2
    env -i PATH="$PATH" HOME="$WORK" docker-compose --env-file "$env_file" -f "$file" "$@"
}

if [ "$COMPOSE_OK" -eq 0 ]; then
    check "docker-compose config -q: deploy/compose.yaml (nothing set)" \
        compose_config "$EMPTY_ENV" deploy/compose.yaml config -q

    dummy_env >"$WORK/prod.env"
    check "docker-compose config -q: deploy/compose.prod.yaml (required variables set)" \
        compose_config "$WORK/prod.env" deploy/compose.prod.yaml config -q
    check "docker-compose config -q: deploy/compose.prod.yaml --profile monitoring" \
        compose_config "$WORK/prod.env" deploy/compose.prod.yaml --profile monitoring config -q
    check "docker-compose config -q: deploy/compose.prod.yaml with deploy/.env.example" \
        compose_config deploy/.env.example deploy/compose.prod.yaml --profile monitoring config -q

    for name in "${REQUIRED[@]}"; do
        dummy_env "$name" >"$WORK/missing.env"
        check_fails "compose.prod.yaml refuses to start without $name" "$name" \
            compose_config "$WORK/missing.env" deploy/compose.prod.yaml config -q
        grep -q "^$name=" deploy/.env.example || fail "deploy/.env.example does not give the required $name"
    done

    if compose_config "$WORK/prod.env" deploy/compose.prod.yaml --profile monitoring config \
        >"$WORK/prod.yaml" 2>"$WORK/prod.err" &&
        compose_config "$EMPTY_ENV" deploy/compose.yaml config >"$WORK/quick.yaml" 2>>"$WORK/prod.err"; then
        check "compose files: limits, logging, healthchecks, networks, ports, mounts, secrets" \
            py "$WORK/prod.yaml" "$WORK/quick.yaml" <<'PY'
import os, re, sys, yaml
prod = yaml.safe_load(open(sys.argv[1]))
quick = yaml.safe_load(open(sys.argv[2]))
problems = []
def need(cond, msg):
    if not cond:
        problems.append(msg)

for label, doc in (("compose.prod.yaml", prod), ("compose.yaml", quick)):
    for name, svc in doc["services"].items():
        where = f"{label}: {name}"
        need(svc.get("restart") == "unless-stopped", f"{where}: restart: unless-stopped")
        need("mem_limit" in svc and "cpus" in svc, f"{where}: mem_limit and cpus")
        log = svc.get("logging", {})
        need(log.get("driver") == "json-file" and "max-size" in log.get("options", {})
             and "max-file" in log.get("options", {}), f"{where}: json-file logging with max-size/max-file")
        image = svc.get("image", "")
        tag = image.rsplit(":", 1)[1] if ":" in image.split("/")[-1] else ""
        need(tag and tag != "latest", f"{where}: image pinned to a tag ({image})")
        need("container_name" not in svc, f"{where}: no container_name (names come from the project)")

svcs = prod["services"]
apps = [n for n in svcs if re.fullmatch(r"app\d+", n)]
need(len(apps) >= 2, "compose.prod.yaml: at least two app instances (app1, app2)")
for n in apps:
    s = svcs[n]
    need(s.get("healthcheck", {}).get("test", [None])[:2] == ["CMD", "formula-pm"], f"{n}: healthcheck runs formula-pm")
    deps = s.get("depends_on", {})
    for d in ("postgres", "redis"):
        need(isinstance(deps, dict) and deps.get(d, {}).get("condition") == "service_healthy",
             f"{n}: depends_on {d} with condition service_healthy")
    need("ports" not in s, f"{n}: publishes no port (nginx is the entry point)")
    need(set(s.get("networks", {})) == {"front", "back"}, f"{n}: on the front and back networks")
    env = s.get("environment", {})
    for k in ("DATABASE_URL", "REDIS_URL", "METRICS_TOKEN", "SMTP_PASSWORD"):
        need(k not in env and f"{k}_FILE" in env, f"{n}: {k} comes from a secret file ({k}_FILE)")
    need(env.get("APP_ENV") == "production", f"{n}: APP_ENV=production")
    need(s.get("stop_grace_period") == "35s", f"{n}: stop_grace_period 35s (30 s grace + 5)")
for n in ("postgres", "redis"):
    need("ports" not in svcs[n], f"{n}: publishes no port")
    need(set(svcs[n].get("networks", {})) == {"back"}, f"{n}: only on the internal back network")
    need("healthcheck" in svcs[n], f"{n}: has a healthcheck")
need(prod["networks"]["back"].get("internal") is True, "the back network is internal: true")
for n, s in svcs.items():
    for p in s.get("ports", []):
        published = str(p.get("host_ip", "")) if isinstance(p, dict) else str(p)
        if n != "nginx":
            need(published.startswith("127.0.0.1"), f"{n}: port published beyond 127.0.0.1 ({p})")
need(sorted(str(p.get("target") if isinstance(p, dict) else p) for p in svcs["nginx"].get("ports", []))
     in (["443", "80"], ["443/tcp", "80/tcp"]), "nginx: publishes 80 and 443")
monitoring = {"prometheus", "alertmanager", "grafana", "node-exporter", "postgres-exporter", "redis-exporter"}
need(monitoring <= set(svcs), f"monitoring profile: {sorted(monitoring - set(svcs))} missing")
for n in monitoring & set(svcs):
    need(svcs[n].get("profiles") == ["monitoring"], f"{n}: only in the monitoring profile")
for n in set(svcs) - monitoring:
    need(not svcs[n].get("profiles"), f"{n}: in no profile (always started)")
# Files the stack mounts from the repository must exist (host paths outside it are the
# operator's: certificates, the textfile directory, the root file system).
deploy = os.path.abspath("deploy")
for n, s in svcs.items():
    for v in s.get("volumes", []):
        src = v.get("source") if isinstance(v, dict) else str(v).split(":")[0]
        vtype = v.get("type") if isinstance(v, dict) else ("bind" if src.startswith(("/", ".")) else "volume")
        if vtype == "bind" and src.startswith(deploy):
            need(os.path.exists(src), f"{n}: mounts {os.path.relpath(src)}, which does not exist")
env_example = open("deploy/.env.example").read()
for name, sec in prod.get("secrets", {}).items():
    f = os.path.basename(sec["file"])
    need(f in env_example, f"secret file secrets/{f} is not explained in deploy/.env.example")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY
    else
        fail "docker-compose config (for the structural checks)"
        show <"$WORK/prod.err"
    fi
fi

# --- 3. redis.conf in a real redis-server ------------------------------------------------------

log "redis.conf"
if have redis-server redis-cli; then
    mkdir -p "$WORK/redis"
    # dir is the container's /data; here a directory of the test's own.
    sed "s#^dir /data\$#dir $WORK/redis#" deploy/redis/redis.conf >"$WORK/redis/redis.conf"
    REDIS_PORT="$(free_port)"
    redis-server "$WORK/redis/redis.conf" --port "$REDIS_PORT" --bind 127.0.0.1 \
        --requirepass static-test-password >"$WORK/redis/log" 2>&1 &
    REDIS_PID=$!
    for _ in $(seq 1 100); do
        redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    # redis_says PATTERN COMMAND...: the authenticated reply to COMMAND matches PATTERN.
    redis_says() {
        local want="$1"
        shift
        REDISCLI_AUTH=static-test-password redis-cli --no-auth-warning -p "$REDIS_PORT" "$@" |
            grep -Eq -- "$want"
    }
    redis_refuses_anonymous() { redis-cli -p "$REDIS_PORT" ping | grep -q NOAUTH; }
    if ! kill -0 "$REDIS_PID" 2>/dev/null; then
        fail "redis-server does not start with deploy/redis/redis.conf"
        show <"$WORK/redis/log"
    else
        check "redis: a client without the password is refused (NOAUTH)" redis_refuses_anonymous
        check "redis: PING with the password" redis_says '^PONG' ping
        check "redis: KEYS is disabled" redis_says 'unknown command' KEYS '*'
        check "redis: FLUSHALL is disabled" redis_says 'unknown command' FLUSHALL
        check "redis: FLUSHDB is disabled" redis_says 'unknown command' FLUSHDB
        check "redis: CONFIG is disabled" redis_says 'unknown command' CONFIG GET maxmemory
        check "redis: DEBUG is disabled" redis_says 'unknown command' DEBUG SLEEP 0
        check "redis: Lua scripts work (the rate limit and the lease are scripts)" \
            redis_says '^7' EVAL 'return 7' 0
        check "redis: maxmemory 256mb" redis_says '^maxmemory:268435456' INFO memory
        check "redis: volatile-lru eviction" redis_says '^maxmemory_policy:volatile-lru' INFO memory
        check "redis: RDB snapshots, no append-only file" redis_says '^aof_enabled:0' INFO persistence
    fi
    kill "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
    REDIS_PID=""
fi

# --- 4. TLS expiry textfile -------------------------------------------------------------------

log "TLS certificate expiry textfile"
TEXTFILE_METRICS=""
if have openssl promtool; then
    mkdir -p "$WORK/tls/out"
    if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 10 \
        -subj "/CN=pm.example.com" -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" >/dev/null 2>&1; then
        check "tls-cert-expiry.sh writes a textfile" \
            deploy/node-exporter/tls-cert-expiry.sh "$WORK/tls/out" "$WORK/tls/cert.pem"
        check "its output passes promtool check metrics" \
            sh -c "promtool check metrics <'$WORK/tls/out/tls_certificates.prom'"
        check "it reports the certificate's notAfter (10 days from now)" py "$WORK/tls/out/tls_certificates.prom" <<'PY'
import re, sys, time
text = open(sys.argv[1]).read()
m = re.search(r'^tls_certificate_not_after_timestamp_seconds\{path="[^"]*cert\.pem",subject="CN=pm\.example\.com"\} (\d+)$', text, re.M)
ok = m and abs(int(m.group(1)) - (time.time() + 10 * 86400)) < 3600
print(text if not ok else "")
sys.exit(0 if ok else 1)
PY
        check_fails "it refuses a file that is not a certificate" "not a PEM certificate" \
            deploy/node-exporter/tls-cert-expiry.sh "$WORK/tls/out" deploy/redis/redis.conf
        TEXTFILE_METRICS="$(grep -oE '^[a-z_]+' "$WORK/tls/out/tls_certificates.prom" | sort -u | tr '\n' ' ')"
    else
        fail "openssl could not make a test certificate"
    fi
fi

# --- 5. Prometheus ------------------------------------------------------------------------------

log "Prometheus"
if have promtool; then
    # The bearer token file is a compose secret; promtool insists that it exists.
    cp -r deploy/prometheus "$WORK/prometheus"
    echo "static-test-token" >"$WORK/metrics_token"
    sed -i "s#/run/secrets/metrics_token#$WORK/metrics_token#" "$WORK/prometheus/prometheus.yml"
    check "promtool check config deploy/prometheus/prometheus.yml" \
        promtool check config "$WORK/prometheus/prometheus.yml"
    check "promtool check rules deploy/prometheus/rules/*.yml" \
        sh -c 'promtool check rules deploy/prometheus/rules/*.yml'
    check "promtool test rules deploy/prometheus/tests/*.yml" \
        sh -c 'promtool test rules deploy/prometheus/tests/*.yml'
    check "every alert: severity, summary, description, runbook section, firing and silent tests" py <<'PY'
import glob, re, sys, yaml
problems = []
alerts = {}
for f in sorted(glob.glob("deploy/prometheus/rules/*.yml")):
    for g in yaml.safe_load(open(f))["groups"]:
        for r in g["rules"]:
            if "alert" in r:
                alerts[r["alert"]] = (f, r)
fired, silent, tested_files = set(), set(), set()
for f in sorted(glob.glob("deploy/prometheus/tests/*.yml")):
    t = yaml.safe_load(open(f))
    tested_files.update(re.sub(r"^\.\./", "deploy/prometheus/", x) for x in t["rule_files"])
    for case in t["tests"]:
        for a in case.get("alert_rule_test", []):
            (fired if a.get("exp_alerts") else silent).add(a["alertname"])
for f in glob.glob("deploy/prometheus/rules/*.yml"):
    if f not in tested_files:
        problems.append(f"{f}: no test file loads it")
def anchor(heading):
    return re.sub(r"[^a-z0-9 _-]", "", heading.strip().lower()).replace(" ", "-")
runbook = open("docs/runbook.md").read()
anchors = {anchor(h) for h in re.findall(r"^#{1,6} (.+)$", runbook, re.M)}
for name, (f, r) in sorted(alerts.items()):
    labels, ann = r.get("labels", {}), r.get("annotations", {})
    if labels.get("severity") not in ("critical", "warning"):
        problems.append(f"{name}: severity must be critical or warning")
    for k in ("summary", "description"):
        if not ann.get(k):
            problems.append(f"{name}: no {k} annotation")
    want = f"docs/runbook.md#{name.lower()}"
    if ann.get("runbook_url") != want:
        problems.append(f"{name}: runbook_url must be {want}")
    if name.lower() not in anchors:
        problems.append(f"{name}: docs/runbook.md has no heading with anchor #{name.lower()}")
    if name not in fired:
        problems.append(f"{name}: no test where it fires")
    if name not in silent:
        problems.append(f"{name}: no test where it stays silent")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY
fi

# --- 6. Alertmanager ---------------------------------------------------------------------------

log "Alertmanager"
if have amtool; then
    check "amtool check-config deploy/alertmanager/alertmanager.yml" \
        amtool check-config deploy/alertmanager/alertmanager.yml
    check "critical alerts go to e-mail and the webhook" \
        amtool config routes test --config.file=deploy/alertmanager/alertmanager.yml \
        --verify.receivers=email-and-webhook severity=critical alertname=ServiceDown
    check "warnings go to e-mail" \
        amtool config routes test --config.file=deploy/alertmanager/alertmanager.yml \
        --verify.receivers=email severity=warning alertname=DiskSpaceLow
    check "Alertmanager reads its secrets from files" \
        grep -q 'smtp_auth_password_file: /run/secrets/' deploy/alertmanager/alertmanager.yml
fi

# --- 7. Grafana, and the metric names of every expression -------------------------------------

log "Grafana dashboards and PromQL metric names"
if [ -n "$PY" ]; then
    check "Grafana provisioning and dashboards; PromQL names only metrics that exist" \
        py "$WORK/exprs.yml" "$TEXTFILE_METRICS" <<'PY'
import glob, json, re, sys, yaml
out_rules, textfile = sys.argv[1], sys.argv[2].split()
problems = []

# Metrics the server exports: the table in docs/operations.md and `name{…}` mentions.
ops = open("docs/operations.md").read()
app = {}
for name, kind in re.findall(r"^\| `([a-z_:][a-z0-9_:]*)` \| (counter|gauge|histogram) \|", ops, re.M):
    app[name] = kind
for name in re.findall(r"`([a-z_][a-z0-9_]*_total)\{", ops):
    app.setdefault(name, "counter")
if len(app) < 10:
    problems.append(f"found only {len(app)} metrics in docs/operations.md: has its table moved?")
known = set()
for name, kind in app.items():
    known.add(name)
    if kind == "histogram":
        known.update({name + "_bucket", name + "_sum", name + "_count"})
known.update(textfile)
known.update({"up", "ALERTS", "ALERTS_FOR_STATE"})
prefixes = ("node_", "pg_", "redis_", "prometheus_", "alertmanager_")

exprs = []  # (where, expr)
records = set()
for f in sorted(glob.glob("deploy/prometheus/rules/*.yml")):
    for g in yaml.safe_load(open(f))["groups"]:
        for r in g["rules"]:
            if "record" in r:
                records.add(r["record"])
            exprs.append((f"{f}: {r.get('alert') or r.get('record')}", str(r["expr"])))
known |= records

# Provisioning: one Prometheus datasource whose uid the dashboards use.
ds = yaml.safe_load(open("deploy/grafana/provisioning/datasources/prometheus.yml"))["datasources"]
uids = {d["uid"] for d in ds if d["type"] == "prometheus"}
if len(uids) != 1:
    problems.append("provisioning: expected one Prometheus datasource with a uid")
prov = yaml.safe_load(open("deploy/grafana/provisioning/dashboards/formula-pm.yml"))
if prov["providers"][0]["options"]["path"] != "/var/lib/grafana/dashboards":
    problems.append("provisioning: dashboards must load from /var/lib/grafana/dashboards (the compose mount)")

dashboards = sorted(glob.glob("deploy/grafana/dashboards/*.json"))
if len(dashboards) < 5:
    problems.append(f"expected 5 dashboards, found {len(dashboards)}")
seen_uids = set()
def panels(items):
    for p in items:
        yield p
        yield from panels(p.get("panels", []))
for f in dashboards:
    try:
        d = json.load(open(f))
    except ValueError as e:
        problems.append(f"{f}: not valid JSON: {e}")
        continue
    if not d.get("uid") or d["uid"] in seen_uids:
        problems.append(f"{f}: missing or duplicate uid")
    seen_uids.add(d.get("uid"))
    if not d.get("title"):
        problems.append(f"{f}: no title")
    n = 0
    for p in panels(d.get("panels", [])):
        for t in p.get("targets", []):
            n += 1
            uid = (t.get("datasource") or p.get("datasource") or {}).get("uid")
            if uid not in uids:
                problems.append(f"{f}: panel {p.get('title')!r} uses datasource {uid!r}, not the provisioned one")
            if not t.get("expr"):
                problems.append(f"{f}: panel {p.get('title')!r} has a target without expr")
                continue
            exprs.append((f"{f}: {p.get('title')}", t["expr"]))
    if n == 0:
        problems.append(f"{f}: no queries")

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
            "unless", "offset", "inf", "nan", "Inf", "NaN", "atan2"}
def metric_names(expr):
    e = re.sub(r"\$\{[^}]*\}|\$[A-Za-z_]+", "1m", expr)          # Grafana variables
    e = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', e)   # strings
    e = re.sub(r"\{[^}]*\}", "", e)                                  # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)                                 # ranges, subqueries
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\b\d+(\.\d+)?(e[+-]?\d+)?([smhdwy]|ms)?\b", " ", e)  # numbers, durations
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        word, rest = m.group(0), e[m.end():]
        if word in KEYWORDS or re.match(r"\s*\(", rest):              # functions, aggregations
            continue
        names.add(word)
    return names

# Grafana variables become values promtool accepts, so every expression is parsed for real.
rules = []
for i, (where, expr) in enumerate(exprs):
    for name in sorted(metric_names(expr)):
        if name not in known and not name.startswith(prefixes):
            problems.append(f"{where}: unknown metric {name}")
    e = expr.replace("$__rate_interval", "5m").replace("$__range", "1h").replace("$instance", ".*")
    rules.append({"record": f"check:expr_{i}", "expr": e})
with open(out_rules, "w") as f:
    yaml.safe_dump({"groups": [{"name": "exprs", "rules": rules}]}, f)
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY
    if [ -f "$WORK/exprs.yml" ] && command -v promtool >/dev/null 2>&1; then
        check "every dashboard and rule expression parses as PromQL (promtool)" promtool check rules "$WORK/exprs.yml"
    fi
fi

# --- 8. Shell scripts, workflows, YAML -------------------------------------------------------------

log "shell scripts, workflows, YAML"
if have shellcheck; then
    if git rev-parse --git-dir >/dev/null 2>&1; then
        mapfile -t SCRIPTS < <({
            git ls-files '*.sh'
            git ls-files --others --exclude-standard -- deploy | grep '\.sh$' || true
        } | sort -u)
    else
        mapfile -t SCRIPTS < <(find . -name '*.sh' -not -path './target/*' -not -path './.git/*' | sort)
    fi
    existing=()
    for s in "${SCRIPTS[@]}"; do [ -f "$s" ] && existing+=("$s"); done
    check "shellcheck on ${#existing[@]} scripts" shellcheck -x "${existing[@]}"
fi
if have "$TOOLS_VENV/bin/actionlint"; then
    check "actionlint .github/workflows" "$TOOLS_VENV/bin/actionlint"
fi
if have yamllint; then
    mapfile -t YAMLS < <(find .github/workflows deploy -type f \( -name '*.yml' -o -name '*.yaml' \) | sort)
    check "yamllint on ${#YAMLS[@]} files (.yamllint.yaml)" yamllint --strict -c .yamllint.yaml .yamllint.yaml "${YAMLS[@]}"
fi
check "every workflow action is pinned to a full commit SHA with a version comment" py <<'PY'
import glob, re, sys
problems = []
for f in sorted(glob.glob(".github/workflows/*.yml")):
    for n, line in enumerate(open(f), 1):
        m = re.search(r"uses:\s*(\S+)(.*)$", line)
        if not m or m.group(1).startswith(("./", "docker://")):
            continue
        if not re.search(r"@[0-9a-f]{40}$", m.group(1)) or not re.search(r"#\s*v\d", m.group(2)):
            problems.append(f"{f}:{n}: {m.group(1)}")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY

# --- summary -------------------------------------------------------------------------------------

if [ "${#FAILED[@]}" -gt 0 ]; then
    printf '    [static] %d check(s) failed:\n' "${#FAILED[@]}" >&2
    printf '      - %s\n' "${FAILED[@]}" >&2
    exit 1
fi
log "all static checks passed"
