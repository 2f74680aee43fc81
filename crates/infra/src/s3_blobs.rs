//! Uploaded files in S3-compatible object storage (`S3_*` settings): one object per key,
//! under a prefix, through the signed requests of [`crate::s3`]. Uploads are spooled and
//! checked on local disk first, then sent with one `PUT`, so a rejected or broken upload
//! never reaches the bucket; a download streams the object (or the requested range) from
//! the bucket to the client without holding it in memory.

use std::io::Read;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use formula_app::blobs::{BlobRead, BlobStore, ByteRange};
use formula_app::error::{AppError, AppResult};
use tokio::io::AsyncWriteExt;

use crate::s3::{Bucket, S3Error};

/// Files in `bucket` under `prefix`; uploads are spooled in `spool`.
pub struct S3Blobs {
    bucket: Bucket,
    prefix: String,
    spool: PathBuf,
}

impl S3Blobs {
    /// Creates the spool directory if needed. Nothing is sent to the bucket until a file is.
    pub fn open(bucket: Bucket, prefix: String, spool: PathBuf) -> std::io::Result<S3Blobs> {
        std::fs::create_dir_all(&spool)?;
        Ok(S3Blobs {
            bucket,
            prefix,
            spool,
        })
    }

    fn object_key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Runs one blocking bucket call on tokio's blocking pool.
    async fn blocking<T: Send + 'static>(
        &self,
        call: impl FnOnce(&Bucket) -> Result<T, S3Error> + Send + 'static,
    ) -> AppResult<T> {
        let bucket = self.bucket.clone();
        tokio::task::spawn_blocking(move || call(&bucket))
            .await
            .map_err(|e| AppError::Internal(format!("the storage task failed: {e}")))?
            .map_err(storage_error)
    }
}

fn storage_error(e: S3Error) -> AppError {
    match e {
        S3Error::NotFound { url } => {
            tracing::error!(%url, "a stored file is missing");
            AppError::NotFound("file")
        }
        e => {
            tracing::error!(error = %e, "object storage failed");
            // The bucket being away is an outage, not a bug: 503, like a database that is away.
            AppError::Unavailable(format!("file storage: {e}"))
        }
    }
}

/// How many bytes each hop of a download carries from the blocking reader to the response.
const CHUNK: usize = 64 * 1024;

#[async_trait]
impl BlobStore for S3Blobs {
    fn backend(&self) -> &'static str {
        "s3"
    }

    fn spool_dir(&self) -> PathBuf {
        self.spool.clone()
    }

    async fn put_file(&self, key: &str, file: &Path) -> AppResult<()> {
        let (object, path) = (self.object_key(key), file.to_owned());
        self.blocking(move |bucket| bucket.put_file_blocking(&object, &path))
            .await?;
        // The spooled copy has done its job (the local store moves it; here it is sent).
        if let Err(e) = tokio::fs::remove_file(file).await {
            tracing::warn!(error = %e, "could not remove a spooled upload");
        }
        Ok(())
    }

    async fn read(&self, key: &str, range: Option<ByteRange>) -> AppResult<BlobRead> {
        let object = self.object_key(key);
        let wanted = range.map(|r| (r.start, r.end));
        let found = self
            .blocking(move |bucket| bucket.get_blocking(&object, wanted))
            .await?;
        // The object's body is a blocking reader: a blocking task pumps it into a pipe whose
        // other end is the async body of the response. If the connection to the bucket
        // breaks, the pipe closes early and the client sees a short (failed) download.
        let (mut tx, rx) = tokio::io::duplex(CHUNK);
        let handle = tokio::runtime::Handle::current();
        let mut body = found.body;
        tokio::task::spawn_blocking(move || {
            let mut buf = vec![0u8; CHUNK];
            loop {
                match body.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if handle.block_on(tx.write_all(&buf[..n])).is_err() {
                            // The client went away.
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "reading a file from object storage failed");
                        break;
                    }
                }
            }
        });
        Ok(BlobRead {
            size: found.size,
            range,
            body: Box::new(rx),
        })
    }

    async fn size(&self, key: &str) -> AppResult<u64> {
        let object = self.object_key(key);
        self.blocking(move |bucket| bucket.size_blocking(&object))
            .await
    }

    async fn delete(&self, key: &str) -> AppResult<()> {
        let object = self.object_key(key);
        self.blocking(move |bucket| bucket.delete_blocking(&object))
            .await
    }
}

#[cfg(test)]
mod tests;
