//! Graceful shutdown of the real binary: on SIGTERM the listener closes (new connections are
//! refused, readiness can no longer answer 200), a request already in flight still gets its
//! answer, and the process exits with status 0.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::Server;

const BOUND: Duration = Duration::from_secs(20);

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .new_agent()
}

fn in_flight(server: &Server) -> u64 {
    let text = agent()
        .get(&server.url("/metrics"))
        .call()
        .ok()
        .and_then(|mut r| r.body_mut().read_to_string().ok())
        .unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("http_requests_in_flight "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Whether `/health/ready` no longer answers 200: the connection is refused, or it says 503.
fn not_ready(server: &Server) -> bool {
    match agent().get(&server.url("/health/ready")).call() {
        Ok(resp) => resp.status() == 503,
        Err(_) => true,
    }
}

#[test]
fn sigterm_finishes_the_request_in_flight_and_exits_0() {
    let mut server = Server::start();
    let addr = server.base.trim_start_matches("http://").to_owned();
    let body = r#"{"email":"nobody@example.com","password":"not a real password"}"#;
    let (first, rest) = body.split_at(20);

    // Headers and half of the body: the request is in flight, its handler waiting for the rest.
    let mut held = TcpStream::connect(&addr).expect("connect");
    held.set_read_timeout(Some(BOUND)).unwrap();
    write!(
        held,
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    held.flush().unwrap();
    // The scrape itself is one request in flight; the held one makes two.
    let deadline = Instant::now() + BOUND;
    while in_flight(&server) < 2 {
        assert!(
            Instant::now() < deadline,
            "the held request never reached the server"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let killed = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());

    // Readiness fails at once and the listener closes: new connections are refused.
    let deadline = Instant::now() + BOUND;
    while !not_ready(&server) {
        assert!(Instant::now() < deadline, "still ready after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
    let deadline = Instant::now() + BOUND;
    while TcpStream::connect(&addr).is_ok() {
        assert!(
            Instant::now() < deadline,
            "still accepting connections after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        server.wait_exit(Duration::ZERO).is_none(),
        "exited before the request in flight was answered:\n{}",
        server.log()
    );

    // The rest of the body: the request completes with a real answer (unknown user → 401).
    held.write_all(rest.as_bytes()).unwrap();
    held.flush().unwrap();
    let mut answer = Vec::new();
    // The server closes the connection after answering, as it is shutting down.
    let _ = held.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 401"),
        "no answer to the request in flight: {answer:?}\n{}",
        server.log()
    );

    let status = server
        .wait_exit(BOUND)
        .unwrap_or_else(|| panic!("still running after shutdown:\n{}", server.log()));
    assert!(status.success(), "exit status {status}:\n{}", server.log());
    let log = server.log();
    assert!(log.contains("shutting down"), "{log}");
    assert!(log.contains("Formula PM stopped"), "{log}");
}
