//! Receiving files: the body (or a multipart field) is streamed to a spool file while it is
//! hashed, measured against `MAX_UPLOAD_SIZE` and its first and last bytes kept for the
//! content check; nothing is held in memory whole. The spool file is removed when the
//! upload is dropped, so a refused or failed upload leaves nothing behind.

use std::path::{Path, PathBuf};

use axum::body::Bytes;
use axum::http::StatusCode;
use formula_app::drawings::Upload;
use formula_app::error::is_storage_full;
use formula_domain::errors::FieldErrors;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

/// Extra bytes a multipart body may carry around the file (boundaries, other fields).
pub const MULTIPART_SLACK: u64 = 64 * 1024;
const HEAD: usize = 8 * 1024;
const TAIL: usize = 1024;

/// Why a file could not be received.
#[derive(Debug)]
pub enum UploadError {
    /// Larger than the limit (413).
    TooLarge(u64),
    /// The client stopped sending or sent a broken body (400).
    Broken(String),
    /// The spool could not be written (500; 507 when the disk is full).
    Io(std::io::Error),
    /// A text field or the file's name holds a control character (422, naming them).
    Invalid(FieldErrors),
}

impl UploadError {
    pub fn status(&self) -> StatusCode {
        match self {
            UploadError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            UploadError::Broken(_) => StatusCode::BAD_REQUEST,
            UploadError::Io(e) if is_storage_full(e) => StatusCode::INSUFFICIENT_STORAGE,
            UploadError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
            UploadError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    pub fn message(&self) -> String {
        match self {
            UploadError::TooLarge(limit) => format!(
                "the file is larger than the {} this installation accepts (MAX_UPLOAD_SIZE)",
                human(*limit)
            ),
            UploadError::Broken(why) => {
                format!("the upload did not arrive complete ({why}); send it again")
            }
            UploadError::Io(e) if is_storage_full(e) => "the disk holding uploaded files is full, so nothing was saved; try again once an administrator has freed space".into(),
            UploadError::Io(_) => "the file could not be stored; try again".into(),
            UploadError::Invalid(fields) => fields
                .0
                .iter()
                .map(|f| format!("{} {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
}

fn human(bytes: u64) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{bytes} bytes")
    }
}

/// An upload on disk; the spool file goes away with it.
pub struct Spooled(pub Upload);

impl Drop for Spooled {
    fn drop(&mut self) {
        // After a successful store the file has been moved away; then this finds nothing.
        let _ = std::fs::remove_file(&self.0.path);
    }
}

/// Writes chunks to a new spool file, hashing and measuring them.
pub struct Spooler {
    file: tokio::fs::File,
    upload: Upload,
    hash: Sha256,
    limit: u64,
    /// Removes the file if the spooler is dropped before `finish`.
    guard: Option<PathBuf>,
}

impl Spooler {
    pub async fn create(dir: &Path, name: String, limit: u64) -> Result<Spooler, UploadError> {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(UploadError::Io)?;
        let path = dir.join(format!("upload-{}", uuid::Uuid::now_v7()));
        let file = tokio::fs::File::create(&path)
            .await
            .map_err(UploadError::Io)?;
        Ok(Spooler {
            file,
            upload: Upload {
                name,
                path: path.clone(),
                size: 0,
                sha256: String::new(),
                head: Vec::new(),
                tail: Vec::new(),
            },
            hash: Sha256::new(),
            limit,
            guard: Some(path),
        })
    }

    pub async fn write(&mut self, chunk: &Bytes) -> Result<(), UploadError> {
        let u = &mut self.upload;
        u.size += chunk.len() as u64;
        if u.size > self.limit {
            return Err(UploadError::TooLarge(self.limit));
        }
        if u.head.len() < HEAD {
            let take = (HEAD - u.head.len()).min(chunk.len());
            u.head.extend_from_slice(&chunk[..take]);
        }
        u.tail.extend_from_slice(chunk);
        if u.tail.len() > TAIL {
            u.tail.drain(..u.tail.len() - TAIL);
        }
        self.hash.update(chunk);
        self.file.write_all(chunk).await.map_err(UploadError::Io)
    }

    /// Syncs the file and hands the upload over.
    pub async fn finish(mut self) -> Result<Spooled, UploadError> {
        self.file.sync_all().await.map_err(UploadError::Io)?;
        self.guard = None;
        let mut upload = self.upload.clone();
        upload.sha256 = hex::encode(self.hash.clone().finalize());
        Ok(Spooled(upload))
    }
}

impl Drop for Spooler {
    fn drop(&mut self) {
        if let Some(path) = self.guard.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Streams a whole request body to the spool.
pub async fn spool_body(
    body: axum::body::Body,
    dir: &Path,
    name: String,
    limit: u64,
) -> Result<Spooled, UploadError> {
    use http_body_util::BodyExt;
    let mut spool = Spooler::create(dir, name, limit).await?;
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| UploadError::Broken(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            spool.write(&data).await?;
        }
    }
    spool.finish().await
}

/// The fields of a multipart form, with its `file` parts spooled (a form may send several).
pub struct Form {
    pub fields: Vec<(String, String)>,
    pub files: Vec<Spooled>,
}

impl Form {
    /// The first file sent (forms that take one file).
    pub fn file(&self) -> Option<&Spooled> {
        self.files.first()
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads a multipart form, streaming each `file` part to the spool. Text fields and the
/// file's name holding control characters are refused ([`crate::text_input`]).
pub async fn spool_multipart(
    mut multipart: axum::extract::Multipart,
    dir: &Path,
    limit: u64,
) -> Result<Form, UploadError> {
    let broken = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            UploadError::TooLarge(limit)
        } else {
            UploadError::Broken(e.body_text())
        }
    };
    let mut form = Form {
        fields: Vec::new(),
        files: Vec::new(),
    };
    while let Some(mut field) = multipart.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let mut spool = Spooler::create(dir, file_name.clone(), limit).await?;
            while let Some(chunk) = field.chunk().await.map_err(broken)? {
                spool.write(&chunk).await?;
            }
            let spooled = spool.finish().await?;
            // A file input left empty sends a nameless, empty part: no file.
            if !(file_name.is_empty() && spooled.0.size == 0) {
                form.files.push(spooled);
            }
        } else {
            let text = field.text().await.map_err(broken)?;
            form.fields.push((name, text));
        }
    }
    let file_names = form.files.iter().map(|f| ("file", f.0.name.as_str()));
    let refused = crate::text_input::check_pairs(
        form.fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(file_names),
    );
    if !refused.is_empty() {
        return Err(UploadError::Invalid(refused));
    }
    Ok(form)
}

/// An attachment's file as served ([`formula_app::attachments::Served`]): like
/// [`download`], and a photo's copy (which never changes once made) cacheable for good,
/// answered `304` when the browser already holds it (`If-None-Match`).
pub fn served(
    served: &formula_app::attachments::Served,
    read: Result<formula_app::blobs::BlobRead, u64>,
    headers: &axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let etag = format!("\"{}\"", served.file.sha256);
    let held = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut resp = if served.immutable && held {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        download(&served.file, read)
    };
    if served.immutable {
        let h = resp.headers_mut();
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=31536000, immutable"),
        );
        if let Ok(v) = HeaderValue::from_str(&etag) {
            h.insert(header::ETAG, v);
        }
    }
    resp
}

/// A stored file as an HTTP response: `200` (or `206` for a range) streamed from storage,
/// shown in the browser for PDFs and images, downloaded otherwise; `416` for a range past
/// the end (`read` is then `Err(size)`).
pub fn download(
    file: &formula_domain::files::FileInfo,
    read: Result<formula_app::blobs::BlobRead, u64>,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let read = match read {
        Ok(r) => r,
        Err(size) => {
            let mut resp = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                resp.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return resp;
        }
    };
    let stream = futures_util::stream::unfold(read.body, |mut body| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0; 64 * 1024];
        match body.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<Bytes, std::io::Error>(Bytes::from(buf)), body))
            }
            Err(e) => Some((Err(e), body)),
        }
    });
    let (status, length) = match read.range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.len()),
        None => (StatusCode::OK, read.size),
    };
    let mut resp = (status, axum::body::Body::from_stream(stream)).into_response();
    let h = resp.headers_mut();
    let mime = HeaderValue::from_str(&file.mime)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_TYPE, mime);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(r) = read.range
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {}-{}/{}", r.start, r.end, read.size))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    let inline = file.mime == "application/pdf"
        || file.mime.starts_with("image/") && !file.mime.contains("vnd.");
    if let Ok(v) = HeaderValue::from_str(&content_disposition(inline, &file.name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", file.sha256)) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    // A stored file never runs script on this origin, whatever it contains.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
        ),
    );
    resp
}

/// `inline` or `attachment`, with an ASCII fallback name and the exact UTF-8 name (RFC 6266).
pub fn content_disposition(inline: bool, name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let kind = if inline { "inline" } else { "attachment" };
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_are_safe_and_exact() {
        assert_eq!(
            content_disposition(true, "SD-101 rev B.pdf"),
            "inline; filename=\"SD-101 rev B.pdf\"; filename*=UTF-8''SD-101%20rev%20B.pdf"
        );
        assert_eq!(
            content_disposition(false, "Détail \"1\".dwg"),
            "attachment; filename=\"D_tail _1_.dwg\"; filename*=UTF-8''D%C3%A9tail%20%221%22.dwg"
        );
    }
}
