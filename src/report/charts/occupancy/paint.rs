//! Drawing the occupancy chart: each panel in full, and beside it the zoom on the drain;
//! stacked layers, grey bands while the server is down, marker lines with labels packed in rows.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{Marker, OCC_PANEL_H, OccPanel, Occupancy};
use crate::report::charts::Paint;
use crate::report::charts::style::{
    DrawResult, HEIGHT, LEGEND_ROW, Plot, WIDTH, anchored, draw_legend, draw_title, house_mesh,
    text, tick,
};

/// One occupancy plot: `x` the time range shown, sessions clipped at `y_max`.
struct OccView<'a> {
    caption: String,
    x: (f64, f64),
    y_max: f64,
    y_desc: &'a str,
    x_labels: usize,
    /// The wall-clock time of simulated time 0, minutes; `None` without a clock.
    clock_min: Option<f64>,
}

impl Occupancy {
    fn header(&self) -> u32 {
        48 + 26 + (1 + self.legend.len() as u32 / 5) * LEGEND_ROW as u32 + 10
    }
}

impl Paint for Occupancy {
    fn size(&self) -> (u32, u32) {
        (
            WIDTH,
            (self.header() + self.panels.len() as u32 * OCC_PANEL_H).max(HEIGHT),
        )
    }

    fn paint<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = draw_title(root, &self.title, Some(&self.subtitle))?;
        let area = draw_legend(&area, &self.legend)?;
        let panels = area.split_evenly((self.panels.len().max(1), 1));
        for (p, sub) in self.panels.iter().zip(&panels) {
            let y_desc = format!("sessions on {}", p.server_label);
            let full = OccView {
                clock_min: p.clock_min,
                caption: p.title.clone(),
                x: (0.0, self.horizon_min),
                y_max: self.y_max,
                y_desc: &y_desc,
                x_labels: 10,
            };
            match &p.zoom {
                Some((x, y_max, caption)) => {
                    let (w, _) = sub.dim_in_pixel();
                    let (left, right) = sub.split_horizontally(w * 60 / 100);
                    paint_view(&left, p, &full)?;
                    let zoom = OccView {
                        clock_min: p.clock_min,
                        caption: caption.clone(),
                        x: *x,
                        y_max: *y_max,
                        y_desc: "",
                        x_labels: 6,
                    };
                    paint_view(&right, p, &zoom)?;
                }
                None => paint_view(sub, p, &full)?,
            }
        }
        Ok(())
    }
}

impl OccView<'_> {
    /// Minutes per x unit. Data are in minutes. Plotters puts ticks on 1-2-5 steps: in minutes
    /// for short views (1, 2, 5, 10 min), in hours for long ones (6, 12, 30, 60 min rather
    /// than 50).
    fn unit(&self) -> f64 {
        let (x0, x1) = self.x;
        if x1 - x0 <= 40.0 { 1.0 } else { 60.0 }
    }

    /// A time in minutes on the x axis.
    fn h(&self, m: f64) -> f64 {
        m / self.unit()
    }

    fn shows(&self, m: f64) -> bool {
        m >= self.x.0 && m <= self.x.1
    }
}

/// Panel `p` seen through `v`: down bands, stacked layers, markers.
fn paint_view<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &OccPanel,
    v: &OccView<'_>,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let pa = view_plot(area, v)?;
    paint_down(&pa, p, v)?;
    paint_layers(&pa, p, v)?;
    paint_markers(&pa, p, v)
}

/// Draws the view's axes; returns its plotting area.
fn view_plot<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    v: &OccView<'_>,
) -> Result<Plot<DB>, Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let (x0, x1) = v.x;
    let unit = v.unit();
    let clock_min = v.clock_min;
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .margin_right(24)
        .caption(v.caption.clone(), text(19))
        .x_label_area_size(56)
        .y_label_area_size(if v.y_desc.is_empty() { 50 } else { 90 })
        .build_cartesian_2d(v.h(x0)..v.h(x1), 0.0..v.y_max)?;
    house_mesh(
        chart
            .configure_mesh()
            .x_labels(v.x_labels)
            .y_labels(6)
            .x_desc(if v.clock_min.is_some() {
                "time of day (hh:mm)"
            } else {
                "simulated time (h:mm)"
            })
            .y_desc(v.y_desc),
    )
    .x_label_formatter(&|v| super::at(*v * unit, clock_min))
    .y_label_formatter(&|v| tick(*v))
    .draw()?;
    Ok(chart.plotting_area().clone())
}

/// Grey bands where the server is down.
fn paint_down<DB: DrawingBackend>(pa: &Plot<DB>, p: &OccPanel, v: &OccView<'_>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (x0, x1) = v.x;
    for &(a, b) in &p.down {
        let (a, b) = (a.max(x0), b.min(x1));
        if a < b {
            pa.draw(&Rectangle::new(
                [(v.h(a), 0.0), (v.h(b), v.y_max)],
                RGBColor(0xdd, 0xdd, 0xdd).filled(),
            ))?;
        }
    }
    Ok(())
}

/// The features' sessions, stacked in the scenario's order.
fn paint_layers<DB: DrawingBackend>(pa: &Plot<DB>, p: &OccPanel, v: &OccView<'_>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    // Samples inside the view; stacked values clipped to it (plotters does not clip).
    let inside: Vec<usize> = (0..p.times_min.len())
        .filter(|&k| v.shows(p.times_min[k]))
        .collect();
    let y_max = v.y_max;
    let mut below = vec![0.0; p.times_min.len()];
    for l in &p.layers {
        let above: Vec<f64> = below.iter().zip(&l.values).map(|(a, b)| a + b).collect();
        if inside.iter().any(|&k| l.values[k] > 0.0) {
            let mut poly: Vec<(f64, f64)> = inside
                .iter()
                .map(|&k| (v.h(p.times_min[k]), above[k].min(y_max)))
                .collect();
            poly.extend(
                inside
                    .iter()
                    .rev()
                    .map(|&k| (v.h(p.times_min[k]), below[k].min(y_max))),
            );
            pa.draw(&Polygon::new(poly, l.colour.filled()))?;
        }
        below = above;
    }
    Ok(())
}

/// Marker lines first, then their labels, each in the first row where it overlaps no label
/// already placed (greedy interval packing, in time order).
fn paint_markers<DB: DrawingBackend>(pa: &Plot<DB>, p: &OccPanel, v: &OccView<'_>) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let visible: Vec<&Marker> = p.markers.iter().filter(|m| v.shows(m.x)).collect();
    for m in &visible {
        pa.draw(&PathElement::new(
            vec![(v.h(m.x), 0.0), (v.h(m.x), v.y_max)],
            m.colour.stroke_width(2),
        ))?;
    }
    let mut rows: Vec<i32> = Vec::new(); // per row, the right end of its last label
    for m in &visible {
        paint_marker_label(pa, v, m, &mut rows)?;
    }
    Ok(())
}

/// A marker's label at the top of its line, on a white box, in a free row of `rows`.
fn paint_marker_label<DB: DrawingBackend>(
    pa: &Plot<DB>,
    v: &OccView<'_>,
    m: &Marker,
    rows: &mut Vec<i32>,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (x0, x1) = v.x;
    let (plot_w, _) = pa.dim_in_pixel();
    let px = ((m.x - x0) / (x1 - x0).max(1e-9) * plot_w as f64).round() as i32;
    let base = anchored(15, HPos::Left, VPos::Top);
    let (tw, th) = pa.estimate_text_size(&m.label, &base)?;
    let (tw, th) = (tw as i32, th as i32);
    // Right of the line, or left of it where the label would leave the plot.
    let left = px + 8 + tw > plot_w as i32;
    let (bx0, bx1, tx) = if left {
        (-8 - tw, -4, -6)
    } else {
        (4, 8 + tw, 6)
    };
    let row = free_row(rows, px + bx0);
    rows[row] = px + bx1;
    let dy = 4 + row as i32 * 19;
    let style = if left {
        anchored(15, HPos::Right, VPos::Top)
    } else {
        base
    };
    let at = EmptyElement::at((v.h(m.x), v.y_max));
    pa.draw(
        &(at + Rectangle::new(
            [(bx0, dy - 1), (bx1, dy + th + 2)],
            WHITE.mix(0.85).filled(),
        )),
    )?;
    pa.draw(
        &(EmptyElement::at((v.h(m.x), v.y_max))
            + Text::new(m.label.clone(), (tx, dy), style.color(&m.colour))),
    )?;
    Ok(())
}

/// The first row whose last label ends left of `start`; a new row while there are fewer than
/// six, else the row whose last label ends first.
fn free_row(rows: &mut Vec<i32>, start: i32) -> usize {
    match rows.iter().position(|&r| r + 6 <= start) {
        Some(i) => i,
        None if rows.len() < 6 => {
            rows.push(i32::MIN);
            rows.len() - 1
        }
        None => (0..rows.len()).min_by_key(|&i| rows[i]).unwrap_or(0),
    }
}
