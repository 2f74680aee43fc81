//! Connections of the real binary, spoken to byte by byte: a keep-alive connection stays
//! usable after an answer that left the request's body unread (401, 405), and one whose
//! body is too large to read is told to close; a client dripping header lines is cut off;
//! one address holds at most `MAX_CONNECTIONS_PER_IP` connections, unless it is a trusted
//! proxy.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::pg;
use crate::process::Server;

/// Upper bound of every read; only a hang reaches it.
const BOUND: Duration = Duration::from_secs(20);

/// One HTTP/1.1 answer read off a connection.
pub struct Answer {
    pub status: u16,
    /// Header lines, lower-cased names: `("connection", "close")`.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one answer (Content-Length or chunked body); `None` if the connection ends first.
pub fn read_answer(reader: &mut BufReader<TcpStream>) -> Option<Answer> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let status = line.split_whitespace().nth(1)?.parse().ok()?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (name, value) = l.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let find = |n: &str| headers.iter().find(|(h, _)| h == n).map(|(_, v)| v.clone());
    let mut body = Vec::new();
    if let Some(len) = find("content-length") {
        body.resize(len.parse().ok()?, 0);
        reader.read_exact(&mut body).ok()?;
    } else if find("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        loop {
            line.clear();
            reader.read_line(&mut line).ok()?;
            let size = usize::from_str_radix(line.trim(), 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    Some(Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// A request whose answer does not read its body, then a second request on the same
/// connection: the second one must be answered. The body is sent only once the server had
/// a moment to answer without it, as a slow client's (or a fuzzer's) second packet arrives.
fn second_request_is_answered(server: &Server, head: &str, expected: u16) {
    let addr = server.base.trim_start_matches("http://");
    let body = r#"{"name":"Keep-alive Client Ltd","notes":"x"}"#;
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(BOUND)).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    write!(
        writer,
        "{head}\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    writer.flush().unwrap();
    // Whether the answer comes before the body (it did before the fix) or after (the server
    // reads the body first) must make no difference to what follows.
    reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let early = reader.fill_buf().map(|b| !b.is_empty()).unwrap_or(false);
    reader.get_ref().set_read_timeout(Some(BOUND)).unwrap();
    writer.write_all(body.as_bytes()).unwrap();
    writer.flush().unwrap();
    let first = read_answer(&mut reader)
        .unwrap_or_else(|| panic!("no answer to {head:?}:\n{}", server.log()));
    assert_eq!(first.status, expected, "{head}: {}", first.body);
    assert_eq!(
        first.header("connection"),
        None,
        "{head}: the connection is kept"
    );

    // A write may fail on a connection the server closed; the read below then says so.
    let _ = write!(writer, "GET /health/live HTTP/1.1\r\nHost: {addr}\r\n\r\n")
        .and_then(|()| writer.flush());
    let second = read_answer(&mut reader).unwrap_or_else(|| {
        panic!(
            "{head} (answered {} the body arrived): the next request on the connection got no answer (first answer's headers: {:?})",
            if early { "before" } else { "after" },
            first.headers
        )
    });
    assert_eq!(second.status, 200, "{}", second.body);
}

fn unread_bodies_leave_the_connection_usable(server: &Server) {
    // 401 without credentials, and with a token the database does not know.
    second_request_is_answered(server, "POST /api/v1/clients HTTP/1.1", 401);
    second_request_is_answered(
        server,
        "POST /api/v1/clients HTTP/1.1\r\nAuthorization: Bearer fpm_not_a_real_token_0123456789",
        401,
    );
    // 405: the route exists, the method does not.
    second_request_is_answered(server, "PUT /api/v1/clients HTTP/1.1", 405);
    second_request_is_answered(server, "DELETE /health/ready HTTP/1.1", 405);

    // A body larger than the server reads is not waited for: the answer says to close.
    let addr = server.base.trim_start_matches("http://");
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(BOUND)).unwrap();
    let mut writer = stream.try_clone().unwrap();
    write!(
        writer,
        "POST /api/v1/clients HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: 2000000\r\n\r\n{{"
    )
    .unwrap();
    let answer = read_answer(&mut BufReader::new(stream)).expect("an answer");
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert_eq!(answer.header("connection"), Some("close"));
}

#[test]
fn a_401_or_405_to_a_request_with_a_body_keeps_the_connection_on_sqlite() {
    let server = Server::start();
    unread_bodies_leave_the_connection_usable(&server);
}

#[test]
fn a_401_or_405_to_a_request_with_a_body_keeps_the_connection_on_postgres() {
    let db = pg::Database::create();
    let server = Server::start_with(&[("DATABASE_URL", &db.url)]);
    unread_bodies_leave_the_connection_usable(&server);
    drop(server);
    db.drop_now();
}

/// Whether the server closed `stream` without answering: a read sees its end (or a reset)
/// before any byte. Waits for at most `BOUND`; a connection still open then was not closed.
fn closed_unanswered(stream: &mut TcpStream) -> bool {
    stream.set_read_timeout(Some(BOUND)).unwrap();
    let mut buf = [0u8; 1024];
    match stream.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

#[test]
fn a_client_dripping_header_lines_is_cut_off() {
    let server = Server::start_with(&[("HTTP_HEADER_TIMEOUT_SECONDS", "1")]);
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&addr).unwrap();
    write!(stream, "GET /health/live HTTP/1.1\r\nHost: {addr}\r\n").unwrap();
    // One header line every 200 ms, for up to a minute: each arrives well within any
    // per-line limit, so only a limit on the whole head ends this.
    let started = std::time::Instant::now();
    let mut cut_off = false;
    for n in 0..300 {
        std::thread::sleep(Duration::from_millis(200));
        if write!(stream, "X-Drip-{n}: {}\r\n", "x".repeat(10)).is_err() {
            cut_off = true;
            break;
        }
        stream.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 64];
        let ended = matches!(stream.read(&mut buf), Ok(0));
        stream.set_nonblocking(false).unwrap();
        if ended {
            cut_off = true;
            break;
        }
    }
    assert!(
        cut_off,
        "still connected after dripping headers for {:?}",
        started.elapsed()
    );
    // The server itself goes on answering.
    let stream = TcpStream::connect(&addr).unwrap();
    stream.set_read_timeout(Some(BOUND)).unwrap();
    write!(&stream, "GET /health/live HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let answer = read_answer(&mut BufReader::new(stream)).expect("an answer");
    assert_eq!(answer.status, 200);
}

/// Opens a connection and has one request answered on it, so the server has admitted it;
/// the connection stays open (keep-alive).
fn admitted(addr: &str) -> Option<BufReader<TcpStream>> {
    let stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(BOUND)).unwrap();
    write!(&stream, "GET /health/live HTTP/1.1\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut reader = BufReader::new(stream);
    let answer = read_answer(&mut reader)?;
    (answer.status == 200).then_some(reader)
}

#[test]
fn connections_are_capped_per_address_except_for_trusted_proxies() {
    let server = Server::start_with(&[("MAX_CONNECTIONS_PER_IP", "3")]);
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut held: Vec<_> = (0..3)
        .map(|_| admitted(&addr).expect("within the limit"))
        .collect();
    // A fourth is closed without an answer.
    let mut fourth = TcpStream::connect(&addr).unwrap();
    let _ = write!(fourth, "GET /health/live HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    assert!(
        closed_unanswered(&mut fourth),
        "a fourth connection was served"
    );
    // Closing one makes room again (the server notices the close shortly after).
    drop(held.pop());
    let deadline = std::time::Instant::now() + BOUND;
    let again = loop {
        if let Some(c) = admitted(&addr) {
            break c;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no room after a close"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    drop((held, again));

    // Behind a trusted proxy every client arrives from the proxy's address: not capped.
    let server = Server::start_with(&[
        ("MAX_CONNECTIONS_PER_IP", "3"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ]);
    let addr = server.base.trim_start_matches("http://").to_owned();
    let held: Vec<_> = (0..8)
        .map(|_| admitted(&addr).expect("a trusted proxy is not capped"))
        .collect();
    assert_eq!(held.len(), 8);
}
