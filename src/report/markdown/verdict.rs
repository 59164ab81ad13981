//! "Verdict": what the plan cut, in plain words, per DNS/hardware pair or per run (with its
//! maintenance window on the clock, and which `start` time cuts the fewest, when the scenario
//! uses time of day). Every number is a summary row's number written with two decimals, as in
//! the tables.

use std::fmt::Write as _;

use super::clock::{pair_window_sentence, when_to_patch, window_sentence};
use super::many::verdict_many;
use super::warnings::warnings;
use super::words::{
    and_list, ci, context_text, display_name, drained_words, human, lb_word, num, restart_phrase,
};
use crate::report::ReportData;
use crate::runner::RunResult;
use crate::stats::Estimate;
use crate::summary::{Comparison, SummaryRow};

/// Writes the section: a sentence or two per pair and per run without a partner, or, for a
/// sweep with many runs, a count, the most telling case and a table.
pub(super) fn verdict(o: &mut String, d: &ReportData<'_>) {
    let _ = writeln!(o, "\n## Verdict\n");
    warnings(o, d);
    let pairs: Vec<&Comparison> = d
        .comparisons
        .iter()
        .filter(|c| c.feature == "all")
        .collect();
    let singles: Vec<&RunResult> = d
        .results
        .iter()
        .filter(|r| {
            !pairs
                .iter()
                .any(|c| c.dns_run == r.run.index || c.hardware_run == r.run.index)
        })
        .collect();
    if pairs.len() + singles.len() > 4 {
        verdict_many(o, d, &pairs, &singles);
    } else {
        for c in &pairs {
            if let Some(v) = verdict_pair(d, c) {
                let _ = writeln!(o, "- {v}");
            }
        }
        for r in &singles {
            if let Some(v) = verdict_single(d, r) {
                let _ = writeln!(o, "- {v}");
            }
        }
    }
    when_to_patch(o, d);
}

// ------------------------------------------------------------------------------------------
// Looking up the numbers the verdict quotes.

fn summary_row<'r>(d: &'r ReportData<'_>, run: usize, feature: &str) -> Option<&'r SummaryRow> {
    d.rows.iter().find(|r| r.run == run && r.feature == feature)
}

/// Mean sessions cut in `run` for `feature` (or `all`).
pub(super) fn cut(d: &ReportData<'_>, run: usize, feature: &str) -> Option<Estimate> {
    summary_row(d, run, feature)
        .and_then(|r| r.measure("cut"))
        .copied()
}

fn result<'r>(d: &ReportData<'r>, run: usize) -> Option<&'r RunResult> {
    d.results.iter().find(|r| r.run.index == run)
}

/// Features of a run with their mean cut, largest first (ties in scenario order).
fn cut_by_feature(d: &ReportData<'_>, run: usize, only_dns_dependent: bool) -> Vec<(String, f64)> {
    let Some(r) = result(d, run) else {
        return Vec::new();
    };
    let mut v: Vec<(String, f64)> = r
        .run
        .config
        .features
        .iter()
        .filter(|f| !only_dns_dependent || f.needs_dns_lb)
        .filter_map(|f| cut(d, run, &f.name).map(|e| (f.name.clone(), e.mean)))
        .collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    v
}

/// The few features that make up at least 80 % of `v`'s total (at most three).
fn dominant(v: &[(String, f64)]) -> Vec<(String, f64)> {
    let total: f64 = v.iter().map(|x| x.1).sum();
    let mut out = Vec::new();
    let mut acc = 0.0;
    for x in v.iter().filter(|x| num(x.1) != num(0.0)) {
        if out.len() == 3 || acc >= 0.8 * total {
            break;
        }
        acc += x.1;
        out.push(x.clone());
    }
    out
}

/// "Response Group (3.00), Call Park (1.33)": the features that cut most of a run's sessions.
pub(super) fn dominant_names(d: &ReportData<'_>, run: usize) -> Vec<String> {
    dominant(&cut_by_feature(d, run, false))
        .iter()
        .map(|(n, m)| format!("{} ({})", display_name(n), num(*m)))
        .collect()
}

/// The fraction of a run's pauses that drained and their median drain time, s.
pub(super) fn drain_phrase(d: &ReportData<'_>, run: usize) -> Option<(f64, f64)> {
    let ds = summary_row(d, run, "all")?.drain.as_ref()?;
    ds.drained_fraction
        .is_finite()
        .then_some((ds.drained_fraction, ds.p50_s))
}

// ------------------------------------------------------------------------------------------
// A DNS/hardware pair.

/// The verdict on one DNS/hardware pair.
pub(super) fn verdict_pair(d: &ReportData<'_>, c: &Comparison) -> Option<String> {
    let hw = cut(d, c.hardware_run, "all")?;
    let dns = cut(d, c.dns_run, "all")?;
    let hw_phrase = result(d, c.hardware_run).and_then(restart_phrase);
    let dns_phrase = result(d, c.dns_run).and_then(restart_phrase);
    let subject = hw_phrase.clone().unwrap_or_else(|| "the plan".into());
    let mut o = format!(
        "With **hardware** load balancing{}, {subject} cuts **{}** sessions per replication {}",
        context_text(&c.labels),
        num(hw.mean),
        ci(&hw)
    );
    o.push_str(&dns_dependent_clause(d, c.hardware_run));
    o.push_str("; with **DNS** load balancing");
    if dns_phrase.is_some() && dns_phrase != hw_phrase {
        let _ = write!(o, ", {}, it cuts", dns_phrase.unwrap_or_default());
    }
    let _ = write!(o, " **{}** {}.", num(dns.mean), ci(&dns));
    o.push_str(&difference_sentence(&c.diff));
    let dns_top = dominant_names(d, c.dns_run);
    if !dns_top.is_empty() {
        let _ = write!(
            o,
            " What DNS load balancing still cuts is mostly {}: sessions still running when the server went down.",
            and_list(&dns_top)
        );
    }
    o.push_str(&pair_drain_sentence(d, c, hw_phrase.is_some()));
    o.push_str(&pair_window_sentence(
        d,
        result(d, c.dns_run),
        result(d, c.hardware_run),
    ));
    Some(o)
}

/// ", **2.00** of them Response Group sessions (…)": how much of the hardware run's cut falls
/// on the features that need DNS load balancing to drain.
fn dns_dependent_clause(d: &ReportData<'_>, hardware_run: usize) -> String {
    let ucas = cut_by_feature(d, hardware_run, true);
    if ucas.is_empty() {
        return String::new();
    }
    let top = dominant(&ucas);
    if top.is_empty() {
        return ", none of them in the features that need DNS load balancing to drain".into();
    }
    let ucas_total: f64 = ucas.iter().map(|x| x.1).sum();
    let part: f64 = top.iter().map(|x| x.1).sum();
    let names: Vec<String> = top.iter().map(|x| display_name(&x.0)).collect();
    let mut o = format!(", **{}** of them {} sessions", num(part), and_list(&names));
    if num(part) != num(ucas_total) {
        let _ = write!(
            o,
            " ({} in all features that need DNS load balancing to drain)",
            num(ucas_total)
        );
    }
    o
}

/// What the paired difference hardware − DNS says, when it has an interval.
fn difference_sentence(diff: &Estimate) -> String {
    if !(diff.low.is_finite() && diff.high.is_finite()) {
        String::new()
    } else if diff.low > 0.0 {
        format!(
            " Paired on the same sessions, hardware load balancing cuts {} more per replication {}.",
            num(diff.mean),
            ci(diff)
        )
    } else if diff.high < 0.0 {
        format!(
            " Paired on the same sessions, hardware load balancing cuts {} fewer per replication {}.",
            num(-diff.mean),
            ci(&Estimate {
                low: -diff.high,
                high: -diff.low,
                ..*diff
            })
        )
    } else {
        format!(
            " The paired difference (hardware − DNS), {} {}, is not significant: here the \
             load balancing makes no measurable difference.",
            num(diff.mean),
            ci(diff)
        )
    }
}

/// " The paused server had fully drained … in 40 % of pauses with DNS load balancing …".
fn pair_drain_sentence(d: &ReportData<'_>, c: &Comparison, restarted: bool) -> String {
    let (Some((fd, md)), Some((fh, mh))) =
        (drain_phrase(d, c.dns_run), drain_phrase(d, c.hardware_run))
    else {
        return String::new();
    };
    let median = |f: f64, m: f64| {
        if f > 0.0 && m.is_finite() {
            format!(", median {}", human(m))
        } else {
            String::new()
        }
    };
    format!(
        " {} in {:.0} % of pauses with DNS load balancing{} and in {:.0} % with hardware{}.",
        drained_words(result(d, c.hardware_run), restarted),
        fd * 100.0,
        median(fd, md),
        fh * 100.0,
        median(fh, mh)
    )
}

// ------------------------------------------------------------------------------------------
// A run without a partner.

/// The verdict on a run without a DNS/hardware partner.
pub(super) fn verdict_single(d: &ReportData<'_>, r: &RunResult) -> Option<String> {
    let e = cut(d, r.run.index, "all")?;
    let lb = r.run.config.pool.load_balancing;
    let labels: Vec<(String, String)> = r
        .run
        .labels
        .iter()
        .filter(|(k, _)| k != "load_balancing")
        .cloned()
        .collect();
    let subject = restart_phrase(r).unwrap_or_else(|| "the plan".into());
    let mut o = format!(
        "With **{}** load balancing{}, {subject} cuts **{}** sessions per replication {}",
        lb_word(lb),
        context_text(&labels),
        num(e.mean),
        ci(&e)
    );
    let top = dominant_names(d, r.run.index);
    if !top.is_empty() {
        let _ = write!(o, ", mostly {}", and_list(&top));
    }
    o.push('.');
    if let Some((f, m)) = drain_phrase(d, r.run.index) {
        let _ = write!(
            o,
            " {} in {:.0} % of pauses",
            drained_words(Some(r), restart_phrase(r).is_some()),
            f * 100.0
        );
        if f > 0.0 && m.is_finite() {
            let _ = write!(o, " (median {})", human(m));
        }
        o.push('.');
    }
    o.push_str(&window_sentence(d, r));
    Some(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dominant_features_cover_most_of_the_total() {
        let v = vec![
            ("rg".to_string(), 10.0),
            ("cp".into(), 2.0),
            ("ann".into(), 0.5),
            ("x".into(), 0.0),
        ];
        let names: Vec<String> = dominant(&v).into_iter().map(|x| x.0).collect();
        assert_eq!(names, vec!["rg"]);
        let v = vec![
            ("rg".to_string(), 5.0),
            ("cp".into(), 4.0),
            ("ann".into(), 1.0),
        ];
        let names: Vec<String> = dominant(&v).into_iter().map(|x| x.0).collect();
        assert_eq!(names, vec!["rg", "cp"]);
        assert!(dominant(&[("a".to_string(), 0.0)]).is_empty());
    }
}
