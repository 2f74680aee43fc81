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
        Some(_) => format!(
            "database: {database}; email: SMTP is configured but not implemented yet, so outbox only"
        ),
    }
}
