//! A feature's `duration`: a holding-time distribution as written ([`RawDist`]) into a
//! [`HoldingTime`] the model can sample, with empirical durations read through the
//! [`FileSource`].

use std::sync::Arc;

use super::super::ctx::{Ctx, FileSource};
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
    ctx.pick(p.key(key), parse_duration(v))
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

/// Reads an empirical-durations CSV: the first column of each row, in seconds or as a duration
/// string; an optional header row (first row not a number) is skipped.
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
