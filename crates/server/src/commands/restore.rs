//! `formula-pm restore FILE [--force]` and its twin `formula-pm import FILE [--force]`:
//! loads an archive into the configured database (and its files into `DATA_DIR/uploads`).
//!
//! An age-encrypted archive is decrypted as it is read, with `BACKUP_ENCRYPTION_IDENTITY_FILE`.
//! The archive is checked first (sidecar checksum, every entry against the manifest); the
//! database is migrated to the archive's schema version, loaded in one transaction that also
//! checks the manifest's row counts before it commits, then migrated to this binary's schema
//! (so the migrations since run on the archive's rows). A database that already has data is
//! refused unless `--force`, which empties our tables (and only ours) in that transaction.

use std::fs;
use std::path::Path;

use crate::Refused;
use crate::archive::{self, UPLOADS_DIR};
use crate::cli::RestoreArgs;
use crate::logging::{self, Output};

pub async fn run(args: RestoreArgs) -> anyhow::Result<()> {
    let config = super::load_config()?;
    logging::init(&config, Output::Stderr)?;
    let result = restore(&config, &args).await;
    if let Err(e) = &result {
        tracing::error!(error = %format!("{e:#}"), archive = %args.file.display(), "restore failed");
    }
    result
}

async fn restore(config: &crate::config::Config, args: &RestoreArgs) -> anyhow::Result<()> {
    let identity = config.backup.encryption_identity_file.as_deref();
    let unpacked = archive::unpack(&args.file, &std::env::temp_dir(), identity)?;
    let uploads = config.data_dir.join(UPLOADS_DIR);
    let files = unpacked.files();
    let db = super::backup::open_for_restore(config, unpacked.manifest.schema_version).await?;
    // A database that holds data is the first thing to report: it is what --force replaces.
    if !args.force {
        let counts = db.table_counts().await?;
        if counts.values().any(|n| *n > 0) {
            db.close().await;
            return Err(
                Refused(formula_store::dump::DumpError::NotEmpty(counts).to_string()).into(),
            );
        }
    }
    if !files.is_empty() && !args.force && has_entries(&uploads) {
        db.close().await;
        return Err(Refused(format!(
            "{} already holds files; use --force to restore the archive's files over them",
            uploads.display()
        ))
        .into());
    }
    eprintln!("restore: into {}", config.database_description());
    let loaded = unpacked.load_into(&db, args.force).await;
    // The migrations since the archive's schema version run on its rows.
    let migrated = match &loaded {
        Ok(_) => db
            .migrate()
            .await
            .map_err(|e| anyhow::anyhow!("{e} ({})", config.database_description())),
        Err(_) => Ok(()),
    };
    db.close().await;
    drop(db);
    let counts = loaded?;
    migrated?;
    for (rel, source) in &files {
        let target = uploads.join(rel);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        let content = fs::read(source)?;
        archive::write_atomically(&target, &content)?;
    }
    let rows: u64 = counts.values().sum();
    tracing::info!(archive = %args.file.display(), rows, files = files.len(), "restore finished");
    println!(
        "Restored {} into {}: {rows} rows, {} files. Everyone signs in again (sessions are not part of a backup).",
        args.file.display(),
        config.database_description(),
        files.len()
    );
    Ok(())
}

fn has_entries(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|mut items| items.next().is_some())
}
