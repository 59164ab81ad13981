//! The scenario TOML `drainsim fit` writes, and its empirical durations files. Text only: the
//! command decides where it goes.

use std::fmt::Write as _;

use super::{DurationChoice, DurationFit, HourlyProfile, Sessions, Window};
use crate::model::DistKind;

/// The first line of every file `fit` writes: the command replaces a file only if it starts
/// with this (it never overwrites a file of yours).
pub const MARKER: &str = "# Written by drainsim fit";

/// One feature of the fitted scenario.
#[derive(Debug, Clone)]
pub struct FeatureInput<'a> {
    /// The feature's name (a mapped feature), or the export's value (an unmapped one).
    pub name: String,
    /// The export's values gathered into it.
    pub values: Vec<String>,
    /// Mapped to a feature: written as a `[[feature]]`. Unmapped: written commented out, with
    /// the `--map` that would bring it in.
    pub mapped: bool,
    /// In drainsim's catalogue; a mapped feature that is not gets a note that it needs a
    /// `service`.
    pub in_catalogue: bool,
    /// Its sessions.
    pub sessions: &'a Sessions,
    /// Its arrivals by clock hour (`None` if every session had zero length).
    pub profile: Option<HourlyProfile>,
    /// Its holding-time fit (`None` if every session had zero length).
    pub duration: Option<DurationFit>,
    /// The durations file an `empirical` choice names, relative to the scenario; `None` when
    /// no file can be written (the scenario goes to standard output): the best family is then
    /// written, with a note.
    pub empirical_file: Option<String>,
}

/// Everything the fitted scenario says.
#[derive(Debug, Clone)]
pub struct ScenarioInput<'a> {
    /// The export's file name, as given.
    pub export: &'a str,
    /// Sessions read (rows with an end).
    pub rows: u64,
    /// Rows skipped for an empty or `NULL` end.
    pub skipped_open: u64,
    /// The clock hours the export covers.
    pub window: Window,
    /// Its features, in order of first appearance.
    pub features: Vec<FeatureInput<'a>>,
}

/// The scenario text.
pub fn render_scenario(input: &ScenarioInput<'_>) -> String {
    let mut out = String::new();
    header(&mut out, input);
    for f in &input.features {
        feature(&mut out, f);
    }
    plan(&mut out);
    out
}

fn header(out: &mut String, input: &ScenarioInput<'_>) {
    let hours = input.window.hours();
    let _ = writeln!(
        out,
        "{MARKER} from {} ({} sessions over {} clock hour{}, {:.1} days).",
        input.export,
        input.rows,
        hours,
        if hours == 1 { "" } else { "s" },
        hours as f64 / 24.0
    );
    if input.skipped_open > 0 {
        let _ = writeln!(
            out,
            "# {} rows with no end time (NULL: in progress when exported) were left out.",
            input.skipped_open
        );
    }
    out.push_str(
        "# Review it before use: the pool's size, the horizon and the plan are placeholders.\n\
         # Rates are pool-wide. Hours are the export's clock hours (UTC unless the query\n\
         # converted them); a feature's `profile` holds 24 multipliers of `arrivals_per_hour`,\n\
         # from 00:00, and its busiest hour is 1.0.\n\n",
    );
    let _ = writeln!(
        out,
        "name = {}",
        quote(&format!("Fitted to {}", input.export))
    );
    out.push_str(
        "seed = 1\n\
         replications = 20\n\
         horizon = \"24h\"                    # one day of the profile\n\n\
         [pool]\n\
         servers = 8                        # set to your pool's number of Front Ends\n\
         load_balancing = \"dns\"             # or \"hardware\"\n",
    );
}

fn feature(out: &mut String, f: &FeatureInput<'_>) {
    let (Some(profile), Some(duration)) = (&f.profile, &f.duration) else {
        let _ = writeln!(
            out,
            "\n# {}: every one of its {} sessions had zero length; nothing to fit.",
            values_text(&f.values),
            f.sessions.zero_length
        );
        return;
    };
    let mut block = String::new();
    let _ = writeln!(block, "[[feature]]");
    let _ = writeln!(block, "name = {}", quote(&f.name));
    if f.mapped && !f.in_catalogue {
        block.push_str(
            "# not in drainsim's catalogue: name its Windows service (service = \"…\") and\n\
             # check needs_dns_lb and on_server_loss\n",
        );
    }
    let _ = writeln!(
        block,
        "# {} sessions from {}{}; busiest clock hour {:02}:00",
        f.sessions.count(),
        values_text(&f.values),
        if f.sessions.zero_length > 0 {
            format!(
                " ({} of zero length left out: failed or instant)",
                f.sessions.zero_length
            )
        } else {
            String::new()
        },
        profile.busy_hour
    );
    let _ = writeln!(
        block,
        "arrivals_per_hour = {}",
        number(profile.busy_rate_per_hour, 4)
    );
    profile_lines(&mut block, profile);
    duration_lines(&mut block, duration, f.empirical_file.as_deref());
    out.push('\n');
    if f.mapped {
        out.push_str(&block);
    } else {
        let _ = writeln!(
            out,
            "# {} has no feature: map it (drainsim fit … --map {}=FEATURE) and run fit again,\n\
             # or uncomment this block, name the feature and give it a service.",
            values_text(&f.values),
            quote_arg(&f.values[0])
        );
        for line in block.lines() {
            let _ = writeln!(out, "# {line}");
        }
    }
}

fn profile_lines(out: &mut String, p: &HourlyProfile) {
    let cells: Vec<String> = p.multipliers.iter().map(|m| format!("{m:.3}")).collect();
    let _ = writeln!(
        out,
        "profile = [{}, {}]",
        cells[..12].join(", "),
        cells[12..].join(", ")
    );
    let missing: Vec<String> = (0..24)
        .filter(|&h| !p.covered[h])
        .map(|h| format!("{h:02}"))
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(
            out,
            "# the export does not cover hours {}: their 0 means no data, not no traffic",
            missing.join(" ")
        );
    }
}

fn duration_lines(out: &mut String, fit: &DurationFit, empirical_file: Option<&str>) {
    let ranking: Vec<String> = fit
        .candidates
        .iter()
        .map(|c| format!("{} {:.3}", c.family.name(), c.ks))
        .collect();
    let _ = writeln!(
        out,
        "# holding time: {} durations; KS distance by likelihood rank: {} (limit {:.3})",
        fit.n,
        if ranking.is_empty() {
            "none fitted".to_string()
        } else {
            ranking.join(", ")
        },
        fit.ks_threshold
    );
    match (&fit.choice, empirical_file) {
        (DurationChoice::Family(i), _) => {
            let _ = writeln!(out, "duration = {}", dist_text(&fit.candidates[*i].kind));
        }
        (DurationChoice::Deterministic(v), _) => {
            let _ = writeln!(
                out,
                "duration = {}",
                dist_text(&DistKind::Deterministic { value_s: *v })
            );
        }
        (DurationChoice::Empirical, Some(file)) => {
            let _ = writeln!(
                out,
                "# no family is within the limit: the measured durations are resampled\n\
                 duration = {{ distribution = \"empirical\", file = {} }}",
                quote(file)
            );
        }
        (DurationChoice::Empirical, None) => match fit.candidates.first() {
            Some(best) => {
                let _ = writeln!(
                    out,
                    "# no family is within the limit: fit with --out to get an empirical file;\n\
                     # the best by likelihood meanwhile:\n\
                     duration = {}",
                    dist_text(&best.kind)
                );
            }
            None => {
                out.push_str("# no family could be fitted; fit with --out for an empirical file\n")
            }
        },
    }
}

/// A distribution in the scenario's syntax.
pub fn dist_text(kind: &DistKind) -> String {
    match kind {
        DistKind::Exponential { mean_s } => format!(
            "{{ distribution = \"exponential\", mean = \"{}\" }}",
            duration_text(significant(*mean_s, 4))
        ),
        DistKind::LogNormal { mu, sigma } => format!(
            "{{ distribution = \"lognormal\", median = \"{}\", sigma = {} }}",
            duration_text(significant(mu.exp(), 4)),
            number(*sigma, 4)
        ),
        DistKind::Gamma { mean_s, shape } => format!(
            "{{ distribution = \"gamma\", mean = \"{}\", shape = {} }}",
            duration_text(significant(*mean_s, 4)),
            number(*shape, 4)
        ),
        DistKind::Weibull { scale_s, shape } => format!(
            "{{ distribution = \"weibull\", scale = \"{}\", shape = {} }}",
            duration_text(significant(*scale_s, 4)),
            number(*shape, 4)
        ),
        DistKind::Deterministic { value_s } => format!(
            "{{ distribution = \"deterministic\", value = \"{}\" }}",
            duration_text(*value_s)
        ),
        DistKind::Uniform { min_s, max_s } => format!(
            "{{ distribution = \"uniform\", min = \"{}\", max = \"{}\" }}",
            duration_text(*min_s),
            duration_text(*max_s)
        ),
        DistKind::Empirical { .. } => "{ distribution = \"empirical\" }".into(),
    }
}

/// A duration string, to the millisecond (to the microsecond below a second, and never 0 for
/// a positive value): `"2m31s"`, `"151.25s"`, `"0.75ms"`.
pub fn duration_text(s: f64) -> String {
    let ms = (s * 1000.0).round();
    if ms >= 1000.0 && ms % 1000.0 == 0.0 && ms < 1e15 {
        let total = (ms / 1000.0) as u64;
        let (h, m, sec) = (total / 3600, total / 60 % 60, total % 60);
        let mut t = String::new();
        if h > 0 {
            let _ = write!(t, "{h}h");
        }
        if m > 0 {
            let _ = write!(t, "{m}m");
        }
        if sec > 0 {
            let _ = write!(t, "{sec}s");
        }
        return t;
    }
    if s >= 1.0 {
        return format!("{}s", plain(&format!("{:.3}", ms / 1000.0)));
    }
    let us = (s * 1e6).round().max(1.0);
    format!("{}ms", plain(&format!("{:.3}", us / 1000.0)))
}

/// `x` rounded to `digits` significant digits (fitted parameters carry no more).
fn significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// `x` with `significant` significant digits, as a TOML number.
fn number(x: f64, significant: i32) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0.0".into();
    }
    let decimals = (significant - 1 - x.abs().log10().floor() as i32).max(1) as usize;
    trim_zeros(&format!("{x:.decimals$}"))
}

/// `"12.500"` → `"12.5"`, `"3.000"` → `"3.0"` (still a TOML float).
fn trim_zeros(s: &str) -> String {
    if !s.contains('.') {
        return s.to_string();
    }
    let t = s.trim_end_matches('0');
    if t.ends_with('.') {
        format!("{t}0")
    } else {
        t.to_string()
    }
}

/// `"12.500"` → `"12.5"`, `"750.000"` → `"750"` (for duration strings).
fn plain(s: &str) -> String {
    trim_zeros(s).trim_end_matches(".0").to_string()
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    let mut q = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(q, "\\u{:04X}", c as u32);
            }
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// A value as a shell argument would be written in the note (quoted when it has spaces).
fn quote_arg(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-:.".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn values_text(values: &[String]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| quote(v)).collect();
    format!(
        "value{} {}",
        if values.len() == 1 { "" } else { "s" },
        quoted.join(", ")
    )
}

fn plan(out: &mut String) {
    out.push_str(
        "\n# A plan to adapt (times are from the start of the simulation, which is 00:00 of the\n\
         # profile): pause Front End 1, let it drain for up to an hour, restart it.\n\
         # [[step]]\n\
         # at = \"22h\"\n\
         # action = \"pause\"\n\
         # server = 1\n\
         #\n\
         # [[step]]\n\
         # action = \"wait_until_drained\"\n\
         # server = 1\n\
         # timeout = \"1h\"\n\
         #\n\
         # [[step]]\n\
         # action = \"restart\"\n\
         # server = 1\n\
         # downtime = \"10m\"\n",
    );
}

/// An empirical durations file of `durations_s` (sorted, to the millisecond), with the marker
/// as its header row.
pub fn durations_csv(export: &str, feature: &str, durations_s: &[f64]) -> String {
    let mut sorted = durations_s.to_vec();
    sorted.sort_by(f64::total_cmp);
    // The header is one field: a comma would not matter to the reader, but keep it clean.
    let mut out = format!(
        "{MARKER} from {}; feature {}; seconds\n",
        export.replace(',', " "),
        feature.replace(',', " ")
    );
    out.reserve(sorted.len() * 10);
    for d in sorted {
        let _ = writeln!(out, "{d:.3}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_written_in_the_scenario_syntax() {
        assert_eq!(duration_text(1800.0), "30m");
        assert_eq!(duration_text(151.0), "2m31s");
        assert_eq!(duration_text(3723.0), "1h2m3s");
        assert_eq!(duration_text(151.2504), "151.25s");
        assert_eq!(duration_text(1.5), "1.5s");
        assert_eq!(duration_text(0.75), "750ms");
        assert_eq!(duration_text(0.0004), "0.4ms");
        assert_eq!(duration_text(1e-9), "0.001ms");
        for s in [1800.0, 151.2504, 0.75, 0.0004, 86_400.5] {
            let text = duration_text(s);
            let back = crate::engine::parse_duration(&text).unwrap().as_secs_f64();
            assert!(
                (back - s).abs() <= 5e-4 * s.max(1e-3),
                "{s} -> {text} -> {back}"
            );
        }
    }

    #[test]
    fn numbers_keep_four_significant_digits() {
        assert_eq!(number(0.812_345, 4), "0.8123");
        assert_eq!(number(12.0, 4), "12.0");
        assert_eq!(number(1234.567, 4), "1234.6");
        assert_eq!(number(0.001_234_56, 4), "0.001235");
    }

    #[test]
    fn strings_are_quoted_for_toml() {
        assert_eq!(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(quote_arg("App Sharing"), "'App Sharing'");
        assert_eq!(quote_arg("conf:chat"), "conf:chat");
    }
}
