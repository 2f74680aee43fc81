//! `formula-pm backup [--to DIR]` and `formula-pm backup verify FILE`.
//!
//! A backup is the store's portable dump plus uploaded files in one archive (see
//! `crate::archive` and docs/operations.md), with a `.sha256` file beside it, a `LATEST`
//! file naming the newest, and old archives pruned after `BACKUP_RETENTION_DAYS`.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use formula_store::{Db, OpenOptions};
use time::OffsetDateTime;

use crate::archive::{self, Scratch};
use crate::cli::{BackupAction, BackupArgs, KeygenArgs, VerifyArgs};
use crate::config::{Config, Secret};
use crate::encryption;
use crate::logging::{self, Output};

/// Name of the file in the backup directory that names the newest archive. A plain file
/// rather than a symlink, so it survives copies to object storage and Windows shares.
pub const LATEST: &str = "LATEST";
/// Archive names are `formula-pm-<file stamp>.tar.gz`, or `….tar.gz.age` when encrypted
/// (`BACKUP_ENCRYPTION_RECIPIENTS`); only such files are ever pruned.
const PREFIX: &str = "formula-pm-";
const SUFFIX: &str = ".tar.gz";

pub async fn run(args: BackupArgs) -> anyhow::Result<()> {
    let config = super::load_config()?;
    logging::init(&config, Output::Stderr)?;
    let (what, result) = match args.action {
        Some(BackupAction::Verify(v)) => ("backup verification", verify(&config, v).await),
        Some(BackupAction::Keygen(k)) => ("key generation", keygen(&k)),
        None => ("backup", backup(&config, args.to).await),
    };
    if let Err(e) = &result {
        tracing::error!(error = %format!("{e:#}"), "{what} failed");
    }
    result
}

/// Opens the configured database for a restore of an archive of schema version `archive`
/// and brings its schema to that version, not further: the migrations since run on the
/// archive's rows once they are loaded ([`Db::migrate`] after the load), as they ran on every
/// database that was upgraded, so what they move (free-text suppliers into the directory,
/// PO fields into purchase orders) is moved for a restored backup too. A database already
/// migrated past the archive's version is refused: those migrations would not run on its
/// rows. On SQLite this takes the data directory's lock, so it refuses to run beside a server
/// using the same `DATA_DIR`.
pub(crate) async fn open_for_restore(config: &Config, archive: i64) -> anyhow::Result<Db> {
    let described = config.database_description();
    let url = config.database_url.as_ref().map(Secret::expose);
    let db = formula_store::open(url, &config.data_dir)
        .await
        .map_err(|e| match url {
            Some(_) => anyhow!("{e} (DATABASE_URL: {described})"),
            None => anyhow!("{e}"),
        })?;
    let ours = formula_store::dump::latest_schema_version();
    let target = archive.min(ours);
    // Not set up yet: no migrations table.
    let current = db.schema_version().await.ok().flatten();
    let prepared = match current {
        Some(v) if v > target => Err(crate::Refused(format!(
            "the database ({described}) is already at schema version {v} and the archive at {archive}: the migrations since would not run on the archive's rows; restore it into a new, empty database (a new DATA_DIR, or a new PostgreSQL database)"
        ))
        .into()),
        _ => db
            .migrate_until(target)
            .await
            .map_err(|e| anyhow!("{e} ({described})")),
    };
    if let Err(e) = prepared {
        db.close().await;
        return Err(e);
    }
    Ok(db)
}

/// Opens the configured database for a dump: read-only and, on SQLite, without the data
/// directory's lock, so backups run beside a live server. The schema must be exactly this
/// binary's: an older one would lack tables the dump reads (and a backup must not migrate
/// a database a server is using), a newer one may hold columns it does not know.
pub(crate) async fn open_for_dump(config: &Config) -> anyhow::Result<Db> {
    let described = config.database_description();
    let url = config.database_url.as_ref().map(Secret::expose);
    let db = formula_store::open_read_only(url, &config.data_dir, &OpenOptions::default())
        .await
        .map_err(|e| anyhow!("{e} ({described})"))?;
    let ours = formula_store::dump::latest_schema_version();
    let problem = match db.schema_version().await {
        Ok(Some(v)) if v == ours => None,
        Ok(Some(v)) if v < ours => Some(format!(
            "the database ({described}) is at schema version {v} and this formula-pm at {ours}; run `formula-pm migrate` (or start the server) first"
        )),
        Ok(Some(v)) => Some(format!(
            "the database ({described}) is at schema version {v}, newer than this formula-pm ({ours}); use the formula-pm that migrated it"
        )),
        Ok(None) | Err(_) => Some(format!(
            "the database ({described}) has not been set up; run `formula-pm migrate` first"
        )),
    };
    match problem {
        None => Ok(db),
        Some(message) => {
            db.close().await;
            Err(crate::Refused(message).into())
        }
    }
}

async fn backup(config: &Config, to: Option<PathBuf>) -> anyhow::Result<()> {
    let dir = to.unwrap_or_else(|| config.backup.dir.clone());
    eprintln!(
        "backup: {} into {}",
        config.database_description(),
        dir.display()
    );
    let made = write_backup(config, &dir).await?;
    let written = &made.written;
    println!(
        "Backup written: {} ({} bytes, {} rows, sha256 {})",
        written.path.display(),
        written.bytes,
        made.rows,
        written.sha256
    );
    for pruned in &made.pruned {
        println!("Pruned old backup: {pruned}");
    }
    for object in &made.uploaded {
        println!("Uploaded: {object}");
    }
    Ok(())
}

/// What [`write_backup`] did.
pub(crate) struct BackupMade {
    pub written: archive::Written,
    /// Rows in the archive, over every table.
    pub rows: u64,
    /// Archives deleted by the retention.
    pub pruned: Vec<String>,
    /// Objects uploaded to `BACKUP_S3_BUCKET` (`s3://bucket/key`), archive then checksum.
    pub uploaded: Vec<String>,
}

/// Writes one backup archive of the configured database into `dir`, points `LATEST` at it
/// and applies `BACKUP_RETENTION_DAYS`: what `formula-pm backup` does, and the scheduled
/// `backup` job too. Work files that a crashed earlier backup left behind are removed first.
pub(crate) async fn write_backup(config: &Config, dir: &Path) -> anyhow::Result<BackupMade> {
    let now = OffsetDateTime::now_utc();
    for left in remove_leftovers(dir, now) {
        tracing::info!(path = %left, "removed a work file left by an interrupted backup");
    }
    let recipients = &config.backup.encryption_recipients;
    let sealed = if recipients.is_empty() {
        ""
    } else {
        encryption::EXTENSION
    };
    let name = format!("{PREFIX}{}{SUFFIX}{sealed}", archive::file_stamp(now));
    let db = open_for_dump(config).await?;
    let written = archive::write(&db, &config.data_dir, &dir.join(&name), now, recipients).await;
    db.close().await;
    let written = written?;
    archive::write_atomically(&dir.join(LATEST), format!("{name}\n").as_bytes())?;
    let rows: u64 = written.manifest.tables.values().sum();
    tracing::info!(
        archive = %written.path.display(),
        bytes = written.bytes,
        rows,
        sha256 = %written.sha256,
        encrypted = !recipients.is_empty(),
        "backup written"
    );
    let pruned = prune(dir, config.backup.retention_days, &name, now);
    // After the retention, which is about local files only: a failing bucket must not
    // stop old local archives from going (the bucket's own lifecycle rules prune it).
    let uploaded = upload(config, &written).await?;
    Ok(BackupMade {
        written,
        rows,
        pruned,
        uploaded,
    })
}

/// Uploads a finished archive and then its `.sha256` file to the `BACKUP_S3_*` bucket, if
/// one is set; returns the objects written. The archive goes first so that a checksum
/// object in the bucket always has its archive beside it. On failure the local archive is
/// left as it is: it is complete, only the off-site copy is missing.
async fn upload(config: &Config, written: &archive::Written) -> anyhow::Result<Vec<String>> {
    let Some(s3) = &config.backup.s3 else {
        return Ok(Vec::new());
    };
    let bucket = s3.bucket();
    let sidecar = PathBuf::from(format!("{}.sha256", written.path.display()));
    let mut uploaded = Vec::new();
    for path in [&written.path, &sidecar] {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let key = format!("{}{file}", s3.prefix);
        let object = bucket.describe(&key);
        if let Err(e) = bucket.put_file(&key, path).await {
            // Logged here too: a failed job keeps its error only in the queue table.
            tracing::warn!(%object, error = %e, "backup upload failed");
            return Err(crate::Refused(format!(
                "the backup {} was written and is complete, but uploading it to {object} failed: {e}",
                written.path.display()
            ))
            .into());
        }
        tracing::info!(%object, "backup uploaded");
        uploaded.push(object);
    }
    Ok(uploaded)
}

/// Work files older than this in the backup directory are leftovers of an interrupted
/// backup; younger ones may belong to a backup running right now (another process).
const LEFTOVER_AGE: time::Duration = time::Duration::days(1);

/// Removes what an interrupted backup leaves in `dir` (its staging directory
/// `.formula-pm-staging-…`, a `.formula-pm-….partial` archive, a `.LATEST.tmp`) once older
/// than [`LEFTOVER_AGE`]. Returns what went; failures are only logged.
fn remove_leftovers(dir: &Path, now: OffsetDateTime) -> Vec<String> {
    let Ok(items) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let cutoff = std::time::SystemTime::from(now - LEFTOVER_AGE);
    let mut removed = Vec::new();
    for item in items.flatten() {
        let name = item.file_name().to_string_lossy().into_owned();
        let ours = name.starts_with(".formula-pm-staging-")
            || (name.starts_with(&format!(".{PREFIX}")) && name.ends_with(".partial"))
            || name == format!(".{LATEST}.tmp");
        let old = item
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < cutoff);
        if !ours || !old {
            continue;
        }
        let path = item.path();
        let gone = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        match gone {
            Ok(()) => removed.push(name),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot remove a backup work file")
            }
        }
    }
    removed.sort();
    removed
}

/// Deletes archives (and their `.sha256` files) in `dir` older than `days` days. Never the
/// one just written (`keep`), which is also always the newest; `days == 0` keeps all.
/// A file that cannot be deleted is logged and left: the backup itself succeeded.
fn prune(dir: &Path, days: u32, keep: &str, now: OffsetDateTime) -> Vec<String> {
    if days == 0 {
        return Vec::new();
    }
    let cutoff = now - time::Duration::days(i64::from(days));
    let Ok(items) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut pruned = Vec::new();
    for item in items.flatten() {
        let name = item.file_name().to_string_lossy().into_owned();
        let Some(made) = name
            .strip_prefix(PREFIX)
            .map(|n| n.strip_suffix(encryption::EXTENSION).unwrap_or(n))
            .and_then(|n| n.strip_suffix(SUFFIX))
            .and_then(archive::parse_file_stamp)
        else {
            continue;
        };
        if name == keep || made >= cutoff {
            continue;
        }
        match fs::remove_file(item.path()) {
            Ok(()) => {
                let _ = fs::remove_file(dir.join(format!("{name}.sha256")));
                tracing::info!(archive = %name, "pruned old backup");
                pruned.push(name);
            }
            Err(e) => tracing::warn!(archive = %name, error = %e, "cannot prune old backup"),
        }
    }
    pruned.sort();
    pruned
}

/// Writes a new age identity to `args.file` (never over an existing file; owner-only on
/// Unix) and prints its public key, for `BACKUP_ENCRYPTION_RECIPIENTS`.
fn keygen(args: &KeygenArgs) -> anyhow::Result<()> {
    use std::io::Write as _;
    let (identity, public) = encryption::generate();
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&args.file).map_err(|e| {
        crate::Refused(format!(
            "cannot create {} ({e}); it must not exist yet",
            args.file.display()
        ))
    })?;
    if let Err(e) = file
        .write_all(identity.as_bytes())
        .and_then(|()| file.sync_all())
    {
        // Half a key is worse than none: it looks like one.
        drop(file);
        let _ = fs::remove_file(&args.file);
        return Err(anyhow!("cannot write {} ({e})", args.file.display()));
    }
    eprintln!(
        "keygen: the secret key is in {}; copy it somewhere safe off this server, and point BACKUP_ENCRYPTION_IDENTITY_FILE at it only to verify or restore",
        args.file.display()
    );
    println!("Public key: {public}");
    println!("Set: BACKUP_ENCRYPTION_RECIPIENTS={public}");
    Ok(())
}

/// Checks an archive completely: sidecar checksum, every entry against the manifest, and a
/// trial restore into a scratch SQLite database whose counts must match the manifest.
async fn verify(config: &Config, args: VerifyArgs) -> anyhow::Result<()> {
    let work = std::env::temp_dir();
    let identity = config.backup.encryption_identity_file.as_deref();
    let unpacked = archive::unpack(&args.file, &work, identity)?;
    let scratch = Scratch::new(&work, "verify-db")?;
    let db = formula_store::open(None, scratch.path()).await?;
    let checked = async {
        // As a restore does: the archive's schema, its rows, then the migrations since.
        let ours = formula_store::dump::latest_schema_version();
        db.migrate_until(unpacked.manifest.schema_version.min(ours))
            .await?;
        let loaded = unpacked.load_into(&db, false).await?;
        let counted = db.table_counts().await?;
        formula_store::dump::check_counts(&unpacked.manifest.tables, &counted)
            .map_err(|e| crate::Refused(format!("{}: {e}", args.file.display())))?;
        db.migrate().await?;
        anyhow::Ok(loaded)
    }
    .await;
    db.close().await;
    drop(db);
    drop(scratch);
    let counts = checked?;
    let m = &unpacked.manifest;
    println!(
        "OK: {} — {} rows in {} tables and {} files match the manifest (made {} by formula-pm {} from {}, schema version {})",
        args.file.display(),
        counts.values().sum::<u64>(),
        counts.len(),
        unpacked.files().len(),
        m.created_at,
        m.app_version,
        m.backend,
        m.schema_version
    );
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_of_interrupted_backups_are_removed_once_old() {
        let dir = Scratch::new(&std::env::temp_dir(), "leftover-test").unwrap();
        let now = OffsetDateTime::now_utc();
        let old = std::time::SystemTime::from(now - time::Duration::days(2));
        let age = |name: &str| {
            fs::File::options()
                .write(true)
                .open(dir.path().join(name))
                .unwrap()
                .set_modified(old)
                .unwrap();
        };
        for name in [
            ".formula-pm-20261001T000000.000Z.tar.gz.partial",
            ".LATEST.tmp",
            ".formula-pm-20261125T000000.000Z.tar.gz.partial",
            "formula-pm-20261001T000000.000Z.tar.gz",
            ".other.partial",
        ] {
            fs::write(dir.path().join(name), b"x").unwrap();
        }
        let staging = dir.path().join(".formula-pm-staging-0123");
        fs::create_dir_all(&staging).unwrap();
        fs::write(staging.join("users.jsonl"), b"x").unwrap();
        fs::File::open(&staging).unwrap().set_modified(old).unwrap();
        for name in [
            ".formula-pm-20261001T000000.000Z.tar.gz.partial",
            ".LATEST.tmp",
            "formula-pm-20261001T000000.000Z.tar.gz",
            ".other.partial",
        ] {
            age(name);
        }
        // Old work files go; a fresh one (a backup running now), archives and others' stay.
        assert_eq!(
            remove_leftovers(dir.path(), now),
            [
                ".LATEST.tmp",
                ".formula-pm-20261001T000000.000Z.tar.gz.partial",
                ".formula-pm-staging-0123"
            ]
        );
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                ".formula-pm-20261125T000000.000Z.tar.gz.partial",
                ".other.partial",
                "formula-pm-20261001T000000.000Z.tar.gz"
            ]
        );
    }

    #[test]
    fn pruning_keeps_recent_and_newest_archives() {
        let dir = Scratch::new(&std::env::temp_dir(), "prune-test").unwrap();
        let now = time::macros::datetime!(2026-11-25 12:00 UTC);
        let names = [
            "formula-pm-20261001T000000.000Z.tar.gz",
            "formula-pm-20261120T000000.000Z.tar.gz",
            "formula-pm-20200101T000000.000Z.tar.gz",
            "formula-pm-export-20200101T000000.000Z.tar.gz",
            "formula-pm-20261002T000000.000Z.tar.gz.age",
            "formula-pm-20261121T000000.000Z.tar.gz.age",
            "formula-pm-20261003T000000.000Z.tar.gz.gpg",
            "notes.txt",
        ];
        for n in names {
            fs::write(dir.path().join(n), b"x").unwrap();
        }
        fs::write(
            dir.path()
                .join("formula-pm-20261001T000000.000Z.tar.gz.sha256"),
            b"x",
        )
        .unwrap();
        assert!(prune(dir.path(), 0, "none", now).is_empty());
        // The one just written is kept even if its name says it is old.
        let pruned = prune(
            dir.path(),
            30,
            "formula-pm-20200101T000000.000Z.tar.gz",
            now,
        );
        assert_eq!(
            pruned,
            [
                "formula-pm-20261001T000000.000Z.tar.gz",
                "formula-pm-20261002T000000.000Z.tar.gz.age"
            ]
        );
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "formula-pm-20200101T000000.000Z.tar.gz",
                "formula-pm-20261003T000000.000Z.tar.gz.gpg",
                "formula-pm-20261120T000000.000Z.tar.gz",
                "formula-pm-20261121T000000.000Z.tar.gz.age",
                "formula-pm-export-20200101T000000.000Z.tar.gz",
                "notes.txt"
            ]
        );
    }
}
