//! Horizontal grouped bars with interval whiskers, in one or more panels: the figure behind
//! `cut_by_feature` and `cut_by_feature_set`.

use std::error::Error;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::Paint;
use super::style::{
    DrawResult, HEIGHT, INK, LEGEND_ROW, LegendItem, Plot, WIDTH, anchored, draw_legend,
    draw_title, house_mesh, nice_max, text, tick, tint,
};
use crate::stats::Estimate;

/// One bar: a mean with its interval.
pub(super) struct Bar {
    pub(super) est: Estimate,
    pub(super) colour: RGBColor,
    /// Drawn light with a border (the DNS side of a DNS/hardware pair).
    pub(super) light: bool,
    /// Written at the end of the bar.
    pub(super) label: String,
}

/// Bars drawn together, labelled on the left.
pub(super) struct BarGroup {
    pub(super) lines: Vec<String>,
    /// A colour square beside the label (the feature's colour).
    pub(super) swatch: Option<RGBColor>,
    pub(super) bars: Vec<Bar>,
}

/// One plot of small multiples.
pub(super) struct BarPanel {
    pub(super) title: Option<String>,
    pub(super) groups: Vec<BarGroup>,
}

/// A bar chart, prepared.
pub(super) struct BarChart {
    pub(super) title: String,
    pub(super) subtitle: Option<String>,
    pub(super) legend: Vec<LegendItem>,
    pub(super) x_desc: String,
    pub(super) y_desc: String,
    pub(super) panels: Vec<BarPanel>,
    /// Panels per row.
    pub(super) cols: usize,
}

const BAR_H: f64 = 18.0;
const BAR_GAP: f64 = 3.0;
const GROUP_PAD: f64 = 14.0;
const LINE_H: f64 = 17.0;

impl Bar {
    /// Where the bar or its whisker ends.
    fn end(&self) -> f64 {
        if self.est.high.is_finite() {
            self.est.high.max(self.est.mean)
        } else {
            self.est.mean
        }
    }
}

impl BarGroup {
    fn height(&self) -> f64 {
        let bars = self.bars.len() as f64 * (BAR_H + BAR_GAP) - BAR_GAP;
        bars.max(self.lines.len() as f64 * LINE_H) + GROUP_PAD
    }
}

impl BarPanel {
    fn height(&self) -> f64 {
        self.groups
            .iter()
            .map(BarGroup::height)
            .sum::<f64>()
            .max(60.0)
    }
}

/// Pixels around a bar panel's plot: caption, x labels, margins.
fn bar_panel_chrome(titled: bool) -> u32 {
    (if titled { 34 } else { 0 }) + 64 + 20
}

impl BarChart {
    fn header(&self) -> u32 {
        let legend_rows = if self.legend.is_empty() {
            0
        } else {
            1 + self.legend.len() as u32 / 5
        };
        48 + if self.subtitle.is_some() { 26 } else { 0 } + legend_rows * LEGEND_ROW as u32 + 10
    }

    fn titled(&self) -> bool {
        self.panels.iter().any(|p| p.title.is_some())
    }

    fn panel_height(&self) -> u32 {
        let plot = self.panels.iter().map(|p| p.height()).fold(0.0, f64::max);
        plot.ceil() as u32 + bar_panel_chrome(self.titled())
    }

    fn bars(&self) -> impl Iterator<Item = &Bar> {
        self.panels
            .iter()
            .flat_map(|p| &p.groups)
            .flat_map(|g| &g.bars)
    }

    fn x_max(&self) -> f64 {
        nice_max(self.bars().map(Bar::end).fold(0.0, f64::max))
    }

    /// Width of the label column: the widest line decides, at most 45 % of a panel.
    fn label_area<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        pw: u32,
    ) -> Result<u32, Box<dyn Error>>
    where
        DB::ErrorType: 'static,
    {
        let label_style = text(15);
        let mut label_w = 0u32;
        for g in self.panels.iter().flat_map(|p| &p.groups) {
            for l in &g.lines {
                label_w = label_w.max(area.estimate_text_size(l, &label_style)?.0);
            }
        }
        Ok((label_w + 62).min(pw * 45 / 100))
    }

    /// The x axis bound, widened so that every bar's label fits to the right of its bar (or
    /// whisker) in a plot `plot_w` pixels wide.
    fn x_max_with_labels<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        plot_w: f64,
    ) -> Result<f64, Box<dyn Error>>
    where
        DB::ErrorType: 'static,
    {
        let mut x_max = self.x_max();
        for b in self.bars() {
            let (tw, _) = area.estimate_text_size(&b.label, &text(14))?;
            let free = (plot_w + 20.0 - 12.0 - tw as f64).max(plot_w * 0.3);
            x_max = x_max.max(b.end() * plot_w / free);
        }
        Ok(nice_max(x_max))
    }

    /// Draws the panel's axes; returns its plotting area.
    fn panel_plot<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        panel: &BarPanel,
        label_area: u32,
        (x_max, y_total): (f64, f64),
    ) -> Result<Plot<DB>, Box<dyn Error>>
    where
        DB::ErrorType: 'static,
    {
        let mut builder = ChartBuilder::on(area);
        builder
            .margin(10)
            .margin_right(30)
            .x_label_area_size(64)
            .y_label_area_size(label_area);
        if self.titled() {
            builder.caption(panel.title.clone().unwrap_or_default(), text(19));
        }
        let mut chart = builder.build_cartesian_2d(0.0..x_max, 0.0..y_total.max(1.0))?;
        house_mesh(
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(0)
                .x_labels(8)
                .x_desc(self.x_desc.clone())
                .y_desc(self.y_desc.clone()),
        )
        .x_label_formatter(&|v| tick(*v))
        .draw()?;
        Ok(chart.plotting_area().clone())
    }

    fn paint_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        panel: &BarPanel,
        label_area: u32,
        x_max: f64,
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let (_, ph) = area.dim_in_pixel();
        let y_total = (ph.saturating_sub(bar_panel_chrome(self.titled()))) as f64;
        let pa = self.panel_plot(area, panel, label_area, (x_max, y_total))?;
        let mut top = y_total;
        for g in &panel.groups {
            let h = g.height();
            let mid = top - h / 2.0;
            let bars_h = g.bars.len() as f64 * (BAR_H + BAR_GAP) - BAR_GAP;
            let mut y = mid + bars_h / 2.0;
            for b in &g.bars {
                paint_bar(&pa, b, y)?;
                y -= BAR_H + BAR_GAP;
            }
            paint_group_label(&pa, g, mid)?;
            top -= h;
        }
        Ok(())
    }
}

impl Paint for BarChart {
    fn size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(self.cols.max(1)) as u32;
        (
            WIDTH,
            (self.header() + rows * self.panel_height()).max(HEIGHT),
        )
    }

    fn paint<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = draw_title(root, &self.title, self.subtitle.as_deref())?;
        let area = draw_legend(&area, &self.legend)?;
        let (w, _) = area.dim_in_pixel();
        let rows = self.panels.len().div_ceil(self.cols.max(1));
        let ph = self.panel_height();
        let pw = w / self.cols.max(1) as u32;
        let label_area = self.label_area(&area, pw)?;
        let plot_w = pw.saturating_sub(label_area + 40).max(100) as f64;
        let x_max = self.x_max_with_labels(&area, plot_w)?;
        for (i, panel) in self.panels.iter().enumerate() {
            let (r, c) = (i / self.cols.max(1), i % self.cols.max(1));
            if r >= rows {
                break;
            }
            let sub = area
                .clone()
                .shrink(((c as u32 * pw) as i32, (r as u32 * ph) as i32), (pw, ph));
            self.paint_panel(&sub, panel, label_area, x_max)?;
        }
        Ok(())
    }
}

/// One bar with its whisker and value label; `y` is the bar's top.
fn paint_bar<DB: DrawingBackend>(pa: &Plot<DB>, b: &Bar, y: f64) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (y0, y1) = (y - BAR_H, y);
    let yc = (y0 + y1) / 2.0;
    let mean = b.est.mean.max(0.0);
    if b.light {
        pa.draw(&Rectangle::new(
            [(0.0, y0), (mean, y1)],
            tint(b.colour, 0.65).filled(),
        ))?;
        pa.draw(&Rectangle::new(
            [(0.0, y0), (mean, y1)],
            b.colour.stroke_width(2),
        ))?;
    } else {
        pa.draw(&Rectangle::new([(0.0, y0), (mean, y1)], b.colour.filled()))?;
    }
    let mut end = mean;
    if b.est.low.is_finite() && b.est.high.is_finite() {
        let whisker = INK.stroke_width(2);
        pa.draw(&PathElement::new(
            vec![(b.est.low, yc), (b.est.high, yc)],
            whisker,
        ))?;
        for x in [b.est.low, b.est.high] {
            pa.draw(
                &(EmptyElement::at((x, yc)) + PathElement::new(vec![(0, -6), (0, 6)], whisker)),
            )?;
        }
        end = end.max(b.est.high);
    }
    let value_style = anchored(14, HPos::Left, VPos::Center);
    pa.draw(&(EmptyElement::at((end, yc)) + Text::new(b.label.clone(), (8, 0), value_style)))?;
    Ok(())
}

/// A group's label lines (and swatch) left of the axis, centred on `mid`.
fn paint_group_label<DB: DrawingBackend>(pa: &Plot<DB>, g: &BarGroup, mid: f64) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let label_style = anchored(15, HPos::Right, VPos::Center);
    let n = g.lines.len() as f64;
    let dx = if g.swatch.is_some() { -26 } else { -8 };
    for (k, l) in g.lines.iter().enumerate() {
        let dy = ((k as f64 - (n - 1.0) / 2.0) * LINE_H).round() as i32;
        pa.draw(
            &(EmptyElement::at((0.0, mid)) + Text::new(l.clone(), (dx, dy), label_style.clone())),
        )?;
    }
    if let Some(c) = g.swatch {
        pa.draw(
            &(EmptyElement::at((0.0, mid)) + Rectangle::new([(-20, -7), (-6, 7)], c.filled())),
        )?;
    }
    Ok(())
}
