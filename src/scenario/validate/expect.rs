//! `[[expect]]`, read by hand: each key is either a selector (`run`, `feature`,
//! `load_balancing` or a sweep axis column, equal to a value) or a bound on a numeric summary
//! column (`cut_mean = { max = 0.5 }`). Read in two stages: the keys and bounds with the rest of
//! the file ([`validate_expects`]), then, once the sweep is expanded, every selector value
//! against the rows the runs will write to `summary.csv` ([`check_selectors`]), so that a
//! typo is refused by `drainsim check` rather than found by a run that matched no row.

use super::super::ctx::{Ctx, suggest};
use super::super::expand::Run;
use super::super::span::FieldPath;
use super::super::sweep::Axis;
use super::super::validated::{Bound, Expectation};
use crate::engine::{SimTime, parse_duration};
use crate::stats::{is_summary_column, summary_columns};

/// The expectations in file order (kept even with problems, which are recorded).
pub(super) fn validate_expects(
    ctx: &mut Ctx<'_>,
    raw: &[toml::Table],
    axes: &[Axis],
) -> Vec<Expectation> {
    let root = FieldPath::root().key("expect");
    let mut selector_cols: Vec<String> = Vec::new();
    let fixed = ["run", "feature", "load_balancing"].map(String::from);
    // `pool.load_balancing` fills the `load_balancing` column, as the `load_balancing` axis does.
    for c in fixed.into_iter().chain(
        (axes.iter())
            .filter(|a| a.key != "pool.load_balancing")
            .map(|a| a.column().to_string()),
    ) {
        if !selector_cols.contains(&c) {
            selector_cols.push(c);
        }
    }
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
    let paired = t.contains_key("paired");
    for (k, v) in t {
        let kp = p.key(k);
        if k == "paired" {
            validate_paired(ctx, &kp, v);
        } else if paired && matches!(k.as_str(), "load_balancing" | "run") {
            ctx.err(
                &kp,
                "a paired expectation compares the DNS and hardware runs: it selects by \
                 feature and the other sweep columns, not by load_balancing or run",
            );
        } else if let (true, toml::Value::Table(b)) = (paired, v) {
            bounds.extend(validate_paired_bound(ctx, &kp, k, b));
        } else if let toml::Value::Table(b) = v {
            bounds.extend(validate_bound(ctx, &kp, k, b));
        } else if selector_cols.iter().any(|c| c == k) {
            match value_label(v) {
                Some(l) => selectors.push((k.clone(), l)),
                None => ctx.err(&kp, "a selector must be a string, number or boolean"),
            }
        } else if k == "pool.load_balancing" {
            ctx.err(
                &kp,
                "the `pool.load_balancing` axis fills the `load_balancing` column: select rows \
                 with load_balancing = \"dns\" or \"hardware\"",
            );
        } else if is_summary_column(k) {
            ctx.err(
                &kp,
                format!(
                    "\"{k}\" is a summary column, so it takes a bound: a table such as \
                     {k} = {{ max = 0.5 }}"
                ),
            );
        } else {
            let hint = suggest(k, selector_cols.iter().map(String::as_str))
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            ctx.err(
                &kp,
                format!(
                    "unknown key \"{k}\": select rows by {} or bound a summary column with a \
                     table such as {{ max = 0.5 }}{hint}",
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
        paired,
        bounds,
    }
}

/// `paired = "hardware - dns"`, the one difference compare.csv holds.
fn validate_paired(ctx: &mut Ctx<'_>, kp: &FieldPath, v: &toml::Value) {
    if v.as_str().map(|s| s.split_whitespace().collect::<String>()) != Some("hardware-dns".into()) {
        ctx.err(
            kp,
            "must be \"hardware - dns\": the paired difference of compare.csv (per replication, \
             hardware minus DNS, on the same sessions)",
        );
    }
}

/// A bound of a paired expectation: only `diff_mean`, the mean paired difference.
fn validate_paired_bound(
    ctx: &mut Ctx<'_>,
    kp: &FieldPath,
    column: &str,
    b: &toml::Table,
) -> Option<Bound> {
    if column != "diff_mean" {
        ctx.err(
            kp,
            format!(
                "\"{column}\": a paired expectation bounds diff_mean (compare.csv: sessions cut \
                 per replication, hardware minus DNS), e.g. diff_mean = {{ min = 0.0 }}"
            ),
        );
        return None;
    }
    let mut bound = validate_bound(ctx, kp, "cut_mean", b)?;
    bound.column = column.to_string();
    Some(bound)
}

/// The bound `column = { min, max, approx, tolerance }` at `kp` (`None` when `column` is not
/// a numeric summary column; kept with other problems, which are recorded).
fn validate_bound(
    ctx: &mut Ctx<'_>,
    kp: &FieldPath,
    column: &str,
    b: &toml::Table,
) -> Option<Bound> {
    if !is_summary_column(column) {
        let columns = summary_columns();
        let hint = match suggest(column, columns.iter().map(String::as_str)) {
            Some(s) => format!("; did you mean `{s}`?"),
            None => " (e.g. cut_mean, blocked_mean, cut_ci95_high)".to_string(),
        };
        ctx.err(
            kp,
            format!("\"{column}\" is not a numeric column of summary.csv{hint}"),
        );
        return None;
    }
    let mut bound = Bound {
        column: column.to_string(),
        min: None,
        max: None,
        approx: None,
        rarer_than: None,
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
            "rarer_than" if x > 0.0 && x < 1.0 => bound.rarer_than = Some(x),
            "rarer_than" => ctx.err(
                &kp.key(bk),
                "must be a rate between 0 and 1 (e.g. 0.01: such nights are rarer than 1 in 100)",
            ),
            _ => {
                let hint = suggest(bk, ["min", "max", "approx", "tolerance", "rarer_than"])
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                ctx.err(
                    &kp.key(bk),
                    format!(
                        "unknown bound \"{bk}\"; expected min, max, approx (with tolerance), rarer_than{hint}"
                    ),
                )
            }
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

/// Checks every selector value against the rows the runs will write to `summary.csv` (per
/// run: one row per feature of the run, then `all`), as `drainsim run` will select them: a
/// value no row has is an error with the values there are, and so is an entry whose values
/// exist but never in the same row. A number matches a cell holding the same number however
/// it is written (`1` selects the cell `1.0`): the selector is rewritten to the cell's text.
/// `features` are the scenario's features before the sweep, to explain a feature no run has.
pub(super) fn check_selectors(
    ctx: &mut Ctx<'_>,
    expects: &mut [Expectation],
    runs: &[Run],
    features: &[String],
) {
    let root = FieldPath::root().key("expect");
    let lbs = column_values(runs, "load_balancing");
    let pairs = ["dns", "hardware"]
        .iter()
        .all(|lb| lbs.iter().any(|v| v == lb));
    for e in expects {
        let p = root.index(e.index);
        if e.paired && !pairs {
            ctx.err(
                &p.key("paired"),
                "needs runs under both load balancings to pair: sweep load_balancing = \
                 [\"dns\", \"hardware\"]",
            );
        }
        let mut ok = true;
        for (column, value) in &mut e.selectors {
            let values = column_values(runs, column);
            if values.contains(value) {
                continue;
            }
            if let Some(same) = numerically_equal(value, &values) {
                *value = same;
                continue;
            }
            ok = false;
            let msg = unmatched(column, value, &values, runs.len(), features);
            ctx.err(&p.key(column), msg);
        }
        if ok && !any_row_matches(runs, &e.selectors) {
            let sel: Vec<String> = (e.selectors.iter())
                .map(|(k, v)| format!("{k} = {}", shown(v)))
                .collect();
            ctx.err(
                &p,
                format!(
                    "no row of summary.csv has {} together: each value occurs, but never in \
                     the same row",
                    sel.join(" and ")
                ),
            );
        }
    }
}

/// The value of label column `column` in row (`run`, `feature`), as the summary writes it.
fn cell(run: &Run, feature: &str, column: &str) -> Option<String> {
    match column {
        "feature" => Some(feature.to_string()),
        "run" => Some(run.index.to_string()),
        _ => (run.labels.iter())
            .find(|(c, _)| c == column)
            .map(|(_, v)| v.clone()),
    }
}

/// The features with a row in `run`'s part of the summary: the run's own, then `all`.
fn row_features(run: &Run) -> impl Iterator<Item = &str> {
    (run.config.features.iter())
        .map(|f| f.name.as_str())
        .chain(["all"])
}

/// Every value of label column `column` in the summary, in order of first appearance.
fn column_values(runs: &[Run], column: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |v: String| {
        if !out.contains(&v) {
            out.push(v);
        }
    };
    for run in runs {
        if column == "feature" {
            row_features(run).for_each(|f| add(f.to_string()));
        } else if let Some(v) = cell(run, "all", column) {
            add(v);
        }
    }
    out
}

/// Whether some row meets every selector, selected as `drainsim run` selects: without a
/// `feature` selector, only the `all` rows.
fn any_row_matches(runs: &[Run], selectors: &[(String, String)]) -> bool {
    let by_feature = selectors.iter().any(|(k, _)| k == "feature");
    runs.iter().any(|run| {
        row_features(run)
            .filter(|f| by_feature || *f == "all")
            .any(|f| {
                (selectors.iter()).all(|(k, v)| cell(run, f, k).as_deref() == Some(v.as_str()))
            })
    })
}

/// The value among `values` that is the same number as `value`, if both are numbers.
fn numerically_equal(value: &str, values: &[String]) -> Option<String> {
    let x: f64 = value.trim().parse().ok()?;
    (values.iter())
        .find(|v| v.trim().parse::<f64>().is_ok_and(|y| y == x))
        .cloned()
}

/// A cell value as a selector would be written: numbers bare, anything else quoted.
fn shown(v: &str) -> String {
    if v.parse::<f64>().is_ok_and(f64::is_finite) {
        v.to_string()
    } else {
        format!("\"{v}\"")
    }
}

/// At most this many values are listed in a message.
const LISTED: usize = 12;

/// `values` as a message lists them.
fn listed(values: &[String]) -> String {
    let mut out: Vec<String> = values.iter().take(LISTED).map(|v| shown(v)).collect();
    if values.len() > LISTED {
        out.push(format!("… ({} values in all)", values.len()));
    }
    out.join(", ")
}

/// Why no row has `column = value`, with the values there are and the one most likely meant.
fn unmatched(
    column: &str,
    value: &str,
    values: &[String],
    runs: usize,
    features: &[String],
) -> String {
    let hint = suggest(value, values.iter().map(String::as_str))
        .map(|s| format!("; did you mean {column} = {}?", shown(&s)))
        .unwrap_or_default();
    let v = shown(value);
    match column {
        "run" => match runs {
            1 => format!("run {v} does not exist: this scenario has one run, run 0"),
            n => format!(
                "run {v} does not exist: the runs are numbered 0 to {}",
                n - 1
            ),
        },
        "feature" if features.iter().any(|f| f == value) => format!(
            "feature {v} is in no run (the feature_sets axis leaves it out of every run); the \
             features with rows are {}",
            listed(values)
        ),
        "feature" => {
            let named: Vec<String> = values.iter().filter(|f| *f != "all").cloned().collect();
            format!(
                "feature {v} is not a feature of this scenario; expected \"all\" or one of \
                 its features: {}{hint}",
                listed(&named)
            )
        }
        "load_balancing" if value == "dns" || value == "hardware" => {
            format!(
                "no run uses load_balancing = {v}: every run uses {}; sweep \
                 load_balancing = [\"dns\", \"hardware\"] to compare the two",
                listed(values)
            )
        }
        "wait_s" if parse_duration(value).is_ok() => {
            let secs = parse_duration(value).map_or(0, |d| d.0 / SimTime::SECOND);
            format!(
                "wait_s is in whole seconds, as summary.csv writes it: {v} is wait_s = {secs} \
                 (the wait axis gives {})",
                listed(values)
            )
        }
        _ => format!(
            "no run has {column} = {v}: the values of {column} are {}{hint}",
            listed(values)
        ),
    }
}
