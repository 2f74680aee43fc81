//! The command line, declared with clap.

use clap::{Args, Parser, Subcommand};

/// Formula PM: project management for millwork, interior fit-out and construction contractors.
///
/// Configuration comes from environment variables only (see docs/configuration.md, or run
/// `formula-pm check-config`). With nothing set it serves http://127.0.0.1:5014 on a SQLite
/// database in ./data.
#[derive(Debug, Parser)]
#[command(name = "formula-pm", version, propagate_version = true)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (the default): migrate the database, then serve the UI and API
    /// on BIND:PORT until SIGTERM or Ctrl-C.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create an administrator account.
    ///
    /// The password is read from ADMIN_PASSWORD or ADMIN_PASSWORD_FILE; when neither is set
    /// it is asked for twice on the terminal. Migrates the database first.
    CreateAdmin(CreateAdminArgs),
    /// Fill an empty database with a demo millwork company: users of every role, clients,
    /// projects across the whole lifecycle and about 150 tasks.
    ///
    /// Refuses when the database already has clients. Every demo user gets the password from
    /// SEED_PASSWORD (or SEED_PASSWORD_FILE), or `demo-password-2025` outside production.
    SeedDemo,
    /// Check that a running server answers (for container health checks without curl).
    ///
    /// Exits 0 when the URL answers HTTP 200 within 5 seconds, 1 otherwise.
    Healthcheck(HealthcheckArgs),
    /// Check the configuration and print it, one NAME=value per line, secrets redacted.
    ///
    /// Exits 2 and names every invalid variable when the configuration is not valid.
    CheckConfig,
    /// Write a consistent backup of the database (and uploaded files) into one archive, or
    /// check one with `backup verify FILE`.
    ///
    /// The archive, formula-pm-<UTC time>.tar.gz (.tar.gz.age, encrypted, when
    /// BACKUP_ENCRYPTION_RECIPIENTS is set), goes into --to, BACKUP_DIR or
    /// DATA_DIR/backups, with a .sha256 file beside it and a LATEST file naming it; archives
    /// older than BACKUP_RETENTION_DAYS are pruned (never the newest). See docs/operations.md.
    Backup(BackupArgs),
    /// Restore a backup archive into the configured database (verified first).
    ///
    /// Refuses a database that already has data unless --force, which replaces it.
    Restore(RestoreArgs),
    /// Write the whole installation to one portable archive (the backup format), to move it
    /// between SQLite and PostgreSQL with `import`.
    Export(ExportArgs),
    /// Load an archive made by `export` or `backup` into the configured database (same as
    /// `restore`).
    Import(RestoreArgs),
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BackupArgs {
    /// `verify FILE`; without it, make a backup.
    #[command(subcommand)]
    pub action: Option<BackupAction>,
    /// Directory for the archive [default: BACKUP_DIR, or DATA_DIR/backups]
    #[arg(long, value_name = "DIR")]
    pub to: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum BackupAction {
    /// Check an archive: its .sha256 file, every entry's checksum, and a trial restore into a
    /// scratch database whose row counts must match the manifest. Exits 0 only if all match.
    Verify(VerifyArgs),
    /// Generate an age key pair for BACKUP_ENCRYPTION_RECIPIENTS: writes the secret identity
    /// to FILE (like `age-keygen -o FILE`) and prints the public key.
    Keygen(KeygenArgs),
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the identity (secret key); refused if it exists. Keep it off the server.
    pub file: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The archive to check.
    pub file: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The archive to load.
    pub file: std::path::PathBuf,
    /// Replace the data of a database that is not empty.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// File to write [default: formula-pm-export-<UTC time>.tar.gz in the current directory]
    #[arg(long, value_name = "FILE")]
    pub to: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct CreateAdminArgs {
    /// Email address to sign in with.
    #[arg(long)]
    pub email: String,
    /// Full name, as shown to colleagues.
    #[arg(long)]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// URL to ask [default: http://127.0.0.1:$PORT/health/live, from the configuration]
    #[arg(long)]
    pub url: Option<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_is_the_default_and_arguments_parse() {
        assert!(
            Cli::try_parse_from(["formula-pm"])
                .unwrap()
                .command
                .is_none()
        );
        let cli = Cli::try_parse_from([
            "formula-pm",
            "create-admin",
            "--email",
            "a@b.co",
            "--name",
            "Ann",
        ])
        .unwrap();
        assert!(
            matches!(cli.command, Some(Command::CreateAdmin(a)) if a.email == "a@b.co" && a.name == "Ann")
        );
        assert!(Cli::try_parse_from(["formula-pm", "create-admin", "--email", "a@b.co"]).is_err());
        let cli = Cli::try_parse_from([
            "formula-pm",
            "healthcheck",
            "--url",
            "http://127.0.0.1:1/health/live",
        ])
        .unwrap();
        assert!(matches!(cli.command, Some(Command::Healthcheck(h)) if h.url.is_some()));
    }

    #[test]
    fn backup_commands_parse() {
        let cli = Cli::try_parse_from(["formula-pm", "backup", "--to", "/b"]).unwrap();
        assert!(
            matches!(cli.command, Some(Command::Backup(b)) if b.action.is_none() && b.to.is_some())
        );
        let cli = Cli::try_parse_from(["formula-pm", "backup", "verify", "a.tar.gz"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Backup(BackupArgs {
                action: Some(BackupAction::Verify(_)),
                to: None
            }))
        ));
        assert!(Cli::try_parse_from(["formula-pm", "backup", "verify"]).is_err());
        let cli = Cli::try_parse_from(["formula-pm", "backup", "keygen", "key.txt"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Backup(BackupArgs {
                action: Some(BackupAction::Keygen(_)),
                ..
            }))
        ));
        let cli = Cli::try_parse_from(["formula-pm", "restore", "a.tar.gz", "--force"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Restore(r)) if r.force));
        let cli = Cli::try_parse_from(["formula-pm", "import", "a.tar.gz"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Import(r)) if !r.force));
    }
}
