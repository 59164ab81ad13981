//! The house style every chart shares: sizes, colours, fonts, the mesh, the title and legend
//! drawn above the plot, and how numbers are written on the axes.
//!
//! Colours: one per feature, fixed by the feature's position in the scenario's base feature
//! list ([`feature_colour`]), the same in every chart; DNS and hardware load balancing have
//! their own two colours where a chart shows no feature.

use std::error::Error;
use std::sync::OnceLock;

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::register_font;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::runs::{RunGroup, context_text, lb_name};
use crate::model::LoadBalancing;
use crate::report::{ReportData, fixed};
use crate::stats::Estimate;

/// Width of every chart, pixels.
pub(super) const WIDTH: u32 = 1200;
/// Height of a one-panel chart, pixels (charts with several panels grow downwards).
pub(super) const HEIGHT: u32 = 700;
/// Font family name the DejaVu font is registered under (plotters' default family).
const FAMILY: &str = "sans-serif";

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

/// Features past the palette: twelve more, apart from it and from each other.
const MORE_FEATURES: [RGBColor; 12] = [
    RGBColor(0x1b, 0x9e, 0x77),
    RGBColor(0x75, 0x70, 0xb3),
    RGBColor(0xe7, 0x29, 0x8a),
    RGBColor(0x66, 0xa6, 0x1e),
    RGBColor(0x17, 0xbe, 0xcf),
    RGBColor(0x39, 0x3b, 0x79),
    RGBColor(0x84, 0x3c, 0x39),
    RGBColor(0x7b, 0x41, 0x73),
    RGBColor(0x63, 0x79, 0x39),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x00, 0x6d, 0x77),
    RGBColor(0x2f, 0x2f, 0x2f),
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
/// Text, axes and whiskers.
pub(super) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Subtitles and notes.
pub(super) const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);

/// What drawing on a plotters area returns.
pub(super) type DrawResult = Result<(), Box<dyn Error>>;
/// A legend laid out in rows: (x offset, item index) per entry.
type LegendRows = Vec<Vec<(i32, usize)>>;
/// The plotting area of a chart with `f64` axes, in data coordinates.
pub(super) type Plot<DB> = DrawingArea<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The colour of feature `name`: its position in the scenario's base feature list.
pub fn feature_colour(d: &ReportData<'_>, name: &str) -> RGBColor {
    let base = &d.scenario.base.features;
    let i = base
        .iter()
        .position(|f| f.name == name)
        .unwrap_or(base.len());
    nth_feature_colour(i)
}

/// The colour of the `i`-th feature: the palette's, then colours of their own (hues a golden
/// angle apart, in two lightnesses), so that no two of a scenario's first 40 features share one.
fn nth_feature_colour(i: usize) -> RGBColor {
    if let Some(c) = FEATURE_PALETTE.get(i) {
        return *c;
    }
    if let Some(c) = MORE_FEATURES.get(i - FEATURE_PALETTE.len()) {
        return *c;
    }
    let k = i - FEATURE_PALETTE.len() - MORE_FEATURES.len();
    let hue = (k as f64 * 137.508 + 15.0) % 360.0;
    let (s, l) = if k.is_multiple_of(2) {
        (0.55, 0.42)
    } else {
        (0.45, 0.62)
    };
    hsl(hue, s, l)
}

/// An RGB colour from hue (degrees), saturation and lightness (0–1).
fn hsl(h: f64, s: f64, l: f64) -> RGBColor {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let x = c * (1.0 - ((h / 60.0) % 2.0 - 1.0).abs());
    let m = l - c / 2.0;
    let (r, g, b) = match (h / 60.0) as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let u = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    RGBColor(u(r), u(g), u(b))
}

fn lb_colour(lb: LoadBalancing) -> RGBColor {
    match lb {
        LoadBalancing::Dns => DNS_COLOUR,
        LoadBalancing::Hardware => HARDWARE_COLOUR,
    }
}

/// `c` mixed with white: `amount` 0 keeps it, 1 gives white.
pub(super) fn tint(c: RGBColor, amount: f64) -> RGBColor {
    let m = |x: u8| (x as f64 + (255.0 - x as f64) * amount).round() as u8;
    RGBColor(m(c.0), m(c.1), m(c.2))
}

/// The house font at `size` pixels, in ink.
pub(super) fn text(size: u32) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size as f64).into_font()).color(&INK)
}

/// The mesh style every chart shares: label and axis-title fonts, grid and axis colours.
pub(super) fn house_mesh<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.label_style(text(15))
        .axis_desc_style(text(17))
        .light_line_style(GRID)
        .max_light_lines(2)
        .bold_line_style(GRID_BOLD)
        .axis_style(INK)
}

/// [`text`] anchored at `h`, `v` of the point it is drawn at.
pub(super) fn anchored(size: u32, h: HPos, v: VPos) -> TextStyle<'static> {
    text(size).pos(Pos::new(h, v))
}

/// Registers DejaVu Sans (regular and bold) with plotters once per process.
pub(super) fn fonts() -> Result<(), String> {
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

/// Series of runs that differ in everything but `axis`: colour, whether it is the DNS side of a
/// DNS/hardware pair (dashed line, light bar), and legend entry of each.
pub(super) fn series_style(groups: &[RunGroup<'_>], axis: &str) -> Vec<(RGBColor, bool, String)> {
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

// ------------------------------------------------------------------------------------------
// Title and legend, above the plot.

/// One entry of a legend.
#[derive(Clone)]
pub(super) struct LegendItem {
    pub(super) label: String,
    pub(super) colour: RGBColor,
    pub(super) mark: Mark,
}

/// The swatch in front of a legend entry.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Mark {
    /// A filled square.
    Solid,
    /// A light square with a border (DNS bars).
    Light,
    /// A line.
    Line,
    /// A dashed line.
    Dashed,
}

/// Height of one legend row, pixels.
pub(super) const LEGEND_ROW: i32 = 24;

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
pub(super) fn draw_legend<DB: DrawingBackend>(
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
            draw_mark(&top, it, x, y)?;
            top.draw(&Text::new(it.label.clone(), (x + 30, y), style.clone()))?;
        }
    }
    Ok(rest)
}

/// The swatch of legend entry `it`, 22 pixels wide from `x`, centred on `y`.
fn draw_mark<DB: DrawingBackend>(
    top: &DrawingArea<DB, Shift>,
    it: &LegendItem,
    x: i32,
    y: i32,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
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
    Ok(())
}

/// Title across the top; returns the area below.
pub(super) fn draw_title<DB: DrawingBackend>(
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

// ------------------------------------------------------------------------------------------
// Numbers on axes and labels.

/// An axis tick: at most two decimals, trailing zeros dropped.
pub(super) fn tick(v: f64) -> String {
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
pub(super) fn clock(min: f64) -> String {
    let m = min.round().max(0.0) as u64;
    format!("{}:{:02}", m / 60, m % 60)
}

/// "12.30 (11.80–12.90)", or only the mean when there is no interval.
pub(super) fn mean_ci_text(e: &Estimate) -> String {
    if e.low.is_finite() && e.high.is_finite() && (e.high - e.low).abs() > 0.0 {
        crate::report::mean_ci(e)
    } else {
        fixed(e.mean, 2)
    }
}

/// A nice upper bound for an axis showing values up to `x`.
pub(super) fn nice_max(x: f64) -> f64 {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_feature_of_a_scenario_has_a_colour_of_its_own() {
        let colours: Vec<RGBColor> = (0..40).map(nth_feature_colour).collect();
        for (i, a) in colours.iter().enumerate() {
            for b in &colours[..i] {
                let dist = (a.0 as i32 - b.0 as i32).abs()
                    + (a.1 as i32 - b.1 as i32).abs()
                    + (a.2 as i32 - b.2 as i32).abs();
                assert!(dist > 12, "feature {i}: {a:?} is too close to {b:?}");
            }
        }
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
