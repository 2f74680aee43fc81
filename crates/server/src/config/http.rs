//! The listener and the public address: `BIND`, `PORT`, `PUBLIC_URL`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Where a server listening on `bind:port` answers on this machine: loopback stands in
/// for "all interfaces". Also the default public URL.
pub(super) fn local_url(bind: IpAddr, port: u16) -> String {
    let host = match bind {
        IpAddr::V4(a) if a.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(a) if a.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    };
    format!("http://{}", SocketAddr::new(host, port))
}

/// Checks a base URL: http(s), a host, an optional port, no path, query or fragment.
/// Returns it without a trailing slash.
pub(super) fn check_public_url(raw: &str) -> Result<String, &'static str> {
    const MSG: &str = "must be a base URL like https://pm.example.com (http or https, a host, an optional port, no path)";
    let url = raw.trim_end_matches('/');
    let authority = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or(MSG)?;
    if authority
        .chars()
        .any(|c| c.is_whitespace() || matches!(c, '/' | '?' | '#' | '@' | '\\'))
    {
        return Err(MSG);
    }
    let (host, port) = match authority.strip_prefix('[') {
        // An IPv6 literal: [::1] or [::1]:5014.
        Some(v6) => {
            let (addr, after) = v6.split_once(']').ok_or(MSG)?;
            addr.parse::<Ipv6Addr>().map_err(|_| MSG)?;
            let port = match after {
                "" => None,
                a => Some(a.strip_prefix(':').ok_or(MSG)?),
            };
            (addr, port)
        }
        None => match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    if host.is_empty() || port.is_some_and(|p| p.parse::<u16>().map_or(true, |p| p == 0)) {
        return Err(MSG);
    }
    Ok(url.to_owned())
}
