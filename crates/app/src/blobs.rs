//! The file-storage port: where uploaded files (drawing revisions, attachments) are kept,
//! by key, outside the database. Adapters: local disk and S3-compatible storage
//! (`formula-infra`); an in-memory store for tests and as the default.
//!
//! An upload is first spooled to a temporary file (by the web layer, which also hashes it and
//! enforces the size cap), checked by the use case, and only then handed to `put_file`; a
//! rejected upload therefore never reaches storage.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;
use tokio::io::AsyncRead;

use crate::error::{AppError, AppResult};

/// A `Range` that lies outside the file (HTTP 416).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsatisfiable;

/// A byte range of a download, both ends inclusive (HTTP `Range: bytes=a-b`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    /// Parses a `Range` header value against a file of `size` bytes. `Ok(None)`: serve the
    /// whole file (no header, several ranges, or a unit other than bytes). `Err`: the range cannot
    /// be satisfied (416).
    pub fn parse(header: Option<&str>, size: u64) -> Result<Option<ByteRange>, Unsatisfiable> {
        let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
            return Ok(None);
        };
        if spec.contains(',') {
            return Ok(None);
        }
        let (a, b) = spec.split_once('-').ok_or(Unsatisfiable)?;
        let (a, b) = (a.trim(), b.trim());
        let range = match (a.is_empty(), b.is_empty()) {
            // The last `b` bytes.
            (true, false) => {
                let n: u64 = b.parse().map_err(|_| Unsatisfiable)?;
                if n == 0 || size == 0 {
                    return Err(Unsatisfiable);
                }
                ByteRange {
                    start: size.saturating_sub(n),
                    end: size - 1,
                }
            }
            (false, _) => {
                let start: u64 = a.parse().map_err(|_| Unsatisfiable)?;
                let end: u64 = if b.is_empty() {
                    size.saturating_sub(1)
                } else {
                    b.parse::<u64>()
                        .map_err(|_| Unsatisfiable)?
                        .min(size.saturating_sub(1))
                };
                if start >= size || end < start {
                    return Err(Unsatisfiable);
                }
                ByteRange { start, end }
            }
            (true, true) => return Err(Unsatisfiable),
        };
        Ok(Some(range))
    }

    pub fn len(&self) -> u64 {
        self.end - self.start + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

/// A file being read: its whole size, the part served, and the bytes.
pub struct BlobRead {
    pub size: u64,
    pub range: Option<ByteRange>,
    pub body: Box<dyn AsyncRead + Send + Unpin>,
}

/// Where files are kept.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// `local`, `s3` or `memory`.
    fn backend(&self) -> &'static str;
    /// Where uploads are spooled while they arrive (for local storage, on the same file
    /// system, so storing one is a rename).
    fn spool_dir(&self) -> PathBuf;
    /// Stores the complete, checked file at `file` under `key` (a new key; never overwrites).
    async fn put_file(&self, key: &str, file: &Path) -> AppResult<()>;
    /// Opens a stored file, optionally only `range` of it.
    async fn read(&self, key: &str, range: Option<ByteRange>) -> AppResult<BlobRead>;
    /// The size of a stored file (`NotFound` when it is missing).
    async fn size(&self, key: &str) -> AppResult<u64>;
    /// Removes a file; removing a missing one is not an error.
    async fn delete(&self, key: &str) -> AppResult<()>;
    /// Stores `bytes` made by the server (a photo's copies) under `key`, through a synced
    /// spool file so every backend stores it like an upload.
    async fn put_bytes(&self, key: &str, bytes: &[u8]) -> AppResult<()> {
        let path = self
            .spool_dir()
            .join(format!("made-{}", formula_domain::new_id()));
        let written = async {
            use tokio::io::AsyncWriteExt;
            let mut f = tokio::fs::File::create(&path).await?;
            f.write_all(bytes).await?;
            f.sync_all().await
        }
        .await;
        let stored = match written {
            Ok(()) => self.put_file(key, &path).await,
            Err(e) if crate::error::is_storage_full(&e) => Err(AppError::InsufficientStorage(
                "the disk holding uploaded files".into(),
            )),
            Err(e) => Err(AppError::Internal(format!("spool a made file: {e}"))),
        };
        // After a local store's rename there is nothing left to remove.
        let _ = tokio::fs::remove_file(&path).await;
        stored
    }
}

/// Files kept in memory: for tests, and the default of a bare `Services`.
#[derive(Default)]
pub struct MemoryBlobs {
    files: Mutex<HashMap<String, Vec<u8>>>,
}

impl MemoryBlobs {
    fn files(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<u8>>> {
        self.files.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The keys stored (for tests that check nothing is left behind).
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.files().keys().cloned().collect();
        keys.sort();
        keys
    }
}

#[async_trait]
impl BlobStore for MemoryBlobs {
    fn backend(&self) -> &'static str {
        "memory"
    }

    fn spool_dir(&self) -> PathBuf {
        std::env::temp_dir()
    }

    async fn put_file(&self, key: &str, file: &Path) -> AppResult<()> {
        let bytes = tokio::fs::read(file)
            .await
            .map_err(|e| AppError::Internal(format!("read spooled upload: {e}")))?;
        self.files().insert(key.to_owned(), bytes);
        Ok(())
    }

    async fn read(&self, key: &str, range: Option<ByteRange>) -> AppResult<BlobRead> {
        let bytes = self
            .files()
            .get(key)
            .cloned()
            .ok_or(AppError::NotFound("file"))?;
        let size = bytes.len() as u64;
        let part = match range {
            Some(r) => bytes
                .get(
                    usize::try_from(r.start).unwrap_or(usize::MAX)
                        ..=usize::try_from(r.end).unwrap_or(usize::MAX),
                )
                .map(<[u8]>::to_vec)
                .unwrap_or_default(),
            None => bytes,
        };
        Ok(BlobRead {
            size,
            range,
            body: Box::new(std::io::Cursor::new(part)),
        })
    }

    async fn size(&self, key: &str) -> AppResult<u64> {
        self.files()
            .get(key)
            .map(|b| b.len() as u64)
            .ok_or(AppError::NotFound("file"))
    }

    async fn delete(&self, key: &str) -> AppResult<()> {
        self.files().remove(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_like_http() {
        let r = |h: &str| ByteRange::parse(Some(h), 1000);
        assert_eq!(r("bytes=0-99"), Ok(Some(ByteRange { start: 0, end: 99 })));
        assert_eq!(
            r("bytes=900-"),
            Ok(Some(ByteRange {
                start: 900,
                end: 999
            }))
        );
        assert_eq!(
            r("bytes=-100"),
            Ok(Some(ByteRange {
                start: 900,
                end: 999
            }))
        );
        assert_eq!(
            r("bytes=990-5000"),
            Ok(Some(ByteRange {
                start: 990,
                end: 999
            }))
        );
        assert_eq!(r("bytes=0-1,5-6"), Ok(None));
        assert_eq!(r("items=0-1"), Ok(None));
        assert_eq!(ByteRange::parse(None, 10), Ok(None));
        assert_eq!(r("bytes=1000-"), Err(Unsatisfiable));
        assert_eq!(r("bytes=5-1"), Err(Unsatisfiable));
        assert_eq!(r("bytes=x-1"), Err(Unsatisfiable));
        assert_eq!(r("bytes=-0"), Err(Unsatisfiable));
    }
}
