//! The Redis adapters against a real `redis-server` the tests start on a free loopback
//! port (never the machine's 6379), without persistence.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use formula_app::ports::{Cache, EventBus, Lease, RateLimitStore, WindowState};
use formula_infra::redis::{
    DEFAULT_TIMEOUT, FAILURES_TO_OPEN, Redis, RedisCache, RedisEventBus, RedisLease,
    RedisRateLimitStore,
};

/// Bounds every polling loop; the condition normally holds within milliseconds.
const PATIENCE: Duration = Duration::from_secs(10);

/// A `redis-server` on a free port, killed on drop.
struct Server {
    port: u16,
    child: Option<Child>,
}

impl Server {
    fn start() -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = Server { port, child: None };
        server.restart();
        server
    }

    /// Starts (again) on the same port and waits until it accepts connections.
    fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (scripts/test.sh installs it)");
        self.child = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(started.elapsed() < PATIENCE, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the process without ending it (`SIGSTOP`): connections stay open and nothing
    /// answers, as with a hung server.
    fn hang(&self) {
        self.signal("-STOP");
    }

    /// Lets a hung server go on (`SIGCONT`).
    fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let status = Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(status.success(), "kill {signal} {pid}");
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn client(&self) -> Redis {
        Redis::new(&self.url(), DEFAULT_TIMEOUT).unwrap()
    }

    /// A client that has answered once: its first call connects, and connecting may take
    /// longer than the 100 ms call timeout on a busy machine, which is not what a test of
    /// the commands is about.
    async fn connected_client(&self) -> Redis {
        let redis = self.client();
        let started = Instant::now();
        while redis.ping().await.is_err() {
            assert!(started.elapsed() < PATIENCE, "redis-server never answered");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        redis
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A store that must not be used (Redis is up).
struct Unused;

impl RateLimitStore for Unused {
    fn hit<'a>(&'a self, _: &'a str, _: Duration) -> formula_app::ports::StoreFuture<'a> {
        panic!("the fallback was used while Redis is up")
    }
    fn peek<'a>(&'a self, _: &'a str, _: Duration) -> formula_app::ports::StoreFuture<'a> {
        panic!("the fallback was used while Redis is up")
    }
}

/// A fallback that counts every request as the first.
struct Fresh;

impl RateLimitStore for Fresh {
    fn hit<'a>(&'a self, _: &'a str, window: Duration) -> formula_app::ports::StoreFuture<'a> {
        Box::pin(async move {
            Ok(WindowState {
                count: 1,
                reset_in: window,
            })
        })
    }
    fn peek<'a>(&'a self, _: &'a str, window: Duration) -> formula_app::ports::StoreFuture<'a> {
        Box::pin(async move {
            Ok(WindowState {
                count: 0,
                reset_in: window,
            })
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_counts_are_shared_between_instances() {
    let server = Server::start();
    let a = RedisRateLimitStore::new(server.connected_client().await, Arc::new(Unused));
    let b = RedisRateLimitStore::new(server.connected_client().await, Arc::new(Unused));
    let window = Duration::from_secs(60);
    assert_eq!(a.peek("rl:login:ip:x", window).await.unwrap().count, 0);
    for n in 1..=6u32 {
        let store = if n % 2 == 0 { &a } else { &b };
        let state = store.hit("rl:login:ip:x", window).await.unwrap();
        assert_eq!(state.count, n);
        assert!(state.reset_in <= window && state.reset_in > Duration::ZERO);
    }
    assert_eq!(b.peek("rl:login:ip:x", window).await.unwrap().count, 6);
    assert_eq!(a.hit("rl:login:ip:y", window).await.unwrap().count, 1);

    // A window ends: the key expires and counting starts over.
    let short = Duration::from_millis(50);
    assert_eq!(a.hit("rl:short", short).await.unwrap().count, 1);
    let started = Instant::now();
    while b.peek("rl:short", short).await.unwrap().count != 0 {
        assert!(started.elapsed() < PATIENCE, "the window never ended");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(b.hit("rl:short", short).await.unwrap().count, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_values_are_shared_and_bumping_hides_them() {
    let server = Server::start();
    let a = RedisCache::new(server.connected_client().await);
    let b = RedisCache::new(server.connected_client().await);
    let ttl = Duration::from_secs(30);
    let miss = a.get("projects", "dashboard:all").await.unwrap();
    assert_eq!(miss.value, None);
    a.set(
        "projects",
        "dashboard:all",
        miss.generation,
        "{\"n\":1}",
        ttl,
    )
    .await
    .unwrap();
    let hit = b.get("projects", "dashboard:all").await.unwrap();
    assert_eq!(hit.value.as_deref(), Some("{\"n\":1}"));

    b.bump("projects").await.unwrap();
    let after = a.get("projects", "dashboard:all").await.unwrap();
    assert_eq!(after.value, None, "a write hides what was cached before it");
    assert!(after.generation > miss.generation);
    // A value computed before the write is not stored under the new generation.
    a.set(
        "projects",
        "dashboard:all",
        miss.generation,
        "{\"n\":1}",
        ttl,
    )
    .await
    .unwrap();
    assert_eq!(
        a.get("projects", "dashboard:all").await.unwrap().value,
        None
    );
    a.set(
        "projects",
        "dashboard:all",
        after.generation,
        "{\"n\":2}",
        ttl,
    )
    .await
    .unwrap();
    assert_eq!(
        b.get("projects", "dashboard:all")
            .await
            .unwrap()
            .value
            .as_deref(),
        Some("{\"n\":2}")
    );
    // Other namespaces are untouched by the bump.
    assert_eq!(a.get("other", "k").await.unwrap().generation, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_the_subscribers_of_every_instance() {
    let server = Server::start();
    let a = RedisEventBus::start(server.client());
    let b = RedisEventBus::start(server.client());
    let mut on_b = b.subscribe();
    let mut on_a = a.subscribe();
    // The listeners subscribe in the background: publish until each instance heard one
    // (the publishing instance hears its own events too: one path for all).
    let (mut heard_a, mut heard_b) = (None, None);
    let started = Instant::now();
    while heard_a.is_none() || heard_b.is_none() {
        assert!(started.elapsed() < PATIENCE, "no event arrived");
        a.publish(r#"{"kind":"task.updated"}"#).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        heard_a = heard_a.or(on_a.try_recv().ok());
        heard_b = heard_b.or(on_b.try_recv().ok());
    }
    assert_eq!(heard_a.unwrap(), r#"{"kind":"task.updated"}"#);
    assert_eq!(heard_b.unwrap(), r#"{"kind":"task.updated"}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_has_one_holder_until_released_or_expired() {
    let server = Server::start();
    let a = RedisLease::new(server.connected_client().await);
    let b = RedisLease::new(server.connected_client().await);
    let long = Duration::from_secs(60);
    assert!(a.try_acquire("scheduler", "a", long).await.unwrap());
    assert!(!b.try_acquire("scheduler", "b", long).await.unwrap());
    assert!(
        a.try_acquire("scheduler", "a", long).await.unwrap(),
        "renewed"
    );
    // Only the holder can release it.
    b.release("scheduler", "b").await.unwrap();
    assert!(!b.try_acquire("scheduler", "b", long).await.unwrap());
    a.release("scheduler", "a").await.unwrap();
    assert!(b.try_acquire("scheduler", "b", long).await.unwrap());
    b.release("scheduler", "b").await.unwrap();

    // An expired lease (a stopped holder) passes to the next.
    let short = Duration::from_millis(100);
    assert!(a.try_acquire("other", "a", short).await.unwrap());
    let started = Instant::now();
    while !b.try_acquire("other", "b", long).await.unwrap() {
        assert!(started.elapsed() < PATIENCE, "the lease never expired");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!a.try_acquire("other", "a", short).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_gives_errors_not_hangs_and_a_restart_reconnects() {
    let mut server = Server::start();
    let redis = server.client();
    let cache = RedisCache::new(redis.clone());
    let limits = RedisRateLimitStore::new(redis.clone(), Arc::new(Fresh));
    let window = Duration::from_secs(60);
    // The first answer (connecting included) may miss the 100 ms call timeout on a busy
    // machine; that the server answers at all is the precondition here.
    let started = Instant::now();
    while redis.ping().await.is_err() {
        assert!(started.elapsed() < PATIENCE, "redis-server never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(limits.hit("k", window).await.unwrap().count, 1);
    assert_eq!(limits.hit("k", window).await.unwrap().count, 2);

    server.kill();
    // Each call ends on its own timeout; the outer one only guards against a hang.
    let guard = Duration::from_secs(5);
    for _ in 0..3 {
        let pinged = tokio::time::timeout(guard, redis.ping()).await;
        assert!(pinged.expect("ping hung").is_err());
        let got = tokio::time::timeout(guard, cache.get("projects", "x")).await;
        assert!(got.expect("cache hung").is_err());
        // Rate limits fall back to the in-process store: the request is still counted.
        let hit = tokio::time::timeout(guard, limits.hit("k", window)).await;
        assert_eq!(hit.expect("rate limit hung").unwrap().count, 1);
    }

    server.restart();
    let started = Instant::now();
    while redis.ping().await.is_err() {
        assert!(started.elapsed() < PATIENCE, "never reconnected");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A fresh server (no persistence): counting starts over, in Redis again.
    assert_eq!(limits.hit("k", window).await.unwrap().count, 1);
    assert_eq!(limits.hit("k", window).await.unwrap().count, 2);
    assert_eq!(cache.get("projects", "x").await.unwrap().value, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_server_opens_the_circuit_and_its_first_answer_closes_it() {
    let server = Server::start();
    let redis = server.client();
    let cache = RedisCache::new(redis.clone());
    let limits = RedisRateLimitStore::new(redis.clone(), Arc::new(Fresh));
    let events = RedisEventBus::start(redis.clone());
    let window = Duration::from_secs(60);
    let started = Instant::now();
    while redis.ping().await.is_err() {
        assert!(started.elapsed() < PATIENCE, "redis-server never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(limits.hit("k", window).await.unwrap().count, 1);
    assert_eq!(limits.hit("k", window).await.unwrap().count, 2);
    let before = redis.circuit();
    assert!(!before.open);

    server.hang();
    // Each call waits out its timeout until enough have failed in a row; then the circuit
    // opens. (The outer timeout only guards against a hang.)
    let guard = Duration::from_secs(5);
    for _ in 0..FAILURES_TO_OPEN {
        assert!(!redis.circuit().open);
        let got = tokio::time::timeout(guard, cache.get("projects", "x")).await;
        assert!(got.expect("cache hung").is_err());
    }
    let open = redis.circuit();
    assert!(open.open, "{open:?}");
    assert_eq!(open.opened_total, before.opened_total + 1);

    // While it is open, no call reaches Redis: each fails at once, the fallbacks answer,
    // and each is counted as skipped.
    for _ in 0..20 {
        let err = cache.get("projects", "x").await.unwrap_err();
        assert!(err.0.contains("circuit is open"), "{}", err.0);
        // The in-process fallback counts every request as the first.
        assert_eq!(limits.hit("k", window).await.unwrap().count, 1);
        events.publish(r#"{"kind":"task.updated"}"#).await.unwrap();
    }
    let still = redis.circuit();
    assert!(still.open);
    assert_eq!(still.skipped_total, open.skipped_total + 60);
    assert_eq!(still.opened_total, open.opened_total, "opened once");

    // Redis answers again: the background probe closes the circuit without any call
    // from here, and calls reach Redis again (the counter it kept goes on).
    server.resume();
    let started = Instant::now();
    while redis.circuit().open {
        assert!(started.elapsed() < PATIENCE, "the circuit never closed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(limits.hit("k", window).await.unwrap().count, 3);
    assert_eq!(cache.get("projects", "x").await.unwrap().value, None);
    assert_eq!(redis.circuit().skipped_total, still.skipped_total);
}
