//! The `formula-pm` binary as a library: command-line interface, configuration, logging and
//! the wiring of store, use cases and web router. `main.rs` only calls [`run`]; keeping the
//! rest here lets integration tests reach [`config::VARIABLES`] and friends.

pub mod archive;
pub mod cli;
pub mod commands;
pub mod config;
pub mod database;
pub mod encryption;
pub mod http;
pub mod jobs;
pub mod logging;
pub mod redis;
pub mod seed;
pub mod tls;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::config::ConfigErrors;

/// Exit status for configuration and usage errors (clap uses the same for bad arguments).
pub const EXIT_CONFIG: u8 = 2;

/// A failure whose message is complete for the person at the terminal (no cause chain).
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// Parses the command line, runs the command and turns its outcome into an exit status.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => block_on(commands::serve::run()),
        Command::Migrate => block_on(commands::migrate::run()),
        Command::CreateAdmin(args) => block_on(commands::create_admin::run(args)),
        Command::SeedDemo => block_on(commands::seed_demo::run()),
        // These two need no database, so no async runtime either.
        Command::Healthcheck(args) => commands::healthcheck::run(args),
        Command::CheckConfig => commands::check_config::run(),
        Command::Backup(args) => block_on(commands::backup::run(args)),
        Command::Restore(args) | Command::Import(args) => block_on(commands::restore::run(args)),
        Command::Export(args) => block_on(commands::export::run(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(config) = e.downcast_ref::<ConfigErrors>() {
                eprintln!("formula-pm: {config}");
                ExitCode::from(EXIT_CONFIG)
            } else if let Some(refused) = e.downcast_ref::<Refused>() {
                eprintln!("formula-pm: {refused}");
                ExitCode::FAILURE
            } else {
                eprintln!("formula-pm: error: {e:#}");
                ExitCode::FAILURE
            }
        }
    }
}

/// Runs a command that talks to the database on a multi-threaded Tokio runtime.
fn block_on(command: impl Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    use anyhow::Context;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(command)
}
