//! The end every simulating command that writes a report shares (`run`, `merge`): write the
//! report of a decided run, print its table and its expectations' failures, and return the
//! outcome they earned. Below both `run` and `shard`, so that neither reaches into the other.

use std::path::Path;
use std::time::{Duration, Instant};

use super::pipeline::Pipeline;
use super::{CliError, Format, Outcome};
use crate::expect;
use crate::quote::{printable, shell_word};
use crate::report::{self, FolderError, ReportData};
use crate::scenario::Scenario;
use crate::summary::{self, SummaryRow};

/// What [`finish`] needs: a decided run and where its report goes.
pub(super) struct Finish<'a> {
    pub pipeline: &'a Pipeline,
    pub scenario: Scenario,
    pub source: &'a str,
    pub shown: Option<&'a str>,
    pub start: u32,
    pub decided: crate::expect::Decided,
    pub out_dir: &'a Path,
    pub force: bool,
    pub format: Format,
    pub quiet: bool,
    /// Whether the per-replication tables are written (`--detail`).
    pub detail: bool,
    pub started: Instant,
}

/// Writes the report of a decided run, prints its table and its expectations' failures.
pub(super) fn finish(f: Finish<'_>) -> Result<Outcome, CliError> {
    let Finish {
        pipeline,
        mut scenario,
        source,
        shown,
        start,
        decided,
        out_dir,
        force,
        format,
        quiet,
        detail,
        started,
    } = f;
    // The report describes what ran: as many replications as the expectations took.
    scenario.replications = decided.replications;
    let (results, rows, comparisons) = (decided.results, decided.rows, decided.comparisons);
    let data = ReportData {
        scenario: &scenario,
        source,
        results: &results,
        rows: &rows,
        comparisons: &comparisons,
        command: reproduce_command(shown, &scenario, start),
        detail,
    };
    if pipeline.interrupted() {
        return Err(CliError::Interrupted);
    }
    report::write_report(out_dir, force, &data, &|| pipeline.interrupted()).map_err(
        |e| match e {
            FolderError::Interrupted => CliError::Interrupted,
            e => CliError::Write(e),
        },
    )?;
    match format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&json_rows(&rows)).unwrap_or_default()
        ),
        Format::Text if !quiet => print_text(&data, out_dir, started.elapsed()),
        Format::Text => {}
    }
    if let Some(p) = &scenario.precision
        && !quiet
    {
        let state = if decided.precise {
            "met"
        } else {
            "NOT met (raise max)"
        };
        eprintln!(
            "precision target {}: {state} with {} replications per run",
            precision_text(p),
            scenario.replications
        );
    }
    Ok(report_expectations(
        &scenario,
        &decided.judgements,
        start,
        quiet,
    ))
}

/// The command that reproduces this run, for the report.
fn reproduce_command(shown: Option<&str>, scenario: &Scenario, start: u32) -> String {
    let mut command = String::from("drainsim run");
    if let Some(s) = shown {
        command.push_str(&format!(" {}", shell_word(s)));
    }
    command.push_str(&format!(" --seed {} --replications {start}", scenario.seed));
    if start != scenario.replications {
        command.push_str(&format!(
            " --max-replications {}",
            scenario.max_replications
        ));
    }
    command
}

/// The text output: the scenario's name, the table of sessions cut, where the report is.
fn print_text(data: &ReportData<'_>, out_dir: &Path, elapsed: Duration) {
    outln!("{}", printable(&data.scenario.name));
    out!("{}", report::text_table(data));
    outln!(
        "\nreport: {}  ({} runs × {} replications in {:.1} s)",
        printable(&out_dir.display().to_string()),
        data.results.len(),
        data.scenario.replications,
        elapsed.as_secs_f64()
    );
}

/// The summary rows as JSON objects, with the columns of `summary.csv`'s measures:
/// `run`, the sweep columns, `feature`, `replications`, then `<measure>_<mean|sd|ci95_low|ci95_high>`
/// (`null` where not finite).
fn json_rows(rows: &[SummaryRow]) -> serde_json::Value {
    let number = |x: f64| {
        if x.is_finite() {
            serde_json::Value::from(x)
        } else {
            serde_json::Value::Null
        }
    };
    let objects = rows.iter().map(|r| {
        let mut m = serde_json::Map::new();
        m.insert("run".into(), r.run.into());
        for (k, v) in &r.labels {
            m.insert(k.clone(), v.clone().into());
        }
        m.insert("feature".into(), r.feature.clone().into());
        m.insert("replications".into(), r.replications.into());
        // The measure columns of summary.csv, from its one column table.
        let measures = summary::columns()
            .iter()
            .filter(|c| c.group() == summary::ColumnGroup::Measure);
        for c in measures {
            let v = c.value(r).map_or(serde_json::Value::Null, number);
            m.insert(c.name().to_string(), v);
        }
        serde_json::Value::Object(m)
    });
    serde_json::Value::Array(objects.collect())
}

/// Prints each failed or inconclusive expectation (and, unless quiet, how many were checked
/// and the replications they took).
fn report_expectations(
    scenario: &Scenario,
    judgements: &[expect::Judgement],
    start: u32,
    quiet: bool,
) -> Outcome {
    let failures = expect::failures(judgements);
    for f in &failures {
        eprintln!("{f}");
    }
    let n = scenario.expects.len();
    if n > 0 && !quiet {
        let took = if scenario.replications > start {
            format!(
                " (undecided at {start} replications: decided at {})",
                scenario.replications
            )
        } else {
            String::new()
        };
        eprintln!(
            "{n} expectation{} checked, {} failed{took}",
            if n == 1 { "" } else { "s" },
            failures.len()
        );
    }
    if failures.is_empty() {
        Outcome::Success
    } else {
        Outcome::ExpectationFailed
    }
}

/// "(sessions cut, 95 % CI half-width ≤ 0.5 and ≤ 5 % of the mean)".
fn precision_text(p: &crate::scenario::Precision) -> String {
    let mut parts = Vec::new();
    if let Some(h) = p.half_width {
        parts.push(format!("half-width ≤ {h}"));
    }
    if let Some(r) = p.relative {
        parts.push(format!("half-width ≤ {} % of the mean", r * 100.0));
    }
    format!("(sessions cut, 95 % CI {})", parts.join(" and "))
}
