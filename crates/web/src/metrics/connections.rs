//! Counting open HTTP connections: a listener whose streams decrement the gauge when dropped,
//! and which can cap the connections one client address holds open
//! (`MAX_CONNECTIONS_PER_IP`, see [`PerIpLimit`]).

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use super::Metrics;

use crate::client_ip::TrustedProxies;

/// A TCP listener that counts its open connections in [`Metrics`].
pub struct CountingListener {
    inner: TcpListener,
    metrics: Arc<Metrics>,
    limit: Option<Arc<PerIpLimit>>,
}

impl CountingListener {
    /// Wraps a bound listener.
    pub fn new(inner: TcpListener, metrics: Arc<Metrics>) -> Self {
        CountingListener {
            inner,
            metrics,
            limit: None,
        }
    }

    /// Closes a new connection at once when its address already holds `limit`.
    pub fn with_per_ip_limit(mut self, limit: PerIpLimit) -> Self {
        self.limit = Some(Arc::new(limit));
        self
    }
}

/// At most `max` open connections per client address, so that one client (a slow-loris
/// attack, a runaway script) cannot hold every connection the server can keep. IPv6
/// addresses count per /64 network, which one machine usually has to itself. Peers in
/// `TRUSTED_PROXIES` are not limited: every client behind a reverse proxy arrives from the
/// proxy's address, and the proxy limits its clients itself.
pub struct PerIpLimit {
    max: usize,
    exempt: TrustedProxies,
    open: Mutex<HashMap<IpAddr, usize>>,
    /// When a refusal was last logged (Unix seconds), to log at most one a minute.
    last_logged: AtomicU64,
}

impl PerIpLimit {
    /// A limit of `max` connections per address (`max` ≥ 1), not applied to `exempt`.
    pub fn new(max: usize, exempt: TrustedProxies) -> Self {
        PerIpLimit {
            max,
            exempt,
            open: Mutex::new(HashMap::new()),
            last_logged: AtomicU64::new(0),
        }
    }

    /// Counts a new connection from `ip`, or refuses it (`None`) when `ip` is at the limit.
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<IpPermit> {
        if self.exempt.contains(ip) {
            return Some(IpPermit(None));
        }
        let key = limit_key(ip);
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let n = open.entry(key).or_insert(0);
        if *n >= self.max {
            drop(open);
            self.log_refusal(key);
            return None;
        }
        *n += 1;
        Some(IpPermit(Some((self.clone(), key))))
    }

    fn release(&self, key: IpAddr) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = open.get_mut(&key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&key);
            }
        }
    }

    fn log_refusal(&self, key: IpAddr) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let last = self.last_logged.load(Ordering::Relaxed);
        if now >= last + 60
            && self
                .last_logged
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                client = %key,
                max = self.max,
                "connection refused: this address already holds MAX_CONNECTIONS_PER_IP connections (logged at most once a minute)"
            );
        }
    }
}

/// The address a connection counts under: itself, or its /64 network for IPv6.
fn limit_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
        v4 => v4,
    }
}

/// One connection counted against its address; released when the connection is dropped.
struct IpPermit(Option<(Arc<PerIpLimit>, IpAddr)>);

impl Drop for IpPermit {
    fn drop(&mut self) {
        if let Some((limit, key)) = &self.0 {
            limit.release(*key);
        }
    }
}

impl axum::serve::Listener for CountingListener {
    type Io = CountedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            // axum's own accept retries (with a pause) on errors such as too many open files.
            let (stream, addr) = axum::serve::Listener::accept(&mut self.inner).await;
            let permit = match &self.limit {
                Some(limit) => match limit.admit(addr.ip()) {
                    Some(permit) => permit,
                    // Closed unanswered: reading a request first would cost what the
                    // limit saves.
                    None => continue,
                },
                None => IpPermit(None),
            };
            self.metrics.connections.fetch_add(1, Ordering::Relaxed);
            let stream = CountedStream {
                inner: stream,
                metrics: self.metrics.clone(),
                _permit: permit,
            };
            return (stream, addr);
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A TCP stream that leaves the open-connection count (and its address's) when dropped.
pub struct CountedStream {
    inner: TcpStream,
    metrics: Arc<Metrics>,
    _permit: IpPermit,
}

impl Drop for CountedStream {
    fn drop(&mut self) {
        self.metrics.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

impl AsyncRead for CountedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CountedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_limited_alone_ipv6_by_its_64_and_proxies_not_at_all() {
        let limit = Arc::new(PerIpLimit::new(
            2,
            TrustedProxies::parse("10.0.0.1").unwrap(),
        ));
        let a: IpAddr = "192.0.2.7".parse().unwrap();
        let (p1, p2) = (limit.admit(a).unwrap(), limit.admit(a).unwrap());
        assert!(limit.admit(a).is_none(), "a third connection is refused");
        assert!(limit.admit("192.0.2.8".parse().unwrap()).is_some());
        drop(p1);
        let p3 = limit.admit(a).expect("a closed connection frees its place");
        let v6: Vec<_> = ["2001:db8::1", "2001:db8::ffff:2"]
            .iter()
            .map(|ip| limit.admit(ip.parse().unwrap()).unwrap())
            .collect();
        assert!(limit.admit("2001:db8::3".parse().unwrap()).is_none());
        assert!(limit.admit("::ffff:192.0.2.7".parse().unwrap()).is_none());
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let through_proxy: Vec<_> = (0..10).map(|_| limit.admit(proxy).unwrap()).collect();
        drop((p2, p3, v6, through_proxy));
        assert!(
            limit.open.lock().unwrap().is_empty(),
            "nothing left counted"
        );
    }
}
