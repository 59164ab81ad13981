//! `report.md`: the page a person reads first.
//!
//! Order: the scenario in brief, the verdict in plain words (led by warnings when a plan did not
//! finish or sessions did not get through), the charts, the tables, and the
//! command that reproduces the report; [`render_markdown`] writes one section after the other.
//! Every number in the verdict is a summary row's number written with
//! [`fixed`](crate::report::fixed)`(x, 2)`, the same two decimals as the tables, so the words and
//! the tables never disagree.
//!
//! The modules call downwards only: `verdict` → `many`, `sentence`, `warnings` → `tables`,
//! `clock` → `lookup`, `words`.

mod brief;
mod cases;
mod clock;
mod lookup;
mod many;
mod sentence;
mod tables;
mod verdict;
mod warnings;
mod words;

use std::fmt::Write as _;

use super::charts::Drawn;
use super::{ReportData, label_columns};

/// The report in three parts: the title and the scenario (with its cases), the verdict, and
/// the rest (charts, tables, reproduction). `report.md` is them in that order; `report.html`
/// leads with the verdict.
pub struct Parts {
    /// The title, the scenario in brief and its cases.
    pub scenario: String,
    /// The verdict.
    pub verdict: String,
    /// Charts, tables, and how to reproduce.
    pub rest: String,
}

impl Parts {
    /// `report.md`.
    pub fn markdown(&self) -> String {
        [self.scenario.as_str(), &self.verdict, &self.rest].concat()
    }
}

/// Renders `report.md`; `charts` are the charts [`super::render`] drew (or failed to).
pub fn render_markdown(d: &ReportData<'_>, charts: &[Drawn]) -> String {
    render_parts(d, charts).markdown()
}

/// Renders the parts of `report.md`.
pub fn render_parts(d: &ReportData<'_>, charts: &[Drawn]) -> Parts {
    let mut scenario = String::new();
    title(&mut scenario, d);
    brief::scenario_in_brief(&mut scenario, d);
    cases::cases_section(&mut scenario, d);
    let mut v = String::new();
    verdict::verdict(&mut v, d);
    let mut o = String::new();
    charts_section(&mut o, charts);
    tables::cut_table(&mut o, d);
    tables::not_through_table(&mut o, d);
    tables::paired_table(&mut o, d);
    tables::capacity_table(&mut o, d);
    tables::drains_table(&mut o, d);
    crate::report::rg_quorum::section(&mut o, d);
    reproduce(&mut o, d);
    Parts {
        scenario,
        verdict: v,
        rest: o,
    }
}

/// The scenario's name and description.
fn title(o: &mut String, d: &ReportData<'_>) {
    let _ = writeln!(o, "# {}\n", crate::quote::printable(&d.scenario.name));
    if let Some(desc) = &d.scenario.description {
        let _ = writeln!(o, "{}\n", desc.trim());
    }
}

/// "Charts": each chart embedded with its caption, or why it could not be drawn.
fn charts_section(o: &mut String, charts: &[Drawn]) {
    if charts.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n## Charts\n");
    for c in charts {
        let _ = writeln!(o, "### {}\n", c.chart.title);
        match &c.error {
            None => {
                let _ = writeln!(o, "![{}]({}.svg)\n", c.chart.title, c.chart.name);
                let _ = writeln!(
                    o,
                    "{} (PNG: [{n}.png]({n}.png))\n",
                    c.chart.caption,
                    n = c.chart.name
                );
            }
            Some(e) => {
                let _ = writeln!(o, "*This chart could not be drawn: {e}*\n");
            }
        }
    }
}

/// "Reproduce": the seed, the command, and the files of the folder.
fn reproduce(o: &mut String, d: &ReportData<'_>) {
    let _ = writeln!(o, "\n## Reproduce\n");
    let _ = writeln!(
        o,
        "Seed {}. This command writes the same files, byte for byte:\n",
        d.scenario.seed
    );
    let _ = writeln!(o, "```\n{}\n```\n", d.command);
    let mut extra = String::new();
    if !d.comparisons.is_empty() {
        extra.push_str(", `compare.csv` (paired hardware − DNS)");
    }
    if label_columns(d.results).iter().any(|c| c == "feature_set") {
        extra.push_str(", `feature-sets.csv`");
    }
    if d.results
        .iter()
        .any(|r| r.replications.iter().any(|o| !o.metrics.domains.is_empty()))
    {
        extra.push_str(", `domains.csv` (upgrade domains)");
    }
    let detail = if d.detail {
        "`replications.csv` (raw counts and seeds), `restarts.csv`, `drains.csv`, \
         `timeseries.csv`"
    } else {
        "no per-night tables (`drainsim run … --detail` adds `replications.csv`, \
         `restarts.csv`, `drains.csv`, `timeseries.csv`)"
    };
    let _ = writeln!(
        o,
        "Files: `summary.csv` (per run and feature), {detail}{extra}, the charts as SVG and \
         PNG, `scenario.toml` (the input)."
    );
}
