//! `[workload]` and `[[feature]]`: a preset's features, each overridden by a `[[feature]]` of
//! the same name, then the file's other features; the Windows services they name. Holding
//! times are `dist`.

use super::super::ctx::{Ctx, FileSource, did_you_mean, one_of, suggest};
use super::super::raw::{RawFeature, RawScenario};
use super::super::span::FieldPath;
use super::dist::validate_dist;
use super::profile::{validate_load_factor, validate_profile};
use crate::model::feature::MAX_PARTICIPANTS;
use crate::model::profile::Profile;
use crate::model::service::{KNOWN_SERVICES, MAX_SERVICES};
use crate::model::workload::{self, PresetFeature};
use crate::model::{
    CATALOGUE, CatalogueEntry, Feature, HoldingTime, OnLoss, Participants, catalogue_entry,
};

/// What `[workload]` gives every feature: its preset's features, and the profile and load
/// factor of the features that do not set their own.
#[derive(Default)]
pub(super) struct Workload {
    preset: Vec<PresetFeature>,
    profile: Option<Profile>,
    load_factor: f64,
}

/// `[workload]` (an empty preset without a workload or when it is invalid).
pub(super) fn validate_workload(
    ctx: &mut Ctx<'_>,
    raw: &RawScenario,
    files: &dyn FileSource,
) -> Workload {
    let Some(w) = &raw.workload else {
        return Workload {
            load_factor: 1.0,
            ..Workload::default()
        };
    };
    let p = FieldPath::root().key("workload");
    let profile =
        (w.profile.as_ref()).and_then(|v| validate_profile(ctx, &p.key("profile"), v, files));
    let load_factor = validate_load_factor(ctx, &p.key("load_factor"), w.load_factor);
    let preset = match (&w.preset, w.users) {
        (None, None) => Vec::new(),
        (None, Some(_)) => {
            ctx.err(&p.key("preset"), "`users` needs a `preset` (\"lync2013\")");
            Vec::new()
        }
        (Some(_), None) => {
            ctx.err(
                &p.key("users"),
                "the preset needs `users` (users homed on the pool)",
            );
            Vec::new()
        }
        (Some(_), Some(users)) if !(1..=10_000_000).contains(&users) => {
            ctx.err(
                &p.key("users"),
                format!("must be between 1 and 10,000,000, got {users}"),
            );
            Vec::new()
        }
        (Some(preset), Some(users)) => match preset.as_str() {
            "lync2013" => workload::lync2013(users as f64),
            other => {
                ctx.err(
                    &p.key("preset"),
                    format!(
                        "unknown preset \"{other}\"; expected \"lync2013\"{}",
                        did_you_mean(other, ["lync2013"])
                    ),
                );
                Vec::new()
            }
        },
    };
    Workload {
        preset,
        profile,
        load_factor,
    }
}

/// The features (`None` when any is invalid) and the Windows services: the known ones, then
/// those the features name, in order of first use.
pub(super) fn validate_features(
    ctx: &mut Ctx<'_>,
    raw: &[RawFeature],
    workload: &Workload,
    trace_fed: &[String],
    files: &dyn FileSource,
) -> (Option<Vec<Feature>>, Vec<String>) {
    let preset = &workload.preset[..];
    let root = FieldPath::root().key("feature");
    let mut services: Vec<String> = KNOWN_SERVICES.iter().map(|(n, _)| n.to_string()).collect();
    if raw.is_empty() && preset.is_empty() {
        let msg = if trace_fed.is_empty() {
            "no features: add at least one [[feature]] with a name, arrivals_per_hour and \
             duration (or a [workload] preset)"
                .to_string()
        } else {
            format!(
                "no features: [trace.features] maps the trace to {}, which no [[feature]] \
                 defines; add {}",
                quoted_list(trace_fed),
                feature_to_add(trace_fed)
            )
        };
        ctx.err(&root, msg);
        return (None, services);
    }
    let before = ctx.diags.len();
    let empty = RawFeature::default();
    let mut out = Vec::new();
    for (ri, pf) in feature_items(raw, preset) {
        let input = match ri {
            Some(i) => FeatureInput {
                raw: &raw[i],
                earlier: &raw[..i],
                preset: pf,
                path: root.index(i),
            },
            None => FeatureInput {
                raw: &empty,
                earlier: &[],
                preset: pf,
                path: FieldPath::root().key("workload"),
            },
        };
        if input.raw.enabled == Some(false) {
            continue;
        }
        out.extend(input.validate(ctx, &mut services, workload, trace_fed, files));
    }
    let ok = ctx.diags.len() == before;
    check_service_count(ctx, &services);
    (ok.then_some(out), services)
}

/// `"a", "b"`.
fn quoted_list(names: &[String]) -> String {
    let q: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    q.join(", ")
}

/// What to write so that the trace's features `names` are defined: `[[feature]] name = "im"`
/// for each (the name alone for a catalogue feature, whose service comes from the catalogue
/// and whose sessions come from the trace; a `service` too for any other).
pub(super) fn feature_to_add(names: &[String]) -> String {
    let entries: Vec<String> = names
        .iter()
        .map(|n| match catalogue_entry(n) {
            Some(_) => format!("`[[feature]] name = \"{n}\"`"),
            None => format!("`[[feature]] name = \"{n}\"` with its `service` (e.g. \"RTCSRV\")"),
        })
        .collect();
    let catalogue = names.iter().all(|n| catalogue_entry(n).is_some());
    format!(
        "{}{}",
        entries.join(" and "),
        if catalogue {
            " (a catalogue name alone is enough: the catalogue gives the service, the trace \
             the sessions)"
        } else {
            " (the trace gives the sessions; a catalogue name needs nothing else)"
        }
    )
}

/// Preset features first (in the preset's order, each with the index of the `[[feature]]`
/// that overrides it), then the file's other features in file order.
fn feature_items<'a>(
    raw: &[RawFeature],
    preset: &'a [PresetFeature],
) -> Vec<(Option<usize>, Option<&'a PresetFeature>)> {
    let mut items: Vec<(Option<usize>, Option<&PresetFeature>)> = preset
        .iter()
        .map(|pf| (raw.iter().position(|r| r.name.trim() == pf.name), Some(pf)))
        .collect();
    for (i, r) in raw.iter().enumerate() {
        if !preset.iter().any(|pf| pf.name == r.name.trim()) {
            items.push((Some(i), None));
        }
    }
    items
}

/// A service mask has one bit per service.
fn check_service_count(ctx: &mut Ctx<'_>, services: &[String]) {
    if services.len() > MAX_SERVICES {
        ctx.err(
            &FieldPath::root().key("feature"),
            format!(
                "at most {MAX_SERVICES} distinct Windows services, got {}",
                services.len()
            ),
        );
    }
}

/// One feature as written: its `[[feature]]` (empty for a preset feature the file does not
/// mention), the entries before it, and its preset feature if any.
struct FeatureInput<'a> {
    raw: &'a RawFeature,
    earlier: &'a [RawFeature],
    preset: Option<&'a PresetFeature>,
    path: FieldPath,
}

impl FeatureInput<'_> {
    /// The feature, every problem recorded. Adds its service to `services` when new.
    fn validate(
        &self,
        ctx: &mut Ctx<'_>,
        services: &mut Vec<String>,
        workload: &Workload,
        trace_fed: &[String],
        files: &dyn FileSource,
    ) -> Option<Feature> {
        let name = self.name(ctx)?;
        if trace_fed.contains(&name) {
            return self.fed_by_trace(ctx, name, services);
        }
        let cat = catalogue_entry(&name);
        let service = self.service(ctx, &name, cat, services)?;
        let rf = self.raw;
        let needs_dns_lb = (rf.needs_dns_lb)
            .or(cat.map(|c| c.needs_dns_lb))
            .unwrap_or(false);
        let on_loss = self.on_loss(ctx, cat);
        let factor = validate_load_factor(ctx, &self.path.key("load_factor"), rf.load_factor);
        let arrivals_per_hour = self.rate(ctx) * factor * workload.load_factor;
        let profile = match &rf.profile {
            Some(v) => validate_profile(ctx, &self.path.key("profile"), v, files),
            None => workload.profile.clone(),
        };
        let duration = self.duration(ctx, files);
        let max_per_server = self.max_per_server(ctx);
        let transport = super::lb::transport(ctx, &self.path, rf.transport.as_deref());
        let participants = self.participants(ctx, cat);
        Some(Feature {
            name,
            service,
            needs_dns_lb,
            on_loss,
            arrivals_per_hour,
            profile,
            from_trace: false,
            duration: duration?,
            max_per_server,
            needs_front_end: rf.needs_front_end.unwrap_or(true),
            transport: transport?,
            participants: participants?,
        })
    }

    /// A feature whose sessions come from the trace: its rate, profile and holding time are
    /// the trace's (those written are ignored, with a warning).
    fn fed_by_trace(
        &self,
        ctx: &mut Ctx<'_>,
        name: String,
        services: &mut Vec<String>,
    ) -> Option<Feature> {
        let cat = catalogue_entry(&name);
        let service = self.service(ctx, &name, cat, services)?;
        let rf = self.raw;
        let ignored = [
            ("arrivals_per_hour", rf.arrivals_per_hour.is_some()),
            ("profile", rf.profile.is_some()),
            ("load_factor", rf.load_factor.is_some()),
            ("duration", rf.duration.is_some()),
        ];
        for (key, given) in ignored {
            if given {
                ctx.warn(
                    &self.path.key(key),
                    format!("ignored: [trace] supplies the sessions of \"{name}\""),
                );
            }
        }
        Some(Feature {
            needs_dns_lb: (rf.needs_dns_lb)
                .or(cat.map(|c| c.needs_dns_lb))
                .unwrap_or(false),
            on_loss: self.on_loss(ctx, cat),
            arrivals_per_hour: 0.0,
            profile: None,
            from_trace: true,
            duration: ctx.pick(
                self.path.clone(),
                HoldingTime::new(crate::model::DistKind::Deterministic { value_s: 0.0 }),
            )?,
            max_per_server: self.max_per_server(ctx),
            needs_front_end: rf.needs_front_end.unwrap_or(true),
            transport: super::lb::transport(ctx, &self.path, rf.transport.as_deref())?,
            participants: self.participants(ctx, cat)?,
            name,
            service,
        })
    }

    /// The name: the preset's, or the file's (trimmed); `None` when it is not a valid name.
    fn name(&self, ctx: &mut Ctx<'_>) -> Option<String> {
        let name = match self.preset {
            Some(pf) => pf.name.to_string(),
            None => self.raw.name.trim().to_string(),
        };
        let p = self.path.key("name");
        let valid = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        if name.is_empty() || !name.chars().all(valid) {
            let msg = format!(
                "{:?} is not a valid feature name (letters, digits, _ and -)",
                self.raw.name
            );
            ctx.err(&p, msg);
            return None;
        }
        if name == "all" {
            ctx.err(&p, "\"all\" is reserved for the total row of the summary");
        }
        if self.earlier.iter().any(|o| o.name.trim() == name) {
            ctx.err(&p, format!("feature \"{name}\" is defined twice"));
        }
        Some(name)
    }

    /// The index of the hosting Windows service (written, or the catalogue's).
    fn service(
        &self,
        ctx: &mut Ctx<'_>,
        name: &str,
        cat: Option<&CatalogueEntry>,
        services: &mut Vec<String>,
    ) -> Option<usize> {
        let p = self.path.key("service");
        let service_name = match (&self.raw.service, cat) {
            (Some(s), _) => s.trim().to_string(),
            (None, Some(c)) => c.service.to_string(),
            (None, None) => {
                ctx.err(
                    &p,
                    format!(
                        "feature \"{name}\" is not in the catalogue (see `drainsim features`), \
                         so its Windows `service` is required{}",
                        did_you_mean(name, CATALOGUE.iter().map(|c| c.name))
                    ),
                );
                return None;
            }
        };
        let valid = |c: char| c.is_ascii_alphanumeric() || c == '_';
        if service_name.is_empty() || !service_name.chars().all(valid) {
            let msg = format!("{service_name:?} is not a valid Windows service name");
            ctx.err(&p, msg);
            return None;
        }
        Some(match services.iter().position(|s| *s == service_name) {
            Some(ix) => ix,
            None => {
                // Only the catalogue's services are suggested: scenarios that add several
                // services of their own (SVC1, SVC2) mean each of them.
                if let Some(known) = suggest(&service_name, KNOWN_SERVICES.iter().map(|(n, _)| *n))
                {
                    ctx.warn(
                        &p,
                        format!(
                            "\"{service_name}\" is not a known Windows service, so it adds a new \
                             one (names are compared exactly here); did you mean \"{known}\"?"
                        ),
                    );
                }
                services.push(service_name);
                services.len() - 1
            }
        })
    }

    /// `on_server_loss` (written, or the catalogue's; `dropped` for new features).
    fn on_loss(&self, ctx: &mut Ctx<'_>, cat: Option<&CatalogueEntry>) -> OnLoss {
        let Some(v) = self.raw.on_server_loss.as_deref() else {
            return cat.map_or(OnLoss::Dropped, |c| c.on_loss);
        };
        let options = [("dropped", OnLoss::Dropped), ("recovers", OnLoss::Recovers)];
        (ctx.pick(self.path.key("on_server_loss"), one_of(v, &options))).unwrap_or(OnLoss::Dropped)
    }

    /// `arrivals_per_hour` (written, or the preset's): finite and positive.
    fn rate(&self, ctx: &mut Ctx<'_>) -> f64 {
        let p = self.path.key("arrivals_per_hour");
        match (self.raw.arrivals_per_hour).or(self.preset.map(|p| p.arrivals_per_hour)) {
            None => {
                ctx.err(&p, "is required (pool-wide Poisson rate per hour)");
                0.0
            }
            Some(r) if !(r.is_finite() && r > 0.0) => {
                ctx.err(&p, format!("must be a finite number > 0, got {r}"));
                0.0
            }
            Some(r) => r,
        }
    }

    /// `duration` (written, or the preset's).
    fn duration(&self, ctx: &mut Ctx<'_>, files: &dyn FileSource) -> Option<HoldingTime> {
        match (&self.raw.duration, self.preset) {
            (Some(d), _) => validate_dist(ctx, &self.path.key("duration"), d, files),
            (None, Some(pf)) => ctx.pick(self.path.clone(), HoldingTime::new(pf.duration.clone())),
            (None, None) => {
                ctx.err(
                    &self.path.key("duration"),
                    "is required, e.g. { distribution = \"exponential\", mean = \"3m\" }",
                );
                None
            }
        }
    }

    /// `max_per_server` (written, or the preset's): at least 1.
    fn max_per_server(&self, ctx: &mut Ctx<'_>) -> Option<u32> {
        match self.raw.max_per_server {
            None => self.preset.and_then(|p| p.max_per_server),
            Some(n) if n >= 1 && n <= u32::MAX as i64 => Some(n as u32),
            Some(n) => {
                ctx.err(
                    &self.path.key("max_per_server"),
                    format!("must be at least 1, got {n}"),
                );
                None
            }
        }
    }

    /// `participants` (written, or the catalogue's default: R21).
    fn participants(
        &self,
        ctx: &mut Ctx<'_>,
        cat: Option<&CatalogueEntry>,
    ) -> Option<Participants> {
        match &self.raw.participants {
            None => Some(Participants::default_for(cat)),
            Some(v) => validate_participants(ctx, &self.path.key("participants"), v),
        }
    }
}

/// The forms of `participants`, for messages.
const PARTICIPANTS_FORMS: &str = "a whole number, \"lync2013_conference\", { distribution = \
     \"discrete\", values = [4, 6, 11], weights = [0.85, 0.10, 0.05] } or { distribution = \
     \"uniform\", min = 2, max = 8 }";

/// A `participants` value (R21); every problem recorded.
fn validate_participants(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    v: &toml::Value,
) -> Option<Participants> {
    match v {
        toml::Value::Integer(_) => size(ctx, p, v).map(Participants::Fixed),
        toml::Value::String(name) if name == "lync2013_conference" => {
            Some(Participants::lync2013_conference())
        }
        toml::Value::String(name) => {
            ctx.err(
                p,
                format!(
                    "unknown participants model \"{name}\"; expected \"lync2013_conference\"{}",
                    did_you_mean(name, ["lync2013_conference"])
                ),
            );
            None
        }
        toml::Value::Table(t) => participants_table(ctx, p, t),
        other => {
            let msg = format!("expected {PARTICIPANTS_FORMS}, got {}", other.type_str());
            ctx.err(p, msg);
            None
        }
    }
}

/// `{ distribution = "discrete", … }` or `{ distribution = "uniform", … }`.
fn participants_table(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    t: &toml::map::Map<String, toml::Value>,
) -> Option<Participants> {
    let kind = match t.get("distribution") {
        Some(toml::Value::String(k)) if k == "discrete" || k == "uniform" => k.as_str(),
        Some(toml::Value::String(k)) => {
            let msg = format!(
                "unknown participants distribution \"{k}\"; expected \"discrete\" or \
                 \"uniform\"{}",
                did_you_mean(k, ["discrete", "uniform"])
            );
            ctx.err(&p.key("distribution"), msg);
            return None;
        }
        _ => {
            ctx.err(
                p,
                format!("needs `distribution` (\"discrete\" or \"uniform\"): {PARTICIPANTS_FORMS}"),
            );
            return None;
        }
    };
    let keys: &[&str] = if kind == "discrete" {
        &["distribution", "values", "weights"]
    } else {
        &["distribution", "min", "max"]
    };
    for k in t.keys() {
        if !keys.contains(&k.as_str()) {
            let msg = format!(
                "unknown key `{k}` for a {kind} participants distribution; expected {}{}",
                keys[1..].join(" and "),
                did_you_mean(k, keys.iter().copied())
            );
            ctx.err(&p.key(k), msg);
            return None;
        }
    }
    for k in &keys[1..] {
        if !t.contains_key(*k) {
            ctx.err(p, format!("a {kind} participants distribution needs `{k}`"));
            return None;
        }
    }
    if kind == "uniform" {
        let min = size(ctx, &p.key("min"), &t["min"]);
        let max = size(ctx, &p.key("max"), &t["max"]);
        let (min, max) = (min?, max?);
        if min > max {
            ctx.err(
                &p.key("max"),
                format!("must be at least `min` ({min}), got {max}"),
            );
            return None;
        }
        return Some(Participants::Uniform { min, max });
    }
    let list = |ctx: &mut Ctx<'_>, k: &str| -> Option<Vec<toml::Value>> {
        match &t[k] {
            toml::Value::Array(a) if !a.is_empty() => Some(a.clone()),
            _ => {
                ctx.err(&p.key(k), "must be a non-empty list");
                None
            }
        }
    };
    let (values, weights) = (list(ctx, "values"), list(ctx, "weights"));
    let (values, weights) = (values?, weights?);
    if values.len() != weights.len() {
        let msg = format!(
            "{} weights for {} values: give one weight per value",
            weights.len(),
            values.len()
        );
        ctx.err(&p.key("weights"), msg);
        return None;
    }
    let sizes: Vec<Option<u16>> = (values.iter().enumerate())
        .map(|(i, v)| size(ctx, &p.key("values").index(i), v))
        .collect();
    let ws: Vec<Option<f64>> = (weights.iter().enumerate())
        .map(|(i, w)| {
            let x = match w {
                toml::Value::Float(x) => *x,
                toml::Value::Integer(n) => *n as f64,
                _ => f64::NAN,
            };
            if x.is_finite() && x > 0.0 {
                Some(x)
            } else {
                ctx.err(
                    &p.key("weights").index(i),
                    format!("must be a finite number above 0, got {w}"),
                );
                None
            }
        })
        .collect();
    let sizes: Vec<u16> = sizes.into_iter().collect::<Option<_>>()?;
    let ws: Vec<f64> = ws.into_iter().collect::<Option<_>>()?;
    Some(Participants::discrete(sizes, &ws))
}

/// One session size: a whole number from 1 to [`MAX_PARTICIPANTS`].
fn size(ctx: &mut Ctx<'_>, p: &FieldPath, v: &toml::Value) -> Option<u16> {
    match v {
        toml::Value::Integer(n) if (1..=i64::from(MAX_PARTICIPANTS)).contains(n) => Some(*n as u16),
        _ => {
            ctx.err(
                p,
                format!("must be a whole number of users from 1 to {MAX_PARTICIPANTS}, got {v}"),
            );
            None
        }
    }
}
