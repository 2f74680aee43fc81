#!/usr/bin/env bash
# Writes the expiry time of TLS certificates for node-exporter's textfile collector, so
# Prometheus can alert before a certificate runs out (TLSCertificateExpiringSoon and
# TLSCertificateExpiryImminent in deploy/prometheus/rules/infrastructure.yml).
#
#   tls-cert-expiry.sh OUTPUT_DIR CERT_FILE...
#
# Writes OUTPUT_DIR/tls_certificates.prom, replacing it atomically:
#
#   tls_certificate_not_after_timestamp_seconds{path="…",subject="…"} <notAfter, Unix time>
#
# one line per CERT_FILE (PEM; for a chain, the first certificate — the leaf — counts).
# Run it from the host's cron, hourly and after each renewal, on the certificates nginx
# serves, e.g. /etc/cron.d/formula-pm-tls:
#
#   17 * * * * root /opt/formula-pm/deploy/node-exporter/tls-cert-expiry.sh \
#       /var/lib/node-exporter/textfile /etc/letsencrypt/live/*/fullchain.pem
#
# (or as certbot's --deploy-hook). OUTPUT_DIR is NODE_EXPORTER_TEXTFILE_DIR in
# deploy/.env, mounted into node-exporter. A file that is missing or not a certificate
# fails the run (exit 1, nothing written), so the previous values stay until it is fixed.
# Needs openssl.
set -euo pipefail

die() {
    printf 'tls-cert-expiry.sh: %s\n' "$*" >&2
    exit 1
}

[ "$#" -ge 2 ] || die "usage: tls-cert-expiry.sh OUTPUT_DIR CERT_FILE..."
out_dir="$1"
shift
[ -d "$out_dir" ] || die "no such directory: $out_dir"
command -v openssl >/dev/null 2>&1 || die "openssl is not installed"

# A label value in the text format: backslash, double quote and newline escaped.
label_value() {
    local v="$1"
    v="${v//\\/\\\\}"
    v="${v//\"/\\\"}"
    v="${v//$'\n'/\\n}"
    printf '%s' "$v"
}

body="# HELP tls_certificate_not_after_timestamp_seconds When the certificate expires (its notAfter), seconds since the Unix epoch.
# TYPE tls_certificate_not_after_timestamp_seconds gauge
"
for cert in "$@"; do
    [ -r "$cert" ] || die "cannot read $cert"
    # -enddate prints notAfter=Mar  3 12:00:00 2027 GMT; -subject prints subject=CN=…
    end="$(openssl x509 -in "$cert" -noout -enddate 2>/dev/null)" || die "not a PEM certificate: $cert"
    subject="$(openssl x509 -in "$cert" -noout -subject -nameopt RFC2253 2>/dev/null)" ||
        die "not a PEM certificate: $cert"
    end="${end#notAfter=}"
    subject="${subject#subject=}"
    epoch="$(date -u -d "$end" +%s)" || die "cannot read the expiry date of $cert: $end"
    body+="tls_certificate_not_after_timestamp_seconds{path=\"$(label_value "$cert")\",subject=\"$(label_value "$subject")\"} $epoch
"
done

# Written beside the target and renamed, so node-exporter never reads half a file.
tmp="$(mktemp "$out_dir/.tls_certificates.prom.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
printf '%s' "$body" >"$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$out_dir/tls_certificates.prom"
trap - EXIT
