//! A real PostgreSQL server for the integration tests: `TEST_DATABASE_URL` when set, otherwise a
//! throwaway server started once per test process on a free loopback port, with its data
//! and socket in a temporary directory. It is stopped (and its directory removed) by a
//! small watchdog process once this test process has exited, even after a panic.

use std::fs::File;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Where to reach the server as a superuser (its maintenance database).
pub struct Server {
    pub admin_url: String,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();

/// The shared server; panics (failing the test, never skipping it) when none can be had.
pub fn server() -> &'static Server {
    match SERVER.get_or_init(start) {
        Ok(s) => s,
        Err(e) => panic!("no PostgreSQL for the tests: {e}"),
    }
}

fn start() -> Result<Server, String> {
    if let Ok(url) = std::env::var("TEST_DATABASE_URL")
        && !url.trim().is_empty()
    {
        return Ok(Server {
            admin_url: url.trim().to_owned(),
        });
    }
    let bin = find_bin_dir()?;
    let root = std::env::temp_dir().join(format!("formula-test-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).map_err(|e| format!("cannot create {}: {e}", root.display()))?;
    // PostgreSQL refuses to run as root: then it runs as the `postgres` OS user.
    let as_postgres = is_root();
    if as_postgres {
        run(
            &root,
            Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&root),
            "chown",
        )?;
    }
    let data = root.join("data");
    let pg = |tool: &str| {
        let mut c = if as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(bin.join(tool));
            c
        } else {
            Command::new(bin.join(tool))
        };
        c.current_dir(&root);
        c
    };
    run(
        &root,
        pg("initdb").arg("-D").arg(&data).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]),
        "initdb",
    )?;
    let port = free_port()?;
    let options = format!(
        "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
         -c max_connections=200",
        root.display()
    );
    let log = root.join("postgres.log");
    // The watchdog first, so the server is stopped even if starting it half-fails.
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {runuser}{pg_ctl} -D {data} stop -m immediate >/dev/null 2>&1; rm -rf {root}",
        pid = std::process::id(),
        runuser = if as_postgres {
            "runuser -u postgres -- "
        } else {
            ""
        },
        pg_ctl = bin.join("pg_ctl").display(),
        data = data.display(),
        root = root.display(),
    );
    Command::new("sh")
        .args(["-c", &stop])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the cleanup watchdog: {e}"))?;
    run(
        &root,
        pg("pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-o", &options, "start"]),
        "pg_ctl start",
    )
    .map_err(|e| format!("{e}\n{}", std::fs::read_to_string(&log).unwrap_or_default()))?;
    Ok(Server {
        admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
    })
}

pub fn find_bin_dir() -> Result<PathBuf, String> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("PostgreSQL is not installed (/usr/lib/postgresql: {e}); install postgresql or set TEST_DATABASE_URL"))?
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse::<u32>().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    dirs.sort();
    dirs.pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| "no initdb/pg_ctl under /usr/lib/postgresql/*/bin".to_string())
}

pub fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

pub fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// Runs a set-up command with its output in a file (a daemon that inherited a pipe would
/// keep `output()` waiting), and reports that output if it fails.
pub fn run(root: &Path, cmd: &mut Command, what: &str) -> Result<(), String> {
    let out_path = root.join(format!("{}.out", what.replace(' ', "-")));
    let out = File::create(&out_path).map_err(|e| e.to_string())?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let status = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .status()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({status}): {}",
            std::fs::read_to_string(&out_path).unwrap_or_default()
        ))
    }
}

/// `url` with its database name replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{db}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_replaced_in_urls() {
        assert_eq!(
            with_database("postgres://u:p@h:5/postgres", "t1"),
            "postgres://u:p@h:5/t1"
        );
        assert_eq!(with_database("postgres://h", "t1"), "postgres://h/t1");
        assert_eq!(
            with_database("postgresql://h/x?sslmode=disable", "t1"),
            "postgresql://h/t1?sslmode=disable"
        );
    }
}
