//! `occupancy`: sessions on the paused server over time in replication 0, stacked by feature,
//! with the plan's steps on that server marked, and a zoom on the drain.
//!
//! One panel per load balancing of the first combination of the other axes (in the largest
//! feature set); the other runs are in `timeseries.csv`.

mod paint;

use plotters::prelude::RGBColor;

use super::runs::{
    context, context_text, group_by, in_set, largest_set, lb_name, paused_server, set_words,
};
use super::style::{INK, LegendItem, Mark, clock, feature_colour, nice_max};
use super::{Chart, ChartKind};
use crate::model::{Action, DrainEnd, ReplicationMetrics, Step, StepOutcome, StepRecord};
use crate::report::ReportData;
use crate::runner::RunResult;

/// Height of one panel, pixels.
const OCC_PANEL_H: u32 = 300;
/// Most panels (runs) shown.
const MAX_RUNS: usize = 4;

/// One feature's sessions on the server at every sample.
struct Layer {
    name: String,
    colour: RGBColor,
    values: Vec<f64>,
}

/// One run's occupancy.
struct OccPanel {
    title: String,
    times_min: Vec<f64>,
    layers: Vec<Layer>,
    /// Pauses, drains, restarts… of the server, in time order.
    markers: Vec<Marker>,
    /// Intervals the server is down, minutes.
    down: Vec<(f64, f64)>,
}

/// What a marker line shows, for the zoom window.
#[derive(Clone, Copy, PartialEq)]
enum MarkerKind {
    /// The server stops taking new sessions (pause, graceful stop, failover).
    Pause,
    /// The drain is over, one way or another (restart, stop, resume).
    End,
    /// Anything else (drained, start, failback).
    Other,
}

/// A labelled vertical line.
struct Marker {
    /// Minutes.
    x: f64,
    label: String,
    colour: RGBColor,
    kind: MarkerKind,
}

/// The occupancy chart, prepared.
pub(super) struct Occupancy {
    title: String,
    subtitle: String,
    legend: Vec<LegendItem>,
    /// The server's label (`FE 1`, or its name).
    server: String,
    horizon_min: f64,
    y_max: f64,
    /// The drain window (minutes) and its own y scale: most of the server's sessions leave in
    /// the first minutes after the pause, so what stays (the sessions the restart will cut) is
    /// too thin to read on the full-day scale.
    zoom: Option<((f64, f64), f64, String)>,
    panels: Vec<OccPanel>,
}

/// The chart's entry in the plan, when a run has a timeseries and pauses a server.
pub(super) fn entry(d: &ReportData<'_>) -> Option<Chart> {
    let s = d.results.iter().find_map(|r| {
        let rep = r.replications.first()?;
        (!rep.metrics.timeseries.times.is_empty()).then_some(())?;
        paused_server(r)
    })?;
    Some(Chart {
        kind: ChartKind::Occupancy,
        name: "occupancy",
        title: format!("Occupancy of {} over time", d.scenario.base.pool.label(s)),
        caption: format!(
            "Sessions on {} (the server the plan pauses) in replication 0, stacked by \
             feature; vertical lines mark the plan's steps on that server (pause, restart, \
             …) and the end of its drain, the grey band the time it is down. The zoom on \
             the right rescales the drain so that the sessions the restart will cut show.",
            d.scenario.base.pool.label(s)
        ),
    })
}

// ------------------------------------------------------------------------------------------
// The data.

/// The chart's data.
pub(super) fn figure(d: &ReportData<'_>) -> Occupancy {
    let runs: Vec<&RunResult> = d
        .results
        .iter()
        .filter(|r| {
            r.replications
                .first()
                .is_some_and(|rep| !rep.metrics.timeseries.times.is_empty())
                && paused_server(r).is_some()
        })
        .collect();
    let set = largest_set(d);
    let contexts = group_by(runs.iter().copied().filter(|r| in_set(&set, r)), |r| {
        context(r, &["feature_set"])
    });
    let (first_context, shown): (Vec<(String, String)>, Vec<&RunResult>) = contexts
        .into_iter()
        .next()
        .map(|(k, v)| (k, v.into_iter().take(MAX_RUNS).collect()))
        .unwrap_or_default();
    let server = shown.first().and_then(|r| paused_server(r)).unwrap_or(0);
    let horizon_min = d.scenario.base.horizon.as_secs_f64() / 60.0;
    let panels: Vec<OccPanel> = shown
        .iter()
        .filter_map(|r| panel(d, r, horizon_min))
        .collect();
    let y_max = panels
        .iter()
        .flat_map(|p| (0..p.times_min.len()).map(|k| p.total(k)))
        .fold(1.0f64, f64::max);
    let label = d.scenario.base.pool.label(server);
    let mut subtitle = format!("sessions on {label} in replication 0, stacked by feature");
    if runs.len() > shown.len() {
        let mut which = set_words(&set);
        if !first_context.is_empty() {
            which.push_str(&format!("{}, ", context_text(&first_context)));
        }
        subtitle.push_str(&format!(
            "; {which}{} of {} runs (all in timeseries.csv)",
            shown.len(),
            runs.len()
        ));
    }
    Occupancy {
        zoom: zoom(&panels, horizon_min),
        title: format!("Occupancy of {label} (the paused server)"),
        server: label,
        subtitle,
        legend: legend(d, &panels),
        horizon_min: horizon_min.max(1.0),
        y_max: nice_max(y_max * 1.15),
        panels,
    }
}

impl OccPanel {
    /// Sessions on the server (all features) at sample `k`.
    fn total(&self, k: usize) -> f64 {
        self.layers.iter().map(|l| l.values[k]).sum()
    }
}

/// The panel of run `r`: replication 0 on the server its plan pauses.
fn panel(d: &ReportData<'_>, r: &RunResult, horizon_min: f64) -> Option<OccPanel> {
    let m = &r.replications.first()?.metrics;
    let s = paused_server(r).unwrap_or(0);
    let (mut markers, down) = step_markers(r, m, s, horizon_min);
    markers.extend(drain_markers(m, s));
    markers.extend(restart_markers(m, s));
    markers.sort_by(|a, b| a.x.total_cmp(&b.x));
    let lb = r.run.config.pool.load_balancing;
    let ctx = context(r, &["feature_set"]);
    let title = if ctx.is_empty() {
        format!("{} load balancing", lb_name(lb))
    } else {
        format!("{} load balancing, {}", lb_name(lb), context_text(&ctx))
    };
    Some(OccPanel {
        title,
        times_min: m
            .timeseries
            .times
            .iter()
            .map(|t| t.as_secs_f64() / 60.0)
            .collect(),
        layers: layers(d, r, m, s),
        markers,
        down,
    })
}

/// Sessions of every feature of run `r` on server `s`, sample by sample.
fn layers(d: &ReportData<'_>, r: &RunResult, m: &ReplicationMetrics, s: usize) -> Vec<Layer> {
    let ts = &m.timeseries;
    let feats = &r.run.config.features;
    let (n, nf) = (r.run.config.pool.servers as usize, feats.len());
    feats
        .iter()
        .enumerate()
        .map(|(f, feat)| Layer {
            name: feat.name.clone(),
            colour: feature_colour(d, &feat.name),
            values: (0..ts.times.len())
                .map(|k| ts.active.get(k * n * nf + s * nf + f).copied().unwrap_or(0) as f64)
                .collect(),
        })
        .collect()
}

/// Markers of the plan's steps on server `s`, and the intervals its restarts keep it down.
fn step_markers(
    r: &RunResult,
    m: &ReplicationMetrics,
    s: usize,
    horizon_min: f64,
) -> (Vec<Marker>, Vec<(f64, f64)>) {
    let mut markers = Vec::new();
    let mut down = Vec::new();
    for st in &m.steps {
        let Some(step) = r.run.config.plan.get(st.index) else {
            continue;
        };
        let x = st.started.as_secs_f64() / 60.0;
        if let Action::Restart { servers, .. } = &step.action
            && servers.contains(&(s as u32))
        {
            // Marked from the restart records; the step lasts while it is down.
            let b = st
                .ended
                .map(|e| e.as_secs_f64() / 60.0)
                .unwrap_or(horizon_min);
            down.push((x, b));
            continue;
        }
        markers.extend(failed_failover(step, st, s));
        if let Some((kind, word)) = step_kind(step, s) {
            markers.push(Marker {
                x,
                label: format!("{word} {}", clock(x)),
                colour: INK,
                kind,
            });
        }
    }
    (markers, down)
}

/// What a step on server `s` means for its drain, and the word that labels it.
fn step_kind(step: &Step, s: usize) -> Option<(MarkerKind, &'static str)> {
    let on_s = |v: &[u32]| v.contains(&(s as u32));
    match &step.action {
        Action::Pause(t) if on_s(&t.servers) => Some((MarkerKind::Pause, "pause")),
        Action::StopGraceful(t) if on_s(&t.servers) => Some((MarkerKind::Pause, "graceful stop")),
        Action::Failover { servers, .. } if on_s(servers) => Some((MarkerKind::Pause, "failover")),
        Action::Resume(t) if on_s(&t.servers) => Some((MarkerKind::End, "resume")),
        Action::Stop(t) if on_s(&t.servers) => Some((MarkerKind::End, "stop")),
        Action::Start(t) if on_s(&t.servers) => Some((MarkerKind::Other, "start")),
        Action::Failback { servers } if on_s(servers) => Some((MarkerKind::Other, "failback")),
        _ => None,
    }
}

/// A failover of server `s` that does not drain in time resumes the server and fails: the
/// marker of that end.
fn failed_failover(step: &Step, st: &StepRecord, s: usize) -> Option<Marker> {
    let Action::Failover { servers, .. } = &step.action else {
        return None;
    };
    if !servers.contains(&(s as u32)) || st.outcome != StepOutcome::Failed {
        return None;
    }
    let xe = st.ended?.as_secs_f64() / 60.0;
    Some(Marker {
        x: xe,
        label: format!("failover failed, resume {}", clock(xe)),
        colour: INK,
        kind: MarkerKind::End,
    })
}

/// Where server `s`'s drains ended with the server empty.
fn drain_markers(m: &ReplicationMetrics, s: usize) -> impl Iterator<Item = Marker> + '_ {
    m.drains
        .iter()
        .filter(move |dr| dr.server == s && dr.end == DrainEnd::Drained)
        .map(|dr| {
            let x = dr.ended_at.as_secs_f64() / 60.0;
            Marker {
                x,
                label: format!("drained {}", clock(x)),
                colour: RGBColor(0x1a, 0x7f, 0x37),
                kind: MarkerKind::Other,
            }
        })
}

/// Server `s`'s restarts.
fn restart_markers(m: &ReplicationMetrics, s: usize) -> impl Iterator<Item = Marker> + '_ {
    m.restarts
        .iter()
        .filter(move |rs| rs.server == s)
        .map(|rs| {
            let x = rs.at.as_secs_f64() / 60.0;
            Marker {
                x,
                label: format!("restart {}", clock(x)),
                colour: RGBColor(0xb0, 0x00, 0x20),
                kind: MarkerKind::End,
            }
        })
}

/// One entry per feature some panel shows, in the scenario's order.
fn legend(d: &ReportData<'_>, panels: &[OccPanel]) -> Vec<LegendItem> {
    let used = |name: &str| {
        panels
            .iter()
            .flat_map(|p| &p.layers)
            .any(|l| l.name == name)
    };
    d.scenario
        .base
        .features
        .iter()
        .filter(|f| used(&f.name))
        .map(|f| LegendItem {
            label: f.name.clone(),
            colour: feature_colour(d, &f.name),
            mark: Mark::Solid,
        })
        .collect()
}

/// The zoom: from just before the first pause to just after the restart that follows it;
/// its y scale leaves out the first fifth of that window, where the server still carries
/// most of its sessions, so that what the restart will cut is readable.
fn zoom(panels: &[OccPanel], horizon_min: f64) -> Option<((f64, f64), f64, String)> {
    let word = |m: &Marker| {
        m.label
            .rsplit_once(' ')
            .map(|(w, _)| w.to_string())
            .unwrap_or_default()
    };
    let first = |kind: MarkerKind, after: f64| {
        panels
            .iter()
            .filter_map(|p| p.markers.iter().find(|m| m.kind == kind && m.x > after))
            .min_by(|a, b| a.x.total_cmp(&b.x))
    };
    let pm = first(MarkerKind::Pause, f64::NEG_INFINITY)?;
    let em = first(MarkerKind::End, pm.x)?;
    let (pause, end) = (pm.x, em.x);
    let margin = ((end - pause) * 0.05).max(1.0);
    let (x0, x1) = ((pause - margin).max(0.0), (end + margin).min(horizon_min));
    let settle = pause + (end - pause) * 0.2;
    let mut top = 1.0f64;
    for p in panels {
        for (k, &t) in p.times_min.iter().enumerate() {
            if t >= settle && t < end {
                top = top.max(p.total(k));
            }
        }
    }
    let caption = format!("zoom: from the {} to the {}", word(pm), word(em));
    Some(((x0, x1), nice_max(top * 1.3), caption))
}
