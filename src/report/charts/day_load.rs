//! `day_load`: the pool's expected sessions in progress over a day, stacked by feature, with
//! each run's maintenance window shaded on the clock (R12).
//!
//! The measure is the mean of an M_t/G/∞ queue in its daily steady state: sessions of a
//! feature in progress at time of day `t` are `m(t) = ∫₀^∞ λ(t − s) P(S > s) ds`, the arrivals
//! of the past weighted by the chance they are still running. `λ(t)·E[S]` would be wrong here:
//! it puts the morning's rise in conferences that last 40 minutes at the very minute the rate
//! steps up. Drawn over a whole day whatever the horizon, from the scenario's features alone:
//! it shows what the pool carries at each hour, so where a window falls on it.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use statrs::distribution::{ContinuousCDF, Gamma, Normal};

use super::runs::{group_by, label};
use super::style::{
    DrawResult, HEIGHT, INK, LegendItem, Mark, Plot, WIDTH, anchored, draw_legend, draw_title,
    feature_colour, house_mesh, nice_max, tick,
};
use super::{Chart, ChartKind, Paint};
use crate::model::profile::DAY_S;
use crate::model::{DistKind, Feature, HoldingTime};
use crate::report::ReportData;
use crate::report::clock::{Window, mean_window, uses_time_of_day};

/// Points per day of the curve (every 5 minutes).
const STEPS: usize = 288;
/// Quantiles of a holding time the load is averaged over.
const QUANTILES: usize = 200;
/// Colour of the maintenance windows.
const WINDOW_COLOUR: RGBColor = RGBColor(0x33, 0x33, 0x33);

/// One feature's expected sessions at every point of the day.
struct Layer {
    colour: RGBColor,
    values: Vec<f64>,
}

/// A maintenance window on the clock, hours after midnight (an end past 24 wraps).
struct Band {
    label: String,
    start_h: f64,
    end_h: f64,
}

/// The chart, prepared.
pub(super) struct DayLoad {
    subtitle: String,
    legend: Vec<LegendItem>,
    /// Hours after midnight, 0 to 24.
    hours: Vec<f64>,
    layers: Vec<Layer>,
    y_max: f64,
    bands: Vec<Band>,
}

/// The chart's entry in the plan, when the scenario uses time of day.
pub(super) fn entry(d: &ReportData<'_>) -> Option<Chart> {
    uses_time_of_day(d).then(|| Chart {
        kind: ChartKind::DayLoad,
        name: "day_load",
        title: "The day's load and the maintenance window".into(),
        caption: "Sessions in progress across the pool at each time of day, expected from the \
                  scenario's arrival rates, profiles and holding times, stacked by feature: \
                  every past arrival weighted by the chance that its session is still running \
                  (the mean of an M_t/G/∞ queue, day after day), so a rise in long conferences \
                  shows as it builds up, not at the minute the rate steps up. Shaded: each \
                  run's maintenance window, from the mean start of the plan's first step to the \
                  mean end of its last over the replications, on that run's clock; with a \
                  `start` sweep one band per start time. A window that crosses midnight wraps \
                  to the left edge."
            .into(),
    })
}

// ------------------------------------------------------------------------------------------
// The data.

/// The chart's data.
pub(super) fn figure(d: &ReportData<'_>) -> DayLoad {
    let hours: Vec<f64> = (0..=STEPS)
        .map(|k| 24.0 * k as f64 / STEPS as f64)
        .collect();
    let layers: Vec<(String, Layer)> = d
        .scenario
        .base
        .features
        .iter()
        .filter(|f| !f.from_trace && f.arrivals_per_hour > 0.0)
        .map(|f| {
            let q = quantiles(&f.duration, QUANTILES);
            let values = hours
                .iter()
                .map(|h| in_progress(f, &q, h * 3600.0))
                .collect();
            (
                f.name.clone(),
                Layer {
                    colour: feature_colour(d, &f.name),
                    values,
                },
            )
        })
        .collect();
    let peak = (0..hours.len())
        .map(|k| layers.iter().map(|(_, l)| l.values[k]).sum::<f64>())
        .fold(0.0, f64::max);
    let mut legend: Vec<LegendItem> = layers
        .iter()
        .map(|(name, l)| LegendItem {
            label: name.clone(),
            colour: l.colour,
            mark: Mark::Solid,
        })
        .collect();
    let bands = bands(d);
    if !bands.is_empty() {
        legend.push(LegendItem {
            label: "maintenance window (mean)".into(),
            colour: WINDOW_COLOUR,
            mark: Mark::Light,
        });
    }
    DayLoad {
        subtitle: format!(
            "expected sessions in progress across the pool, stacked by feature; peak {}",
            tick(peak.round())
        ),
        legend,
        hours,
        layers: layers.into_iter().map(|(_, l)| l).collect(),
        // Head room for the windows' labels.
        y_max: nice_max(peak * 1.3),
        bands,
    }
}

/// Expected sessions of `f` in progress at `tod_s` seconds after midnight, in the daily steady
/// state. With `Λ` the integral of the multiplier, `m(t) = rate · E[Λ(t) − Λ(t − S)]`; the
/// expectation runs over the quantiles `q` of the holding time, scaled by `E[S] / mean(q)` so
/// that a flat rate gives exactly `rate · E[S]` (Little's law) however few quantiles are taken.
pub(super) fn in_progress(f: &Feature, q: &[f64], tod_s: f64) -> f64 {
    let rate_per_s = f.arrivals_per_hour / 3600.0;
    let mean_s = f.duration.mean_s();
    let Some(p) = &f.profile else {
        return rate_per_s * mean_s;
    };
    let q_sum: f64 = q.iter().sum();
    if q_sum <= 0.0 {
        return 0.0;
    }
    // Shifted by whole days so that the integral starts at or after midnight: a start a hair
    // below zero wraps to exactly `DAY_S` in floating point, where `Profile::integral` would
    // make no progress.
    let spent: f64 = q
        .iter()
        .map(|&s| {
            let shift = (s / DAY_S).ceil() * DAY_S;
            p.integral(tod_s - s + shift, tod_s + shift)
        })
        .sum();
    rate_per_s * mean_s * spent / q_sum
}

/// `k` quantiles of a holding time, at probabilities `(i + 0.5) / k`.
pub(super) fn quantiles(h: &HoldingTime, k: usize) -> Vec<f64> {
    let ps = (0..k).map(|i| (i as f64 + 0.5) / k as f64);
    match h.kind() {
        DistKind::Exponential { mean_s } => ps.map(|p| -mean_s * (1.0 - p).ln()).collect(),
        DistKind::LogNormal { mu, sigma } => match Normal::new(0.0, 1.0) {
            Ok(n) => ps.map(|p| (mu + sigma * n.inverse_cdf(p)).exp()).collect(),
            Err(_) => vec![h.mean_s()],
        },
        DistKind::Deterministic { value_s } => vec![*value_s],
        DistKind::Uniform { min_s, max_s } => ps.map(|p| min_s + p * (max_s - min_s)).collect(),
        DistKind::Gamma { mean_s, shape } => match Gamma::new(*shape, shape / mean_s) {
            Ok(g) => ps.map(|p| g.inverse_cdf(p)).collect(),
            Err(_) => vec![h.mean_s()],
        },
        DistKind::Weibull { scale_s, shape } => ps
            .map(|p| scale_s * (-(1.0 - p).ln()).powf(1.0 / shape))
            .collect(),
        DistKind::Empirical { values_s } => {
            let mut v = values_s.to_vec();
            v.sort_by(f64::total_cmp);
            ps.map(|p| v[((p * v.len() as f64) as usize).min(v.len() - 1)])
                .collect()
        }
    }
}

/// One band per clock the runs start at (one per `start` value), each the mean window of the
/// runs that share it.
fn bands(d: &ReportData<'_>) -> Vec<Band> {
    let groups = group_by(d.results, |r| r.run.config.clock_start_s.to_bits());
    groups
        .into_iter()
        .filter_map(|(_, runs)| {
            let w: Window = mean_window(runs.iter().copied())?;
            let first = runs.first()?;
            let horizon_s = first.run.config.clock_start_s + first.run.config.horizon.as_secs_f64();
            let end_s = w.end_s.unwrap_or(horizon_s);
            let label = match label(first, "start") {
                Some(start) if w.end_s.is_none() => format!("{start} run: not finished"),
                _ => w.text(),
            };
            let start_h = w.start_s.rem_euclid(DAY_S) / 3600.0;
            let length_h = ((end_s - w.start_s) / 3600.0).clamp(0.0, 24.0);
            Some(Band {
                label,
                start_h,
                end_h: start_h + length_h,
            })
        })
        .collect()
}

// ------------------------------------------------------------------------------------------
// Drawing.

impl Paint for DayLoad {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn paint<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = draw_title(
            root,
            "The day's load and the maintenance window",
            Some(&self.subtitle),
        )?;
        let area = draw_legend(&area, &self.legend)?;
        let mut chart = ChartBuilder::on(&area)
            .margin(14)
            .margin_right(40)
            .x_label_area_size(64)
            .y_label_area_size(90)
            .build_cartesian_2d(0.0..24.0, 0.0..self.y_max)?;
        house_mesh(
            chart
                .configure_mesh()
                .x_labels(13)
                .y_labels(8)
                .x_desc("time of day")
                .y_desc("sessions in progress (pool)"),
        )
        .x_label_formatter(&|h: &f64| format!("{:02}:00", h.round() as i64))
        .y_label_formatter(&|v| tick(*v))
        .draw()?;
        let pa = chart.plotting_area();
        self.paint_layers(pa)?;
        self.paint_bands(pa)
    }
}

impl DayLoad {
    /// The features' sessions, stacked in the scenario's order.
    fn paint_layers<DB: DrawingBackend>(&self, pa: &Plot<DB>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let mut below = vec![0.0; self.hours.len()];
        for l in &self.layers {
            let above: Vec<f64> = below.iter().zip(&l.values).map(|(a, b)| a + b).collect();
            let mut poly: Vec<(f64, f64)> = self.hours.iter().copied().zip(above.clone()).collect();
            poly.extend(self.hours.iter().copied().zip(below).rev());
            pa.draw(&Polygon::new(poly, l.colour.filled()))?;
            below = above;
        }
        Ok(())
    }

    /// Each window as a translucent band with edges, its label above it in the first row
    /// where it overlaps no other; a window past midnight continues from the left edge.
    fn paint_bands<DB: DrawingBackend>(&self, pa: &Plot<DB>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let y = self.y_max;
        let mut rows: Vec<i32> = Vec::new();
        // Labels are packed left to right.
        let mut bands: Vec<&Band> = self.bands.iter().collect();
        bands.sort_by(|a, b| a.start_h.total_cmp(&b.start_h));
        for b in bands {
            let pieces = [(b.start_h, b.end_h.min(24.0)), (0.0, b.end_h - 24.0)];
            for &(x0, x1) in pieces.iter().filter(|(x0, x1)| x1 > x0) {
                pa.draw(&Rectangle::new(
                    [(x0, 0.0), (x1, y)],
                    WINDOW_COLOUR.mix(0.22).filled(),
                ))?;
                for x in [x0, x1] {
                    pa.draw(&PathElement::new(
                        vec![(x, 0.0), (x, y)],
                        WINDOW_COLOUR.stroke_width(1),
                    ))?;
                }
            }
            self.paint_label(pa, b, &mut rows)?;
        }
        Ok(())
    }

    /// A window's label at the top of the plot, starting at the window's start (ending there
    /// when it would leave the plot), on a white box.
    fn paint_label<DB: DrawingBackend>(
        &self,
        pa: &Plot<DB>,
        b: &Band,
        rows: &mut Vec<i32>,
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let (plot_w, _) = pa.dim_in_pixel();
        let px = (b.start_h / 24.0 * plot_w as f64).round() as i32;
        let style = anchored(15, HPos::Left, VPos::Top);
        let (tw, th) = pa.estimate_text_size(&b.label, &style)?;
        let (tw, th) = (tw as i32, th as i32);
        let x0 = (px + 4).min(plot_w as i32 - tw - 8);
        let row = match rows.iter().position(|&end| end + 8 <= x0) {
            Some(i) => i,
            None => {
                rows.push(i32::MIN);
                rows.len() - 1
            }
        };
        rows[row] = x0 + tw + 4;
        let dy = 4 + row as i32 * (th + 6);
        pa.draw(
            &(EmptyElement::at((0.0, self.y_max))
                + Rectangle::new(
                    [(x0 - 3, dy - 2), (x0 + tw + 3, dy + th + 2)],
                    WHITE.mix(0.9).filled(),
                )),
        )?;
        pa.draw(
            &(EmptyElement::at((0.0, self.y_max))
                + Text::new(b.label.clone(), (x0, dy), style.color(&INK))),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::profile::Profile;

    fn feature(profile: Option<Profile>, duration: DistKind) -> Feature {
        Feature {
            name: "f".into(),
            service: 0,
            needs_dns_lb: false,
            on_loss: crate::model::OnLoss::Dropped,
            arrivals_per_hour: 120.0,
            profile,
            from_trace: false,
            duration: HoldingTime::new(duration).unwrap(),
            max_per_server: None,
            needs_front_end: true,
            transport: crate::model::feature::Transport::Sip,
            participants: crate::model::Participants::Fixed(1),
        }
    }

    /// A flat rate gives Little's law, whatever the holding time.
    #[test]
    fn a_flat_rate_gives_littles_law() {
        let lognormal = DistKind::LogNormal {
            mu: 1800f64.ln(),
            sigma: 0.8,
        };
        for profile in [None, Profile::builtin("flat", 0.0)] {
            let f = feature(profile, lognormal.clone());
            let q = quantiles(&f.duration, QUANTILES);
            let want = 120.0 / 3600.0 * f.duration.mean_s();
            for t in [0.0, 9.5 * 3600.0, 23.0 * 3600.0] {
                assert!((in_progress(&f, &q, t) - want).abs() < 1e-9 * want);
            }
        }
    }

    /// A rate that steps from 0 to 1 at noon, exponential holding times of mean 30 min: the
    /// M_t/M/∞ mean an hour later is `λ · E[S] · (1 − e^(−2))`.
    #[test]
    fn a_step_in_the_rate_builds_up_as_the_closed_form() {
        let mut h = [0.0; 24];
        h[12..].fill(1.0);
        let f = feature(
            Some(Profile::hourly(&h).unwrap()),
            DistKind::Exponential { mean_s: 1800.0 },
        );
        let q = quantiles(&f.duration, QUANTILES);
        let got = in_progress(&f, &q, 13.0 * 3600.0);
        let want = 120.0 / 3600.0 * 1800.0 * (1.0 - (-2.0f64).exp());
        assert!((got - want).abs() < 0.01 * want, "{got} vs {want}");
        // Before noon only the tail of yesterday's last hours is left: e^(−2·12) of the level.
        assert!(in_progress(&f, &q, 11.99 * 3600.0) < 1e-3);
    }

    /// A holding time a hair longer than the time since midnight: the lookback starts just
    /// before midnight, and the load is the night's, not a loop that never ends.
    #[test]
    fn a_lookback_just_past_midnight_ends() {
        let f = feature(
            Profile::builtin("lync2013_workday", 0.1),
            DistKind::Deterministic { value_s: 300.0 },
        );
        let s: f64 = 300.000_000_000_000_06;
        assert!(300.0 - s < 0.0 && (300.0 - s).rem_euclid(DAY_S) == DAY_S);
        let got = in_progress(&f, &[s], 300.0);
        assert!((got - 120.0 / 3600.0 * 300.0 * 0.1).abs() < 1e-9, "{got}");
    }

    #[test]
    fn quantiles_follow_each_distribution() {
        let median = |k: DistKind| {
            let q = quantiles(&HoldingTime::new(k).unwrap(), 201);
            q[100]
        };
        assert!((median(DistKind::Exponential { mean_s: 60.0 }) - 60.0 * 2f64.ln()).abs() < 1e-9);
        assert!(
            (median(DistKind::LogNormal {
                mu: 100f64.ln(),
                sigma: 1.0
            }) - 100.0)
                .abs()
                < 1e-6
        );
        assert!(
            (median(DistKind::Uniform {
                min_s: 10.0,
                max_s: 90.0
            }) - 50.0)
                .abs()
                < 1e-9
        );
        let g = median(DistKind::Gamma {
            mean_s: 100.0,
            shape: 50.0,
        });
        assert!((g - 100.0).abs() < 2.0, "{g}");
        assert!(
            (median(DistKind::Weibull {
                scale_s: 100.0,
                shape: 1.0
            }) - 100.0 * 2f64.ln())
            .abs()
                < 1e-9
        );
    }
}
