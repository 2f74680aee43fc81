//! Who is really calling: the TCP peer, unless that peer is one of our own reverse
//! proxies (`TRUSTED_PROXIES`), in which case the client is the right-most address in
//! `X-Forwarded-For` (or RFC 7239 `Forwarded: for=`) that is not itself a trusted proxy.
//!
//! Anything left of that address was written by the client and can be forged, so it is
//! never believed; a forwarded header from an untrusted peer is ignored entirely.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;

use crate::state::AppState;

/// The resolved client address of a request, put in the request's extensions by
/// [`resolve`] (absent when the server does not know the peer, as in in-process tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Resolves the real client behind our own proxies once, for the rate limits, the audit
/// trail and the request log.
pub async fn resolve(State(state): State<AppState>, mut req: Request) -> Request {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| client_ip(req.headers(), c.0.ip(), &state.web.trusted_proxies));
    if let Some(ip) = ip {
        req.extensions_mut().insert(ClientIp(ip));
    }
    req
}

/// One network in CIDR notation, e.g. `10.0.0.0/8` or `fd00::/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `addr/prefix` or a bare address (one host). Host bits below the prefix are
    /// ignored (`10.1.2.3/8` means `10.0.0.0/8`), as nginx's `set_real_ip_from` does.
    pub fn parse(raw: &str) -> Result<Cidr, String> {
        let raw = raw.trim();
        let (addr, prefix) = match raw.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (raw, None),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("{raw:?} is not an IP address or CIDR like 10.0.0.0/8"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(p) if p <= max => p,
                _ => {
                    return Err(format!(
                        "{raw:?} has a bad prefix length (0 to {max} for this address)"
                    ));
                }
            },
        };
        Ok(Cidr {
            network: mask(network, prefix),
            prefix,
        })
    }

    /// Whether the network contains `ip` (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        ip.is_ipv4() == self.network.is_ipv4() && mask(ip, self.prefix) == self.network
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// Keeps the top `prefix` bits of an address.
fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let m = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(bits & m))
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let m = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(bits & m))
        }
    }
}

/// The reverse proxies whose forwarding headers are believed (`TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// Parses a comma-separated list of CIDRs or addresses; empty means "trust nobody".
    pub fn parse(raw: &str) -> Result<TrustedProxies, String> {
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Cidr::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    /// Whether `ip` is one of our proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|c| c.contains(ip))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The networks.
    pub fn networks(&self) -> &[Cidr] {
        &self.0
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the right-most
/// untrusted hop of `X-Forwarded-For` (else of `Forwarded`). When every hop is trusted the
/// left-most one is the client; an unparsable hop stops the walk at the hop to its right,
/// because what a trusted proxy received from there cannot be read.
pub fn client_ip(headers: &HeaderMap, peer: IpAddr, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    let hops: Vec<Option<IpAddr>> = if headers.contains_key("x-forwarded-for") {
        headers
            .get_all("x-forwarded-for")
            .iter()
            .flat_map(|v| v.to_str().unwrap_or("?").split(','))
            .map(parse_hop)
            .collect()
    } else {
        headers
            .get_all("forwarded")
            .iter()
            .flat_map(|v| v.to_str().unwrap_or("?").split(','))
            .filter_map(forwarded_for)
            .map(|f| parse_hop(&f))
            .collect()
    };
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop {
            Some(ip) => {
                client = ip.to_canonical();
                if !trusted.contains(client) {
                    break;
                }
            }
            None => break,
        }
    }
    client
}

/// One hop of a forwarding list: an address, optionally with a port (`1.2.3.4:80`,
/// `[::1]:80`), optionally quoted.
fn parse_hop(raw: &str) -> Option<IpAddr> {
    let s = raw.trim().trim_matches('"');
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    s.strip_prefix('[')
        .and_then(|v| v.strip_suffix(']'))
        .and_then(|v| v.parse::<Ipv6Addr>().ok())
        .map(IpAddr::V6)
}

/// The `for=` value of one `Forwarded` element (`for=1.2.3.4;proto=https`). An element
/// without `for=` yields `?` so that it counts as an unreadable hop.
fn forwarded_for(element: &str) -> Option<String> {
    if element.trim().is_empty() {
        return None;
    }
    let value = element
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
        .map(|(_, v)| v.trim().to_owned());
    Some(value.unwrap_or_else(|| "?".to_owned()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn cidrs_parse_and_match() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains(ip("10.200.3.4")));
        assert!(!c.contains(ip("11.0.0.1")));
        assert!(
            c.contains(ip("::ffff:10.1.2.3")),
            "IPv4-mapped IPv6 counts as IPv4"
        );
        let host = Cidr::parse("192.168.1.7").unwrap();
        assert_eq!(host.prefix(), 32);
        assert!(host.contains(ip("192.168.1.7")) && !host.contains(ip("192.168.1.8")));
        let v6 = Cidr::parse("fd00::/8").unwrap();
        assert!(v6.contains(ip("fd12:3456::1")) && !v6.contains(ip("fe80::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        assert_eq!(Cidr::parse("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(Cidr::parse("::/0").unwrap().contains(ip("2001:db8::1")));
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "proxy.local",
            "10.0.0.0/",
            "10.0.0.0/-1",
        ] {
            assert!(Cidr::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn lists_parse_with_spaces_and_empty_items() {
        let t = TrustedProxies::parse(" 10.0.0.0/8, ::1 ,,127.0.0.1").unwrap();
        assert_eq!(t.to_string(), "10.0.0.0/8,::1/128,127.0.0.1/32");
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        let e = TrustedProxies::parse("10.0.0.0/8,nginx").unwrap_err();
        assert!(e.contains("nginx"), "{e}");
    }

    #[test]
    fn spoofed_headers_from_an_untrusted_peer_are_ignored() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let h = headers(&[("x-forwarded-for", "1.2.3.4"), ("forwarded", "for=5.6.7.8")]);
        assert_eq!(
            client_ip(&h, ip("203.0.113.9"), &trusted),
            ip("203.0.113.9")
        );
        // Nobody trusted: the peer, whatever the headers say.
        let none = TrustedProxies::default();
        assert_eq!(client_ip(&h, ip("10.0.0.2"), &none), ip("10.0.0.2"));
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted = TrustedProxies::parse("10.0.0.0/8, 192.168.0.0/16").unwrap();
        let peer = ip("10.0.0.2");
        // The client forged "6.6.6.6"; our proxies appended the real address and their own.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 192.168.1.1")]);
        assert_eq!(client_ip(&h, peer, &trusted), ip("198.51.100.7"));
        // Several header lines are one list, in order.
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "198.51.100.7:5555"),
        ]);
        assert_eq!(client_ip(&h, peer, &trusted), ip("198.51.100.7"));
        // All hops trusted: the left-most is the client.
        let h = headers(&[("x-forwarded-for", "192.168.3.3, 10.9.9.9")]);
        assert_eq!(client_ip(&h, peer, &trusted), ip("192.168.3.3"));
        // Garbage stops the walk at the hop to its right.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, garbage, 10.1.1.1")]);
        assert_eq!(client_ip(&h, peer, &trusted), ip("10.1.1.1"));
        // No header: the proxy itself.
        assert_eq!(client_ip(&HeaderMap::new(), peer, &trusted), peer);
        // IPv6 hops, and an IPv4-mapped peer.
        let h = headers(&[("x-forwarded-for", "2001:db8::5")]);
        assert_eq!(
            client_ip(&h, ip("::ffff:10.0.0.2"), &trusted),
            ip("2001:db8::5")
        );
    }

    #[test]
    fn rfc7239_forwarded_is_read_when_there_is_no_x_forwarded_for() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let peer = ip("10.0.0.2");
        let h = headers(&[(
            "forwarded",
            r#"for=6.6.6.6, for="[2001:db8:cafe::17]:4711";proto=https, for=10.0.0.9;by=10.0.0.2"#,
        )]);
        assert_eq!(client_ip(&h, peer, &trusted), ip("2001:db8:cafe::17"));
        let h = headers(&[("forwarded", "For=198.51.100.1:80;proto=http")]);
        assert_eq!(client_ip(&h, peer, &trusted), ip("198.51.100.1"));
        // Obfuscated identifiers cannot be read: stop at the trusted hop after them.
        let h = headers(&[("forwarded", "for=_hidden, for=10.0.0.7")]);
        assert_eq!(client_ip(&h, peer, &trusted), ip("10.0.0.7"));
    }
}
