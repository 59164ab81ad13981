//! Charts of the report folder (see docs/formats.md), each as `<name>.svg` and `<name>.png`.
//!
//! [`plan`] says which charts apply to a report, [`draw`] draws one into memory: SVG into a
//! `String`, PNG into an RGB buffer encoded with the `png` crate. Text uses DejaVu Sans from the
//! `dejavu` crate, registered with plotters' `ab_glyph` font table, so no system font or
//! library is needed. Nothing here reads the clock or iterates a hash map: the same results give
//! byte-identical files.
//!
//! One file per chart (`cut_by_feature`, `occupancy`, `cut_vs_wait`, `drain_time_cdf`,
//! `cut_by_feature_set`, `day_load`), each with its entry in the plan (title and caption) and its data;
//! the figures they fill in (`bars`, `lines`) and the house `style` are shared, and `runs`
//! chooses and names the runs a chart shows.

mod bars;
mod cut_by_feature;
mod cut_by_feature_set;
mod cut_vs_wait;
mod day_load;
mod drain_time_cdf;
mod lines;
mod occupancy;
pub mod plan_tradeoff;
mod runs;
mod style;

use std::error::Error;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::ReportData;
use style::DrawResult;

pub use runs::paused_server;
pub use style::feature_colour;

/// Which chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Sessions cut per feature, DNS vs hardware, with 95 % intervals.
    CutByFeature,
    /// Occupancy of the paused server over time, replication 0, stacked by feature.
    Occupancy,
    /// Sessions cut vs the plan's wait, per load balancing, with 95 % bands.
    CutVsWait,
    /// Empirical distribution of drain times per run.
    DrainTimeCdf,
    /// Sessions cut per feature set, DNS vs hardware.
    CutByFeatureSet,
    /// The pool's expected sessions in progress over a day, with the maintenance windows.
    DayLoad,
}

/// A chart the report contains.
#[derive(Debug, Clone)]
pub struct Chart {
    /// What it shows.
    pub kind: ChartKind,
    /// File stem: `<name>.svg`, `<name>.png`.
    pub name: &'static str,
    /// Heading in `report.md`.
    pub title: String,
    /// One or two sentences saying how to read it.
    pub caption: String,
}

/// A chart after drawing: `error` says why it could not be drawn.
#[derive(Debug, Clone)]
pub struct Drawn {
    /// The chart.
    pub chart: Chart,
    /// `None` when its files were written.
    pub error: Option<String>,
}

/// The charts that apply to these results, in report order.
pub fn plan(d: &ReportData<'_>) -> Vec<Chart> {
    if d.rows.is_empty() {
        return Vec::new();
    }
    [
        cut_by_feature::entry(d),
        occupancy::entry(d),
        cut_vs_wait::entry(d),
        drain_time_cdf::entry(d),
        cut_by_feature_set::entry(d),
        day_load::entry(d),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Draws `chart` as SVG and PNG bytes.
pub fn draw(d: &ReportData<'_>, chart: &Chart) -> Result<(Vec<u8>, Vec<u8>), String> {
    style::fonts()?;
    let figure: Box<dyn Figure> = match chart.kind {
        ChartKind::CutByFeature => Box::new(cut_by_feature::figure(d)),
        ChartKind::Occupancy => Box::new(occupancy::figure(d)),
        ChartKind::CutVsWait => Box::new(cut_vs_wait::figure(d)),
        ChartKind::DrainTimeCdf => Box::new(drain_time_cdf::figure(d)),
        ChartKind::CutByFeatureSet => Box::new(cut_by_feature_set::figure(d)),
        ChartKind::DayLoad => Box::new(day_load::figure(d)),
    };
    encode(figure.as_ref()).map_err(|e| format!("{}: {e}", chart.name))
}

// ------------------------------------------------------------------------------------------
// Figures: prepared data that knows how to draw itself on any backend.

/// A chart's prepared data, drawn the same way on every backend.
trait Paint {
    /// Width and height, pixels.
    fn size(&self) -> (u32, u32);
    /// Draws the chart on `root`, already filled white.
    fn paint<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

/// [`Paint`] behind a `dyn`: a generic method cannot be called through one, so one method per
/// backend type.
trait Figure {
    fn size(&self) -> (u32, u32);
    fn draw_svg(&self, root: &DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult;
    fn draw_bitmap(&self, root: &DrawingArea<BitMapBackend<'_>, Shift>) -> DrawResult;
}

impl<T: Paint> Figure for T {
    fn size(&self) -> (u32, u32) {
        Paint::size(self)
    }
    fn draw_svg(&self, root: &DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult {
        self.paint(root)
    }
    fn draw_bitmap(&self, root: &DrawingArea<BitMapBackend<'_>, Shift>) -> DrawResult {
        self.paint(root)
    }
}

/// Draws `f` as SVG and as PNG.
fn encode(f: &dyn Figure) -> Result<(Vec<u8>, Vec<u8>), Box<dyn Error>> {
    let (w, h) = f.size();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;
        f.draw_svg(&root)?;
        root.present()?;
    }
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;
        f.draw_bitmap(&root)?;
        root.present()?;
    }
    Ok((svg.into_bytes(), png_bytes(&rgb, w, h)?))
}

/// An RGB buffer `w` × `h` as PNG.
fn png_bytes(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, Box<dyn Error>> {
    let mut png_bytes = Vec::new();
    let mut enc = png::Encoder::new(&mut png_bytes, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    // fdeflate's PNG-tuned mode: half the time of a whole one-replication run went to the
    // default level; files of these flat-colour charts are about twice as large (70-140 kB).
    enc.set_compression(png::Compression::Fast);
    let mut writer = enc.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(png_bytes)
}
