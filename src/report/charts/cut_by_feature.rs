//! `cut_by_feature`: sessions cut per feature, DNS vs hardware, with 95 % intervals; one panel
//! per combination of the other axes (in the largest feature set).

use plotters::prelude::RGBColor;

use super::bars::{Bar, BarChart, BarGroup, BarPanel};
use super::runs::{
    MAX_PANELS, MAX_SERIES, context, context_text, group_by, in_set, largest_set, lb_name, row,
    set_words,
};
use super::style::{LegendItem, Mark, feature_colour, mean_ci_text};
use super::{Chart, ChartKind};
use crate::model::LoadBalancing;
use crate::report::{ReportData, fixed};
use crate::runner::RunResult;
use crate::stats::Estimate;

/// The chart's entry in the plan: every report has it.
pub(super) fn entry(d: &ReportData<'_>) -> Option<Chart> {
    let swept_lb = d
        .scenario
        .axes
        .iter()
        .any(|a| a.key == "load_balancing" || a.key == "pool.load_balancing");
    Some(Chart {
        kind: ChartKind::CutByFeature,
        name: "cut_by_feature",
        title: "Sessions cut per feature".into(),
        caption: if swept_lb {
            "Mean sessions cut per night, per feature, with 95 % confidence intervals: \
             solid bars with hardware load balancing, light bars with DNS load balancing."
                .into()
        } else {
            "Mean sessions cut per night, per feature, with 95 % confidence intervals.".into()
        },
    })
}

/// The chart's data.
pub(super) fn figure(d: &ReportData<'_>) -> BarChart {
    let largest_set = largest_set(d);
    let contexts = group_by(d.results.iter().filter(|r| in_set(&largest_set, r)), |r| {
        context(r, &["feature_set"])
    });
    let shown = contexts.len().min(MAX_PANELS);
    let several = contexts.len() > 1;
    // Load balancings in the order the bars show them.
    let mut lbs: Vec<LoadBalancing> = Vec::new();
    let mut panels = Vec::new();
    for (ctx, runs) in contexts.iter().take(shown) {
        let groups = feature_groups(d, runs, several, &mut lbs);
        panels.push(BarPanel {
            title: several.then(|| {
                if ctx.is_empty() {
                    "all runs".into()
                } else {
                    context_text(ctx)
                }
            }),
            groups,
        });
    }
    BarChart {
        title: "Sessions cut per feature".into(),
        subtitle: Some(subtitle(d, &lbs, &largest_set, shown, contexts.len())),
        legend: legend(&panels),
        x_desc: "sessions cut per night".into(),
        y_desc: "feature".into(),
        cols: if panels.len() > 1 { 2 } else { 1 },
        panels,
    }
}

/// One group of bars per feature (a bar per run), for the runs of one panel; records the load
/// balancing of every bar in `lbs`.
fn feature_groups(
    d: &ReportData<'_>,
    runs: &[&RunResult],
    several: bool,
    lbs: &mut Vec<LoadBalancing>,
) -> Vec<BarGroup> {
    let runs: Vec<&RunResult> = runs.iter().take(MAX_SERIES).copied().collect();
    let compared = runs.len() > 1;
    let mut groups = Vec::new();
    for f in &d.scenario.base.features {
        let colour = feature_colour(d, &f.name);
        let mut bars = Vec::new();
        for r in &runs {
            let Some(e) = row(d, r.run.index, &f.name).and_then(|x| x.measure("cut")) else {
                continue;
            };
            let lb = r.run.config.pool.load_balancing;
            if !lbs.contains(&lb) {
                lbs.push(lb);
            }
            bars.push(bar(e, colour, lb, compared, several));
        }
        if !bars.is_empty() {
            groups.push(BarGroup {
                lines: vec![f.name.clone()],
                swatch: Some(colour),
                bars,
            });
        }
    }
    groups
}

/// A feature's bar in one run; `compared` when the panel shows several runs, `several` when
/// there are several panels.
fn bar(e: &Estimate, colour: RGBColor, lb: LoadBalancing, compared: bool, several: bool) -> Bar {
    let prefix = if compared {
        format!("{} ", lb_name(lb))
    } else {
        String::new()
    };
    // Small multiples leave little room: the whiskers show the interval.
    let value = if several {
        fixed(e.mean, 2)
    } else {
        mean_ci_text(e)
    };
    Bar {
        est: *e,
        colour,
        light: lb == LoadBalancing::Dns && compared,
        label: format!("{prefix}{value}"),
    }
}

/// Solid for hardware, light for DNS: only when some panel draws bars of both, and only the
/// marks drawn (a panel with a single run draws solid bars whatever its load balancing, and
/// its title names it).
fn legend(panels: &[BarPanel]) -> Vec<LegendItem> {
    let bars = || panels.iter().flat_map(|p| &p.groups).flat_map(|g| &g.bars);
    if !bars().any(|b| b.light) {
        return Vec::new();
    }
    let mut legend = Vec::new();
    for (light, lb) in [(false, LoadBalancing::Hardware), (true, LoadBalancing::Dns)] {
        if bars().any(|b| b.light == light) {
            legend.push(LegendItem {
                label: format!("{} load balancing", lb_name(lb)),
                colour: RGBColor(0x70, 0x70, 0x70),
                mark: if light { Mark::Light } else { Mark::Solid },
            });
        }
    }
    legend
}

/// The subtitle: feature set, load balancing when there is one, replications, and how many of
/// the combinations the panels show.
fn subtitle(
    d: &ReportData<'_>,
    lbs: &[LoadBalancing],
    set: &Option<(String, usize)>,
    shown: usize,
    combinations: usize,
) -> String {
    let mut subtitle = format!(
        "{} nights per run, mean and 95 % confidence interval",
        d.scenario.replications
    );
    if let [lb] = lbs {
        subtitle = format!("{} load balancing, {subtitle}", lb_name(*lb));
    }
    subtitle = format!("{}{subtitle}", set_words(set));
    if combinations > shown {
        subtitle.push_str(&format!(
            "; first {shown} of {combinations} combinations (see summary.csv)"
        ));
    }
    subtitle
}
