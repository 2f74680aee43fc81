//! Memory and CPU time of a process, from Linux's /proc.

use std::fs;

/// Resident set size in KiB (`VmRSS` of /proc/PID/status), or `None` once the process is gone.
pub fn rss_kib(pid: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_rss(&status)
}

fn parse_vm_rss(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// User plus system CPU time in seconds (fields 14 and 15 of /proc/PID/stat), assuming the
/// usual 100 clock ticks per second.
pub fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu_ticks(&stat).map(|t| t as f64 / 100.0)
}

fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): utime is field 14, stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_proc_formats() {
        assert_eq!(
            parse_vm_rss("Name:\tformula-pm\nVmPeak:\t  99 kB\nVmRSS:\t   18944 kB\n"),
            Some(18944)
        );
        assert_eq!(parse_vm_rss("Name:\tx\n"), None);
        let stat = "4242 (formula (pm)) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 3 0";
        assert_eq!(parse_cpu_ticks(stat), Some(300));
        // This process exists and uses memory.
        assert!(rss_kib("self").is_some_and(|k| k > 0));
        assert!(cpu_seconds("self").is_some());
    }
}
