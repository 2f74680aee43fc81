//! Graceful shutdown of the real binary: on SIGTERM readiness fails at once while the server
//! goes on accepting and answering for the drain (`SHUTDOWN_DRAIN_SECONDS`), so requests
//! racing the signal are answered; then the listener closes (new connections are refused), a
//! request already in flight still gets its answer, and the process exits with status 0.

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
    let mut server = Server::start_with(&[("SHUTDOWN_DRAIN_SECONDS", "1")]);
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

/// `GET path` on a new connection: the status and body, or what went wrong.
fn get_once(addr: &str, path: &str) -> Result<(u16, String), String> {
    let stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    stream.set_read_timeout(Some(BOUND)).unwrap();
    let mut writer = stream.try_clone().unwrap();
    write!(
        writer,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("send: {e}"))?;
    let mut reader = std::io::BufReader::new(stream);
    crate::connections::read_answer(&mut reader)
        .map(|a| (a.status, a.body))
        .ok_or_else(|| "the connection closed without an answer".to_owned())
}

#[test]
fn requests_racing_sigterm_are_answered_while_readiness_fails_during_the_drain() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    let mut server = Server::start_with(&[("SHUTDOWN_DRAIN_SECONDS", "5")]);
    let addr = server.base.trim_start_matches("http://").to_owned();
    let stop = Arc::new(AtomicBool::new(false));
    let outcomes: Arc<Mutex<Vec<Result<u16, String>>>> = Arc::default();
    // Clients sending request after request, each on a new connection, as a load balancer
    // does until it sees readiness fail.
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (addr, stop, outcomes) = (addr.clone(), stop.clone(), outcomes.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let outcome = get_once(&addr, "/health/live").map(|(status, _)| status);
                    outcomes.lock().unwrap().push(outcome);
                }
            })
        })
        .collect();
    let answered = || outcomes.lock().unwrap().len();
    let deadline = Instant::now() + BOUND;
    while answered() < 40 {
        assert!(Instant::now() < deadline, "the clients got nowhere");
        std::thread::sleep(Duration::from_millis(10));
    }

    let killed = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());

    // Readiness fails at once, and says so: the server still answers.
    let deadline = Instant::now() + BOUND;
    let (status, body) = loop {
        match get_once(&addr, "/health/ready") {
            Ok((200, _)) => {}
            other => break other.expect("readiness answers during the drain"),
        }
        assert!(Instant::now() < deadline, "still ready after SIGTERM");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("draining"), "{body}");
    // The balancer takes a moment to notice; requests sent meanwhile are still answered.
    let seen = answered();
    let deadline = Instant::now() + BOUND;
    while answered() < seen + 40 {
        assert!(Instant::now() < deadline, "no answers during the drain");
        std::thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().unwrap();
    }
    let outcomes = outcomes.lock().unwrap();
    let failed: Vec<_> = outcomes.iter().filter(|o| **o != Ok(200)).collect();
    assert!(
        failed.is_empty(),
        "{} of {} requests around SIGTERM were not answered 200: {failed:?}\n{}",
        failed.len(),
        outcomes.len(),
        server.log()
    );

    // After the drain the listener closes, and the process exits cleanly.
    let deadline = Instant::now() + BOUND;
    while TcpStream::connect(&addr).is_ok() {
        assert!(Instant::now() < deadline, "still accepting after the drain");
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = server
        .wait_exit(BOUND)
        .unwrap_or_else(|| panic!("still running after shutdown:\n{}", server.log()));
    assert!(status.success(), "exit status {status}:\n{}", server.log());
    assert!(server.log().contains("drain over"), "{}", server.log());
}
