//! "Which configurations drain safely": with a `case` axis, one row per configuration and one
//! column per feature that needs DNS load balancing to drain, each cell the sessions that
//! feature loses (cut, failed or blocked) beyond the reference DNS case on the same sessions,
//! paired night by night, with its 95 % interval and a verdict.

use std::fmt::Write as _;

use super::super::{ReportData, mean_ci};
use super::words::num;
use crate::model::FeatureCounts;
use crate::runner::RunResult;
use crate::stats::Estimate;
use crate::summary::{case_of, case_reference};

/// A configuration drains a feature safely when, with 95 % confidence, it loses fewer than
/// this many more sessions of the feature per night than the reference (one session in
/// ten nights).
pub const SAFE_MARGIN: f64 = 0.1;

/// Sessions of a feature that did not get through or were cut: what its users notice.
fn lost(c: &FeatureCounts) -> f64 {
    (c.cut() + c.failed + c.blocked) as f64
}

/// The verdict of one paired difference. An interval wholly above zero loses sessions, however
/// narrow and low it is: it is never "safe", even below [`SAFE_MARGIN`].
fn verdict(d: &Estimate) -> &'static str {
    if d.n < 2 || !(d.low.is_finite() && d.high.is_finite()) {
        "not decided"
    } else if d.low > 0.0 {
        "loses sessions"
    } else if d.high < SAFE_MARGIN {
        "drains safely"
    } else {
        "not decided"
    }
}

/// Per replication, what run `r` loses of feature `name` minus what `reference` loses.
fn paired(reference: &RunResult, r: &RunResult, name: &str) -> Option<Estimate> {
    let fr = reference
        .run
        .config
        .features
        .iter()
        .position(|f| f.name == name)?;
    let fc = r.run.config.features.iter().position(|f| f.name == name)?;
    let diffs = || {
        (r.replications.iter())
            .zip(reference.replications.iter())
            .map(|(c, x)| lost(&c.metrics.features[fc]) - lost(&x.metrics.features[fr]))
    };
    Some(crate::stats::estimate_iter(diffs))
}

/// Mean per replication of `what` over the features that need DNS load balancing.
fn ucas_mean(r: &RunResult, what: impl Fn(&FeatureCounts) -> u64) -> f64 {
    let n = r.replications.len().max(1) as f64;
    let total: u64 = r
        .replications
        .iter()
        .map(|o| {
            (o.metrics.features.iter())
                .zip(&r.run.config.features)
                .filter(|(_, f)| f.needs_dns_lb)
                .map(|(c, _)| what(c))
                .sum::<u64>()
        })
        .sum();
    total as f64 / n
}

/// The section, when the sweep has a `case` axis and a DNS case to compare with.
pub(super) fn cases_section(o: &mut String, d: &ReportData<'_>) {
    let cases: Vec<&RunResult> = d.results.iter().filter(|r| case_of(r).is_some()).collect();
    let Some(first) = cases.first() else {
        return;
    };
    let Some(reference) = case_reference(d.results, first) else {
        return;
    };
    let ucas: Vec<&str> = (reference.run.config.features.iter())
        .filter(|f| f.needs_dns_lb)
        .map(|f| f.name.as_str())
        .collect();
    if ucas.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n## Which configurations drain safely\n");
    let _ = writeln!(
        o,
        "Sessions lost (cut, failed or blocked) per night beyond the reference case \
         **{}**, on the same sessions, paired night by night: mean (95 % CI). A \
         configuration *loses sessions* of a feature when the interval lies wholly above zero; \
         otherwise it *drains safely* when the interval lies below {} (at most one more lost \
         session in ten nights), and is *not decided* when it reaches higher.\n",
        case_of(reference).unwrap_or("dns"),
        num(SAFE_MARGIN)
    );
    let _ = write!(o, "| configuration |");
    for f in &ucas {
        let _ = write!(o, " {f} |");
    }
    let _ = writeln!(o, " landed on the paused server | failed |");
    let _ = write!(o, "|---|");
    for _ in &ucas {
        let _ = write!(o, "---|");
    }
    let _ = writeln!(o, "---:|---:|");
    for r in &cases {
        let _ = write!(o, "| {} |", case_of(r).unwrap_or(""));
        for f in &ucas {
            let cell = if std::ptr::eq(*r, reference) {
                "reference".to_string()
            } else {
                match paired(reference, r, f) {
                    Some(e) => format!("{}: {}", verdict(&e), mean_ci(&e)),
                    None => "—".to_string(),
                }
            };
            let _ = write!(o, " {cell} |");
        }
        let _ = writeln!(
            o,
            " {} | {} |",
            num(ucas_mean(r, |c| c.landed_on_paused)),
            num(ucas_mean(r, |c| c.failed))
        );
    }
    let _ = writeln!(
        o,
        "\nThe last two columns are means per night over these features: sessions a \
         hardware load balancer sent to the paused server that stayed there, and sessions \
         that failed (sent to a server that was down, or a client that does not try the next \
         address meeting a refusal).\n"
    );
    answer(o, &cases, reference, &ucas);
}

/// One line per configuration: safe for every feature, or which features it loses.
fn answer(o: &mut String, cases: &[&RunResult], reference: &RunResult, ucas: &[&str]) {
    let _ = writeln!(o, "In short:\n");
    for r in cases {
        if std::ptr::eq(*r, reference) {
            continue;
        }
        let mut unsafe_: Vec<String> = Vec::new();
        let mut open: Vec<&str> = Vec::new();
        for f in ucas {
            if let Some(e) = paired(reference, r, f) {
                match verdict(&e) {
                    "drains safely" => {}
                    "loses sessions" => unsafe_.push(format!("{f} (+{})", num(e.mean))),
                    _ => open.push(f),
                }
            }
        }
        let name = case_of(r).unwrap_or("");
        let line = match (unsafe_.is_empty(), open.is_empty()) {
            (true, true) => format!("- **{name}**: drains every one of them as safely as DNS."),
            (false, _) => format!(
                "- **{name}**: **not safe**: loses {} more per night than DNS{}.",
                unsafe_.join(", "),
                if open.is_empty() {
                    String::new()
                } else {
                    format!("; not decided for {}", open.join(", "))
                }
            ),
            (true, false) => format!(
                "- **{name}**: not decided for {} (simulate more nights: `--replications`); safe for the others.",
                open.join(", ")
            ),
        };
        let _ = writeln!(o, "{line}");
    }
    let _ = writeln!(o);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(mean: f64, low: f64, high: f64) -> Estimate {
        Estimate {
            mean,
            low,
            high,
            n: 200,
            sd: 1.0,
        }
    }

    #[test]
    fn an_interval_wholly_above_zero_is_never_safe() {
        // The port monitor's Response Group loss: 0.06 (0.02–0.10), below the margin.
        assert_eq!(verdict(&e(0.06, 0.02, 0.0999)), "loses sessions");
        assert_eq!(verdict(&e(0.01, 0.001, 0.02)), "loses sessions");
        assert_eq!(verdict(&e(0.0, 0.0, 0.0)), "drains safely");
        assert_eq!(verdict(&e(0.02, -0.03, 0.07)), "drains safely");
        assert_eq!(verdict(&e(0.1, -0.05, 0.25)), "not decided");
        assert_eq!(verdict(&e(-1.0, -2.0, -0.5)), "drains safely");
    }
}
