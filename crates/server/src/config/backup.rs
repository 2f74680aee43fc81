//! `formula-pm backup`: where archives go, how long they are kept, when and how they are made.

use std::path::PathBuf;

use formula_app::jobs::Cron;

use super::reader::Reader;
use super::s3::{BACKUP_S3, S3Settings, read_s3};

/// `BACKUP_SCHEDULE` unless set: daily at 02:15 UTC, between the audit retention (02:00)
/// and the database maintenance (03:30).
pub const DEFAULT_BACKUP_SCHEDULE: &str = "15 2 * * *";

/// `formula-pm backup` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSettings {
    /// Default directory for archives (`BACKUP_DIR`, else `DATA_DIR/backups`).
    pub dir: PathBuf,
    /// Archives older than this many days are pruned after a backup; 0 keeps them all.
    pub retention_days: u32,
    /// When the server's job runner writes a backup into `dir` (`BACKUP_SCHEDULE`); `None`
    /// is off.
    pub schedule: Option<Cron>,
    /// age public keys every backup is encrypted to (`BACKUP_ENCRYPTION_RECIPIENTS`);
    /// empty writes plain `.tar.gz` archives.
    pub encryption_recipients: Vec<age::x25519::Recipient>,
    /// The age identity file that decrypts encrypted archives for `backup verify`,
    /// `restore` and `import` (`BACKUP_ENCRYPTION_IDENTITY_FILE`). Read only by those
    /// commands, so the server itself never needs the secret key.
    pub encryption_identity_file: Option<PathBuf>,
    /// Where each new backup is also uploaded (`BACKUP_S3_*`); `None` keeps it local only.
    pub s3: Option<S3Settings>,
}

impl BackupSettings {
    /// The effective values, for `check-config`'s listing (the bucket's are listed apart).
    pub(super) fn lines(&self) -> [(&'static str, String); 5] {
        let recipients: Vec<String> = self
            .encryption_recipients
            .iter()
            .map(ToString::to_string)
            .collect();
        [
            ("BACKUP_DIR", self.dir.display().to_string()),
            ("BACKUP_RETENTION_DAYS", self.retention_days.to_string()),
            (
                "BACKUP_SCHEDULE",
                self.schedule
                    .as_ref()
                    .map_or_else(|| "off".to_owned(), Cron::to_string),
            ),
            ("BACKUP_ENCRYPTION_RECIPIENTS", recipients.join(",")),
            (
                "BACKUP_ENCRYPTION_IDENTITY_FILE",
                self.encryption_identity_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            ),
        ]
    }
}

/// Reads `BACKUP_*`, including the bucket each backup is also uploaded to.
pub(super) fn read_backup(r: &mut Reader<'_>, data_dir: &std::path::Path) -> BackupSettings {
    let dir = r
        .get("BACKUP_DIR")
        .map_or_else(|| data_dir.join("backups"), PathBuf::from);
    let retention_days = r.number(
        "BACKUP_RETENTION_DAYS",
        30,
        0,
        36_500,
        "a whole number of days (0 keeps every backup)",
    );
    let raw = r
        .get("BACKUP_SCHEDULE")
        .unwrap_or_else(|| DEFAULT_BACKUP_SCHEDULE.to_owned());
    let schedule = if raw.eq_ignore_ascii_case("off") {
        None
    } else {
        match Cron::parse(&raw) {
            Ok(c) => Some(c),
            Err(m) => {
                r.error("BACKUP_SCHEDULE", format!("{m} (or off to disable it)"));
                None
            }
        }
    };
    let encryption_recipients = match r.get("BACKUP_ENCRYPTION_RECIPIENTS") {
        None => Vec::new(),
        Some(raw) => crate::encryption::parse_recipients(&raw).unwrap_or_else(|m| {
            r.error("BACKUP_ENCRYPTION_RECIPIENTS", m);
            Vec::new()
        }),
    };
    let encryption_identity_file = r.get("BACKUP_ENCRYPTION_IDENTITY_FILE").map(PathBuf::from);
    BackupSettings {
        dir,
        retention_days,
        schedule,
        encryption_recipients,
        encryption_identity_file,
        s3: read_s3(r, &BACKUP_S3),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::config::test_support::{error_for, load};

    #[test]
    fn backup_schedule_defaults_to_daily_and_can_be_off() {
        let c = load(&[]).unwrap();
        assert_eq!(
            c.backup
                .schedule
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some(DEFAULT_BACKUP_SCHEDULE)
        );
        let c = load(&[("BACKUP_SCHEDULE", "OFF")]).unwrap();
        assert_eq!(c.backup.schedule, None);
        assert!(
            c.redacted_lines()
                .contains(&"BACKUP_SCHEDULE=off".to_owned())
        );
        let msg = error_for(&[("BACKUP_SCHEDULE", "daily")], "BACKUP_SCHEDULE");
        assert!(msg.starts_with("BACKUP_SCHEDULE: "), "{msg}");
        assert!(msg.contains("or off"), "{msg}");
    }

    #[test]
    fn backup_encryption_keys_are_checked() {
        let c = load(&[]).unwrap();
        assert!(c.backup.encryption_recipients.is_empty());
        assert_eq!(c.backup.encryption_identity_file, None);
        let a = age::x25519::Identity::generate().to_public().to_string();
        let b = age::x25519::Identity::generate().to_public().to_string();
        let c = load(&[
            ("BACKUP_ENCRYPTION_RECIPIENTS", &format!(" {a} , {b} ")),
            (
                "BACKUP_ENCRYPTION_IDENTITY_FILE",
                "/media/usb/backup-key.txt",
            ),
        ])
        .unwrap();
        assert_eq!(c.backup.encryption_recipients.len(), 2);
        assert_eq!(
            c.backup.encryption_identity_file.as_deref(),
            Some(std::path::Path::new("/media/usb/backup-key.txt"))
        );
        assert!(
            c.redacted_lines()
                .contains(&format!("BACKUP_ENCRYPTION_RECIPIENTS={a},{b}"))
        );
        for bad in ["age1nope", "ssh-ed25519 AAAA", &format!("{a},,{b}")] {
            let msg = error_for(
                &[("BACKUP_ENCRYPTION_RECIPIENTS", bad)],
                "BACKUP_ENCRYPTION_RECIPIENTS",
            );
            assert!(msg.starts_with("BACKUP_ENCRYPTION_RECIPIENTS: "), "{msg}");
        }
    }
}
