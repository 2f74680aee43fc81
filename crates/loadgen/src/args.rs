//! Command line: `std::env::args`, no parser crate. Every limit is checked here, before any
//! request is sent, so a typo never turns into an unbounded or off-machine load.

use std::net::{IpAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use crate::stats::Endpoint;

/// The longest run the tool accepts (one hour), whatever `--duration` says.
pub const MAX_DURATION_S: u64 = 3600;
/// The most virtual users (one thread each).
pub const MAX_VUS: usize = 1000;

pub const USAGE: &str = "\
formula-loadgen: drives a Formula PM server on this machine with the scenario of
deploy/perf/k6.js: each virtual user signs in, then loops over the project list, a project,
its tasks, my work, a project search, a global search, creating a task and deleting it, with
think time.

usage: formula-loadgen --url http://127.0.0.1:PORT [options]

  --url URL           server to load; loopback only (127.0.0.0/8, [::1], localhost), http
  --email EMAIL       account every virtual user signs in as (one session per user)
  --password PW       its password (or set LOADGEN_PASSWORD)
  --token TOKEN       instead of signing in, use this API token (or LOADGEN_TOKEN); all users
                      then share one caller, so the server's per-caller API rate limits apply
                      to their sum
  --vus N             virtual users, 1-1000 (default 100)
  --ramp S            seconds over which users start, evenly (default 15)
  --duration S        whole run in seconds, ramp included, at most 3600 (default 60)
  --think-ms MIN-MAX  pause after each loop, uniform in [MIN, MAX] ms (default 1000-3000)
  --timeout S         per-request timeout in seconds (default 30)
  --search TERMS      comma-separated project search terms (default: demo client names)
  --global-search TERMS
                      comma-separated global search queries (default: words of the data
                      scripts/bench/load.py writes, some as the start of a word)
  --skip STEPS        leave steps out, to see what the others cost: comma-separated of
                      detail, tasks, my-work, search, global-search, comment (a comment mentioning
                      someone), write (create and delete a task, and the comment)
  --pid PID           sample the server's memory (VmRSS) and CPU time from /proc/PID
  --label NAME        name of this run in the report, e.g. sqlite
  --out FILE          write the results as JSON
  --fail-on-threshold exit 3 when the k6 thresholds (p95 < 500 ms, errors < 1 %) fail
  -h, --help          this text

Latency percentiles are over the requests started after the ramp, when every user runs.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    Password { email: String, password: String },
    Token(String),
}

#[derive(Debug, Clone)]
pub struct Options {
    /// `http://host:port`, no trailing slash; the host is a loopback address or `localhost`.
    pub base: String,
    pub credentials: Credentials,
    pub vus: usize,
    pub ramp: Duration,
    pub duration: Duration,
    pub think_ms: (u64, u64),
    pub timeout: Duration,
    pub search_terms: Vec<String>,
    /// Queries of the global search (`GET /api/v1/search`).
    pub global_terms: Vec<String>,
    /// Steps left out (`--skip`); the project list always runs, it supplies the ids.
    pub skip: Vec<Endpoint>,
    pub pid: Option<u32>,
    pub label: String,
    pub out: Option<PathBuf>,
    pub fail_on_threshold: bool,
}

pub enum Parsed {
    Run(Box<Options>),
    Help,
}

const DEFAULT_TERMS: &[&str] = &[
    "Meridian",
    "Aurelia",
    "Northwind",
    "Cedar",
    "fit-out",
    "Joinery",
    "Benchmark fit-out 01",
    "Kitchens",
];

/// What people type into the search box, from the data scripts/bench/load.py writes: mostly
/// something specific (a material, an item, a person, an item code, a drawing number, a
/// project), some words still being typed (the last is a prefix), and a broad word that
/// matches thousands of records (`delivery`, one query in twenty).
const DEFAULT_GLOBAL_TERMS: &[&str] = &[
    "walnut",
    "zebrano",
    "Calacatta marble",
    "pivot door",
    "banquette",
    "humidor",
    "fluted gl",
    "sapele",
    "Hettich",
    "ebonised",
    "Ingrid",
    "BM012-0042",
    "BM031",
    "SD-101",
    "Meridian",
    "Benchmark fit-out 012",
    "sample board",
    "delivery",
    "banq",
    "snag list",
];

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("{flag}: not a number: {value:?}"))
}

/// Parses the arguments (without the program name). `env` looks up environment variables.
pub fn parse(args: &[String], env: &dyn Fn(&str) -> Option<String>) -> Result<Parsed, String> {
    let mut url = None;
    let mut email = None;
    let mut password = env("LOADGEN_PASSWORD");
    let mut token = env("LOADGEN_TOKEN");
    let mut vus = 100usize;
    let mut ramp = 15u64;
    let mut duration = 60u64;
    let mut think = (1000u64, 3000u64);
    let mut timeout = 30u64;
    let mut terms: Vec<String> = DEFAULT_TERMS.iter().map(|s| (*s).to_owned()).collect();
    let mut global_terms: Vec<String> = DEFAULT_GLOBAL_TERMS
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let mut pid = None;
    let mut label = String::from("run");
    let mut out = None;
    let mut fail_on_threshold = false;
    let mut skip = Vec::new();

    let mut it = args.iter();
    while let Some(arg) = it.next() {
        // `--flag=value` and `--flag value` both work.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value = || -> Result<String, String> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => it
                    .next()
                    .cloned()
                    .ok_or_else(|| format!("{flag} needs a value")),
            }
        };
        match flag {
            "-h" | "--help" => return Ok(Parsed::Help),
            "--url" => url = Some(value()?),
            "--email" => email = Some(value()?),
            "--password" => password = Some(value()?),
            "--token" => token = Some(value()?),
            "--vus" => vus = number(flag, &value()?)?,
            "--ramp" => ramp = number(flag, &value()?)?,
            "--duration" => duration = number(flag, &value()?)?,
            "--think-ms" => think = parse_range(&value()?)?,
            "--timeout" => timeout = number(flag, &value()?)?,
            "--search" => {
                terms = value()?
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            "--global-search" => {
                global_terms = value()?
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            "--pid" => pid = Some(number(flag, &value()?)?),
            "--label" => label = value()?,
            "--out" => out = Some(PathBuf::from(value()?)),
            "--fail-on-threshold" => fail_on_threshold = true,
            "--skip" => {
                for step in value()?.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    match step {
                        "detail" => skip.push(Endpoint::ProjectDetail),
                        "tasks" => skip.push(Endpoint::ProjectTasks),
                        "my-work" => skip.push(Endpoint::MyWork),
                        "search" => skip.push(Endpoint::Search),
                        "global-search" => skip.push(Endpoint::GlobalSearch),
                        "write" => skip.extend([
                            Endpoint::CreateTask,
                            Endpoint::DeleteTask,
                            Endpoint::Comment,
                        ]),
                        "comment" => skip.push(Endpoint::Comment),
                        other => return Err(format!("--skip: unknown step {other:?}")),
                    }
                }
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }

    let base = loopback_base(&url.ok_or("--url is required (try --help)")?)?;
    let credentials = match (email, password, token) {
        (Some(email), Some(password), _) => Credentials::Password { email, password },
        (None, _, Some(token)) => Credentials::Token(token),
        (Some(_), None, _) => return Err("--email needs --password or LOADGEN_PASSWORD".into()),
        (None, _, None) => return Err("give --email and --password, or --token".into()),
    };
    if !(1..=MAX_VUS).contains(&vus) {
        return Err(format!("--vus must be 1-{MAX_VUS}"));
    }
    if !(1..=MAX_DURATION_S).contains(&duration) {
        return Err(format!("--duration must be 1-{MAX_DURATION_S} seconds"));
    }
    if ramp >= duration {
        return Err("--ramp must be shorter than --duration (which includes it)".into());
    }
    if !(1..=300).contains(&timeout) {
        return Err("--timeout must be 1-300 seconds".into());
    }
    if terms.is_empty() {
        return Err("--search needs at least one term".into());
    }
    if global_terms.is_empty() {
        return Err("--global-search needs at least one query".into());
    }
    Ok(Parsed::Run(Box::new(Options {
        base,
        credentials,
        vus,
        ramp: Duration::from_secs(ramp),
        duration: Duration::from_secs(duration),
        think_ms: think,
        timeout: Duration::from_secs(timeout),
        search_terms: terms,
        global_terms,
        skip,
        pid,
        label,
        out,
        fail_on_threshold,
    })))
}

/// `MIN-MAX` or a single value, in milliseconds, each at most a minute.
pub fn parse_range(s: &str) -> Result<(u64, u64), String> {
    let (lo, hi) = match s.split_once('-') {
        Some((a, b)) => (number("--think-ms", a)?, number("--think-ms", b)?),
        None => {
            let v = number("--think-ms", s)?;
            (v, v)
        }
    };
    if lo > hi || hi > 60_000 {
        return Err(format!(
            "--think-ms: want MIN-MAX with MIN <= MAX <= 60000, got {s:?}"
        ));
    }
    Ok((lo, hi))
}

/// Checks that `url` is plain HTTP to this machine and returns `http://host:port`.
///
/// Accepted hosts: an IPv4 address in 127.0.0.0/8, `[::1]`, or `localhost` when every
/// address it resolves to is a loopback one. Anything else is refused: the tool must never
/// load a machine other than the one it runs on.
pub fn loopback_base(url: &str) -> Result<String, String> {
    let refuse = |why: &str| -> Result<String, String> {
        Err(format!(
            "refusing {url:?}: {why}; formula-loadgen only loads a server on this machine \
             (http://127.0.0.1:PORT, http://[::1]:PORT or http://localhost:PORT)"
        ))
    };
    let Some(rest) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("HTTP://"))
    else {
        if url.to_ascii_lowercase().starts_with("https://") {
            return refuse("https is not supported, use the server's plain-HTTP loopback port");
        }
        return refuse("not an http:// URL");
    };
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if !(path.is_empty() || path == "/") {
        return refuse("give the server's root, without a path or query");
    }
    if authority.contains('@') {
        return refuse("user information in the URL is not supported");
    }
    let Some((host, port)) = split_host_port(authority) else {
        return refuse("cannot read host and port");
    };
    let port = match port {
        Some(p) => match p.parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => return refuse("bad port"),
        },
        None => 80,
    };
    if host.eq_ignore_ascii_case("localhost") {
        let addrs: Vec<_> = match (host, port).to_socket_addrs() {
            Ok(a) => a.collect(),
            Err(e) => return refuse(&format!("cannot resolve localhost: {e}")),
        };
        if addrs.is_empty() || !addrs.iter().all(|a| is_loopback(a.ip())) {
            return refuse("localhost resolves to an address that is not loopback");
        }
        return Ok(format!("http://localhost:{port}"));
    }
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    match literal.parse::<IpAddr>() {
        Ok(ip) if is_loopback(ip) => Ok(match ip {
            IpAddr::V4(v4) => format!("http://{v4}:{port}"),
            IpAddr::V6(v6) => format!("http://[{v6}]:{port}"),
        }),
        Ok(_) => refuse("not a loopback address"),
        Err(_) => refuse("host names other than localhost are not accepted"),
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if authority.is_empty() {
        return None;
    }
    if authority.starts_with('[') {
        let end = authority.find(']')?;
        let host = &authority[..=end];
        let after = &authority[end + 1..];
        return match after.strip_prefix(':') {
            Some(p) => Some((host, Some(p))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match authority.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Some((h, Some(p))),
        Some(_) => None, // a bare IPv6 address needs brackets
        None => Some((authority, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_loopback_targets() {
        assert_eq!(
            loopback_base("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            loopback_base("http://127.1.2.3:9/").unwrap(),
            "http://127.1.2.3:9"
        );
        assert_eq!(
            loopback_base("http://[::1]:3000").unwrap(),
            "http://[::1]:3000"
        );
        assert_eq!(
            loopback_base("http://127.0.0.1").unwrap(),
            "http://127.0.0.1:80"
        );
        assert_eq!(
            loopback_base("http://[::ffff:127.0.0.1]:5").unwrap(),
            "http://[::ffff:127.0.0.1]:5"
        );
    }

    #[test]
    fn refuses_everything_else() {
        for url in [
            "http://10.0.0.1:8080",
            "http://192.168.1.2",
            "http://0.0.0.0:8080",
            "http://[::]:8080",
            "http://[2001:db8::1]:80",
            "http://example.com",
            "http://127.0.0.1.nip.io:80",
            "http://localhost.example.com",
            "https://127.0.0.1:8443",
            "ftp://127.0.0.1",
            "127.0.0.1:8080",
            "http://user@127.0.0.1:8080",
            "http://evil.com@127.0.0.1",
            "http://127.0.0.1:8080/api",
            "http://127.0.0.1:0",
            "http://127.0.0.1:99999",
            "http://",
            "http://::1:80",
        ] {
            let err = loopback_base(url).expect_err(url);
            assert!(err.contains("only loads a server on this machine"), "{err}");
        }
    }

    #[test]
    fn localhost_is_checked_by_resolving_it() {
        // Every sane resolver maps localhost to loopback; if this one does not, refusing is right.
        match loopback_base("http://localhost:3000") {
            Ok(base) => assert_eq!(base, "http://localhost:3000"),
            Err(e) => assert!(e.contains("localhost"), "{e}"),
        }
    }

    #[test]
    fn bounds_and_credentials() {
        let env = |_: &str| None;
        let args = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        let ok = parse(
            &args("--url http://127.0.0.1:1 --email a@b.c --password pw --vus 5 --ramp 2 --duration 10 --think-ms 0-50"),
            &env,
        )
        .unwrap();
        let Parsed::Run(o) = ok else { panic!("help") };
        assert_eq!((o.vus, o.think_ms), (5, (0, 50)));
        assert_eq!(o.duration, Duration::from_secs(10));
        assert!(o.skip.is_empty());
        let Parsed::Run(o) = parse(
            &args("--url http://127.0.0.1:1 --token t --skip my-work,write"),
            &env,
        )
        .unwrap() else {
            panic!("help")
        };
        assert_eq!(
            o.skip,
            [
                Endpoint::MyWork,
                Endpoint::CreateTask,
                Endpoint::DeleteTask,
                Endpoint::Comment
            ]
        );
        for bad in [
            "--url http://127.0.0.1:1 --token t --duration 3601",
            "--url http://127.0.0.1:1 --token t --vus 0",
            "--url http://127.0.0.1:1 --token t --ramp 60 --duration 60",
            "--url http://127.0.0.1:1 --token t --think-ms 5-1",
            "--url http://127.0.0.1:1 --email a@b.c",
            "--url http://127.0.0.1:1 --token t --skip login",
            "--url http://10.1.1.1:1 --token t",
            "--token t",
        ] {
            assert!(parse(&args(bad), &env).is_err(), "{bad}");
        }
        let from_env = |k: &str| (k == "LOADGEN_TOKEN").then(|| "secret".to_owned());
        let Parsed::Run(o) = parse(&args("--url=http://[::1]:2"), &from_env).unwrap() else {
            panic!("help")
        };
        assert_eq!(o.credentials, Credentials::Token("secret".into()));
    }

    #[test]
    fn global_search_queries_and_skipping_them() {
        let env = |_: &str| None;
        let args = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        let Parsed::Run(o) = parse(&args("--url http://127.0.0.1:1 --token t"), &env).unwrap()
        else {
            panic!("help")
        };
        assert!(o.global_terms.len() > 5);
        let Parsed::Run(o) = parse(
            &args(
                "--url http://127.0.0.1:1 --token t --global-search oak,ven --skip global-search",
            ),
            &env,
        )
        .unwrap() else {
            panic!("help")
        };
        assert_eq!(o.global_terms, ["oak", "ven"]);
        assert_eq!(o.skip, [Endpoint::GlobalSearch]);
        let empty = args("--url http://127.0.0.1:1 --token t --global-search ,");
        assert!(parse(&empty, &env).is_err());
    }
}
