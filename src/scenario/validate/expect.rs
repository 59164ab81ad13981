//! `[[expect]]`, read by hand: each key is either a selector (`run`, `feature`,
//! `load_balancing` or a sweep axis column, equal to a value) or a bound on a numeric summary
//! column (`cut_mean = { max = 0.5 }`).

use super::super::ctx::Ctx;
use super::super::span::FieldPath;
use super::super::sweep::Axis;
use super::super::validated::{Bound, Expectation};

/// The expectations in file order (kept even with problems, which are recorded).
pub(super) fn validate_expects(
    ctx: &mut Ctx<'_>,
    raw: &[toml::Table],
    axes: &[Axis],
) -> Vec<Expectation> {
    let root = FieldPath::root().key("expect");
    let selector_cols: Vec<String> = ["run", "feature", "load_balancing"]
        .iter()
        .map(|s| s.to_string())
        .chain(axes.iter().map(|a| a.column().to_string()))
        .collect();
    (raw.iter().enumerate())
        .map(|(i, t)| validate_expect(ctx, &root.index(i), i, t, &selector_cols))
        .collect()
}

/// Entry `index` of `[[expect]]`, at `p`.
fn validate_expect(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    index: usize,
    t: &toml::Table,
    selector_cols: &[String],
) -> Expectation {
    let mut selectors = Vec::new();
    let mut bounds = Vec::new();
    for (k, v) in t {
        let kp = p.key(k);
        if let toml::Value::Table(b) = v {
            bounds.extend(validate_bound(ctx, &kp, k, b));
        } else if selector_cols.iter().any(|c| c == k) {
            match value_label(v) {
                Some(l) => selectors.push((k.clone(), l)),
                None => ctx.err(&kp, "a selector must be a string, number or boolean"),
            }
        } else {
            ctx.err(
                &kp,
                format!(
                    "unknown key \"{k}\": select rows by {} or bound a summary column with a \
                     table such as {{ max = 0.5 }}",
                    selector_cols.join(", ")
                ),
            );
        }
    }
    if bounds.is_empty() {
        ctx.err(
            p,
            "an expectation needs at least one bound, e.g. cut_mean = { max = 0.5 }",
        );
    }
    Expectation {
        index,
        location: ctx.location(p),
        selectors,
        bounds,
    }
}

/// The bound `column = { min, max, approx, tolerance }` at `kp` (`None` when `column` is not
/// a numeric summary column; kept with other problems, which are recorded).
fn validate_bound(
    ctx: &mut Ctx<'_>,
    kp: &FieldPath,
    column: &str,
    b: &toml::Table,
) -> Option<Bound> {
    if !crate::stats::is_summary_column(column) {
        ctx.err(
            kp,
            format!(
                "\"{column}\" is not a numeric column of summary.csv (e.g. cut_mean, \
                 blocked_mean, cut_ci95_high)"
            ),
        );
        return None;
    }
    let mut bound = Bound {
        column: column.to_string(),
        min: None,
        max: None,
        approx: None,
    };
    let mut tol = None;
    for (bk, bv) in b {
        let num = match bv {
            toml::Value::Float(f) => Some(*f),
            toml::Value::Integer(n) => Some(*n as f64),
            _ => None,
        };
        let Some(x) = num.filter(|x| x.is_finite()) else {
            ctx.err(&kp.key(bk), "must be a finite number");
            continue;
        };
        match bk.as_str() {
            "min" => bound.min = Some(x),
            "max" => bound.max = Some(x),
            "approx" => bound.approx = Some((x, 0.0)),
            "tolerance" => tol = Some(x),
            _ => ctx.err(
                &kp.key(bk),
                format!("unknown bound \"{bk}\"; expected min, max, approx (with tolerance)"),
            ),
        }
    }
    match (bound.approx, tol) {
        (Some((x, _)), Some(t)) if t >= 0.0 => bound.approx = Some((x, t)),
        (Some(_), _) => ctx.err(kp, "`approx` needs a `tolerance` >= 0"),
        (None, Some(_)) => ctx.err(&kp.key("tolerance"), "`tolerance` goes with `approx`"),
        (None, None) => {}
    }
    if bound.min.is_none() && bound.max.is_none() && bound.approx.is_none() {
        ctx.err(kp, "needs at least one of min, max, approx");
    }
    Some(bound)
}

/// A selector's value as the summary writes it.
fn value_label(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}
