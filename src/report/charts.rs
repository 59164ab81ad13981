//! Charts of the report folder (DESIGN §3), each as `<name>.svg` and `<name>.png`.
//!
//! Drawn with plotters into memory: SVG into a `String`, PNG into an RGB buffer encoded with
//! the `png` crate. Text uses DejaVu Sans from the `dejavu` crate, registered with plotters'
//! `ab_glyph` font table, so no system font or library is needed. Nothing here reads the clock
//! or iterates a hash map: the same results give byte-identical files.
//!
//! Colours: one per feature, fixed by the feature's position in the scenario's base feature
//! list ([`feature_colour`]), the same in every chart; DNS and hardware load balancing have
//! their own two colours where a chart shows no feature.

use std::error::Error;
use std::sync::OnceLock;

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::register_font;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{ReportData, fixed};
use crate::model::{Action, DrainEnd, LoadBalancing, StepOutcome};
use crate::runner::RunResult;
use crate::stats::Estimate;
use crate::summary::SummaryRow;

/// Width of every chart, pixels.
const WIDTH: u32 = 1200;
/// Height of a one-panel chart, pixels (charts with several panels grow downwards).
const HEIGHT: u32 = 700;
/// Font family name the DejaVu font is registered under (plotters' default family).
const FAMILY: &str = "sans-serif";
/// Most panels of small multiples; more runs are left to the CSV files.
const MAX_PANELS: usize = 6;
/// Most series in one chart (lines or bars per group).
const MAX_SERIES: usize = 8;
/// Most feature sets in `cut_by_feature_set`.
const MAX_SETS: usize = 40;

/// Feature colours (Tableau 20, reordered so that neighbours differ), indexed by the feature's
/// position in the base feature list, cycling after 12.
const FEATURE_PALETTE: [RGBColor; 12] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xa0, 0xcb, 0xe8),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0x8c, 0xd1, 0x7d),
    RGBColor(0xb6, 0x99, 0x2d),
    RGBColor(0xf1, 0xce, 0x63),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0x9d, 0x76, 0x60),
    RGBColor(0x79, 0x70, 0x6e),
];

/// DNS load balancing where a chart shows no feature colour.
const DNS_COLOUR: RGBColor = RGBColor(0x1f, 0x5f, 0xaa);
/// Hardware load balancing where a chart shows no feature colour.
const HARDWARE_COLOUR: RGBColor = RGBColor(0xd9, 0x5f, 0x02);
/// Series colours when series differ by more than load balancing.
const SERIES_PALETTE: [RGBColor; 8] = [
    RGBColor(0x1f, 0x5f, 0xaa),
    RGBColor(0xd9, 0x5f, 0x02),
    RGBColor(0x1b, 0x9e, 0x77),
    RGBColor(0x75, 0x70, 0xb3),
    RGBColor(0xe7, 0x29, 0x8a),
    RGBColor(0x66, 0xa6, 0x1e),
    RGBColor(0xa6, 0x76, 0x1d),
    RGBColor(0x44, 0x44, 0x44),
];
const GRID: RGBColor = RGBColor(0xe6, 0xe6, 0xe6);
const GRID_BOLD: RGBColor = RGBColor(0xcc, 0xcc, 0xcc);
const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);

type DrawResult = Result<(), Box<dyn Error>>;
/// A legend laid out in rows: (x offset, item index) per entry.
type LegendRows = Vec<Vec<(i32, usize)>>;
/// Axis values (column, value) of a run.
type Labels = Vec<(String, String)>;
/// Runs sharing a key, in run order.
type RunGroup<'r> = (Labels, Vec<&'r RunResult>);

/// The colour of feature `name`: its position in the scenario's base feature list.
pub fn feature_colour(d: &ReportData<'_>, name: &str) -> RGBColor {
    let base = &d.scenario.base.features;
    let i = base
        .iter()
        .position(|f| f.name == name)
        .unwrap_or(base.len());
    FEATURE_PALETTE[i % FEATURE_PALETTE.len()]
}

fn lb_colour(lb: LoadBalancing) -> RGBColor {
    match lb {
        LoadBalancing::Dns => DNS_COLOUR,
        LoadBalancing::Hardware => HARDWARE_COLOUR,
    }
}

/// `c` mixed with white: `amount` 0 keeps it, 1 gives white.
fn tint(c: RGBColor, amount: f64) -> RGBColor {
    let m = |x: u8| (x as f64 + (255.0 - x as f64) * amount).round() as u8;
    RGBColor(m(c.0), m(c.1), m(c.2))
}

fn text(size: u32) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size as f64).into_font()).color(&INK)
}

/// The mesh style every chart shares: label and axis-title fonts, grid and axis colours.
fn house_mesh<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.label_style(text(15))
        .axis_desc_style(text(17))
        .light_line_style(GRID)
        .max_light_lines(2)
        .bold_line_style(GRID_BOLD)
        .axis_style(INK)
}

fn anchored(size: u32, h: HPos, v: VPos) -> TextStyle<'static> {
    text(size).pos(Pos::new(h, v))
}

/// Registers DejaVu Sans (regular and bold) with plotters once per process.
fn fonts() -> Result<(), String> {
    static FONTS: OnceLock<Result<(), String>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            register_font(FAMILY, FontStyle::Normal, dejavu::sans::regular())
                .map_err(|_| "cannot load the DejaVu Sans font".to_string())?;
            register_font(FAMILY, FontStyle::Bold, dejavu::sans::bold())
                .map_err(|_| "cannot load the DejaVu Sans Bold font".to_string())
        })
        .clone()
}

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

fn has_column(d: &ReportData<'_>, column: &str) -> bool {
    super::label_columns(d.results).iter().any(|c| c == column)
}

/// The server of the first pause, graceful stop or restart step of a run's plan (0-based).
pub fn paused_server(r: &RunResult) -> Option<usize> {
    r.run.config.plan.iter().find_map(|s| match &s.action {
        Action::Pause(t) | Action::StopGraceful(t) => t.servers.first().map(|&x| x as usize),
        Action::Restart { servers, .. } | Action::Failover { servers, .. } => {
            servers.first().map(|&x| x as usize)
        }
        _ => None,
    })
}

/// The charts that apply to these results, in report order.
pub fn plan(d: &ReportData<'_>) -> Vec<Chart> {
    let mut out = Vec::new();
    if d.rows.is_empty() {
        return out;
    }
    let swept_lb = d
        .scenario
        .axes
        .iter()
        .any(|a| a.key == "load_balancing" || a.key == "pool.load_balancing");
    out.push(Chart {
        kind: ChartKind::CutByFeature,
        name: "cut_by_feature",
        title: "Sessions cut per feature".into(),
        caption: if swept_lb {
            "Mean sessions cut per replication, per feature, with 95 % confidence intervals: \
             solid bars with hardware load balancing, light bars with DNS load balancing."
                .into()
        } else {
            "Mean sessions cut per replication, per feature, with 95 % confidence intervals.".into()
        },
    });
    let occupancy = d.results.iter().find_map(|r| {
        let rep = r.replications.first()?;
        (!rep.metrics.timeseries.times.is_empty()).then_some(())?;
        paused_server(r)
    });
    if let Some(s) = occupancy {
        out.push(Chart {
            kind: ChartKind::Occupancy,
            name: "occupancy",
            title: format!("Occupancy of FE {} over time", s + 1),
            caption: format!(
                "Sessions on FE {} (the server the plan pauses) in replication 0, stacked by \
                 feature; vertical lines mark the plan's steps on that server (pause, restart, \
                 …) and the end of its drain, the grey band the time it is down. The zoom on \
                 the right rescales the drain so that the sessions the restart will cut show.",
                s + 1
            ),
        });
    }
    if has_column(d, "wait_s") {
        out.push(Chart {
            kind: ChartKind::CutVsWait,
            name: "cut_vs_wait",
            title: "Sessions cut vs wait before the restart".into(),
            caption: "Mean sessions cut per replication (all features) against the wait between \
                      pause and restart, with 95 % confidence bands."
                .into(),
        });
    }
    if d.results.iter().any(|r| {
        r.replications
            .iter()
            .any(|rep| !rep.metrics.drains.is_empty())
    }) {
        out.push(Chart {
            kind: ChartKind::DrainTimeCdf,
            name: "drain_time_cdf",
            title: "Drain time".into(),
            caption: "Fraction of pauses after which the server had drained (no session left on \
                      its paused services) within a given time; a line that stays low means the \
                      server was restarted, stopped or resumed before it drained."
                .into(),
        });
    }
    if has_column(d, "feature_set") {
        out.push(Chart {
            kind: ChartKind::CutByFeatureSet,
            name: "cut_by_feature_set",
            title: "Sessions cut per feature set".into(),
            caption: "Mean sessions cut per replication (all features of the set) with 95 % \
                      confidence intervals, per load balancing."
                .into(),
        });
    }
    out
}

/// Draws `chart` as SVG and PNG bytes.
pub fn draw(d: &ReportData<'_>, chart: &Chart) -> Result<(Vec<u8>, Vec<u8>), String> {
    fonts()?;
    let figure: Box<dyn Figure> = match chart.kind {
        ChartKind::CutByFeature => Box::new(cut_by_feature(d)),
        ChartKind::Occupancy => Box::new(occupancy(d)),
        ChartKind::CutVsWait => Box::new(cut_vs_wait(d)),
        ChartKind::DrainTimeCdf => Box::new(drain_time_cdf(d)),
        ChartKind::CutByFeatureSet => Box::new(cut_by_feature_set(d)),
    };
    encode(figure.as_ref()).map_err(|e| format!("{}: {e}", chart.name))
}

// ------------------------------------------------------------------------------------------
// Figures: prepared data that knows how to draw itself on any backend.

/// A chart's prepared data. Drawing is written once per backend type, hence two methods.
trait Figure {
    fn size(&self) -> (u32, u32);
    fn draw_svg(&self, root: &DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult;
    fn draw_bitmap(&self, root: &DrawingArea<BitMapBackend<'_>, Shift>) -> DrawResult;
}

/// Implements [`Figure`] for a type with a generic `fn paint<DB>(&self, root) -> DrawResult`.
macro_rules! figure {
    ($t:ty) => {
        impl Figure for $t {
            fn size(&self) -> (u32, u32) {
                self.size()
            }
            fn draw_svg(&self, root: &DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult {
                self.paint(root)
            }
            fn draw_bitmap(&self, root: &DrawingArea<BitMapBackend<'_>, Shift>) -> DrawResult {
                self.paint(root)
            }
        }
    };
}

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
    let mut png_bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png_bytes, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        // fdeflate's PNG-tuned mode: half the time of a whole one-replication run went to the
        // default level; files of these flat-colour charts are about twice as large (70-140 kB).
        enc.set_compression(png::Compression::Fast);
        let mut writer = enc.write_header()?;
        writer.write_image_data(&rgb)?;
        writer.finish()?;
    }
    Ok((svg.into_bytes(), png_bytes))
}

/// One entry of a legend.
#[derive(Clone)]
struct LegendItem {
    label: String,
    colour: RGBColor,
    mark: Mark,
}

#[derive(Clone, Copy, PartialEq)]
enum Mark {
    /// A filled square.
    Solid,
    /// A light square with a border (DNS bars).
    Light,
    /// A line.
    Line,
    /// A dashed line.
    Dashed,
}

const LEGEND_ROW: i32 = 24;

/// Rows the legend needs at `width` pixels (estimated before drawing, same for both backends).
fn legend_layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[LegendItem],
    width: i32,
) -> Result<LegendRows, Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let style = text(15);
    let mut rows: Vec<Vec<(i32, usize)>> = vec![Vec::new()];
    let mut x = 0;
    for (i, it) in items.iter().enumerate() {
        let (tw, _) = area.estimate_text_size(&it.label, &style)?;
        let w = 30 + tw as i32 + 24;
        if x > 0 && x + w > width {
            rows.push(Vec::new());
            x = 0;
        }
        if let Some(row) = rows.last_mut() {
            row.push((x, i));
        }
        x += w;
    }
    Ok(rows)
}

/// Draws a legend in rows across the top of `area`; returns the area below it.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[LegendItem],
) -> Result<DrawingArea<DB, Shift>, Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    if items.is_empty() {
        return Ok(area.clone());
    }
    let (w, _) = area.dim_in_pixel();
    let left = 70;
    let rows = legend_layout(area, items, w as i32 - left - 20)?;
    let height = rows.len() as i32 * LEGEND_ROW + 10;
    let (top, rest) = area.split_vertically(height);
    let style = anchored(15, HPos::Left, VPos::Center);
    for (r, row) in rows.iter().enumerate() {
        let y = 4 + r as i32 * LEGEND_ROW + LEGEND_ROW / 2;
        for &(x, i) in row {
            let it = &items[i];
            let x = left + x;
            match it.mark {
                Mark::Solid => {
                    top.draw(&Rectangle::new(
                        [(x, y - 8), (x + 22, y + 8)],
                        it.colour.filled(),
                    ))?;
                }
                Mark::Light => {
                    top.draw(&Rectangle::new(
                        [(x, y - 8), (x + 22, y + 8)],
                        tint(it.colour, 0.65).filled(),
                    ))?;
                    top.draw(&Rectangle::new(
                        [(x, y - 8), (x + 22, y + 8)],
                        it.colour.stroke_width(2),
                    ))?;
                }
                Mark::Line => {
                    top.draw(&PathElement::new(
                        vec![(x, y), (x + 22, y)],
                        it.colour.stroke_width(3),
                    ))?;
                }
                Mark::Dashed => {
                    for k in 0..3 {
                        let x0 = x + k * 8;
                        top.draw(&PathElement::new(
                            vec![(x0, y), (x0 + 5, y)],
                            it.colour.stroke_width(3),
                        ))?;
                    }
                }
            }
            top.draw(&Text::new(it.label.clone(), (x + 30, y), style.clone()))?;
        }
    }
    Ok(rest)
}

/// Title across the top; returns the area below.
fn draw_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: Option<&str>,
) -> Result<DrawingArea<DB, Shift>, Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let title_style =
        TextStyle::from((FAMILY, 26.0).into_font().style(FontStyle::Bold)).color(&INK);
    let mut rest = root.margin(10, 0, 0, 0).titled(title, title_style)?;
    if let Some(s) = subtitle {
        rest = rest.titled(s, text(15).color(&MUTED))?;
    }
    Ok(rest)
}

fn tick(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let s = fixed(v, 2);
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s.is_empty() { "0".into() } else { s }
}

/// "h:mm" for a time in minutes.
fn clock(min: f64) -> String {
    let m = min.round().max(0.0) as u64;
    format!("{}:{:02}", m / 60, m % 60)
}

/// "12.30 (11.80–12.90)", or only the mean when there is no interval.
fn mean_ci_text(e: &Estimate) -> String {
    if e.low.is_finite() && e.high.is_finite() && (e.high - e.low).abs() > 0.0 {
        super::mean_ci(e)
    } else {
        fixed(e.mean, 2)
    }
}

/// A nice upper bound for an axis showing values up to `x`.
fn nice_max(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 || x.is_infinite() {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m * p >= x {
            return m * p;
        }
    }
    10.0 * p
}

fn row<'r>(d: &'r ReportData<'_>, run: usize, feature: &str) -> Option<&'r SummaryRow> {
    d.rows.iter().find(|r| r.run == run && r.feature == feature)
}

/// A run's axis values other than `skip` (and load balancing).
fn context(r: &RunResult, skip: &[&str]) -> Vec<(String, String)> {
    r.run
        .labels
        .iter()
        .filter(|(c, _)| c != "load_balancing" && !skip.contains(&c.as_str()))
        .cloned()
        .collect()
}

fn context_text(c: &[(String, String)]) -> String {
    c.iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn lb_name(lb: LoadBalancing) -> &'static str {
    match lb {
        LoadBalancing::Dns => "DNS",
        LoadBalancing::Hardware => "hardware",
    }
}

/// Groups runs by a key, in order of first appearance.
fn group_by<'r, K: PartialEq + Clone>(
    results: impl IntoIterator<Item = &'r RunResult>,
    key: impl Fn(&RunResult) -> K,
) -> Vec<(K, Vec<&'r RunResult>)> {
    let mut out: Vec<(K, Vec<&'r RunResult>)> = Vec::new();
    for r in results {
        let k = key(r);
        match out.iter_mut().find(|(x, _)| *x == k) {
            Some((_, v)) => v.push(r),
            None => out.push((k, vec![r])),
        }
    }
    out
}

// ------------------------------------------------------------------------------------------
// Horizontal grouped bars with interval whiskers (cut_by_feature, cut_by_feature_set).

struct Bar {
    est: Estimate,
    colour: RGBColor,
    light: bool,
    label: String,
}

struct BarGroup {
    lines: Vec<String>,
    swatch: Option<RGBColor>,
    bars: Vec<Bar>,
}

struct BarPanel {
    title: Option<String>,
    groups: Vec<BarGroup>,
}

struct BarChart {
    title: String,
    subtitle: Option<String>,
    legend: Vec<LegendItem>,
    x_desc: String,
    y_desc: String,
    panels: Vec<BarPanel>,
    cols: usize,
}

const BAR_H: f64 = 18.0;
const BAR_GAP: f64 = 3.0;
const GROUP_PAD: f64 = 14.0;
const LINE_H: f64 = 17.0;

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

    fn panel_height(&self) -> u32 {
        let titled = self.panels.iter().any(|p| p.title.is_some());
        let plot = self.panels.iter().map(|p| p.height()).fold(0.0, f64::max);
        plot.ceil() as u32 + bar_panel_chrome(titled)
    }

    fn size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(self.cols.max(1)) as u32;
        (
            WIDTH,
            (self.header() + rows * self.panel_height()).max(HEIGHT),
        )
    }

    fn x_max(&self) -> f64 {
        let m = self
            .panels
            .iter()
            .flat_map(|p| &p.groups)
            .flat_map(|g| &g.bars)
            .map(|b| {
                if b.est.high.is_finite() {
                    b.est.high.max(b.est.mean)
                } else {
                    b.est.mean
                }
            })
            .fold(0.0, f64::max);
        nice_max(m)
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
        // Labels: the widest line decides the label column, at most 45 % of a panel.
        let label_style = text(15);
        let mut label_w = 0u32;
        for g in self.panels.iter().flat_map(|p| &p.groups) {
            for l in &g.lines {
                label_w = label_w.max(area.estimate_text_size(l, &label_style)?.0);
            }
        }
        let label_area = (label_w + 62).min(pw * 45 / 100);
        // Every bar's label must fit to the right of its bar (or whisker).
        let plot_w = pw.saturating_sub(label_area + 40).max(100) as f64;
        let mut x_max = self.x_max();
        for b in self
            .panels
            .iter()
            .flat_map(|p| &p.groups)
            .flat_map(|g| &g.bars)
        {
            let end = if b.est.high.is_finite() {
                b.est.high.max(b.est.mean)
            } else {
                b.est.mean
            };
            let (tw, _) = area.estimate_text_size(&b.label, &text(14))?;
            let free = (plot_w + 20.0 - 12.0 - tw as f64).max(plot_w * 0.3);
            x_max = x_max.max(end * plot_w / free);
        }
        let x_max = nice_max(x_max);
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
        let titled = self.panels.iter().any(|p| p.title.is_some());
        let y_total = (ph.saturating_sub(bar_panel_chrome(titled))) as f64;
        let mut builder = ChartBuilder::on(area);
        builder
            .margin(10)
            .margin_right(30)
            .x_label_area_size(64)
            .y_label_area_size(label_area);
        if titled {
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
        let pa = chart.plotting_area();
        let label_style = anchored(15, HPos::Right, VPos::Center);
        let value_style = anchored(14, HPos::Left, VPos::Center);
        let mut top = y_total;
        for g in &panel.groups {
            let h = g.height();
            let mid = top - h / 2.0;
            let bars_h = g.bars.len() as f64 * (BAR_H + BAR_GAP) - BAR_GAP;
            let mut y = mid + bars_h / 2.0;
            for b in &g.bars {
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
                            &(EmptyElement::at((x, yc))
                                + PathElement::new(vec![(0, -6), (0, 6)], whisker)),
                        )?;
                    }
                    end = end.max(b.est.high);
                }
                pa.draw(
                    &(EmptyElement::at((end, yc))
                        + Text::new(b.label.clone(), (8, 0), value_style.clone())),
                )?;
                y -= BAR_H + BAR_GAP;
            }
            let n = g.lines.len() as f64;
            let dx = if g.swatch.is_some() { -26 } else { -8 };
            for (k, l) in g.lines.iter().enumerate() {
                let dy = ((k as f64 - (n - 1.0) / 2.0) * LINE_H).round() as i32;
                pa.draw(
                    &(EmptyElement::at((0.0, mid))
                        + Text::new(l.clone(), (dx, dy), label_style.clone())),
                )?;
            }
            if let Some(c) = g.swatch {
                pa.draw(
                    &(EmptyElement::at((0.0, mid))
                        + Rectangle::new([(-20, -7), (-6, 7)], c.filled())),
                )?;
            }
            top -= h;
        }
        Ok(())
    }
}

figure!(BarChart);

/// With a `feature_sets` axis, the label and size of the set with the most features (the
/// first of those): per-feature charts only make sense within one set, and this one draws every
/// feature it has; `cut_by_feature_set` compares the sets.
fn largest_set(d: &ReportData<'_>) -> Option<(String, usize)> {
    d.results
        .iter()
        .filter(|r| r.run.labels.iter().any(|(c, _)| c == "feature_set"))
        .max_by_key(|r| (r.run.config.features.len(), std::cmp::Reverse(r.run.index)))
        .and_then(|r| {
            let (_, v) = r.run.labels.iter().find(|(c, _)| c == "feature_set")?;
            Some((v.clone(), r.run.config.features.len()))
        })
}

/// Whether run `r` belongs to `set` (every run does when there is no feature_sets axis).
fn in_set(set: &Option<(String, usize)>, r: &RunResult) -> bool {
    set.as_ref().is_none_or(|(set, _)| {
        r.run
            .labels
            .iter()
            .any(|(c, v)| c == "feature_set" && v == set)
    })
}

/// "feature set a+b, " for subtitles (only the size when the label is long).
fn set_words(set: &Option<(String, usize)>) -> String {
    match set {
        Some((label, _)) if label.len() <= 50 => format!("feature set {label}, "),
        Some((_, n)) => format!("the largest feature set ({n} features), "),
        None => String::new(),
    }
}

fn cut_by_feature(d: &ReportData<'_>) -> BarChart {
    let largest_set = largest_set(d);
    let contexts = group_by(d.results.iter().filter(|r| in_set(&largest_set, r)), |r| {
        context(r, &["feature_set"])
    });
    let shown = contexts.len().min(MAX_PANELS);
    let several = contexts.len() > 1;
    let mut lbs: Vec<LoadBalancing> = Vec::new();
    let mut panels = Vec::new();
    for (ctx, runs) in contexts.iter().take(shown) {
        let runs: Vec<&RunResult> = runs.iter().take(MAX_SERIES).copied().collect();
        let mut groups = Vec::new();
        for f in &d.scenario.base.features {
            let mut bars = Vec::new();
            for r in &runs {
                let Some(e) = row(d, r.run.index, &f.name).and_then(|x| x.measure("cut")) else {
                    continue;
                };
                let lb = r.run.config.pool.load_balancing;
                if !lbs.contains(&lb) {
                    lbs.push(lb);
                }
                let prefix = if runs.len() > 1 {
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
                bars.push(Bar {
                    est: *e,
                    colour: feature_colour(d, &f.name),
                    light: lb == LoadBalancing::Dns && runs.len() > 1,
                    label: format!("{prefix}{value}"),
                });
            }
            if !bars.is_empty() {
                groups.push(BarGroup {
                    lines: vec![f.name.clone()],
                    swatch: Some(feature_colour(d, &f.name)),
                    bars,
                });
            }
        }
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
    let mut legend = Vec::new();
    if lbs.len() > 1 || contexts.iter().any(|(_, runs)| runs.len() > 1) {
        for lb in [LoadBalancing::Hardware, LoadBalancing::Dns] {
            if lbs.contains(&lb) {
                legend.push(LegendItem {
                    label: format!("{} load balancing", lb_name(lb)),
                    colour: RGBColor(0x70, 0x70, 0x70),
                    mark: if lb == LoadBalancing::Dns {
                        Mark::Light
                    } else {
                        Mark::Solid
                    },
                });
            }
        }
    }
    let single_lb = (lbs.len() == 1).then(|| lbs[0]);
    let mut subtitle = format!(
        "{} replications per run, mean and 95 % confidence interval",
        d.scenario.replications
    );
    if let Some(lb) = single_lb {
        subtitle = format!("{} load balancing, {subtitle}", lb_name(lb));
    }
    subtitle = format!("{}{subtitle}", set_words(&largest_set));
    if contexts.len() > shown {
        subtitle.push_str(&format!(
            "; first {shown} of {} combinations (see summary.csv)",
            contexts.len()
        ));
    }
    BarChart {
        title: "Sessions cut per feature".into(),
        subtitle: Some(subtitle),
        legend,
        x_desc: "sessions cut per replication".into(),
        y_desc: "feature".into(),
        cols: if panels.len() > 1 { 2 } else { 1 },
        panels,
    }
}

/// Splits a `a+b+c` feature-set label into lines of at most `width` characters.
fn wrap_set_label(label: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for (i, part) in label.split('+').enumerate() {
        let piece = if i == 0 {
            part.to_string()
        } else {
            format!("+{part}")
        };
        match lines.last_mut() {
            Some(l) if l.len() + piece.len() <= width => l.push_str(&piece),
            _ => lines.push(piece),
        }
    }
    lines
}

/// Series of runs that differ in everything but `axis`: colour, whether it is the DNS side of a
/// DNS/hardware pair (dashed line, light bar), and legend entry of each.
fn series_style(groups: &[RunGroup<'_>], axis: &str) -> Vec<(RGBColor, bool, String)> {
    // Series differ only in load balancing when every series has the same other labels.
    let others = |k: &[(String, String)]| -> Vec<(String, String)> {
        k.iter()
            .filter(|(c, _)| c != "load_balancing" && c != axis)
            .cloned()
            .collect()
    };
    let only_lb = groups
        .iter()
        .all(|(k, _)| others(k) == others(&groups[0].0));
    let lbs_vary = groups.iter().any(|(_, r)| {
        r[0].run.config.pool.load_balancing != groups[0].1[0].run.config.pool.load_balancing
    });
    let mut contexts: Vec<Vec<(String, String)>> = Vec::new();
    groups
        .iter()
        .map(|(k, runs)| {
            let lb = runs[0].run.config.pool.load_balancing;
            let ctx = others(k);
            if only_lb {
                (
                    lb_colour(lb),
                    lbs_vary && lb == LoadBalancing::Dns,
                    format!("{} load balancing", lb_name(lb)),
                )
            } else {
                let i = contexts.iter().position(|c| *c == ctx).unwrap_or_else(|| {
                    contexts.push(ctx.clone());
                    contexts.len() - 1
                });
                (
                    SERIES_PALETTE[i % SERIES_PALETTE.len()],
                    lb == LoadBalancing::Dns,
                    format!("{}, {}", lb_name(lb), context_text(&ctx)),
                )
            }
        })
        .collect()
}

fn cut_by_feature_set(d: &ReportData<'_>) -> BarChart {
    let set_of = |r: &RunResult| {
        r.run
            .labels
            .iter()
            .find(|(c, _)| c == "feature_set")
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut sets: Vec<String> = Vec::new();
    for r in d.results {
        let s = set_of(r);
        if !sets.contains(&s) {
            sets.push(s);
        }
    }
    let series = group_by(d.results, |r| {
        r.run
            .labels
            .iter()
            .filter(|(c, _)| c != "feature_set")
            .cloned()
            .collect::<Vec<_>>()
    });
    let series: Vec<_> = series.into_iter().take(MAX_SERIES).collect();
    let styles = series_style(&series, "feature_set");
    let cut_of = |runs: &[&RunResult], set: &str| -> Option<Estimate> {
        runs.iter()
            .find(|r| set_of(r) == set)
            .and_then(|r| row(d, r.run.index, "all"))
            .and_then(|x| x.measure("cut"))
            .copied()
    };
    // With many sets, keep those that cut the most (in axis order).
    let total = sets.len();
    if sets.len() > MAX_SETS {
        let mut ranked: Vec<(usize, f64)> = sets
            .iter()
            .enumerate()
            .map(|(i, s)| {
                (
                    i,
                    series
                        .iter()
                        .filter_map(|(_, runs)| cut_of(runs, s))
                        .map(|e| e.mean)
                        .fold(0.0, f64::max),
                )
            })
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut keep: Vec<usize> = ranked.iter().take(MAX_SETS).map(|x| x.0).collect();
        keep.sort_unstable();
        sets = keep.into_iter().map(|i| sets[i].clone()).collect();
    }
    let groups = sets
        .iter()
        .map(|s| BarGroup {
            lines: wrap_set_label(s, 34),
            swatch: None,
            bars: series
                .iter()
                .zip(&styles)
                .filter_map(|((_, runs), (colour, light, _))| {
                    cut_of(runs, s).map(|e| Bar {
                        est: e,
                        colour: *colour,
                        light: *light,
                        label: mean_ci_text(&e),
                    })
                })
                .collect(),
        })
        .collect();
    let legend = styles
        .iter()
        .map(|(c, light, label)| LegendItem {
            label: label.clone(),
            colour: *c,
            mark: if *light { Mark::Light } else { Mark::Solid },
        })
        .collect();
    let mut subtitle = format!(
        "all features of each set, {} replications per run, mean and 95 % confidence interval",
        d.scenario.replications
    );
    if total > sets.len() {
        subtitle.push_str(&format!(
            "; the {} of {total} sets that cut the most",
            sets.len()
        ));
    }
    BarChart {
        title: "Sessions cut per feature set".into(),
        subtitle: Some(subtitle),
        legend,
        x_desc: "sessions cut per replication (all features)".into(),
        y_desc: "feature set".into(),
        panels: vec![BarPanel {
            title: None,
            groups,
        }],
        cols: 1,
    }
}

// ------------------------------------------------------------------------------------------
// Lines (cut_vs_wait, drain_time_cdf).

struct Series {
    colour: RGBColor,
    dashed: bool,
    points: Vec<(f64, f64)>,
    /// (x, low, high) of a confidence band.
    band: Vec<(f64, f64, f64)>,
    markers: bool,
}

struct LineChart {
    title: String,
    subtitle: Option<String>,
    legend: Vec<LegendItem>,
    x_desc: String,
    y_desc: String,
    x_range: (f64, f64),
    y_range: (f64, f64),
    percent_y: bool,
    series: Vec<Series>,
    note: Option<String>,
}

impl LineChart {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn paint<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let area = draw_title(root, &self.title, self.subtitle.as_deref())?;
        let area = draw_legend(&area, &self.legend)?;
        let mut chart = ChartBuilder::on(&area)
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
        let pa = chart.plotting_area();
        for s in &self.series {
            if s.band.len() >= 2 {
                let mut poly: Vec<(f64, f64)> = s.band.iter().map(|&(x, lo, _)| (x, lo)).collect();
                poly.extend(s.band.iter().rev().map(|&(x, _, hi)| (x, hi)));
                pa.draw(&Polygon::new(poly, s.colour.mix(0.18).filled()))?;
            }
        }
        // The first series (DNS in a DNS/hardware sweep) is drawn last so that, where the lines
        // coincide, its dashes show on top of the solid line.
        for s in self.series.iter().rev() {
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
        }
        if let Some(n) = &self.note {
            let pa = chart.plotting_area();
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

figure!(LineChart);

fn cut_vs_wait(d: &ReportData<'_>) -> LineChart {
    let series_runs = group_by(d.results, |r| {
        r.run
            .labels
            .iter()
            .filter(|(c, _)| c != "wait_s")
            .cloned()
            .collect::<Vec<_>>()
    });
    let series_runs: Vec<_> = series_runs.into_iter().take(MAX_SERIES).collect();
    let styles = series_style(&series_runs, "wait_s");
    let wait_min = |r: &RunResult| -> f64 {
        r.run
            .labels
            .iter()
            .find(|(c, _)| c == "wait_s")
            .and_then(|(_, v)| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 60.0
    };
    let mut series = Vec::new();
    let (mut x_max, mut y_max) = (0.0f64, 0.0f64);
    for ((_, runs), (colour, dashed, _)) in series_runs.iter().zip(&styles) {
        let mut pts: Vec<(f64, Estimate)> = runs
            .iter()
            .filter_map(|r| {
                row(d, r.run.index, "all")
                    .and_then(|x| x.measure("cut"))
                    .map(|e| (wait_min(r), *e))
            })
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (x, e) in &pts {
            x_max = x_max.max(*x);
            y_max = y_max.max(if e.high.is_finite() { e.high } else { e.mean });
        }
        series.push(Series {
            colour: *colour,
            dashed: *dashed,
            points: pts.iter().map(|(x, e)| (*x, e.mean)).collect(),
            band: pts
                .iter()
                .filter(|(_, e)| e.low.is_finite())
                .map(|(x, e)| (*x, e.low, e.high))
                .collect(),
            markers: true,
        });
    }
    let legend = styles
        .iter()
        .map(|(c, dashed, label)| LegendItem {
            label: label.clone(),
            colour: *c,
            mark: if *dashed { Mark::Dashed } else { Mark::Line },
        })
        .collect();
    LineChart {
        title: "Sessions cut vs wait before the restart".into(),
        subtitle: Some(format!(
            "all features, {} replications per run, mean and 95 % confidence band",
            d.scenario.replications
        )),
        legend,
        x_desc: "wait between pause and restart (min)".into(),
        y_desc: "sessions cut per replication".into(),
        x_range: (0.0, nice_max(x_max)),
        y_range: (0.0, nice_max(y_max * 1.08)),
        percent_y: false,
        series,
        note: None,
    }
}

fn drain_time_cdf(d: &ReportData<'_>) -> LineChart {
    let runs: Vec<&RunResult> = d.results.iter().take(MAX_SERIES).collect();
    let groups: Vec<RunGroup<'_>> = runs
        .iter()
        .map(|r| (r.run.labels.clone(), vec![*r]))
        .collect();
    let styles = series_style(&groups, "");
    let mut per_run: Vec<(usize, Vec<f64>)> = Vec::new();
    let mut x_max = 0.0f64;
    for r in &runs {
        let mut n = 0;
        let mut times = Vec::new();
        for rep in &r.replications {
            for dr in &rep.metrics.drains {
                n += 1;
                if let Some(t) = dr.drain_time() {
                    times.push(t.as_secs_f64() / 60.0);
                }
            }
        }
        times.sort_by(f64::total_cmp);
        x_max = x_max.max(times.last().copied().unwrap_or(0.0));
        per_run.push((n, times));
    }
    let none_drained = per_run.iter().all(|(_, t)| t.is_empty());
    let x_end = if none_drained {
        // Nothing drained: show the time between pause and horizon so the flat lines mean something.
        let pause = runs
            .iter()
            .flat_map(|r| &r.replications)
            .flat_map(|rep| &rep.metrics.drains)
            .map(|dr| dr.paused_at.as_secs_f64() / 60.0)
            .fold(f64::INFINITY, f64::min);
        let horizon = d.scenario.base.horizon.as_secs_f64() / 60.0;
        nice_max((horizon - if pause.is_finite() { pause } else { 0.0 }).max(1.0))
    } else {
        nice_max(x_max * 1.05)
    };
    let mut series = Vec::new();
    let mut legend = Vec::new();
    for ((n, times), (colour, dashed, label)) in per_run.iter().zip(&styles) {
        let mut pts = vec![(0.0, 0.0)];
        let total = (*n).max(1) as f64;
        for (i, &t) in times.iter().enumerate() {
            pts.push((t, i as f64 / total));
            pts.push((t, (i + 1) as f64 / total));
        }
        pts.push((x_end, times.len() as f64 / total));
        series.push(Series {
            colour: *colour,
            dashed: *dashed,
            points: pts,
            band: Vec::new(),
            markers: false,
        });
        let pct = if *n > 0 {
            times.len() as f64 * 100.0 / *n as f64
        } else {
            0.0
        };
        let median = if times.is_empty() {
            String::new()
        } else {
            format!(
                ", median {} min",
                fixed(crate::stats::quantile(times, 0.5), 1)
            )
        };
        legend.push(LegendItem {
            label: format!(
                "{label}: {} of {n} drained ({pct:.0} %){median}",
                times.len()
            ),
            colour: *colour,
            mark: if *dashed { Mark::Dashed } else { Mark::Line },
        });
    }
    LineChart {
        title: "Drain time".into(),
        subtitle: Some("from the pause to the last session on the paused services, every pause of every replication".into()),
        legend,
        x_desc: "minutes after the pause".into(),
        y_desc: "pauses drained".into(),
        x_range: (0.0, x_end),
        y_range: (0.0, 1.0),
        percent_y: true,
        series,
        note: none_drained.then(|| "no pause drained before its restart, stop, resume or the horizon".to_string()),
    }
}

// ------------------------------------------------------------------------------------------
// Occupancy of the paused server.

struct Layer {
    colour: RGBColor,
    values: Vec<f64>,
}

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
enum Event {
    /// The server stops taking new sessions (pause, graceful stop, failover).
    Pause,
    /// The drain is over, one way or another (restart, stop, resume).
    End,
    /// Anything else (drained, start, failback).
    Other,
}

struct Marker {
    /// Minutes.
    x: f64,
    label: String,
    colour: RGBColor,
    event: Event,
}

struct Occupancy {
    title: String,
    subtitle: String,
    legend: Vec<LegendItem>,
    server: usize,
    horizon_min: f64,
    y_max: f64,
    /// The drain window (minutes) and its own y scale: most of the server's sessions leave in
    /// the first minutes after the pause, so what stays (the sessions the restart will cut) is
    /// too thin to read on the full-day scale.
    zoom: Option<((f64, f64), f64, String)>,
    panels: Vec<OccPanel>,
}

const OCC_PANEL_H: u32 = 300;

/// One occupancy plot: `x` the time range shown, sessions clipped at `y_max`.
struct OccView<'a> {
    caption: String,
    x: (f64, f64),
    y_max: f64,
    y_desc: &'a str,
    x_labels: usize,
}

impl Occupancy {
    fn header(&self) -> u32 {
        48 + 26 + (1 + self.legend.len() as u32 / 5) * LEGEND_ROW as u32 + 10
    }

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
        let y_desc = format!("sessions on FE {}", self.server + 1);
        for (p, sub) in self.panels.iter().zip(&panels) {
            let full = OccView {
                caption: p.title.clone(),
                x: (0.0, self.horizon_min),
                y_max: self.y_max,
                y_desc: &y_desc,
                x_labels: 10,
            };
            match &self.zoom {
                Some((x, y_max, caption)) => {
                    let (w, _) = sub.dim_in_pixel();
                    let (left, right) = sub.split_horizontally(w * 60 / 100);
                    self.paint_view(&left, p, &full)?;
                    let zoom = OccView {
                        caption: caption.clone(),
                        x: *x,
                        y_max: *y_max,
                        y_desc: "",
                        x_labels: 6,
                    };
                    self.paint_view(&right, p, &zoom)?;
                }
                None => self.paint_view(sub, p, &full)?,
            }
        }
        Ok(())
    }

    fn paint_view<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        p: &OccPanel,
        v: &OccView<'_>,
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let (x0, x1) = v.x;
        let y_max = v.y_max;
        // Data are in minutes. Plotters puts ticks on 1-2-5 steps: in minutes for short views
        // (1, 2, 5, 10 min), in hours for long ones (6, 12, 30, 60 min rather than 50).
        let unit = if x1 - x0 <= 40.0 { 1.0 } else { 60.0 };
        let h = |m: f64| m / unit;
        let mut chart = ChartBuilder::on(area)
            .margin(10)
            .margin_right(24)
            .caption(v.caption.clone(), text(19))
            .x_label_area_size(56)
            .y_label_area_size(if v.y_desc.is_empty() { 50 } else { 90 })
            .build_cartesian_2d(h(x0)..h(x1), 0.0..y_max)?;
        house_mesh(
            chart
                .configure_mesh()
                .x_labels(v.x_labels)
                .y_labels(6)
                .x_desc("simulated time (h:mm)")
                .y_desc(v.y_desc),
        )
        .x_label_formatter(&|v| clock(*v * unit))
        .y_label_formatter(&|v| tick(*v))
        .draw()?;
        let pa = chart.plotting_area();
        for &(a, b) in &p.down {
            let (a, b) = (a.max(x0), b.min(x1));
            if a < b {
                pa.draw(&Rectangle::new(
                    [(h(a), 0.0), (h(b), y_max)],
                    RGBColor(0xdd, 0xdd, 0xdd).filled(),
                ))?;
            }
        }
        // Samples inside the view; stacked values clipped to it (plotters does not clip).
        let inside: Vec<usize> = (0..p.times_min.len())
            .filter(|&k| p.times_min[k] >= x0 && p.times_min[k] <= x1)
            .collect();
        let mut below = vec![0.0; p.times_min.len()];
        for l in &p.layers {
            let above: Vec<f64> = below.iter().zip(&l.values).map(|(a, b)| a + b).collect();
            if inside.iter().any(|&k| l.values[k] > 0.0) {
                let mut poly: Vec<(f64, f64)> = inside
                    .iter()
                    .map(|&k| (h(p.times_min[k]), above[k].min(y_max)))
                    .collect();
                poly.extend(
                    inside
                        .iter()
                        .rev()
                        .map(|&k| (h(p.times_min[k]), below[k].min(y_max))),
                );
                pa.draw(&Polygon::new(poly, l.colour.filled()))?;
            }
            below = above;
        }
        // Marker lines first, then their labels, each in the first row where it overlaps no
        // label already placed (greedy interval packing, in time order).
        let (plot_w, _) = pa.dim_in_pixel();
        let px = |m: f64| ((m - x0) / (x1 - x0).max(1e-9) * plot_w as f64).round() as i32;
        let visible: Vec<&Marker> = p
            .markers
            .iter()
            .filter(|m| m.x >= x0 && m.x <= x1)
            .collect();
        for m in &visible {
            pa.draw(&PathElement::new(
                vec![(h(m.x), 0.0), (h(m.x), y_max)],
                m.colour.stroke_width(2),
            ))?;
        }
        let mut rows: Vec<i32> = Vec::new(); // per row, the right end of its last label
        for m in &visible {
            let base = anchored(15, HPos::Left, VPos::Top);
            let (tw, th) = pa.estimate_text_size(&m.label, &base)?;
            let (tw, th) = (tw as i32, th as i32);
            // Right of the line, or left of it where the label would leave the plot.
            let left = px(m.x) + 8 + tw > plot_w as i32;
            let (bx0, bx1, tx) = if left {
                (-8 - tw, -4, -6)
            } else {
                (4, 8 + tw, 6)
            };
            let (start, end) = (px(m.x) + bx0, px(m.x) + bx1);
            let row = match rows.iter().position(|&r| r + 6 <= start) {
                Some(i) => i,
                None if rows.len() < 6 => {
                    rows.push(i32::MIN);
                    rows.len() - 1
                }
                None => (0..rows.len()).min_by_key(|&i| rows[i]).unwrap_or(0),
            };
            rows[row] = end;
            let dy = 4 + row as i32 * 19;
            let style = if left {
                anchored(15, HPos::Right, VPos::Top)
            } else {
                base
            };
            let at = EmptyElement::at((h(m.x), y_max));
            pa.draw(
                &(at + Rectangle::new(
                    [(bx0, dy - 1), (bx1, dy + th + 2)],
                    WHITE.mix(0.85).filled(),
                )),
            )?;
            pa.draw(
                &(EmptyElement::at((h(m.x), y_max))
                    + Text::new(m.label.clone(), (tx, dy), style.color(&m.colour))),
            )?;
        }
        Ok(())
    }
}

figure!(Occupancy);

fn occupancy(d: &ReportData<'_>) -> Occupancy {
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
    // One panel per load balancing of the first combination of the other axes (in the largest
    // feature set): the others are in timeseries.csv.
    let set = largest_set(d);
    let contexts = group_by(runs.iter().copied().filter(|r| in_set(&set, r)), |r| {
        context(r, &["feature_set"])
    });
    let (first_context, shown): (Vec<(String, String)>, Vec<&RunResult>) = contexts
        .into_iter()
        .next()
        .map(|(k, v)| (k, v.into_iter().take(4).collect()))
        .unwrap_or_default();
    let server = shown.first().and_then(|r| paused_server(r)).unwrap_or(0);
    let horizon_min = d.scenario.base.horizon.as_secs_f64() / 60.0;
    let mut panels = Vec::new();
    let mut used: Vec<String> = Vec::new();
    let mut y_max = 1.0f64;
    for r in &shown {
        let Some(rep) = r.replications.first() else {
            continue;
        };
        let m = &rep.metrics;
        let s = paused_server(r).unwrap_or(0);
        let ts = &m.timeseries;
        let feats = &r.run.config.features;
        let (n, nf) = (r.run.config.pool.servers as usize, feats.len());
        let times_min: Vec<f64> = ts.times.iter().map(|t| t.as_secs_f64() / 60.0).collect();
        let layers: Vec<Layer> = feats
            .iter()
            .enumerate()
            .map(|(f, feat)| {
                if !used.contains(&feat.name) {
                    used.push(feat.name.clone());
                }
                Layer {
                    colour: feature_colour(d, &feat.name),
                    values: (0..ts.times.len())
                        .map(|k| {
                            ts.active.get(k * n * nf + s * nf + f).copied().unwrap_or(0) as f64
                        })
                        .collect(),
                }
            })
            .collect();
        for k in 0..times_min.len() {
            y_max = y_max.max(layers.iter().map(|l| l.values[k]).sum());
        }
        let mut markers = Vec::new();
        let on_s = |v: &[u32]| v.contains(&(s as u32));
        let mut down = Vec::new();
        for st in &m.steps {
            let Some(step) = r.run.config.plan.get(st.index) else {
                continue;
            };
            let x = st.started.as_secs_f64() / 60.0;
            let event = match &step.action {
                Action::Pause(t) if on_s(&t.servers) => Some((Event::Pause, "pause")),
                Action::StopGraceful(t) if on_s(&t.servers) => {
                    Some((Event::Pause, "graceful stop"))
                }
                Action::Failover { servers, .. } if on_s(servers) => {
                    // A failover that does not drain in time resumes the server and fails.
                    if st.outcome == StepOutcome::Failed
                        && let Some(e) = st.ended
                    {
                        let xe = e.as_secs_f64() / 60.0;
                        markers.push(Marker {
                            x: xe,
                            label: format!("failover failed, resume {}", clock(xe)),
                            colour: INK,
                            event: Event::End,
                        });
                    }
                    Some((Event::Pause, "failover"))
                }
                Action::Resume(t) if on_s(&t.servers) => Some((Event::End, "resume")),
                Action::Stop(t) if on_s(&t.servers) => Some((Event::End, "stop")),
                Action::Start(t) if on_s(&t.servers) => Some((Event::Other, "start")),
                Action::Failback { servers } if on_s(servers) => Some((Event::Other, "failback")),
                Action::Restart { servers, .. } if on_s(servers) => {
                    // Marked from the restart records below; the step lasts while it is down.
                    let b = st
                        .ended
                        .map(|e| e.as_secs_f64() / 60.0)
                        .unwrap_or(horizon_min);
                    down.push((x, b));
                    None
                }
                _ => None,
            };
            if let Some((event, word)) = event {
                markers.push(Marker {
                    x,
                    label: format!("{word} {}", clock(x)),
                    colour: INK,
                    event,
                });
            }
        }
        for dr in m
            .drains
            .iter()
            .filter(|dr| dr.server == s && dr.end == DrainEnd::Drained)
        {
            let x = dr.ended_at.as_secs_f64() / 60.0;
            markers.push(Marker {
                x,
                label: format!("drained {}", clock(x)),
                colour: RGBColor(0x1a, 0x7f, 0x37),
                event: Event::Other,
            });
        }
        for rs in m.restarts.iter().filter(|rs| rs.server == s) {
            let x = rs.at.as_secs_f64() / 60.0;
            markers.push(Marker {
                x,
                label: format!("restart {}", clock(x)),
                colour: RGBColor(0xb0, 0x00, 0x20),
                event: Event::End,
            });
        }
        markers.sort_by(|a, b| a.x.total_cmp(&b.x));
        let lb = r.run.config.pool.load_balancing;
        let ctx = context(r, &["feature_set"]);
        let title = if ctx.is_empty() {
            format!("{} load balancing", lb_name(lb))
        } else {
            format!("{} load balancing, {}", lb_name(lb), context_text(&ctx))
        };
        panels.push(OccPanel {
            title,
            times_min,
            layers,
            markers,
            down,
        });
    }
    let legend = d
        .scenario
        .base
        .features
        .iter()
        .filter(|f| used.contains(&f.name))
        .map(|f| LegendItem {
            label: f.name.clone(),
            colour: feature_colour(d, &f.name),
            mark: Mark::Solid,
        })
        .collect();
    let mut subtitle = format!(
        "sessions on FE {} in replication 0, stacked by feature",
        server + 1
    );
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
    // The zoom: from just before the first pause to just after the restart that follows it;
    // its y scale leaves out the first fifth of that window, where the server still carries
    // most of its sessions, so that what the restart will cut is readable.
    let mut zoom = None;
    let word = |m: &Marker| {
        m.label
            .rsplit_once(' ')
            .map(|(w, _)| w.to_string())
            .unwrap_or_default()
    };
    let pause = panels
        .iter()
        .filter_map(|p| p.markers.iter().find(|m| m.event == Event::Pause))
        .min_by(|a, b| a.x.total_cmp(&b.x));
    let end = pause.and_then(|pm| {
        panels
            .iter()
            .filter_map(|p| {
                p.markers
                    .iter()
                    .find(|m| m.event == Event::End && m.x > pm.x)
            })
            .min_by(|a, b| a.x.total_cmp(&b.x))
    });
    if let (Some(pm), Some(em)) = (pause, end) {
        let (pause, end) = (pm.x, em.x);
        let margin = ((end - pause) * 0.05).max(1.0);
        let (x0, x1) = ((pause - margin).max(0.0), (end + margin).min(horizon_min));
        let settle = pause + (end - pause) * 0.2;
        let mut top = 1.0f64;
        for p in &panels {
            for (k, &t) in p.times_min.iter().enumerate() {
                if t >= settle && t < end {
                    top = top.max(p.layers.iter().map(|l| l.values[k]).sum());
                }
            }
        }
        let caption = format!("zoom: from the {} to the {}", word(pm), word(em));
        zoom = Some(((x0, x1), nice_max(top * 1.3), caption));
    }
    Occupancy {
        zoom,
        title: format!("Occupancy of FE {} (the paused server)", server + 1),
        subtitle,
        legend,
        server,
        horizon_min: horizon_min.max(1.0),
        y_max: nice_max(y_max * 1.15),
        panels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_labels_wrap_at_plus() {
        assert_eq!(wrap_set_label("base", 10), vec!["base"]);
        assert_eq!(
            wrap_set_label("response_group+call_park+announcement", 25),
            vec!["response_group+call_park", "+announcement"]
        );
    }

    #[test]
    fn axis_bounds_are_round() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(9.1), 10.0);
        assert_eq!(nice_max(11.0), 12.0);
        assert_eq!(nice_max(0.37), 0.4);
        assert_eq!(tick(2.50), "2.5");
        assert_eq!(tick(10.0), "10");
        assert_eq!(clock(150.0), "2:30");
    }

    #[test]
    fn tints_go_to_white() {
        assert_eq!(tint(RGBColor(0, 100, 255), 1.0), RGBColor(255, 255, 255));
        assert_eq!(tint(RGBColor(0, 100, 255), 0.0), RGBColor(0, 100, 255));
    }
}
