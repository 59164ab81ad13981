//! Lines with optional confidence bands and markers in one plot: the figure behind
//! `cut_vs_wait` and `drain_time_cdf`.

use std::error::Error;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::Paint;
use super::style::{
    DrawResult, HEIGHT, LegendItem, MUTED, Plot, WIDTH, anchored, draw_legend, draw_title,
    house_mesh, tick,
};

/// One line.
pub(super) struct Series {
    pub(super) colour: RGBColor,
    pub(super) dashed: bool,
    pub(super) points: Vec<(f64, f64)>,
    /// (x, low, high) of a confidence band.
    pub(super) band: Vec<(f64, f64, f64)>,
    /// A dot at every point.
    pub(super) markers: bool,
}

/// A line chart, prepared.
pub(super) struct LineChart {
    pub(super) title: String,
    pub(super) subtitle: Option<String>,
    pub(super) legend: Vec<LegendItem>,
    pub(super) x_desc: String,
    pub(super) y_desc: String,
    pub(super) x_range: (f64, f64),
    pub(super) y_range: (f64, f64),
    /// Fractions on the y axis, written as percentages.
    pub(super) percent_y: bool,
    pub(super) series: Vec<Series>,
    /// Written across the middle of the plot (when there is nothing to show).
    pub(super) note: Option<String>,
}

/// The chart's axes, in data coordinates.
type Lines<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

impl LineChart {
    /// Draws the axes and the mesh; returns the chart to draw the series on.
    fn axes<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
    ) -> Result<Lines<'a, DB>, Box<dyn Error>>
    where
        DB::ErrorType: 'static,
    {
        let mut chart = ChartBuilder::on(area)
            .margin(14)
            .margin_right(40)
            .x_label_area_size(64)
            .y_label_area_size(90)
            .build_cartesian_2d(
                self.x_range.0..self.x_range.1,
                self.y_range.0..self.y_range.1,
            )?;
        let percent = self.percent_y;
        let y_fmt = move |v: &f64| {
            if percent {
                format!("{:.0} %", v * 100.0)
            } else {
                tick(*v)
            }
        };
        house_mesh(
            chart
                .configure_mesh()
                .x_labels(10)
                .y_labels(8)
                .x_desc(self.x_desc.clone())
                .y_desc(self.y_desc.clone()),
        )
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&y_fmt)
        .draw()?;
        Ok(chart)
    }

    /// Every series' confidence band, under all the lines.
    fn paint_bands<DB: DrawingBackend>(&self, pa: &Plot<DB>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        for s in &self.series {
            if s.band.len() >= 2 {
                let mut poly: Vec<(f64, f64)> = s.band.iter().map(|&(x, lo, _)| (x, lo)).collect();
                poly.extend(s.band.iter().rev().map(|&(x, _, hi)| (x, hi)));
                pa.draw(&Polygon::new(poly, s.colour.mix(0.18).filled()))?;
            }
        }
        Ok(())
    }

    /// The note across the middle of the plot, if any.
    fn paint_note<DB: DrawingBackend>(&self, pa: &Plot<DB>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        if let Some(n) = &self.note {
            let (x0, x1) = self.x_range;
            let (y0, y1) = self.y_range;
            pa.draw(&Text::new(
                n.clone(),
                ((x0 + x1) / 2.0, y0 + (y1 - y0) * 0.55),
                anchored(17, HPos::Center, VPos::Center).color(&MUTED),
            ))?;
        }
        Ok(())
    }
}

/// One series' line, its markers and the interval of each point.
fn paint_series<DB: DrawingBackend>(chart: &mut Lines<'_, DB>, s: &Series) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let style = s.colour.stroke_width(3);
    if s.dashed {
        chart.draw_series(DashedLineSeries::new(
            s.points.iter().copied(),
            10,
            7,
            style,
        ))?;
    } else {
        chart.draw_series(LineSeries::new(s.points.iter().copied(), style))?;
    }
    if s.markers {
        chart.draw_series(
            s.points
                .iter()
                .map(|&p| Circle::new(p, 5, s.colour.filled())),
        )?;
    }
    for &(x, lo, hi) in &s.band {
        let thin = s.colour.stroke_width(1);
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x, lo), (x, hi)],
            thin,
        )))?;
    }
    Ok(())
}

impl Paint for LineChart {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn paint<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = draw_title(root, &self.title, self.subtitle.as_deref())?;
        let area = draw_legend(&area, &self.legend)?;
        let mut chart = self.axes(&area)?;
        self.paint_bands(chart.plotting_area())?;
        // The first series (DNS in a DNS/hardware sweep) is drawn last so that, where the lines
        // coincide, its dashes show on top of the solid line.
        for s in self.series.iter().rev() {
            paint_series(&mut chart, s)?;
        }
        self.paint_note(chart.plotting_area())
    }
}
