//! Aggregates replications into the rows of `summary.csv` and `compare.csv`, and defines the
//! numeric columns of `summary.csv` once ([`columns`]): the CSV writer, `[[expect]]` bounds and
//! [`SummaryRow::column`] all read them from that table.

use std::sync::OnceLock;

use crate::model::trace::TraceMode;
use crate::model::{DrainEnd, FeatureCounts};
use crate::runner::RunResult;
use crate::stats::{
    DRAIN_COLUMNS, Estimate, MAINTENANCE_COLUMNS, MEASURES, SETUP_DELAY_COLUMNS, STATS, TwoPass,
    quantile, t95,
};

/// Drain statistics of one run (all servers, all replications).
#[derive(Debug, Clone, PartialEq)]
pub struct DrainStats {
    /// Drains that began (pauses).
    pub drains: usize,
    /// Fraction that drained completely before a restart, stop, resume or the horizon.
    pub drained_fraction: f64,
    /// Mean drain time of the completed drains, s.
    pub mean_s: f64,
    /// Median, s.
    pub p50_s: f64,
    /// 95th percentile, s.
    pub p95_s: f64,
    /// 99th percentile, s.
    pub p99_s: f64,
    /// Longest, s.
    pub max_s: f64,
}

/// Maintenance-window statistics of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct MaintenanceStats {
    /// Mean plan duration (first step to last) over the replications where it finished, s.
    pub mean_s: f64,
    /// Median, s.
    pub p50_s: f64,
    /// 95th percentile, s.
    pub p95_s: f64,
    /// Fraction of replications whose plan finished before the horizon.
    pub finished_fraction: f64,
    /// Fraction of replications whose plan failed (readiness, failover timeout).
    pub failed_fraction: f64,
    /// Mean over replications of the most concurrent sessions on any server during maintenance.
    pub peak_mean: f64,
    /// The most concurrent sessions on any server in any replication.
    pub peak_max: f64,
    /// Mean over replications of the longest time any server spent at or above the
    /// utilisation threshold during maintenance, s.
    pub above_threshold_mean_s: f64,
}

/// One row of `summary.csv`.
#[derive(Debug, Clone)]
pub struct SummaryRow {
    /// Run index.
    pub run: usize,
    /// Axis columns.
    pub labels: Vec<(String, String)>,
    /// Feature name, or `all`.
    pub feature: String,
    /// Replications.
    pub replications: usize,
    /// One estimate per entry of [`MEASURES`].
    pub estimates: Vec<Estimate>,
    /// On `all` rows: the run's drain statistics.
    pub drain: Option<DrainStats>,
    /// On `all` rows: the run's maintenance and capacity statistics.
    pub maintenance: Option<MaintenanceStats>,
    /// Setup delay p50, p95, p99 over every accepted session of the run, s.
    pub setup_delay_quantiles: [f64; 3],
}

impl SummaryRow {
    /// The estimate of measure `name`.
    pub fn measure(&self, name: &str) -> Option<&Estimate> {
        MEASURES
            .iter()
            .position(|(m, _)| *m == name)
            .map(|i| &self.estimates[i])
    }

    /// The value of a numeric summary column, e.g. `cut_mean`, `drain_time_s_p95`; `None` for
    /// an unknown name and for a drain or maintenance column on a per-feature row.
    pub fn column(&self, name: &str) -> Option<f64> {
        column(name).and_then(|c| c.value(self))
    }

    /// The value of a label column (`feature`, `run`, or an axis).
    pub fn label(&self, name: &str) -> Option<String> {
        match name {
            "feature" => Some(self.feature.clone()),
            "run" => Some(self.run.to_string()),
            _ => self
                .labels
                .iter()
                .find(|(c, _)| c == name)
                .map(|(_, v)| v.clone()),
        }
    }
}

/// How a numeric column of `summary.csv` is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A whole number, without decimals (`replications`, `drains`).
    Count,
    /// A fixed number of decimals.
    Decimals(usize),
}

/// The family a numeric column belongs to, which also says on which rows it has a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnGroup {
    /// `replications`, on every row.
    Replications,
    /// `<measure>_<stat>` for every entry of [`MEASURES`], on every row.
    Measure,
    /// Setup-delay quantiles over every accepted session of the run, on every row.
    SetupDelay,
    /// The run's drain statistics, on `feature = "all"` rows only.
    Drain,
    /// The run's maintenance and capacity statistics, on `feature = "all"` rows only.
    Maintenance,
}

/// Reads one statistic off a row's estimate, drain or maintenance statistics.
type Read<T> = fn(&T) -> f64;

/// Where a column's value is read from.
#[derive(Clone, Copy)]
enum Source {
    Replications,
    Measure {
        measure: usize,
        stat: Read<Estimate>,
    },
    SetupDelay(usize),
    Drain(Read<DrainStats>),
    Maintenance(Read<MaintenanceStats>),
}

/// One numeric column of `summary.csv`: its name, where its value comes from and how it is
/// written. [`columns`] lists them all; the CSV writer, `[[expect]]` bounds and
/// [`SummaryRow::column`] read them from there.
#[derive(Clone)]
pub struct Column {
    name: String,
    source: Source,
    format: Format,
}

impl std::fmt::Debug for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Column")
            .field("name", &self.name)
            .field("group", &self.group())
            .field("format", &self.format)
            .finish()
    }
}

impl Column {
    /// The column's name in the CSV header, e.g. `cut_ci95_high`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How the CSV writer writes its values.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Its family.
    pub fn group(&self) -> ColumnGroup {
        match self.source {
            Source::Replications => ColumnGroup::Replications,
            Source::Measure { .. } => ColumnGroup::Measure,
            Source::SetupDelay(_) => ColumnGroup::SetupDelay,
            Source::Drain(_) => ColumnGroup::Drain,
            Source::Maintenance(_) => ColumnGroup::Maintenance,
        }
    }

    /// Its value on `row`; `None` (an empty cell) where the row has no such statistics.
    pub fn value(&self, row: &SummaryRow) -> Option<f64> {
        match self.source {
            Source::Replications => Some(row.replications as f64),
            Source::Measure { measure, stat } => Some(stat(&row.estimates[measure])),
            Source::SetupDelay(q) => Some(row.setup_delay_quantiles[q]),
            Source::Drain(get) => row.drain.as_ref().map(get),
            Source::Maintenance(get) => row.maintenance.as_ref().map(get),
        }
    }
}

// The columns' names are `stats`' (one list, which `[[expect]]` validation also reads); each
// reader below is for the name at its position there.

/// Readers of [`STATS`]: `<measure>_<stat>` columns.
const ESTIMATE_STATS: [Read<Estimate>; 4] = [|e| e.mean, |e| e.sd, |e| e.low, |e| e.high];

/// Readers of [`DRAIN_COLUMNS`].
const DRAIN_READERS: [(Format, Read<DrainStats>); 7] = [
    (Format::Count, |d| d.drains as f64),
    (Format::Decimals(3), |d| d.drained_fraction),
    (Format::Decimals(3), |d| d.mean_s),
    (Format::Decimals(3), |d| d.p50_s),
    (Format::Decimals(3), |d| d.p95_s),
    (Format::Decimals(3), |d| d.p99_s),
    (Format::Decimals(3), |d| d.max_s),
];

/// Readers of [`MAINTENANCE_COLUMNS`], written after the drain columns.
const MAINTENANCE_READERS: [Read<MaintenanceStats>; 8] = [
    |m| m.mean_s,
    |m| m.p50_s,
    |m| m.p95_s,
    |m| m.finished_fraction,
    |m| m.failed_fraction,
    |m| m.peak_mean,
    |m| m.peak_max,
    |m| m.above_threshold_mean_s,
];

/// Every numeric column of `summary.csv`, in file order: the one definition of that vocabulary.
pub fn columns() -> &'static [Column] {
    static COLUMNS: OnceLock<Vec<Column>> = OnceLock::new();
    COLUMNS.get_or_init(|| {
        let column = |name: String, source, format| Column {
            name,
            source,
            format,
        };
        let mut out = vec![column(
            "replications".into(),
            Source::Replications,
            Format::Count,
        )];
        for (measure, (m, _)) in MEASURES.iter().enumerate() {
            for (s, stat) in STATS.into_iter().zip(ESTIMATE_STATS) {
                let source = Source::Measure { measure, stat };
                out.push(column(format!("{m}_{s}"), source, Format::Decimals(4)));
            }
        }
        for (q, name) in SETUP_DELAY_COLUMNS.into_iter().enumerate() {
            out.push(column(
                name.into(),
                Source::SetupDelay(q),
                Format::Decimals(3),
            ));
        }
        for (name, (format, get)) in DRAIN_COLUMNS.into_iter().zip(DRAIN_READERS) {
            out.push(column(name.into(), Source::Drain(get), format));
        }
        for (name, get) in MAINTENANCE_COLUMNS.into_iter().zip(MAINTENANCE_READERS) {
            out.push(column(
                name.into(),
                Source::Maintenance(get),
                Format::Decimals(3),
            ));
        }
        out
    })
}

/// The numeric column called `name`, if there is one.
pub fn column(name: &str) -> Option<&'static Column> {
    columns().iter().find(|c| c.name == name)
}

/// Every column of `summary.csv` in file order, given the scenario's axis columns: `run`, the
/// axes, `feature`, then the numeric [`columns`].
pub fn column_names(axes: &[String]) -> Vec<String> {
    let mut names = vec!["run".to_string()];
    names.extend(axes.iter().cloned());
    names.push("feature".into());
    names.extend(columns().iter().map(|c| c.name.clone()));
    names
}

/// The two-pass summary of `k` samples of run `r`: paired ([`TwoPass::paired`]) when it
/// bootstraps a trace, so that its intervals are for the process behind the recorded night.
fn two_pass_for(r: &RunResult, k: usize) -> TwoPass {
    let bootstrap = (r.run.config.trace.as_ref()).is_some_and(|t| t.mode == TraceMode::Bootstrap);
    if bootstrap {
        TwoPass::paired(k)
    } else {
        TwoPass::new(k)
    }
}

/// The rows of run `r`, one per feature then `all`, without their drain and maintenance
/// statistics: every measure of every row from two passes over the replications.
fn rows_for(r: &RunResult) -> Vec<SummaryRow> {
    let nf = r.run.config.features.len();
    let nm = MEASURES.len();
    // Sample (feature or `all` = nf) × measure.
    let mut two = two_pass_for(r, (nf + 1) * nm);
    let mut pooled = vec![FeatureCounts::default(); nf + 1];
    let mut n = 0usize;
    let each = |two: &mut TwoPass, m: &crate::model::ReplicationMetrics, first: bool| {
        let total = m.total();
        for (f, c) in m.features.iter().chain(std::iter::once(&total)).enumerate() {
            for (j, (_, get)) in MEASURES.iter().enumerate() {
                if first {
                    two.first(f * nm + j, get(c));
                } else {
                    two.second(f * nm + j, get(c));
                }
            }
        }
        total
    };
    for rep in r.replications.iter() {
        two.replication(rep.replication);
        let total = each(&mut two, &rep.metrics, true);
        for (f, c) in rep.metrics.features.iter().enumerate() {
            pooled[f].add(c);
        }
        pooled[nf].add(&total);
        n += 1;
    }
    two.end_first();
    for rep in r.replications.iter() {
        two.replication(rep.replication);
        each(&mut two, &rep.metrics, false);
    }
    let names = r.run.config.features.iter().map(|f| f.name.clone());
    names
        .chain(std::iter::once("all".to_string()))
        .enumerate()
        .map(|(f, feature)| SummaryRow {
            run: r.run.index,
            labels: r.run.labels.clone(),
            feature,
            replications: n,
            // Every measure is a count or a duration: an interval end below zero says
            // nothing more than zero, so the reported interval is clipped there. An absent
            // interval (NaN: too few replications, or pairs for a bootstrap) stays absent
            // (`f64::max` would make its lower end 0).
            estimates: (0..nm)
                .map(|j| {
                    let mut e = two.estimate(f * nm + j);
                    if !e.low.is_nan() {
                        e.low = e.low.max(0.0);
                    }
                    e
                })
                .collect(),
            drain: None,
            maintenance: None,
            setup_delay_quantiles: [0.5, 0.95, 0.99].map(|q| pooled[f].setup_delay_quantile_s(q)),
        })
        .collect()
}

/// Maintenance statistics of a run.
pub fn maintenance_stats(r: &RunResult) -> MaintenanceStats {
    let n = r.replications.len().max(1) as f64;
    // The plan durations are kept (one number per replication) for their exact quantiles;
    // the other statistics are sums and maxima in replication order.
    let mut durations: Vec<f64> = Vec::new();
    let mut failed = 0usize;
    let (mut peaks, mut peak_sum, mut peak_max) = (0usize, -0.0, f64::NAN);
    let mut above_sum = -0.0;
    for o in r.replications.iter() {
        let m = &o.metrics;
        if let (Some(s), Some(e)) = (m.plan_started, m.plan_ended) {
            durations.push(e.since(s).as_secs_f64());
        }
        failed += usize::from(m.plan_failure.is_some());
        let peak = m.peak_active.iter().copied().max().unwrap_or(0) as f64;
        peaks += 1;
        peak_sum += peak;
        peak_max = f64::max(peak_max, peak);
        above_sum += (m.above_threshold.iter())
            .map(|t| t.as_secs_f64())
            .fold(0.0, f64::max);
    }
    durations.sort_by(f64::total_cmp);
    let mean = |sum: f64, k: usize| if k == 0 { f64::NAN } else { sum / k as f64 };
    MaintenanceStats {
        mean_s: mean(durations.iter().sum::<f64>(), durations.len()),
        p50_s: quantile(&durations, 0.5),
        p95_s: quantile(&durations, 0.95),
        finished_fraction: durations.len() as f64 / n,
        failed_fraction: failed as f64 / n,
        peak_mean: mean(peak_sum, peaks),
        peak_max,
        above_threshold_mean_s: mean(above_sum, peaks),
    }
}

/// Drain statistics of a run.
pub fn drain_stats(r: &RunResult) -> DrainStats {
    let mut times: Vec<f64> = Vec::new();
    let mut drains = 0usize;
    for rep in r.replications.iter() {
        for d in &rep.metrics.drains {
            drains += 1;
            if d.end == DrainEnd::Drained {
                times.push(d.ended_at.since(d.paused_at).as_secs_f64());
            }
        }
    }
    times.sort_by(f64::total_cmp);
    let mean = if times.is_empty() {
        f64::NAN
    } else {
        times.iter().sum::<f64>() / times.len() as f64
    };
    DrainStats {
        drains,
        drained_fraction: if drains == 0 {
            f64::NAN
        } else {
            times.len() as f64 / drains as f64
        },
        mean_s: mean,
        p50_s: quantile(&times, 0.5),
        p95_s: quantile(&times, 0.95),
        p99_s: quantile(&times, 0.99),
        max_s: times.last().copied().unwrap_or(f64::NAN),
    }
}

/// The rows of `summary.csv`: per run, one per feature then `all`.
pub fn summarize(results: &[RunResult]) -> Vec<SummaryRow> {
    let mut rows = Vec::new();
    for r in results {
        let mut run_rows = rows_for(r);
        if let Some(all) = run_rows.last_mut() {
            all.drain = Some(drain_stats(r));
            all.maintenance = Some(maintenance_stats(r));
        }
        rows.extend(run_rows);
    }
    rows
}

/// A paired comparison hardware − DNS of one feature's cut sessions (common random numbers).
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Index of the DNS run.
    pub dns_run: usize,
    /// Index of the hardware run.
    pub hardware_run: usize,
    /// The other axis values the two runs share.
    pub labels: Vec<(String, String)>,
    /// Feature or `all`.
    pub feature: String,
    /// Mean cut under DNS.
    pub dns_cut_mean: f64,
    /// Mean cut under hardware.
    pub hardware_cut_mean: f64,
    /// Paired difference (per replication, hardware − DNS).
    pub diff: Estimate,
    /// Half-width of the 95 % interval had the runs been independent (Welch).
    pub unpaired_half_width: f64,
    /// Mean users cut under DNS (R21).
    pub dns_users_cut_mean: f64,
    /// Mean users cut under hardware.
    pub hardware_users_cut_mean: f64,
    /// Paired difference of users cut (per replication, hardware − DNS).
    pub users_diff: Estimate,
}

/// Pairs every DNS run with the hardware run that differs from it only in load balancing.
/// With a `case` axis, every hardware case is paired with the first DNS case that shares its
/// other axis values (the reference: same sessions, common random numbers).
pub fn compare(results: &[RunResult]) -> Vec<Comparison> {
    if results.iter().any(|r| case_of(r).is_some()) {
        return compare_cases(results);
    }
    let mut out = Vec::new();
    for d in results
        .iter()
        .filter(|r| r.run.config.pool.load_balancing == crate::model::LoadBalancing::Dns)
    {
        let key = other_labels(d);
        let Some(h) = results.iter().find(|r| {
            r.run.config.pool.load_balancing == crate::model::LoadBalancing::Hardware
                && other_labels(r) == key
        }) else {
            continue;
        };
        out.extend(compare_runs(d, h, &key));
    }
    out
}

/// A run's `case` label, if the sweep has that axis.
pub fn case_of(r: &RunResult) -> Option<&str> {
    r.run
        .labels
        .iter()
        .find(|(c, _)| c == "case")
        .map(|(_, v)| v.as_str())
}

/// The reference run of case run `r`: the first DNS case with the same other axis values.
pub fn case_reference<'a>(results: &'a [RunResult], r: &RunResult) -> Option<&'a RunResult> {
    let rest = |x: &RunResult| -> Vec<(String, String)> {
        (x.run.labels.iter())
            .filter(|(c, _)| c != "case" && c != "load_balancing")
            .cloned()
            .collect()
    };
    let key = rest(r);
    results.iter().find(|d| {
        d.run.config.pool.load_balancing == crate::model::LoadBalancing::Dns && rest(d) == key
    })
}

/// [`compare`] with a `case` axis: each hardware case against its reference DNS case.
fn compare_cases(results: &[RunResult]) -> Vec<Comparison> {
    let mut out = Vec::new();
    for h in results
        .iter()
        .filter(|r| r.run.config.pool.load_balancing == crate::model::LoadBalancing::Hardware)
    {
        let Some(d) = case_reference(results, h) else {
            continue;
        };
        let key = other_labels(h);
        out.extend(compare_runs(d, h, &key));
    }
    out
}

/// A run's axis values other than load balancing.
fn other_labels(r: &RunResult) -> Vec<(String, String)> {
    r.run
        .labels
        .iter()
        .filter(|(c, _)| c != "load_balancing")
        .cloned()
        .collect()
}

/// The features of DNS run `d` that hardware run `h` also has, as (name, index in `d`, index
/// in `h`), then `all` (no index).
fn shared_features(d: &RunResult, h: &RunResult) -> Vec<(String, Option<usize>, Option<usize>)> {
    let mut feats: Vec<(String, Option<usize>, Option<usize>)> = d
        .run
        .config
        .features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            (
                f.name.clone(),
                Some(i),
                h.run.config.features.iter().position(|g| g.name == f.name),
            )
        })
        .collect();
    feats.push(("all".into(), None, None));
    feats.retain(|(name, _, fh)| name == "all" || fh.is_some());
    feats
}

/// The comparisons of every shared feature (then `all`) between DNS run `d` and hardware run
/// `h`, over the replications both have: two passes over the pairs of replications.
fn compare_runs(d: &RunResult, h: &RunResult, key: &[(String, String)]) -> Vec<Comparison> {
    let feats = shared_features(d, h);
    // Per feature: DNS cut, hardware cut, hardware − DNS, then the same in users (R21).
    const K: usize = 6;
    let mut two = TwoPass::new(K * feats.len());
    let cut = |m: &crate::model::ReplicationMetrics, f: Option<usize>| -> (f64, f64) {
        let of = |c: &FeatureCounts| (c.cut() as f64, c.users.cut() as f64);
        match f {
            Some(i) => of(&m.features[i]),
            None => of(&m.total()),
        }
    };
    let mut n = 0usize;
    for pass in 0..2 {
        for (rd, rh) in d.replications.iter().zip(h.replications.iter()) {
            for (i, (_, fd, fh)) in feats.iter().enumerate() {
                let ((xd, ud), (xh, uh)) = (cut(&rd.metrics, *fd), cut(&rh.metrics, *fh));
                for (j, x) in [xd, xh, xh - xd, ud, uh, uh - ud].into_iter().enumerate() {
                    if pass == 0 {
                        two.first(K * i + j, x);
                    } else {
                        two.second(K * i + j, x);
                    }
                }
            }
            n += usize::from(pass == 0);
        }
        if pass == 0 {
            two.end_first();
        }
    }
    feats
        .into_iter()
        .enumerate()
        .map(|(i, (name, _, _))| {
            let (ed, eh) = (two.estimate(K * i), two.estimate(K * i + 1));
            Comparison {
                dns_run: d.run.index,
                hardware_run: h.run.index,
                labels: key.to_vec(),
                feature: name,
                dns_cut_mean: ed.mean,
                hardware_cut_mean: eh.mean,
                diff: two.estimate(K * i + 2),
                unpaired_half_width: unpaired_half_width(&ed, &eh, n),
                dns_users_cut_mean: two.estimate(K * i + 3).mean,
                hardware_users_cut_mean: two.estimate(K * i + 4).mean,
                users_diff: two.estimate(K * i + 5),
            }
        })
        .collect()
}

/// Half-width of the 95 % interval of the difference of two independent samples of size `n`
/// (Welch); NaN below two replications.
fn unpaired_half_width(ed: &Estimate, eh: &Estimate, n: usize) -> f64 {
    if n < 2 {
        return f64::NAN;
    }
    let se2 = (ed.sd * ed.sd + eh.sd * eh.sd) / n as f64;
    // Welch–Satterthwaite degrees of freedom.
    let v1 = ed.sd * ed.sd / n as f64;
    let v2 = eh.sd * eh.sd / n as f64;
    let df = if v1 + v2 > 0.0 {
        (v1 + v2).powi(2) / (v1 * v1 / (n - 1) as f64 + v2 * v2 / (n - 1) as f64)
    } else {
        (2 * n - 2) as f64
    };
    t95(df.round().max(1.0) as usize) * se2.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::is_summary_column;

    fn names() -> Vec<&'static str> {
        columns().iter().map(|c| c.name()).collect()
    }

    #[test]
    fn column_names_are_unique() {
        let mut v = names();
        v.sort_unstable();
        let n = v.len();
        v.dedup();
        assert_eq!(v.len(), n, "a summary column is defined twice");
    }

    /// `[[expect]]` validation reads the names from `stats`, the table reads them there too:
    /// the two agree by construction; this checks the table's order and the validator.
    #[test]
    fn the_validator_knows_every_column_and_no_other() {
        let mut expected = vec!["replications".to_string()];
        for (m, _) in MEASURES {
            expected.extend(STATS.iter().map(|s| format!("{m}_{s}")));
        }
        expected.extend(SETUP_DELAY_COLUMNS.iter().map(|s| s.to_string()));
        expected.extend(DRAIN_COLUMNS.iter().map(|s| s.to_string()));
        expected.extend(MAINTENANCE_COLUMNS.iter().map(|s| s.to_string()));
        assert_eq!(names(), expected);
        let mut hints = crate::stats::summary_columns();
        hints.sort();
        expected.sort();
        assert_eq!(hints, expected);
        assert!(names().into_iter().all(is_summary_column));
        assert!(!is_summary_column("cut_median"));
    }

    /// Each reader reads the statistic its name says: every field set to a distinct value.
    #[test]
    fn each_reader_reads_its_named_statistic() {
        let drain = DrainStats {
            drains: 1,
            drained_fraction: 2.0,
            mean_s: 3.0,
            p50_s: 4.0,
            p95_s: 5.0,
            p99_s: 6.0,
            max_s: 7.0,
        };
        let got: Vec<f64> = DRAIN_READERS.iter().map(|(_, r)| r(&drain)).collect();
        assert_eq!(got, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
        let m = MaintenanceStats {
            mean_s: 1.0,
            p50_s: 2.0,
            p95_s: 3.0,
            finished_fraction: 4.0,
            failed_fraction: 5.0,
            peak_mean: 6.0,
            peak_max: 7.0,
            above_threshold_mean_s: 8.0,
        };
        let got: Vec<f64> = MAINTENANCE_READERS.iter().map(|r| r(&m)).collect();
        assert_eq!(got, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
        let e = Estimate {
            n: 2,
            mean: 1.0,
            sd: 2.0,
            low: 3.0,
            high: 4.0,
        };
        let got: Vec<f64> = ESTIMATE_STATS.iter().map(|r| r(&e)).collect();
        assert_eq!(got, [1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn drain_and_maintenance_columns_are_empty_on_feature_rows() {
        let e = crate::stats::estimate(&[1.0, 3.0]);
        let mut row = SummaryRow {
            run: 0,
            labels: Vec::new(),
            feature: "im".into(),
            replications: 2,
            estimates: vec![e; MEASURES.len()],
            drain: None,
            maintenance: None,
            setup_delay_quantiles: [0.5, 1.5, 2.5],
        };
        assert_eq!(row.column("replications"), Some(2.0));
        assert_eq!(row.column("cut_mean"), Some(2.0));
        assert_eq!(row.column("cut_ci95_high"), Some(e.high));
        assert_eq!(row.column("setup_delay_s_p95"), Some(1.5));
        assert_eq!(row.column("drains"), None);
        assert_eq!(row.column("maintenance_s_mean"), None);
        assert_eq!(row.column("no_such_column"), None);
        row.drain = Some(DrainStats {
            drains: 4,
            drained_fraction: 0.5,
            mean_s: 1.0,
            p50_s: 2.0,
            p95_s: 3.0,
            p99_s: 4.0,
            max_s: 5.0,
        });
        assert_eq!(row.column("drains"), Some(4.0));
        assert_eq!(row.column("drain_time_s_p99"), Some(4.0));
        assert_eq!(column("drains").map(Column::format), Some(Format::Count));
        assert_eq!(
            column("cut_sd").map(Column::group),
            Some(ColumnGroup::Measure)
        );
    }
}
