//! A feature's `duration`: a holding-time distribution as written ([`RawDist`]) into a
//! [`HoldingTime`] the model can sample, with empirical durations read through the
//! [`FileSource`].

use std::sync::Arc;

use super::super::ctx::{Ctx, FileSource, parse_duration_hinted};
use super::super::raw::RawDist;
use super::super::span::FieldPath;
use crate::engine::parse_duration;
use crate::model::{DistKind, HoldingTime};

/// The distribution written at `p`, every problem recorded.
pub(super) fn validate_dist(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    d: &RawDist,
    files: &dyn FileSource,
) -> Option<HoldingTime> {
    let kind = match d {
        RawDist::Exponential { mean } => DistKind::Exponential {
            mean_s: secs(ctx, p, "mean", mean)?,
        },
        RawDist::Lognormal {
            median,
            sigma,
            mean,
            cv,
        } => lognormal(ctx, p, (median, sigma), (mean, cv))?,
        RawDist::Deterministic { value } => DistKind::Deterministic {
            value_s: secs(ctx, p, "value", value)?,
        },
        RawDist::Uniform { min, max } => {
            let a = secs(ctx, p, "min", min);
            let b = secs(ctx, p, "max", max);
            DistKind::Uniform {
                min_s: a?,
                max_s: b?,
            }
        }
        RawDist::Gamma { mean, shape } => DistKind::Gamma {
            mean_s: secs(ctx, p, "mean", mean)?,
            shape: *shape,
        },
        RawDist::Weibull { scale, shape } => DistKind::Weibull {
            scale_s: secs(ctx, p, "scale", scale)?,
            shape: *shape,
        },
        RawDist::Empirical { file } => empirical(ctx, p, file, files)?,
    };
    holding_time(ctx, p, kind)
}

/// The duration string `v` of parameter `key`, in seconds.
fn secs(ctx: &mut Ctx<'_>, p: &FieldPath, key: &str, v: &str) -> Option<f64> {
    ctx.pick(p.key(key), parse_duration_hinted(v))
        .map(|t| t.as_secs_f64())
}

/// A log-normal from `median` and `sigma`, or from `mean` and `cv`.
fn lognormal(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    (median, sigma): (&Option<String>, &Option<f64>),
    (mean, cv): (&Option<String>, &Option<f64>),
) -> Option<DistKind> {
    match (median, sigma, mean, cv) {
        (Some(median), Some(sigma), None, None) => {
            let m = secs(ctx, p, "median", median)?;
            if m <= 0.0 {
                ctx.err(&p.key("median"), "must be longer than zero");
                return None;
            }
            Some(DistKind::LogNormal {
                mu: m.ln(),
                sigma: *sigma,
            })
        }
        (None, None, Some(mean), Some(cv)) => {
            let m = secs(ctx, p, "mean", mean)?;
            if m <= 0.0 || !(cv.is_finite() && *cv > 0.0) {
                ctx.err(
                    p,
                    format!("mean must be > 0 and cv a finite number > 0 (got cv = {cv})"),
                );
                return None;
            }
            let sigma2 = (1.0 + cv * cv).ln();
            if !(sigma2.is_finite() && sigma2 > 0.0) {
                // cv² overflows (or underflows to nothing): say so in the user's terms
                // rather than as a bad sigma they never wrote.
                ctx.err(
                    &p.key("cv"),
                    format!("cv = {cv} is out of range; use a cv between about 1e-7 and 1e150"),
                );
                return None;
            }
            Some(DistKind::LogNormal {
                mu: m.ln() - sigma2 / 2.0,
                sigma: sigma2.sqrt(),
            })
        }
        _ => {
            ctx.err(
                p,
                "lognormal takes either `median` and `sigma`, or `mean` and `cv`",
            );
            None
        }
    }
}

/// The durations of the CSV file `file`.
fn empirical(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    file: &str,
    files: &dyn FileSource,
) -> Option<DistKind> {
    let text = ctx.pick(p.key("file"), files.read(file))?;
    let values = ctx.pick(
        p.key("file"),
        parse_empirical(&text).map_err(|e| format!("{file}: {e}")),
    )?;
    Some(DistKind::Empirical {
        values_s: Arc::from(values),
    })
}

/// The model's holding time for `kind`, refusing parameters it cannot use.
fn holding_time(ctx: &mut Ctx<'_>, p: &FieldPath, kind: DistKind) -> Option<HoldingTime> {
    if let DistKind::Gamma { mean_s, shape } = kind
        && shape > 0.0
        && !(mean_s / shape).is_finite()
    {
        ctx.err(
            &p.key("shape"),
            format!(
                "shape {shape} is too small for a mean of {mean_s} s (the scale mean/shape \
                 overflows)"
            ),
        );
        return None;
    }
    match HoldingTime::new(kind) {
        Ok(h) if !h.mean_s().is_finite() => {
            ctx.err(
                p,
                format!(
                    "{} has no finite mean in floating point; choose less extreme parameters",
                    h.describe()
                ),
            );
            None
        }
        Ok(h) => Some(h),
        Err(e) => {
            // The model names the parameter first ("sigma must be ..."): point at it.
            let key = ["mean", "sigma", "shape", "scale", "value", "min", "max"]
                .into_iter()
                .find(|k| e.starts_with(&format!("{k} must")));
            match key {
                Some(k) => ctx.err(&p.key(k), e),
                None => ctx.err(p, e),
            }
            None
        }
    }
}

/// Reads an empirical-durations CSV: the first column of each row, in seconds, as a duration
/// string or as `H:MM:SS`; an optional header row (first row not a number) is skipped.
fn parse_empirical(text: &str) -> Result<Vec<f64>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| format!("line {}: {e}", i + 1))?;
        let Some(cell) = rec.get(0) else { continue };
        if cell.is_empty() {
            continue;
        }
        let v = match cell.parse::<f64>() {
            Ok(v) => v,
            Err(_) if cell.starts_with(|c: char| c.is_ascii_digit()) && cell.contains(':') => {
                clock_duration(cell).map_err(|e| format!("line {}: {e}", i + 1))?
            }
            Err(_) => match parse_duration(cell) {
                Ok(t) => t.as_secs_f64(),
                Err(_) if i == 0 => continue, // header
                Err(_) => return Err(format!("line {}: {cell:?} is not a duration", i + 1)),
            },
        };
        if !(v.is_finite() && v >= 0.0) {
            return Err(format!(
                "line {}: {cell:?} is not a non-negative duration",
                i + 1
            ));
        }
        out.push(v);
    }
    if out.is_empty() {
        return Err("no durations found".into());
    }
    Ok(out)
}

/// A duration written as a clock, `H:MM:SS` or `H:MM:SS.fff` (hours may exceed 24), in
/// seconds. `MM:SS` is refused: `01:30` reads as a minute and a half to some and as an hour
/// and a half to others.
fn clock_duration(cell: &str) -> Result<f64, String> {
    let parts: Vec<&str> = cell.split(':').collect();
    let bad = || {
        format!(
            "{cell:?} is not a duration; a clock duration is H:MM:SS (such as 0:01:30 or \
             1:02:03.5)"
        )
    };
    let [h, m, s] = parts[..] else {
        return Err(if parts.len() == 2 {
            format!(
                "{cell:?} is ambiguous (minutes:seconds or hours:minutes?); write it as H:MM:SS \
                 (0:{cell} or {cell}:00) or with units (90s, 1h30m)"
            )
        } else {
            bad()
        });
    };
    let two_digits = |t: &str| t.len() == 2 && t.bytes().all(|c| c.is_ascii_digit());
    let s_int = s.split_once('.').map_or(s, |(i, _)| i);
    if h.is_empty()
        || !h.bytes().all(|c| c.is_ascii_digit())
        || !two_digits(m)
        || !two_digits(s_int)
        || s.ends_with('.')
    {
        return Err(bad());
    }
    let (h, m): (f64, f64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    let s: f64 = s.parse().map_err(|_| bad())?;
    if m >= 60.0 || s >= 60.0 {
        return Err(format!(
            "{cell:?} is not a duration; minutes and seconds must be below 60"
        ));
    }
    let v = h * 3600.0 + m * 60.0 + s;
    if !v.is_finite() {
        return Err(bad());
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::parse_empirical;

    #[test]
    fn clock_durations_mix_with_seconds_and_units() {
        let text = "duration\n0:01:30\n1:02:03.5\n26:00:00\n90\n5m\n00:00:00\n";
        assert_eq!(
            parse_empirical(text),
            Ok(vec![90.0, 3723.5, 93_600.0, 90.0, 300.0, 0.0])
        );
        // A clock on the first row is data, not a header.
        assert_eq!(parse_empirical("0:00:10\n"), Ok(vec![10.0]));
    }

    #[test]
    fn minutes_seconds_is_refused_as_ambiguous() {
        let e = parse_empirical("d\n01:30\n").unwrap_err();
        assert_eq!(
            e,
            "line 2: \"01:30\" is ambiguous (minutes:seconds or hours:minutes?); write it as \
             H:MM:SS (0:01:30 or 01:30:00) or with units (90s, 1h30m)"
        );
        // Even on the first row: a header never starts with a digit and holds a colon.
        assert!(
            parse_empirical("01:30\n")
                .unwrap_err()
                .starts_with("line 1: ")
        );
    }

    #[test]
    fn malformed_clocks_are_errors_at_their_line() {
        for bad in [
            "0:1:30",
            "0:01:3",
            "0:60:00",
            "0:00:60",
            "1:02:03.",
            "1:02:03:04",
            "1:0a:00",
            "1::00",
        ] {
            let e = parse_empirical(&format!("d\n{bad}\n")).unwrap_err();
            assert!(
                e.starts_with("line 2: ") && e.contains("is not a duration"),
                "{bad}: {e}"
            );
        }
        // A header with a colon that does not start with a digit is still a header.
        assert_eq!(
            parse_empirical("Duration (h:mm:ss)\n0:00:05\n"),
            Ok(vec![5.0])
        );
    }
}
