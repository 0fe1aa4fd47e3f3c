//! What the benchmark examples share (`mod common;` in each; not an example of its own).

/// Peak resident set size of this process in KiB (`VmHWM` from `/proc/self/status`), `None`
/// where that file is missing (not Linux) or unreadable.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
