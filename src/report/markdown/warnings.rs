//! The warnings that lead the verdict: a plan that did not finish within the horizon or failed,
//! sessions sent to a dead server (`failed`) and sessions refused (`blocked`). A verdict that
//! quotes the sessions cut must never hide that the plan did not do what it says; each warning
//! says how much, in which runs, and what to change. One bullet per kind of problem.

use std::fmt::Write as _;

use super::words::{and_list, context_text, display_name, human, num, percent};
use crate::model::{LoadBalancing, Transport};
use crate::report::ReportData;
use crate::runner::RunResult;
use crate::summary::SummaryRow;

/// At most this many runs are named in one warning; the rest are counted.
const NAMED_RUNS: usize = 4;

/// Writes the warning block (a blockquote) when any run has a problem; nothing otherwise.
pub(super) fn warnings(o: &mut String, d: &ReportData<'_>) {
    let lines = warning_lines(d);
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "> **Warning: the numbers below do not show everything that went wrong.**\n>"
    );
    for l in &lines {
        let _ = writeln!(o, "> - {l}");
    }
    let _ = writeln!(o);
}

/// The `all` row of every run, with its result.
fn runs<'r>(d: &'r ReportData<'_>) -> Vec<(&'r RunResult, &'r SummaryRow)> {
    d.results
        .iter()
        .filter_map(|r| {
            d.rows
                .iter()
                .find(|x| x.run == r.run.index && x.feature == "all")
                .map(|row| (r, row))
        })
        .collect()
}

/// "run 1 (load_balancing = hardware)".
fn run_name(r: &RunResult) -> String {
    format!("run {}{}", r.run.index, context_text(&r.run.labels))
}

/// "50 % of replications in run 0 (…) and 100 % … in run 1 (…)", at most [`NAMED_RUNS`]
/// runs named.
fn run_list(items: &[(String, String)]) -> String {
    let mut v: Vec<String> = items
        .iter()
        .take(NAMED_RUNS)
        .map(|(run, amount)| format!("{amount} in {run}"))
        .collect();
    if items.len() > NAMED_RUNS {
        v.push(format!("{} more runs", items.len() - NAMED_RUNS));
    }
    and_list(&v)
}

/// One sentence per kind of problem, in a fixed order.
pub(super) fn warning_lines(d: &ReportData<'_>) -> Vec<String> {
    let runs = runs(d);
    [
        unfinished(&runs),
        plan_failed(&runs),
        sessions_failed(d, &runs),
        sessions_blocked(&runs),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The plan still running at the horizon (not failed: that is the next warning).
fn unfinished(runs: &[(&RunResult, &SummaryRow)]) -> Option<String> {
    let col = |row: &SummaryRow, name: &str| row.column(name).unwrap_or(f64::NAN);
    let unfinished: Vec<(&RunResult, f64)> = runs
        .iter()
        .filter(|(r, _)| !r.run.config.plan.is_empty())
        .map(|(r, row)| {
            let left = 1.0 - col(row, "plan_finished_fraction") - col(row, "plan_failed_fraction");
            (*r, left)
        })
        .filter(|(_, left)| *left > 1e-9)
        .collect();
    if !unfinished.is_empty() {
        let horizons: Vec<String> = dedup(
            unfinished
                .iter()
                .map(|(r, _)| human(r.run.config.horizon.as_secs_f64())),
        );
        let items: Vec<(String, String)> = unfinished
            .iter()
            .map(|(r, f)| (run_name(r), format!("{} of nights", percent(*f))))
            .collect();
        return Some(format!(
            "**The plan did not finish within the horizon**: still running at the end in {}. \
             What it had not done by then is not counted. Raise `horizon` (now {}) so that \
             every step can end.",
            run_list(&items),
            and_list(&horizons)
        ));
    }
    None
}

/// The plan failed (readiness, failover timeout).
fn plan_failed(runs: &[(&RunResult, &SummaryRow)]) -> Option<String> {
    let col = |row: &SummaryRow, name: &str| row.column(name).unwrap_or(f64::NAN);
    let failed: Vec<(&RunResult, f64)> = runs
        .iter()
        .filter(|(r, _)| !r.run.config.plan.is_empty())
        .map(|(r, row)| (*r, col(row, "plan_failed_fraction")))
        .filter(|(_, f)| *f > 0.0)
        .collect();
    if !failed.is_empty() {
        let items: Vec<(String, String)> = failed
            .iter()
            .map(|(r, f)| (run_name(r), format!("{} of nights", percent(*f))))
            .collect();
        let mut s = format!(
            "**The plan failed and stopped early**: {}.",
            run_list(&items)
        );
        if let Some((reason, n, total)) = commonest_failure(failed.iter().map(|x| x.0)) {
            let _ = write!(
                s,
                " Most often ({n} of {total} failed nights): \u{201c}{reason}\u{201d}."
            );
        }
        s.push_str(
            " The sessions cut count only what happened before it stopped. Check the pool's \
             readiness (`replica_rebuild`, quorum) and the step's `wait_time`.",
        );
        return Some(s);
    }
    None
}

/// Sessions sent to a server that was down, with advice matched to the path they came by: a
/// hardware load balancer (the pool's, or under DNS load balancing the one that carries the
/// web services) keeps sending to a member until it notices it is down, so the member must be
/// taken out on the load balancer; DNS clients that do not try the next address meet the
/// paused or down server; anything else is a server taken down before it drained.
fn sessions_failed(d: &ReportData<'_>, runs: &[(&RunResult, &SummaryRow)]) -> Option<String> {
    let lost: Vec<(&RunResult, f64)> = runs
        .iter()
        .filter_map(|(r, row)| row.measure("failed").map(|e| (*r, e.mean)))
        .filter(|(_, m)| *m > 0.0)
        .collect();
    if lost.is_empty() {
        return None;
    }
    let items: Vec<(String, String)> = lost
        .iter()
        .map(|(r, m)| (run_name(r), format!("{} per night", num(*m))))
        .collect();
    let mut s = format!(
        "**Sessions failed: sent to a server that was down**: {}. They are not in the \
         sessions cut.",
        run_list(&items)
    );
    let delays = |rs: &[&RunResult]| {
        and_list(&dedup(rs.iter().map(|r| {
            human(r.run.config.pool.hardware.detect_delay.as_secs_f64())
        })))
    };
    let hardware: Vec<&RunResult> = lost
        .iter()
        .filter(|(r, _)| r.run.config.pool.load_balancing == LoadBalancing::Hardware)
        .map(|(r, _)| *r)
        .collect();
    // Under DNS load balancing, the failures of web (HTTPS) features came through the hardware
    // load balancer that carries the web services.
    let web: Vec<(&RunResult, f64, Vec<String>)> = lost
        .iter()
        .filter(|(r, _)| r.run.config.pool.load_balancing == LoadBalancing::Dns)
        .filter_map(|(r, _)| {
            let mut total = 0.0;
            let mut names = Vec::new();
            for f in &r.run.config.features {
                if f.transport != Transport::Https {
                    continue;
                }
                let failed = failed_mean(d, r.run.index, &f.name);
                if num(failed) != num(0.0) {
                    total += failed;
                    names.push(display_name(&f.name));
                }
            }
            (total > 0.0).then_some((*r, total, names))
        })
        .collect();
    let web_only = hardware.is_empty()
        && !web.is_empty()
        && web
            .iter()
            .all(|(r, w, _)| num(*w) == num(failed_mean(d, r.run.index, "all")));
    if !hardware.is_empty() {
        let _ = write!(
            s,
            " The hardware load balancer keeps sending new sessions to a member until its \
             health monitor notices the server is down (`detect_delay`, now {}): take the \
             member out on the load balancer (disable it, or force it offline) before \
             restarting the server, or lower `detect_delay`.",
            delays(&hardware)
        );
    }
    if !web.is_empty() {
        let names = dedup(web.iter().flat_map(|(_, _, n)| n.iter().cloned()));
        let amounts: Vec<(String, String)> = web
            .iter()
            .map(|(r, w, _)| (run_name(r), format!("{} per night", num(*w))))
            .collect();
        let runs: Vec<&RunResult> = web.iter().map(|(r, _, _)| *r).collect();
        let _ = write!(
            s,
            " {} came through the hardware load balancer that carries the web services \
             ({}: HTTPS, whatever the SIP load balancing), which keeps sending to a member \
             until it notices the server is down (`detect_delay`, now {}): take the member out \
             on the load balancer (disable it, or force it offline) before restarting the \
             server; pausing its services does not reach that path.",
            if web_only {
                "They".to_string()
            } else {
                format!("Of these, {}", run_list(&amounts))
            },
            and_list(&names),
            delays(&runs)
        );
    }
    let stuck = lost.iter().any(|(r, _)| {
        r.run.config.pool.load_balancing == LoadBalancing::Dns
            && r.run.config.pool.dns.failover_clients < 1.0
    });
    if stuck {
        s.push_str(
            " Under DNS load balancing, failed sessions also include those of clients that do \
             not try the next address (`failover_clients`) and met a paused or down server \
             first.",
        );
    }
    if hardware.is_empty() && !web_only && !stuck {
        s.push_str(" Pause servers and let them drain before taking them down.");
    }
    Some(s)
}

/// Mean sessions failed per night in `run` for `feature` (or `all`); 0 when not reported.
fn failed_mean(d: &ReportData<'_>, run: usize, feature: &str) -> f64 {
    d.rows
        .iter()
        .find(|x| x.run == run && x.feature == feature)
        .and_then(|x| x.measure("failed"))
        .map_or(0.0, |e| e.mean)
}

/// Sessions refused for lack of capacity.
fn sessions_blocked(runs: &[(&RunResult, &SummaryRow)]) -> Option<String> {
    let blocked: Vec<(&RunResult, f64)> = runs
        .iter()
        .filter_map(|(r, row)| row.measure("blocked").map(|e| (*r, e.mean)))
        .filter(|(_, m)| *m > 0.0)
        .collect();
    if !blocked.is_empty() {
        let items: Vec<(String, String)> = blocked
            .iter()
            .map(|(r, m)| (run_name(r), format!("{} per night", num(*m))))
            .collect();
        return Some(format!(
            "**Sessions blocked: no server could take them**: {}. They are not in the \
             sessions cut. Add capacity, or patch fewer servers at once.",
            run_list(&items)
        ));
    }
    None
}

/// The distinct values of `it`, in first-seen order.
fn dedup(it: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for x in it {
        if !v.contains(&x) {
            v.push(x);
        }
    }
    v
}

/// The failure reason most replications of `runs` give (ties: the first seen), how many give
/// it and how many failed.
fn commonest_failure<'r>(
    runs: impl Iterator<Item = &'r RunResult>,
) -> Option<(String, usize, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for r in runs {
        for rep in r.replications.iter() {
            if let Some(reason) = &rep.metrics.plan_failure {
                match counts.iter_mut().find(|(x, _)| x == reason) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((reason.clone(), 1)),
                }
            }
        }
    }
    let total = counts.iter().map(|x| x.1).sum();
    counts
        .into_iter()
        .reduce(|a, b| if b.1 > a.1 { b } else { a })
        .map(|(r, n)| (r, n, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_lists_name_a_few_and_count_the_rest() {
        let items: Vec<(String, String)> = (0..6)
            .map(|i| (format!("run {i}"), format!("{i} %")))
            .collect();
        assert_eq!(run_list(&items[..1]), "0 % in run 0");
        assert_eq!(
            run_list(&items),
            "0 % in run 0, 1 % in run 1, 2 % in run 2, 3 % in run 3 and 2 more runs"
        );
    }
}
