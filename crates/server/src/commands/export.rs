//! `formula-pm export [--to FILE]`: the whole installation in the backup archive format,
//! to move it between SQLite and PostgreSQL with `formula-pm import`. The same writer as
//! `backup`, without the backup directory's `LATEST` file and retention.

use std::path::PathBuf;

use time::OffsetDateTime;

use crate::archive;
use crate::cli::ExportArgs;
use crate::logging::{self, Output};

pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
    let config = super::load_config()?;
    logging::init(&config, Output::Stderr)?;
    let now = OffsetDateTime::now_utc();
    let path = args.to.unwrap_or_else(|| {
        PathBuf::from(format!(
            "formula-pm-export-{}.tar.gz",
            archive::file_stamp(now)
        ))
    });
    let result = async {
        let db = super::backup::open_for_dump(&config).await?;
        eprintln!(
            "export: {} into {}",
            config.database_description(),
            path.display()
        );
        // Never encrypted: an export is a one-off move the operator carries by hand, and
        // BACKUP_ENCRYPTION_RECIPIENTS is about the backup directory (import still reads
        // encrypted backups).
        let written = archive::write(&db, &config.data_dir, &path, now, &[]).await;
        db.close().await;
        written
    }
    .await;
    match result {
        Ok(written) => {
            let rows: u64 = written.manifest.tables.values().sum();
            tracing::info!(archive = %written.path.display(), rows, "export written");
            println!(
                "Export written: {} ({} bytes, {rows} rows, sha256 {}). Load it with: formula-pm import {}",
                written.path.display(),
                written.bytes,
                written.sha256,
                written.path.display()
            );
            Ok(())
        }
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "export failed");
            Err(e)
        }
    }
}
