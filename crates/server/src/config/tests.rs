//! Tests of the loader as a whole: defaults, parsing, errors, secrets, the listing, and
//! the documentation kept in step with [`VARIABLES`].

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use super::test_support::{TempFile, error_for, load};
use super::*;

#[test]
fn defaults_run_on_a_laptop_with_nothing_set() {
    let c = load(&[]).unwrap();
    assert_eq!(c.app_env, AppEnv::Development);
    assert_eq!(c.listen_addr().to_string(), "127.0.0.1:5014");
    assert_eq!(c.public_url, "http://127.0.0.1:5014");
    assert!(!c.secure_cookies());
    assert_eq!(c.data_dir, PathBuf::from("./data"));
    assert_eq!(c.database_url, None);
    assert_eq!(c.log_level, "info");
    assert_eq!(c.log_format, LogFormat::Json);
    assert_eq!(c.default_currency, "USD");
    assert_eq!(c.project_code_prefix, "FPM");
    assert_eq!((c.session_idle_minutes, c.session_max_hours), (720, 168));
    assert_eq!(c.max_body_bytes, 1_048_576);
    assert_eq!(c.smtp, None);
    assert_eq!(c.admin_password, None);
    let app = c.app_config();
    assert_eq!(app.session_idle, time::Duration::hours(12));
    assert_eq!(app.session_absolute, time::Duration::days(7));
}

#[test]
fn empty_values_count_as_unset() {
    let c = load(&[("PORT", ""), ("DATABASE_URL", ""), ("LOG_LEVEL", "  ")]).unwrap();
    assert_eq!(c.port, 5014);
    assert_eq!(c.database_url, None);
    assert_eq!(c.log_level, "info");
}

#[test]
fn values_are_parsed() {
    let c = load(&[
        ("BIND", "0.0.0.0"),
        ("PORT", "8080"),
        ("DATA_DIR", "/var/lib/formula"),
        ("DATABASE_URL", "postgres://pm:s3cret@db:5432/formula"),
        ("LOG_LEVEL", "info,formula_web=debug"),
        ("LOG_FORMAT", "pretty"),
        ("DEFAULT_CURRENCY", "eur"),
        ("PROJECT_CODE_PREFIX", "WSC"),
        ("SESSION_IDLE_MINUTES", "30"),
        ("SESSION_MAX_HOURS", "24"),
        ("MAX_BODY_BYTES", "2048"),
    ])
    .unwrap();
    assert_eq!(c.listen_addr().to_string(), "0.0.0.0:8080");
    assert_eq!(
        c.public_url, "http://127.0.0.1:8080",
        "all interfaces → loopback in the default URL"
    );
    assert_eq!(c.local_url(), "http://127.0.0.1:8080");
    assert_eq!(c.data_dir, PathBuf::from("/var/lib/formula"));
    assert_eq!(
        c.database_url.as_ref().map(Secret::expose),
        Some("postgres://pm:s3cret@db:5432/formula")
    );
    assert_eq!(c.log_format, LogFormat::Pretty);
    assert_eq!(c.default_currency, "EUR");
    assert_eq!(c.project_code_prefix, "WSC");
    assert_eq!(
        (
            c.session_idle_minutes,
            c.session_max_hours,
            c.max_body_bytes
        ),
        (30, 24, 2048)
    );
    assert_eq!(
        c.database_description(),
        "PostgreSQL at postgres://pm:<redacted>@db:5432/formula"
    );
}

#[test]
fn ipv6_bind_makes_a_bracketed_url() {
    let c = load(&[("BIND", "::")]).unwrap();
    assert_eq!(c.public_url, "http://[::1]:5014");
    let c = load(&[("BIND", "localhost")]).unwrap();
    assert_eq!(c.bind, IpAddr::V4(Ipv4Addr::LOCALHOST));
}

#[test]
fn each_invalid_value_names_its_variable() {
    let cases: &[(&str, &str)] = &[
        ("APP_ENV", "staging"),
        ("BIND", "my-laptop"),
        ("PORT", "abc"),
        ("PORT", "0"),
        ("PORT", "70000"),
        ("PUBLIC_URL", "pm.example.com"),
        ("PUBLIC_URL", "https://pm.example.com/app"),
        ("PUBLIC_URL", "https://"),
        ("PUBLIC_URL", "https://pm.example.com:99999"),
        ("ALLOW_INSECURE_HTTP", "maybe"),
        ("DATABASE_URL", "mysql://localhost/pm"),
        ("LOG_LEVEL", "verbose"),
        ("LOG_LEVEL", "info,formula_web=loud"),
        ("LOG_FORMAT", "xml"),
        ("DEFAULT_CURRENCY", "dollars"),
        ("PROJECT_CODE_PREFIX", "wsc"),
        ("PROJECT_CODE_PREFIX", "W"),
        ("PROJECT_CODE_PREFIX", "ABCDEFGHI"),
        ("PROJECT_CODE_PREFIX", "W2C"),
        ("SESSION_IDLE_MINUTES", "0"),
        ("SESSION_IDLE_MINUTES", "-5"),
        ("SESSION_MAX_HOURS", "1.5"),
        ("MAX_BODY_BYTES", "12"),
        ("ADMIN_PASSWORD", "short"),
        ("SEED_PASSWORD", "short"),
        ("SMTP_PORT", "smtp"),
    ];
    for (name, value) in cases {
        let msg = error_for(&[(name, value)], name);
        assert!(msg.starts_with(&format!("{name}: ")), "{msg}");
    }
    assert_eq!(
        error_for(&[("PORT", "abc")], "PORT"),
        r#"PORT: must be a number between 1 and 65535, got "abc""#
    );
}

#[test]
fn all_errors_are_collected_at_once() {
    let e = load(&[
        ("PORT", "abc"),
        ("LOG_FORMAT", "xml"),
        ("APP_ENV", "staging"),
    ])
    .unwrap_err();
    let names: Vec<&str> = e.0.iter().map(|e| e.variable.as_str()).collect();
    assert_eq!(names, ["APP_ENV", "PORT", "LOG_FORMAT"]);
    let text = e.to_string();
    assert!(
        text.contains("PORT: must be a number")
            && text.contains("LOG_FORMAT: must be json or pretty"),
        "{text}"
    );
}

#[test]
fn secret_values_are_never_echoed() {
    let e = load(&[
        ("DATABASE_URL", "mysql://root:hunter2hunter2@db/pm"),
        ("ADMIN_PASSWORD", "hunter2"),
    ])
    .unwrap_err();
    let text = e.to_string();
    assert!(!text.contains("hunter2"), "{text}");
    let c = load(&[("ADMIN_PASSWORD", "correct horse battery")]).unwrap();
    assert!(!format!("{c:?}").contains("correct horse"));
    assert!(!c.redacted_lines().join("\n").contains("correct horse"));
}

#[test]
fn secrets_are_read_from_files() {
    let db = TempFile::new("db", "postgres://pm:from-file@db/formula\n");
    let admin = TempFile::new("admin", "a long admin password\r\n");
    let c = load(&[
        ("DATABASE_URL_FILE", db.path()),
        ("ADMIN_PASSWORD_FILE", admin.path()),
    ])
    .unwrap();
    assert_eq!(
        c.database_url.as_ref().map(Secret::expose),
        Some("postgres://pm:from-file@db/formula")
    );
    assert_eq!(
        c.admin_password.as_ref().map(Secret::expose),
        Some("a long admin password")
    );

    let smtp = TempFile::new("smtp", "mail-password");
    let c = load(&[
        ("SMTP_HOST", "smtp.example.com"),
        ("SMTP_USERNAME", "pm"),
        ("SMTP_PASSWORD_FILE", smtp.path()),
        ("SMTP_FROM", "Formula PM <pm@example.com>"),
    ])
    .unwrap();
    let s = c.smtp.unwrap();
    assert_eq!(
        s.password.as_ref().map(Secret::expose),
        Some("mail-password")
    );
    assert_eq!((s.host.as_str(), s.port), ("smtp.example.com", 587));
}

#[test]
fn secret_file_problems_name_the_file_variable() {
    let msg = error_for(
        &[("DATABASE_URL_FILE", "/nonexistent/formula-pm/secret")],
        "DATABASE_URL_FILE",
    );
    assert!(
        msg.contains("cannot read the file /nonexistent/formula-pm/secret"),
        "{msg}"
    );
    let empty = TempFile::new("empty", "\n");
    let msg = error_for(
        &[("SEED_PASSWORD_FILE", empty.path())],
        "SEED_PASSWORD_FILE",
    );
    assert!(msg.contains("is empty"), "{msg}");
}

#[test]
fn setting_a_secret_and_its_file_is_an_error() {
    let f = TempFile::new("both", "another long password");
    for name in SECRETS {
        let file_var = format!("{name}_FILE");
        let msg = error_for(
            &[(name, "a long enough password"), (&file_var, f.path())],
            name,
        );
        assert!(msg.contains("set only one of them"), "{msg}");
    }
}

#[test]
fn production_requires_https_unless_allowed() {
    let msg = error_for(&[("APP_ENV", "production")], "PUBLIC_URL");
    assert!(msg.contains("must be set in production"), "{msg}");
    let msg = error_for(
        &[
            ("APP_ENV", "production"),
            ("PUBLIC_URL", "http://pm.example.com"),
        ],
        "PUBLIC_URL",
    );
    assert!(
        msg.contains("https://") && msg.contains("ALLOW_INSECURE_HTTP"),
        "{msg}"
    );

    let c = load(&[
        ("APP_ENV", "production"),
        ("PUBLIC_URL", "https://pm.example.com/"),
        ("METRICS_BIND", "127.0.0.1:9464"),
    ])
    .unwrap();
    assert_eq!(c.public_url, "https://pm.example.com");
    assert!(c.secure_cookies());

    let c = load(&[
        ("APP_ENV", "production"),
        ("PUBLIC_URL", "http://10.0.0.5:5014"),
        ("ALLOW_INSECURE_HTTP", "true"),
        ("METRICS_BIND", "127.0.0.1:9464"),
    ])
    .unwrap();
    assert!(!c.secure_cookies());
    // Development accepts plain http without the switch.
    assert!(load(&[("PUBLIC_URL", "http://pm.local:8080")]).is_ok());
}

#[test]
fn redacted_lines_list_every_plain_variable() {
    let c = load(&[
        ("DATABASE_URL", "postgres://pm:pw@db/formula"),
        ("ADMIN_PASSWORD", "long enough password"),
    ])
    .unwrap();
    let lines = c.redacted_lines();
    assert!(lines.contains(&"PORT=5014".to_owned()));
    assert!(lines.contains(&"DATABASE_URL=postgres://pm:<redacted>@db/formula".to_owned()));
    assert!(lines.contains(&"ADMIN_PASSWORD=<redacted>".to_owned()));
    assert!(lines.contains(&"SMTP_HOST=".to_owned()));
    let printed: BTreeSet<&str> = lines
        .iter()
        .filter_map(|l| l.split_once('='))
        .map(|(k, _)| k)
        .collect();
    let expected: BTreeSet<&str> = VARIABLES
        .iter()
        .copied()
        // `NAME_FILE` forms of secrets fold into `NAME` (LOG_FILE is a variable of its own).
        .filter(|v| !SECRETS.iter().any(|s| format!("{s}_FILE") == *v))
        .collect();
    assert_eq!(printed, expected);
}

#[test]
fn variables_lists_exactly_what_the_loader_reads() {
    let read = RefCell::new(BTreeSet::new());
    let _ = Config::load(|name| {
        read.borrow_mut().insert(name.to_owned());
        None
    });
    let listed: BTreeSet<String> = VARIABLES.iter().map(|v| (*v).to_owned()).collect();
    assert_eq!(read.into_inner(), listed);
    for s in SECRETS {
        assert!(VARIABLES.contains(s) && VARIABLES.contains(&format!("{s}_FILE").as_str()));
    }
}

fn doc(path: &str) -> String {
    let full = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {full}: {e}"))
}

fn expected() -> BTreeSet<String> {
    VARIABLES.iter().map(|v| (*v).to_owned()).collect()
}

#[test]
fn configuration_doc_documents_exactly_the_variables() {
    // Every table row of docs/configuration.md starting with a `NAME` is a variable.
    let text = doc("docs/configuration.md");
    let documented: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`'))
        .map(|(name, _)| name.to_owned())
        .filter(|n| {
            n.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
        .collect();
    assert_eq!(
        documented,
        expected(),
        "docs/configuration.md table rows vs config::VARIABLES"
    );
}

#[test]
fn env_example_lists_exactly_the_variables() {
    // Every `NAME=` or `# NAME=` line of .env.example is a variable.
    let text = doc(".env.example");
    let listed: BTreeSet<String> = text
        .lines()
        .map(|l| l.trim_start_matches('#').trim_start())
        .filter_map(|l| l.split_once('='))
        .map(|(name, _)| name)
        .filter(|n| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
        .map(str::to_owned)
        .collect();
    assert_eq!(listed, expected(), ".env.example vs config::VARIABLES");
}

#[test]
fn configuration_doc_states_the_real_shutdown_grace() {
    // The prose about SIGTERM, not only the table, must agree with the default.
    let text = doc("docs/configuration.md");
    let start = text
        .find("The server stops on SIGTERM")
        .expect("a paragraph starting \"The server stops on SIGTERM\"");
    let paragraph = text[start..].split("\n\n").next().unwrap_or_default();
    let grace = load(&[]).unwrap().ops.shutdown_grace_seconds;
    assert!(
        paragraph.contains("SHUTDOWN_GRACE_SECONDS")
            && paragraph.contains(&format!("{grace} seconds")),
        "the shutdown paragraph must name SHUTDOWN_GRACE_SECONDS and its default ({grace} seconds): {paragraph}"
    );
}
