//! The verdict's sentence on one DNS/hardware pair, or on one run without a partner: what it
//! cuts, what the load balancing changes, how often the paused server drained, and when.

use std::fmt::Write as _;

use super::clock::{pair_window_sentence, window_sentence};
use super::lookup::{cut, cut_by_feature, dominant, dominant_names, drain_phrase, result};
use super::words::{
    and_list, ci, context_text, display_name, drained_words, human, lb_word, num, restart_phrase,
};
use crate::report::ReportData;
use crate::runner::RunResult;
use crate::stats::Estimate;
use crate::summary::Comparison;

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
        "With **hardware** load balancing{}, {subject} cuts **{}** sessions per night {}",
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
            " Paired on the same sessions, hardware load balancing cuts {} more per night {}.",
            num(diff.mean),
            ci(diff)
        )
    } else if diff.high < 0.0 {
        format!(
            " Paired on the same sessions, hardware load balancing cuts {} fewer per night {}.",
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
        "With **{}** load balancing{}, {subject} cuts **{}** sessions per night {}",
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
