//! The S3 file store against a stand-in: a small HTTP server that keeps objects in memory,
//! checks every request's SigV4 signature and payload hash, and answers `Range` requests
//! like S3 (206 with `Content-Range`).

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use super::*;
use crate::s3::sigv4;

const KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

type Objects = Arc<Mutex<HashMap<String, Vec<u8>>>>;

/// An S3 stand-in on a free loopback port. `refuse` makes every request fail with 403.
fn stand_in(refuse: bool) -> (String, Objects) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let objects: Objects = Arc::default();
    let store = objects.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let store = store.clone();
            std::thread::spawn(move || serve(conn, &store, refuse));
        }
    });
    (endpoint, objects)
}

fn serve(conn: TcpStream, objects: &Objects, refuse: bool) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut out = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let mut headers = BTreeMap::new();
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).unwrap();
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (name, value) = h.split_once(':').unwrap();
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
        let length: usize = headers
            .get("content-length")
            .map_or(0, |l| l.parse().unwrap());
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();

        let (status, extra, payload) = if refuse {
            let xml = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
            (403, String::new(), xml.as_bytes().to_vec())
        } else {
            check_signature(&method, &path, &headers, &body);
            answer(&method, &path, &headers, body, objects)
        };
        let head = format!(
            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\n{extra}\r\n",
            payload.len()
        );
        let mut response = head.into_bytes();
        if method != "HEAD" {
            response.extend_from_slice(&payload);
        } else {
            // HEAD announces the object's length without sending it.
            response = format!("HTTP/1.1 {status} X\r\n{extra}\r\n").into_bytes();
        }
        if out.write_all(&response).is_err() {
            return;
        }
    }
}

/// Recomputes the signature from what arrived; a mismatch fails the test.
fn check_signature(method: &str, path: &str, headers: &BTreeMap<String, String>, body: &[u8]) {
    let payload = &headers["x-amz-content-sha256"];
    assert_eq!(payload, &hex::encode(Sha256::digest(body)), "payload hash");
    let signed = [
        ("host", headers["host"].as_str()),
        ("x-amz-content-sha256", payload.as_str()),
        ("x-amz-date", headers["x-amz-date"].as_str()),
    ];
    let expected = sigv4::Signer {
        access_key_id: KEY_ID,
        secret_access_key: SECRET,
        region: "eu-central-1",
        service: "s3",
    }
    .authorization(
        &sigv4::Request {
            method,
            path,
            query: "",
            headers: &signed,
            payload_sha256: payload,
        },
        &headers["x-amz-date"],
    );
    assert_eq!(headers["authorization"], expected, "{method} {path}");
}

fn answer(
    method: &str,
    path: &str,
    headers: &BTreeMap<String, String>,
    body: Vec<u8>,
    objects: &Objects,
) -> (u16, String, Vec<u8>) {
    let mut objects = objects.lock().unwrap();
    let missing = || {
        let xml = "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>";
        (404, String::new(), xml.as_bytes().to_vec())
    };
    match method {
        "PUT" => {
            objects.insert(path.to_owned(), body);
            (200, String::new(), Vec::new())
        }
        "DELETE" => {
            objects.remove(path);
            (204, String::new(), Vec::new())
        }
        "HEAD" => match objects.get(path) {
            Some(o) => (200, format!("Content-Length: {}\r\n", o.len()), Vec::new()),
            None => missing(),
        },
        "GET" => match (objects.get(path), headers.get("range")) {
            (None, _) => missing(),
            (Some(o), None) => (200, String::new(), o.clone()),
            (Some(o), Some(range)) => {
                let (a, b) = range
                    .strip_prefix("bytes=")
                    .unwrap()
                    .split_once('-')
                    .unwrap();
                let (a, b): (usize, usize) = (a.parse().unwrap(), b.parse().unwrap());
                let part = o[a..=b.min(o.len() - 1)].to_vec();
                let extra = format!("Content-Range: bytes {a}-{b}/{}\r\n", o.len());
                (206, extra, part)
            }
        },
        _ => (405, String::new(), Vec::new()),
    }
}

fn blobs(endpoint: String, spool: &Path) -> S3Blobs {
    let bucket = Bucket {
        endpoint,
        name: "pm-files".to_owned(),
        region: "eu-central-1".to_owned(),
        access_key_id: KEY_ID.to_owned(),
        secret_access_key: SECRET.to_owned(),
    };
    S3Blobs::open(bucket, "uploads/".to_owned(), spool.to_owned()).unwrap()
}

fn spool_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("formula-s3-blobs-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

async fn read_all(blobs: &S3Blobs, key: &str, range: Option<ByteRange>) -> (u64, Vec<u8>) {
    let read = blobs.read(key, range).await.unwrap();
    let mut bytes = Vec::new();
    let mut body = read.body;
    body.read_to_end(&mut bytes).await.unwrap();
    (read.size, bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_stored_read_in_ranges_and_removed_in_the_bucket() {
    let (endpoint, objects) = stand_in(false);
    let spool = spool_dir("ok");
    let blobs = blobs(endpoint, &spool);
    assert_eq!(blobs.backend(), "s3");

    // Larger than one pumped chunk, so the download crosses several hops.
    let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let spooled = blobs.spool_dir().join("up");
    std::fs::write(&spooled, &content).unwrap();
    blobs.put_file("drawings/p/1", &spooled).await.unwrap();
    assert!(!spooled.exists(), "the spooled copy is removed once sent");
    assert_eq!(
        objects.lock().unwrap().keys().collect::<Vec<_>>(),
        ["/pm-files/uploads/drawings/p/1"],
        "path-style, under the prefix"
    );

    assert_eq!(blobs.size("drawings/p/1").await.unwrap(), 200_000);
    let (size, all) = read_all(&blobs, "drawings/p/1", None).await;
    assert_eq!((size, all == content), (200_000, true));
    let range = ByteRange {
        start: 100_000,
        end: 100_009,
    };
    let (size, part) = read_all(&blobs, "drawings/p/1", Some(range)).await;
    assert_eq!(size, 200_000, "the whole size, from Content-Range");
    assert_eq!(part, content[100_000..100_010]);

    blobs.delete("drawings/p/1").await.unwrap();
    blobs.delete("drawings/p/1").await.unwrap();
    assert!(objects.lock().unwrap().is_empty());
    assert!(matches!(
        blobs.read("drawings/p/1", None).await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        blobs.size("drawings/p/1").await,
        Err(AppError::NotFound(_))
    ));
    let _ = std::fs::remove_dir_all(&spool);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_that_refuses_is_an_outage_not_a_bug() {
    let (endpoint, _) = stand_in(true);
    let spool = spool_dir("refused");
    let blobs = blobs(endpoint, &spool);
    let spooled = blobs.spool_dir().join("up");
    std::fs::write(&spooled, b"%PDF-1.7").unwrap();
    match blobs.put_file("drawings/p/2", &spooled).await {
        Err(AppError::Unavailable(message)) => {
            assert!(message.contains("AccessDenied"), "{message}");
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
    assert!(matches!(
        blobs.read("drawings/p/2", None).await,
        Err(AppError::Unavailable(_))
    ));
    let _ = std::fs::remove_dir_all(&spool);
}
