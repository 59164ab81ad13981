//! `occupancy`: sessions on each server the plan pauses over time on one night (replication 0),
//! stacked by feature, with the plan's steps on that server marked, and a zoom on its drain.
//!
//! Small multiples: one panel per run (every configuration of the largest feature set) and per
//! paused server, at most [`MAX_PANELS`] (the subtitle counts the rest, all in
//! `timeseries.csv`). Times are on the wall clock when the scenario has one (`clock_start`, a
//! profile or a trace), in simulated time otherwise.

mod paint;

use plotters::prelude::RGBColor;

use super::runs::{context, context_text, in_set, largest_set, lb_name, paused_servers, set_words};
use super::style::{INK, LegendItem, Mark, clock, feature_colour, nice_max};
use super::{Chart, ChartKind};
use crate::model::{Action, DrainEnd, ReplicationMetrics, Step, StepOutcome, StepRecord};
use crate::report::ReportData;
use crate::report::clock::{hhmm, uses_time_of_day};
use crate::runner::RunResult;

/// Height of one panel, pixels.
const OCC_PANEL_H: u32 = 300;
/// Most panels (runs × paused servers) shown.
const MAX_PANELS: usize = 12;

/// One feature's sessions on the server at every sample.
struct Layer {
    name: String,
    colour: RGBColor,
    values: Vec<f64>,
}

/// One run's occupancy.
struct OccPanel {
    title: String,
    /// The label of the server it shows (`FE 1`, or its name).
    server_label: String,
    /// The wall-clock time of simulated time 0, minutes after midnight; `None` without a clock.
    clock_min: Option<f64>,
    /// The drain window (minutes) and its own y scale: most of the server's sessions leave in
    /// the first minutes after the pause, so what stays (the sessions the restart will cut) is
    /// too thin to read on the full-night scale.
    zoom: Option<((f64, f64), f64, String)>,
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
    horizon_min: f64,
    y_max: f64,
    panels: Vec<OccPanel>,
}

/// The chart's entry in the plan, when a run has a timeseries and pauses a server.
pub(super) fn entry(d: &ReportData<'_>) -> Option<Chart> {
    let runs = shown_runs(d);
    let servers = servers_of(&runs);
    let first = *servers.first()?;
    let (what, whose) = if servers.len() == 1 {
        (
            d.scenario.base.pool.label(first),
            format!(
                "{} (the server the plan pauses)",
                d.scenario.base.pool.label(first)
            ),
        )
    } else {
        (
            "the paused servers".to_string(),
            "each server the plan pauses (one panel per server and configuration)".to_string(),
        )
    };
    let when = if uses_time_of_day(d) {
        "; times are on the wall clock"
    } else {
        ""
    };
    Some(Chart {
        kind: ChartKind::Occupancy,
        name: "occupancy",
        title: format!("Occupancy of {what} over time"),
        caption: format!(
            "Sessions on {whose} on one night (replication 0), stacked by feature; vertical \
             lines mark the plan's steps on that server (pause, restart, …) and the end of its \
             drain, the grey band the time it is down{when}. The zoom on the right rescales the \
             drain so that the sessions the restart will cut show."
        ),
    })
}

/// The runs the chart can show: with a timeseries and a paused server, in the largest set.
fn shown_runs<'r>(d: &'r ReportData<'_>) -> Vec<&'r RunResult> {
    let set = largest_set(d);
    d.results
        .iter()
        .filter(|r| {
            r.replications
                .first()
                .is_some_and(|rep| !rep.metrics.timeseries.times.is_empty())
                && !paused_servers(r).is_empty()
                && in_set(&set, r)
        })
        .collect()
}

/// Every paused server of `runs`, in first-named order.
fn servers_of(runs: &[&RunResult]) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for r in runs {
        for s in paused_servers(r) {
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

// ------------------------------------------------------------------------------------------
// The data.

/// The chart's data.
pub(super) fn figure(d: &ReportData<'_>) -> Occupancy {
    let runs = shown_runs(d);
    let all: Vec<(&RunResult, usize)> = runs
        .iter()
        .flat_map(|r| paused_servers(r).into_iter().map(move |s| (*r, s)))
        .collect();
    let horizon_min = d.scenario.base.horizon.as_secs_f64() / 60.0;
    let several_servers = servers_of(&runs).len() > 1;
    let panels: Vec<OccPanel> = all
        .iter()
        .take(MAX_PANELS)
        .filter_map(|(r, s)| panel(d, r, *s, several_servers, horizon_min))
        .collect();
    let y_max = panels
        .iter()
        .flat_map(|p| (0..p.times_min.len()).map(|k| p.total(k)))
        .fold(1.0f64, f64::max);
    let servers = servers_of(&runs);
    let (title, whose) = match servers.as_slice() {
        [s] => (
            format!(
                "Occupancy of {} (the paused server)",
                d.scenario.base.pool.label(*s)
            ),
            format!("sessions on {}", d.scenario.base.pool.label(*s)),
        ),
        _ => (
            "Occupancy of the paused servers".to_string(),
            "sessions on each paused server".to_string(),
        ),
    };
    let mut subtitle = format!("{whose} on one night (replication 0), stacked by feature");
    if all.len() > panels.len() {
        let set = largest_set(d);
        subtitle.push_str(&format!(
            "; {}first {} of {} panels (all in timeseries.csv)",
            set_words(&set),
            panels.len(),
            all.len()
        ));
    }
    Occupancy {
        title,
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

/// The panel of run `r` on server `s`: replication 0.
fn panel(
    d: &ReportData<'_>,
    r: &RunResult,
    s: usize,
    name_server: bool,
    horizon_min: f64,
) -> Option<OccPanel> {
    let m = &r.replications.first()?.metrics;
    let clock_min = uses_time_of_day(d).then(|| r.run.config.clock_start_s / 60.0);
    let (mut markers, down) = step_markers(r, m, s, horizon_min, clock_min);
    markers.extend(drain_markers(m, s, clock_min));
    markers.extend(restart_markers(m, s, clock_min));
    markers.sort_by(|a, b| a.x.total_cmp(&b.x));
    let lb = r.run.config.pool.load_balancing;
    let ctx = context(r, &["feature_set"]);
    let mut title = if ctx.is_empty() {
        format!("{} load balancing", lb_name(lb))
    } else {
        format!("{} load balancing, {}", lb_name(lb), context_text(&ctx))
    };
    if name_server {
        title = format!("{}: {title}", r.run.config.pool.label(s));
    }
    let mut p = OccPanel {
        title,
        server_label: r.run.config.pool.label(s),
        clock_min,
        zoom: None,
        times_min: m
            .timeseries
            .times
            .iter()
            .map(|t| t.as_secs_f64() / 60.0)
            .collect(),
        layers: layers(d, r, m, s),
        markers,
        down,
    };
    p.zoom = zoom(&p, horizon_min);
    Some(p)
}

/// A time on the chart, minutes: "02:30" on the wall clock when the run has one, "2:30" of
/// simulated time otherwise.
pub(super) fn at(min: f64, clock_min: Option<f64>) -> String {
    match clock_min {
        Some(c) => hhmm((min + c) * 60.0),
        None => clock(min),
    }
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
    clock_min: Option<f64>,
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
        markers.extend(failed_failover(step, st, s, clock_min));
        if let Some((kind, word)) = step_kind(step, s) {
            markers.push(Marker {
                x,
                label: format!("{word} {}", at(x, clock_min)),
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
fn failed_failover(
    step: &Step,
    st: &StepRecord,
    s: usize,
    clock_min: Option<f64>,
) -> Option<Marker> {
    let Action::Failover { servers, .. } = &step.action else {
        return None;
    };
    if !servers.contains(&(s as u32)) || st.outcome != StepOutcome::Failed {
        return None;
    }
    let xe = st.ended?.as_secs_f64() / 60.0;
    Some(Marker {
        x: xe,
        label: format!("failover failed, resume {}", at(xe, clock_min)),
        colour: INK,
        kind: MarkerKind::End,
    })
}

/// Where server `s`'s drains ended with the server empty.
fn drain_markers(
    m: &ReplicationMetrics,
    s: usize,
    clock_min: Option<f64>,
) -> impl Iterator<Item = Marker> + '_ {
    m.drains
        .iter()
        .filter(move |dr| dr.server == s && dr.end == DrainEnd::Drained)
        .map(move |dr| {
            let x = dr.ended_at.as_secs_f64() / 60.0;
            Marker {
                x,
                label: format!("drained {}", at(x, clock_min)),
                colour: RGBColor(0x1a, 0x7f, 0x37),
                kind: MarkerKind::Other,
            }
        })
}

/// Server `s`'s restarts.
fn restart_markers(
    m: &ReplicationMetrics,
    s: usize,
    clock_min: Option<f64>,
) -> impl Iterator<Item = Marker> + '_ {
    m.restarts
        .iter()
        .filter(move |rs| rs.server == s)
        .map(move |rs| {
            let x = rs.at.as_secs_f64() / 60.0;
            Marker {
                x,
                label: format!("restart {}", at(x, clock_min)),
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
fn zoom(p: &OccPanel, horizon_min: f64) -> Option<((f64, f64), f64, String)> {
    let panels = std::slice::from_ref(p);
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
