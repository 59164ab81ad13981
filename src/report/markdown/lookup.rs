//! Looking up the numbers the verdict quotes: a run's summary rows, its cut per feature, the
//! features that cut most, its drains. Used by every part of the verdict; uses none of them.

use super::words::{display_name, num};
use crate::report::ReportData;
use crate::runner::RunResult;
use crate::stats::Estimate;
use crate::summary::SummaryRow;

pub(super) fn summary_row<'r>(
    d: &'r ReportData<'_>,
    run: usize,
    feature: &str,
) -> Option<&'r SummaryRow> {
    d.rows.iter().find(|r| r.run == run && r.feature == feature)
}

/// Mean sessions cut in `run` for `feature` (or `all`).
pub(super) fn cut(d: &ReportData<'_>, run: usize, feature: &str) -> Option<Estimate> {
    summary_row(d, run, feature)
        .and_then(|r| r.measure("cut"))
        .copied()
}

pub(super) fn result<'r>(d: &ReportData<'r>, run: usize) -> Option<&'r RunResult> {
    d.results.iter().find(|r| r.run.index == run)
}

/// Features of a run with their mean cut, largest first (ties in scenario order).
pub(super) fn cut_by_feature(
    d: &ReportData<'_>,
    run: usize,
    only_dns_dependent: bool,
) -> Vec<(String, f64)> {
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
pub(super) fn dominant(v: &[(String, f64)]) -> Vec<(String, f64)> {
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
