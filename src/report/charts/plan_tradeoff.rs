//! `plan_tradeoff` (written by `drainsim plan`): every candidate runbook as a point, its mean
//! maintenance time against its mean sessions cut with the 95 % interval as a bar; feasible
//! candidates in colour, infeasible ones grey, the recommended one ringed and labelled.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::style::DrawResult;
use super::style::{self, anchored, draw_title, house_mesh, nice_max, tick};
use super::{Paint, encode};

/// One candidate on the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct TradeoffPoint {
    /// Mean maintenance, hours (NaN: did not finish; drawn at the right edge).
    pub maintenance_h: f64,
    /// Mean objective and its 95 % interval.
    pub mean: f64,
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// Whether it meets every constraint.
    pub feasible: bool,
    /// Whether it is the recommendation.
    pub recommended: bool,
    /// Short label ("2×, drained, 02:00").
    pub label: String,
}

/// The chart's data.
#[derive(Debug, Clone)]
pub struct Tradeoff {
    /// Title.
    pub title: String,
    /// Subtitle.
    pub subtitle: String,
    /// Y axis description.
    pub y_desc: String,
    /// The window, hours, drawn as a vertical line.
    pub window_h: Option<f64>,
    /// The points.
    pub points: Vec<TradeoffPoint>,
}

const FEASIBLE: RGBColor = RGBColor(0x1f, 0x5f, 0xaa);
const INFEASIBLE: RGBColor = RGBColor(0xb8, 0xb8, 0xb8);
const CHOSEN: RGBColor = RGBColor(0xd9, 0x5f, 0x02);
/// The window line: a colour of its own, apart from the recommended point's.
const WINDOW: RGBColor = RGBColor(0x6a, 0x3d, 0x9a);

/// Draws the chart as SVG and PNG bytes.
pub fn draw(t: &Tradeoff) -> Result<(Vec<u8>, Vec<u8>), String> {
    style::fonts()?;
    encode(t).map_err(|e| format!("plan_tradeoff: {e}"))
}

impl Tradeoff {
    fn x_max(&self) -> f64 {
        let m = self
            .points
            .iter()
            .map(|p| p.maintenance_h)
            .filter(|x| x.is_finite())
            .fold(self.window_h.unwrap_or(0.0), f64::max);
        nice_max(m * 1.05)
    }
}

impl Paint for Tradeoff {
    fn size(&self) -> (u32, u32) {
        (style::WIDTH, style::HEIGHT)
    }

    fn paint<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = draw_title(root, &self.title, Some(&self.subtitle))?;
        let x_max = self.x_max();
        let y_max = nice_max(
            self.points
                .iter()
                .map(|p| if p.high.is_finite() { p.high } else { p.mean })
                .fold(0.0, f64::max)
                * 1.08,
        );
        let mut chart = ChartBuilder::on(&area)
            .margin(20)
            .x_label_area_size(55)
            .y_label_area_size(75)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
        house_mesh(&mut chart.configure_mesh())
            .x_desc("maintenance, first pause to last server back (h)")
            .y_desc(self.y_desc.as_str())
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .draw()?;
        if let Some(w) = self.window_h {
            chart.draw_series(LineSeries::new(
                [(w, 0.0), (w, y_max)],
                ShapeStyle::from(&WINDOW.mix(0.7)).stroke_width(2),
            ))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("window {} h ", tick(w)),
                (w, y_max),
                anchored(14, HPos::Right, VPos::Top),
            )))?;
        }
        // Infeasible first, so that feasible points are drawn over them.
        let mut order: Vec<&TradeoffPoint> = self.points.iter().collect();
        order.sort_by_key(|p| (p.feasible, p.recommended));
        for p in order {
            let x = if p.maintenance_h.is_finite() {
                p.maintenance_h
            } else {
                x_max
            };
            let colour = match (p.recommended, p.feasible) {
                (true, _) => CHOSEN,
                (false, true) => FEASIBLE,
                (false, false) => INFEASIBLE,
            };
            if p.low.is_finite() && p.high.is_finite() {
                chart.draw_series(LineSeries::new(
                    [(x, p.low), (x, p.high)],
                    ShapeStyle::from(&colour.mix(0.8)).stroke_width(2),
                ))?;
            }
            let r = if p.recommended { 8 } else { 5 };
            chart.draw_series(std::iter::once(Circle::new(
                (x, p.mean),
                r,
                colour.filled(),
            )))?;
            if p.recommended {
                chart.draw_series(std::iter::once(Circle::new(
                    (x, p.mean),
                    13,
                    ShapeStyle::from(&CHOSEN).stroke_width(3),
                )))?;
                // Labelled on the side with room.
                let (h, text) = if x > 0.6 * x_max {
                    (HPos::Right, format!("recommended: {}   ", p.label))
                } else {
                    (HPos::Left, format!("   recommended: {}", p.label))
                };
                chart.draw_series(std::iter::once(Text::new(
                    text,
                    (x, p.mean),
                    anchored(16, h, VPos::Bottom),
                )))?;
            }
        }
        Ok(())
    }
}
