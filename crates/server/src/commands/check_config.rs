//! `formula-pm check-config`: checks the configuration and prints it, secrets redacted.

use crate::config::Config;

/// Prints `NAME=value` lines on success; the caller reports invalid variables (exit 2).
pub fn run() -> anyhow::Result<()> {
    let config = super::load_config()?;
    for line in config.redacted_lines() {
        println!("{line}");
    }
    eprintln!(
        "The configuration is valid ({}; {}).",
        config.app_env.as_str(),
        describe(&config)
    );
    Ok(())
}

fn describe(config: &Config) -> String {
    let database = config.database_description();
    match &config.smtp {
        None => format!("database: {database}; email: outbox only"),
        Some(smtp) => format!(
            "database: {database}; email: SMTP via {}:{} ({}), recorded in the outbox",
            smtp.host,
            smtp.port,
            smtp.tls.as_str()
        ),
    }
}
