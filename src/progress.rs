//! The one look of every progress bar and spinner (import, export, validate), drawn on stderr:
//! `what  ████████░░░░  120/400 rows  35.2/s  eta 8s`. The ETA is the time left at the average
//! rate since the first step, blank until there is a rate to go by — not indicatif's moving
//! estimate, which jumps to minutes when a stage begins after a pause.

use std::time::Duration;

use indicatif::{ProgressState, ProgressStyle};

/// Width of every bar, in characters.
const BAR_WIDTH: usize = 30;

/// A bar counting `unit`s (rows, payslips…) towards a known total.
pub fn bar(unit: &str) -> ProgressStyle {
    let template =
        format!("{{prefix:>14}} {{bar:{BAR_WIDTH}}} {{pos:>6}}/{{len}} {unit} {{rate}} {{eta}}");
    ProgressStyle::with_template(&template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("█░")
        .with_key("rate", rate_key)
        .with_key("eta", eta_key)
}

/// A spinner counting `unit`s when the total is not known.
pub fn spinner(unit: &str) -> ProgressStyle {
    let template = format!("{{prefix:>14}} {{spinner}} {{pos:>6}} {unit} {{rate}} [{{elapsed}}]");
    ProgressStyle::with_template(&template)
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .with_key("rate", rate_key)
}

fn rate_key(state: &ProgressState, w: &mut dyn std::fmt::Write) {
    let _ = match average_rate(state.elapsed(), state.pos()) {
        Some(rate) => write!(w, " {rate:.1}/s"),
        None => Ok(()),
    };
}

fn eta_key(state: &ProgressState, w: &mut dyn std::fmt::Write) {
    let left = state.len().map(|len| len.saturating_sub(state.pos()));
    if let Some(text) = left.and_then(|left| eta(state.elapsed(), state.pos(), left)) {
        let _ = write!(w, " eta {text}");
    }
}

/// Steps per second since the start, once there is at least a second and a step to go by.
fn average_rate(elapsed: Duration, done: u64) -> Option<f64> {
    let secs = elapsed.as_secs_f64();
    (secs >= 1.0 && done > 0).then(|| done as f64 / secs)
}

/// The time `left` steps take at the average rate so far, as `8s`, `3m 05s` or `1h 02m`.
pub fn eta(elapsed: Duration, done: u64, left: u64) -> Option<String> {
    if left == 0 {
        return None;
    }
    let rate = average_rate(elapsed, done)?;
    let secs = (left as f64 / rate).ceil() as u64;
    Some(match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m {:02}s", secs / 60, secs % 60),
        _ => format!("{}h {:02}m", secs / 3600, secs % 3600 / 60),
    })
}

#[cfg(test)]
mod tests {
    use super::eta;
    use std::time::Duration;

    #[test]
    fn eta_is_the_average_rate_so_far_and_blank_without_one() {
        let s = Duration::from_secs;
        assert_eq!(eta(s(10), 100, 50).as_deref(), Some("5s"));
        assert_eq!(eta(s(10), 10, 185).as_deref(), Some("3m 05s"));
        assert_eq!(eta(s(60), 1, 62).as_deref(), Some("1h 02m"));
        assert_eq!(
            eta(Duration::from_millis(200), 5, 100),
            None,
            "too early to say"
        );
        assert_eq!(eta(s(30), 0, 100), None, "nothing done yet");
        assert_eq!(eta(s(30), 100, 0), None, "done");
    }
}
