//! Phrasing shared by the sections of `report.md`: numbers, intervals, durations, lists, and
//! the words for features, servers, restarts and drains.

use crate::model::{LoadBalancing, ServerNames};
use crate::report::fixed;
use crate::runner::RunResult;
use crate::stats::Estimate;

/// Two decimals, as in the tables: the one number format of the verdict.
pub(super) fn num(x: f64) -> String {
    fixed(x, 2)
}

/// "(95 % CI 11.80–12.90)", or a note when there is no interval (one replication, or fewer
/// than two complete pairs of a bootstrapped trace).
pub(super) fn ci(e: &Estimate) -> String {
    if e.low.is_finite() && e.high.is_finite() {
        format!("(95 % CI {}–{})", num(e.low), num(e.high))
    } else if e.n >= 2 {
        "(no confidence interval: a bootstrapped trace needs two pairs of nights, 4 \
         replications)"
            .into()
    } else {
        "(one night simulated: no confidence interval)".into()
    }
}

/// How a person calls a catalogue feature; other features keep their scenario name.
pub(super) fn display_name(name: &str) -> String {
    match name {
        "im" => "peer-to-peer IM".into(),
        "av_conference" => "A/V conference".into(),
        "web_conference" => "web conference".into(),
        "app_sharing" => "application sharing".into(),
        "im_conference" => "IM conference".into(),
        "pstn_call" => "PSTN call".into(),
        "conferencing_attendant" => "Conferencing Attendant".into(),
        "conferencing_announcement" => "Conferencing Announcement".into(),
        "response_group" => "Response Group".into(),
        "announcement" => "Announcement".into(),
        "call_park" => "Call Park".into(),
        other => format!("`{other}`"),
    }
}

/// "a", "a and b", "a, b and c".
pub(super) fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [a] => a.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A duration for prose: "45 s", "30 min", "12.5 min", "1 h 30 min".
pub(super) fn human(secs: f64) -> String {
    if secs < 60.0 {
        format!("{} s", secs.round())
    } else if secs < 3600.0 || (secs % 60.0).abs() > 0.5 {
        let m = fixed(secs / 60.0, 1);
        format!("{} min", m.strip_suffix(".0").unwrap_or(&m))
    } else {
        let m = (secs / 60.0).round() as u64;
        if m.is_multiple_of(60) {
            format!("{} h", m / 60)
        } else {
            format!("{} h {} min", m / 60, m % 60)
        }
    }
}

/// "FE 1 and FE 3" (or the servers' names), or "6 Front Ends" when there are more than four
/// (0-based servers).
fn fe_list(names: &ServerNames, servers: &[usize]) -> String {
    if servers.len() > 4 {
        format!("{} Front Ends", servers.len())
    } else {
        and_list(&names.labels(servers.iter().map(|&s| s as u64)))
    }
}

/// "DNS" or "hardware".
pub(super) fn lb_word(lb: LoadBalancing) -> &'static str {
    match lb {
        LoadBalancing::Dns => "DNS",
        LoadBalancing::Hardware => "hardware",
    }
}

/// " (wait_s = 600, servers = 4)", or nothing without labels.
pub(super) fn context_text(labels: &[(String, String)]) -> String {
    if labels.is_empty() {
        String::new()
    } else {
        format!(
            " ({})",
            labels
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// "restarting FE 1 30 min after pausing it", from the run's restart records.
pub(super) fn restart_phrase(r: &RunResult) -> Option<String> {
    let mut servers: Vec<usize> = Vec::new();
    let mut since = Since::default();
    for rep in r.replications.iter() {
        for rs in &rep.metrics.restarts {
            if !servers.contains(&rs.server) {
                servers.push(rs.server);
            }
            if let Some(p) = rs.paused_at {
                since.add(rs.at.since(p).as_secs_f64());
            }
        }
    }
    if servers.is_empty() {
        return None;
    }
    Some(format!(
        "restarting {}{}",
        fe_list(&r.run.config.pool.names, &servers),
        since_pause_words(&since, servers.len())
    ))
}

/// Times from pause to restart, s: how many, their sum (in order, from -0.0 as
/// `Iterator::sum`), the shortest and the longest.
struct Since {
    n: usize,
    sum: f64,
    lo: f64,
    hi: f64,
}

impl Default for Since {
    fn default() -> Self {
        Since {
            n: 0,
            sum: -0.0,
            lo: f64::INFINITY,
            hi: 0.0,
        }
    }
}

impl Since {
    fn add(&mut self, s: f64) {
        self.n += 1;
        self.sum += s;
        self.lo = f64::min(self.lo, s);
        self.hi = f64::max(self.hi, s);
    }
}

/// " 30 min after pausing it", " on average … (… to …)", or " without pausing them first":
/// the time from pause to restart of `servers` servers.
fn since_pause_words(since: &Since, servers: usize) -> String {
    let it = if servers == 1 { "it" } else { "each" };
    if since.n == 0 {
        return format!(
            " without pausing {} first",
            if servers == 1 { "it" } else { "them" }
        );
    }
    let (lo, hi) = (since.lo, since.hi);
    if hi - lo < 1.0 {
        format!(" {} after pausing {it}", human(lo))
    } else {
        let mean = since.sum / since.n as f64;
        format!(
            " on average {} after pausing {it} ({} to {})",
            human(mean),
            human(lo),
            human(hi)
        )
    }
}

/// "The paused server had fully drained before its restart", in the number the run needs.
pub(super) fn drained_words(r: Option<&RunResult>, restarted: bool) -> String {
    let servers = r
        .map(|r| {
            let mut v: Vec<usize> = Vec::new();
            for rep in r.replications.iter() {
                for dr in &rep.metrics.drains {
                    if !v.contains(&dr.server) {
                        v.push(dr.server);
                    }
                }
            }
            v.len()
        })
        .unwrap_or(1);
    let (who, its) = if servers > 1 {
        ("paused servers", "their")
    } else {
        ("paused server", "its")
    };
    if restarted {
        format!("The {who} had fully drained before {its} restart")
    } else {
        format!("The {who} had fully drained")
    }
}

/// "45 %", or "—" for an undefined fraction.
pub(super) fn percent(x: f64) -> String {
    if x.is_finite() {
        format!("{:.0} %", x * 100.0)
    } else {
        "—".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human(45.0), "45 s");
        assert_eq!(human(1800.0), "30 min");
        assert_eq!(human(750.0), "12.5 min");
        assert_eq!(human(3600.0), "1 h");
        assert_eq!(human(5400.0), "1 h 30 min");
    }

    #[test]
    fn lists_read_naturally() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(and_list(&s(&["a"])), "a");
        assert_eq!(and_list(&s(&["a", "b"])), "a and b");
        assert_eq!(and_list(&s(&["a", "b", "c"])), "a, b and c");
    }
}
