//! S3-compatible object storage (AWS S3, MinIO, Ceph RGW, Garage, …): `PUT`, `GET` (with
//! `Range`), `HEAD` and `DELETE` of single objects, path-style (`<endpoint>/<bucket>/<key>`,
//! which every such service accepts), signed with AWS Signature Version 4 by the small signer
//! in [`sigv4`]. Backups upload through it, and uploaded files are kept with it when
//! `S3_*` is configured ([`crate::s3_blobs`]).
//!
//! Written by hand rather than with an SDK: a signed request is a few dozen lines, an SDK
//! would add minutes of compile time. A single PUT takes objects up to 5 GiB
//! ([`MAX_OBJECT_BYTES`]); larger files would need multipart uploads, which neither backups
//! nor uploads of this size need.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

/// The largest object a single `PUT Object` may carry (S3's limit).
pub const MAX_OBJECT_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// A bucket and the credentials to use it.
#[derive(Clone)]
pub struct Bucket {
    /// `http(s)://host[:port]`, without a path or trailing slash.
    pub endpoint: String,
    pub name: String,
    /// The signing region, e.g. `us-east-1` (what most S3-compatible services expect).
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bucket")
            .field("endpoint", &self.endpoint)
            .field("name", &self.name)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Why a request to the bucket failed.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    #[error("{url} does not exist")]
    NotFound { url: String },
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{path} is {bytes} bytes, more than the 5 GiB a single S3 PUT accepts")]
    TooLarge { path: PathBuf, bytes: u64 },
    #[error("cannot reach {endpoint}: {message}")]
    Transport { endpoint: String, message: String },
    #[error("{url} answered HTTP {status}: {message}")]
    Refused {
        url: String,
        status: u16,
        message: String,
    },
}

impl Bucket {
    /// `s3://<bucket>/<key>`, how uploads are named in messages.
    pub fn describe(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.name)
    }

    /// The request path of an object: `/<bucket>/<key>`, percent-encoded as SigV4 wants.
    pub fn object_path(&self, key: &str) -> String {
        format!(
            "/{}/{}",
            sigv4::uri_encode(&self.name, false),
            sigv4::uri_encode(key, false)
        )
    }

    /// Uploads the file at `path` as `key`, replacing any object of that name. Blocks; from
    /// async code use [`Bucket::put_file`].
    pub fn put_file_blocking(&self, key: &str, path: &Path) -> Result<(), S3Error> {
        let read_error = |source| S3Error::Read {
            path: path.to_owned(),
            source,
        };
        // The payload hash goes into the signature, so the file is read twice: once to
        // hash it, once streamed as the body (never held in memory whole).
        let mut file = File::open(path).map_err(read_error)?;
        let bytes = file.metadata().map_err(read_error)?.len();
        if bytes > MAX_OBJECT_BYTES {
            return Err(S3Error::TooLarge {
                path: path.to_owned(),
                bytes,
            });
        }
        let payload_sha256 = hash_reader(&mut file).map_err(read_error)?;
        let file = File::open(path).map_err(read_error)?;

        // Sending may take long on a slow link: allow a minute plus 4 s per MiB (256 KiB/s).
        let send = Duration::from_secs(60 + bytes / (256 * 1024));
        let signed = self.sign("PUT", key, &payload_sha256);
        let mut request = agent(send).put(&signed.url);
        for (name, value) in &signed.headers {
            request = request.header(*name, value);
        }
        let mut response = request
            .header("content-length", bytes.to_string())
            .send(ureq::SendBody::from_owned_reader(file.take(bytes)))
            .map_err(|e| self.transport(e))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        Err(refused(signed.url, &mut response))
    }

    /// Opens `key` for reading, only the bytes `start..=end` when `range` is given. The body
    /// streams from the connection as it is read. Blocks.
    pub fn get_blocking(&self, key: &str, range: Option<(u64, u64)>) -> Result<Object, S3Error> {
        let signed = self.sign("GET", key, EMPTY_SHA256);
        // Reading may take long on a slow link; the body's own length bounds the transfer.
        let mut request = bodiless().get(&signed.url);
        for (name, value) in &signed.headers {
            request = request.header(*name, value);
        }
        if let Some((start, end)) = range {
            request = request.header("range", format!("bytes={start}-{end}"));
        }
        let mut response = request.call().map_err(|e| self.transport(e))?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let size = match (status, range) {
            (200, None) => header("content-length").and_then(|l| l.parse().ok()),
            // `Content-Range: bytes 0-9/1234`: the whole object's size follows the slash.
            (206, Some(_)) => header("content-range")
                .and_then(|r| r.rsplit_once('/').and_then(|(_, n)| n.parse().ok())),
            (404, _) => return Err(S3Error::NotFound { url: signed.url }),
            (200..=299, _) => {
                return Err(S3Error::Refused {
                    url: signed.url,
                    status,
                    message: "the answer does not match the requested range".to_owned(),
                });
            }
            _ => return Err(refused(signed.url, &mut response)),
        };
        let Some(size) = size else {
            return Err(S3Error::Refused {
                url: signed.url,
                status,
                message: "the answer gives no object size".to_owned(),
            });
        };
        let body = response
            .into_body()
            .into_with_config()
            .limit(u64::MAX)
            .reader();
        Ok(Object {
            size,
            body: Box::new(body),
        })
    }

    /// The size of `key` (`HEAD Object`). Blocks.
    pub fn size_blocking(&self, key: &str) -> Result<u64, S3Error> {
        let signed = self.sign("HEAD", key, EMPTY_SHA256);
        let mut request = bodiless().head(&signed.url);
        for (name, value) in &signed.headers {
            request = request.header(*name, value);
        }
        let mut response = request.call().map_err(|e| self.transport(e))?;
        match response.status().as_u16() {
            200 => response
                .headers()
                .get("content-length")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .ok_or(S3Error::Refused {
                    url: signed.url,
                    status: 200,
                    message: "the answer gives no object size".to_owned(),
                }),
            404 => Err(S3Error::NotFound { url: signed.url }),
            _ => Err(refused(signed.url, &mut response)),
        }
    }

    /// Removes `key`; S3 answers success for a missing object too. Blocks.
    pub fn delete_blocking(&self, key: &str) -> Result<(), S3Error> {
        let signed = self.sign("DELETE", key, EMPTY_SHA256);
        let mut request = bodiless().delete(&signed.url);
        for (name, value) in &signed.headers {
            request = request.header(*name, value);
        }
        let mut response = request.call().map_err(|e| self.transport(e))?;
        match response.status().as_u16() {
            200..=299 | 404 => Ok(()),
            _ => Err(refused(signed.url, &mut response)),
        }
    }

    /// The URL of `key` and the headers that sign a request for it.
    fn sign(&self, method: &'static str, key: &str, payload_sha256: &str) -> Signed {
        let host = self
            .endpoint
            .split_once("://")
            .map_or(self.endpoint.as_str(), |(_, h)| h)
            .to_owned();
        let uri_path = self.object_path(key);
        let url = format!("{}{uri_path}", self.endpoint);
        let amz_date = sigv4::amz_date(time::OffsetDateTime::now_utc());
        let headers = [
            ("host", host.as_str()),
            ("x-amz-content-sha256", payload_sha256),
            ("x-amz-date", amz_date.as_str()),
        ];
        let authorization = sigv4::Signer {
            access_key_id: &self.access_key_id,
            secret_access_key: &self.secret_access_key,
            region: &self.region,
            service: "s3",
        }
        .authorization(
            &sigv4::Request {
                method,
                path: &uri_path,
                query: "",
                headers: &headers,
                payload_sha256,
            },
            &amz_date,
        );
        Signed {
            url,
            headers: vec![
                ("host", host),
                ("x-amz-content-sha256", payload_sha256.to_owned()),
                ("x-amz-date", amz_date),
                ("authorization", authorization),
            ],
        }
    }

    fn transport(&self, e: ureq::Error) -> S3Error {
        S3Error::Transport {
            endpoint: self.endpoint.clone(),
            message: e.to_string(),
        }
    }

    /// [`Bucket::put_file_blocking`] on tokio's blocking pool.
    pub async fn put_file(&self, key: &str, path: &Path) -> Result<(), S3Error> {
        let (bucket, key, path) = (self.clone(), key.to_owned(), path.to_owned());
        tokio::task::spawn_blocking(move || bucket.put_file_blocking(&key, &path))
            .await
            .unwrap_or_else(|e| {
                Err(S3Error::Transport {
                    endpoint: self.endpoint.clone(),
                    message: format!("the upload task failed: {e}"),
                })
            })
    }
}

/// An object being read: its whole size and the requested bytes.
pub struct Object {
    pub size: u64,
    pub body: Box<dyn Read + Send>,
}

/// A request's URL and signing headers.
struct Signed {
    url: String,
    headers: Vec<(&'static str, String)>,
}

/// The SHA-256 of an empty body, which GET, HEAD and DELETE sign.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// An HTTP client that reports every status as a response (S3's errors have XML bodies)
/// and gives up on a silent connection.
/// The client of requests without a body (GET, HEAD, DELETE), shared by the whole process so
/// that downloads reuse pooled connections instead of opening (and TLS-handshaking) one each.
fn bodiless() -> &'static ureq::Agent {
    static AGENT: std::sync::OnceLock<ureq::Agent> = std::sync::OnceLock::new();
    AGENT.get_or_init(|| agent(Duration::from_secs(60)))
}

fn agent(send_body: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_send_body(Some(send_body))
        .timeout_recv_response(Some(Duration::from_secs(120)))
        .build()
        .into()
}

/// A refusal with the S3 error from the response body.
fn refused(url: String, response: &mut ureq::http::Response<ureq::Body>) -> S3Error {
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_string()
        .unwrap_or_default();
    S3Error::Refused {
        url,
        status,
        message: error_message(&body),
    }
}

/// The hex SHA-256 of everything `reader` yields.
fn hash_reader(reader: &mut impl Read) -> io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// `Code: Message` from an S3 XML error body, else the start of the body as text.
fn error_message(body: &str) -> String {
    let element = |name: &str| {
        let open = format!("<{name}>");
        let start = body.find(&open)? + open.len();
        let end = body[start..].find(&format!("</{name}>"))? + start;
        Some(body[start..end].trim().to_owned())
    };
    match (element("Code"), element("Message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code,
        _ => {
            let text: String = body.trim().chars().take(200).collect();
            if text.is_empty() {
                "no explanation given".to_owned()
            } else {
                text
            }
        }
    }
}

/// AWS Signature Version 4 (header-based, `AWS4-HMAC-SHA256`): exactly the steps of the
/// AWS documentation, for requests whose headers and payload hash the caller provides.
pub mod sigv4 {
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};

    /// The request to sign, in the pieces its canonical form is made of.
    pub struct Request<'a> {
        pub method: &'a str,
        /// The path, already percent-encoded (see [`uri_encode`]).
        pub path: &'a str,
        /// The canonical query string (parameters sorted and encoded), or empty.
        pub query: &'a str,
        /// Every header to sign, as sent: names are lowercased and values trimmed here.
        pub headers: &'a [(&'a str, &'a str)],
        /// Hex SHA-256 of the body.
        pub payload_sha256: &'a str,
    }

    /// Who signs, and for which region and service.
    pub struct Signer<'a> {
        pub access_key_id: &'a str,
        pub secret_access_key: &'a str,
        pub region: &'a str,
        pub service: &'a str,
    }

    impl Signer<'_> {
        /// The `Authorization` header value for `request` at `amz_date`
        /// (`YYYYMMDDTHHMMSSZ`, also sent as `x-amz-date`).
        pub fn authorization(&self, request: &Request<'_>, amz_date: &str) -> String {
            let (signed_headers, signature) = self.signature(request, amz_date);
            format!(
                "AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={signed_headers}, Signature={signature}",
                self.access_key_id,
                self.scope(amz_date)
            )
        }

        /// The signed header list and the hex signature.
        pub fn signature(&self, request: &Request<'_>, amz_date: &str) -> (String, String) {
            let mut headers: Vec<(String, String)> = request
                .headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), collapse_spaces(v)))
                .collect();
            headers.sort();
            let signed_headers = headers
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(";");
            let canonical_headers: String =
                headers.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
            let canonical_request = format!(
                "{}\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{}",
                request.method, request.path, request.query, request.payload_sha256
            );
            let string_to_sign = format!(
                "AWS4-HMAC-SHA256\n{amz_date}\n{}\n{}",
                self.scope(amz_date),
                hex::encode(Sha256::digest(canonical_request.as_bytes()))
            );
            let date = amz_date.get(..8).unwrap_or(amz_date);
            let key = format!("AWS4{}", self.secret_access_key);
            let key = hmac(key.as_bytes(), date.as_bytes());
            let key = hmac(&key, self.region.as_bytes());
            let key = hmac(&key, self.service.as_bytes());
            let key = hmac(&key, b"aws4_request");
            let signature = hex::encode(hmac(&key, string_to_sign.as_bytes()));
            (signed_headers, signature)
        }

        fn scope(&self, amz_date: &str) -> String {
            let date = amz_date.get(..8).unwrap_or(amz_date);
            format!("{date}/{}/{}/aws4_request", self.region, self.service)
        }
    }

    /// `time` as SigV4 writes it: `20150830T123600Z`.
    pub fn amz_date(time: time::OffsetDateTime) -> String {
        let t = time.to_offset(time::UtcOffset::UTC);
        format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }

    /// Percent-encodes everything but `A–Z a–z 0–9 - _ . ~` (and `/` unless
    /// `encode_slash`), upper-case hex, as SigV4 requires.
    pub fn uri_encode(text: &str, encode_slash: bool) -> String {
        let mut out = String::with_capacity(text.len());
        for b in text.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (b == b'/' && !encode_slash) {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length, so this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
            return Vec::new();
        };
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    /// A header value trimmed, its runs of spaces collapsed to one.
    fn collapse_spaces(value: &str) -> String {
        value.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// The example of the AWS documentation ("Create a signed AWS API request"):
        /// `GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08`.
        #[test]
        fn reproduces_the_aws_documentation_example() {
            let signer = Signer {
                access_key_id: "AKIDEXAMPLE",
                secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                region: "us-east-1",
                service: "iam",
            };
            let request = Request {
                method: "GET",
                path: "/",
                query: "Action=ListUsers&Version=2010-05-08",
                headers: &[
                    ("Host", "iam.amazonaws.com"),
                    (
                        "Content-Type",
                        "application/x-www-form-urlencoded; charset=utf-8",
                    ),
                    ("X-Amz-Date", "20150830T123600Z"),
                ],
                payload_sha256: &hex::encode(Sha256::digest(b"")),
            };
            assert_eq!(
                signer.authorization(&request, "20150830T123600Z"),
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, \
                 Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
            );
        }

        #[test]
        fn dates_and_paths_are_written_as_sigv4_wants() {
            assert_eq!(
                amz_date(time::macros::datetime!(2015-08-30 12:36:00 UTC)),
                "20150830T123600Z"
            );
            assert_eq!(
                uri_encode("formula-pm/a b+c~d.tar.gz", false),
                "formula-pm/a%20b%2Bc~d.tar.gz"
            );
            assert_eq!(uri_encode("a/b", true), "a%2Fb");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_error_bodies_are_summarised() {
        let xml = "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
        assert_eq!(error_message(xml), "AccessDenied: Access Denied");
        assert_eq!(error_message(""), "no explanation given");
        assert_eq!(error_message("bad gateway"), "bad gateway");
    }
}
