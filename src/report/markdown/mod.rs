//! `report.md`: the page a person reads first.
//!
//! Order: the scenario in brief, the verdict in plain words (led by warnings when a plan did not
//! finish or sessions did not get through), the charts, the tables, and the
//! command that reproduces the report; [`render_markdown`] writes one section after the other.
//! Every number in the verdict is a summary row's number written with
//! [`fixed`](crate::report::fixed)`(x, 2)`, the same two decimals as the tables, so the words and
//! the tables never disagree.

mod brief;
mod cases;
mod clock;
mod many;
mod tables;
mod verdict;
mod warnings;
mod words;

use std::fmt::Write as _;

use super::charts::Drawn;
use super::{ReportData, label_columns};

/// Renders `report.md`; `charts` are the charts [`super::render`] drew (or failed to).
pub fn render_markdown(d: &ReportData<'_>, charts: &[Drawn]) -> String {
    let mut o = String::new();
    title(&mut o, d);
    brief::scenario_in_brief(&mut o, d);
    cases::cases_section(&mut o, d);
    verdict::verdict(&mut o, d);
    charts_section(&mut o, charts);
    tables::cut_table(&mut o, d);
    tables::not_through_table(&mut o, d);
    tables::paired_table(&mut o, d);
    tables::capacity_table(&mut o, d);
    tables::drains_table(&mut o, d);
    crate::report::rg_quorum::section(&mut o, d);
    reproduce(&mut o, d);
    o
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
