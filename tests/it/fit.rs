//! `drainsim fit`: the fits recover known distributions and hourly shapes (tolerances from
//! the estimators' standard errors), and the command writes a scenario `drainsim check`
//! accepts, refuses bad exports with `file:line`, and never overwrites a file it did not write.

use drainsim::fit::{self, DurationChoice, Sessions, Window};
use drainsim::model::DistKind;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Gamma, LogNormal, Poisson, Weibull};

use crate::common::{TempDir, drainsim, stderr};

/// Sample size of the family tests.
const N: usize = 4000;
/// Standard errors allowed: a correct estimator misses by more with probability ~6e-5.
const Z: f64 = 4.0;

fn draw(d: impl Distribution<f64>, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..N).map(|_| d.sample(&mut rng)).collect()
}

fn chosen(data: &[f64]) -> DistKind {
    let f = fit::fit_durations(data).expect("a fit");
    let c = f
        .chosen()
        .unwrap_or_else(|| panic!("no family chosen: {f:?}"));
    println!(
        "chosen {:?} ks {:.4} (limit {:.4})",
        c.kind, c.ks, f.ks_threshold
    );
    c.kind.clone()
}

fn within(name: &str, got: f64, want: f64, se: f64) {
    assert!(
        (got - want).abs() <= Z * se,
        "{name}: got {got}, true {want}, standard error {se}"
    );
}

#[test]
fn lognormal_data_give_the_lognormal_and_its_parameters() {
    let (mu, sigma) = (1800f64.ln(), 0.8);
    let kind = chosen(&draw(LogNormal::new(mu, sigma).unwrap(), 1));
    let DistKind::LogNormal { mu: m, sigma: s } = kind else {
        panic!("chose {kind:?}")
    };
    let n = N as f64;
    within("mu", m, mu, sigma / n.sqrt());
    within("sigma", s, sigma, sigma / (2.0 * n).sqrt());
}

#[test]
fn gamma_data_give_the_gamma_and_its_parameters() {
    let (mean, k) = (300.0, 2.5);
    let kind = chosen(&draw(Gamma::new(k, mean / k).unwrap(), 2));
    let DistKind::Gamma {
        mean_s,
        shape: k_hat,
    } = kind
    else {
        panic!("chose {kind:?}")
    };
    let n = N as f64;
    // The MLE of the mean is the sample mean: variance k θ² / n.
    within("mean", mean_s, mean, mean / (k * n).sqrt());
    // Fisher information of the shape, the scale unknown: var = k / (n (k ψ′(k) − 1)), with
    // ψ′(2.5) = π²/2 − 4 − 4/9.
    let trigamma = std::f64::consts::PI.powi(2) / 2.0 - 4.0 - 4.0 / 9.0;
    within("shape", k_hat, k, (k / (n * (k * trigamma - 1.0))).sqrt());
}

#[test]
fn weibull_data_give_the_weibull_and_its_parameters() {
    let (scale, k) = (600.0, 0.7);
    let kind = chosen(&draw(Weibull::new(scale, k).unwrap(), 3));
    let DistKind::Weibull {
        scale_s,
        shape: k_hat,
    } = kind
    else {
        panic!("chose {kind:?}")
    };
    let n = N as f64;
    // Asymptotic variances of the Weibull MLE: 0.608 k²/n for the shape, 1.109 λ²/(k² n) for
    // the scale.
    within("shape", k_hat, k, k * (0.608 / n).sqrt());
    within("scale", scale_s, scale, scale * (1.109 / n).sqrt() / k);
}

#[test]
fn exponential_data_give_the_exponential_or_a_shape_of_one() {
    let mean = 180.0;
    let kind = chosen(&draw(Exp::new(1.0 / mean).unwrap(), 4));
    let n = N as f64;
    // The exponential is the gamma and the Weibull of shape 1: AIC prefers it unless the data
    // say otherwise, so a nested family is accepted only with a shape within its error of 1.
    match kind {
        DistKind::Exponential { mean_s } => within("mean", mean_s, mean, mean / n.sqrt()),
        DistKind::Gamma { mean_s, shape } => {
            within("mean", mean_s, mean, mean / n.sqrt());
            within(
                "shape",
                shape,
                1.0,
                (1.0 / (n * (std::f64::consts::PI.powi(2) / 6.0 - 1.0))).sqrt(),
            );
        }
        DistKind::Weibull { scale_s, shape } => {
            within("scale", scale_s, mean, mean * (1.109 / n).sqrt());
            within("shape", shape, 1.0, (0.608 / n).sqrt());
        }
        other => panic!("chose {other:?}"),
    }
}

#[test]
fn two_humps_fit_no_family_and_become_empirical() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let short = LogNormal::new(30f64.ln(), 0.1).unwrap();
    let long = LogNormal::new(1800f64.ln(), 0.1).unwrap();
    let data: Vec<f64> = (0..2000)
        .map(|i| {
            if i % 2 == 0 {
                short.sample(&mut rng)
            } else {
                long.sample(&mut rng)
            }
        })
        .collect();
    let f = fit::fit_durations(&data).unwrap();
    assert_eq!(f.choice, DurationChoice::Empirical, "{f:?}");
    assert!(f.candidates.iter().all(|c| c.ks > f.ks_threshold));
}

#[test]
fn the_hourly_profile_of_a_synthetic_export_is_recovered() {
    // Three days of Poisson arrivals whose rate follows a working day.
    let rate: [f64; 24] = [
        5.0, 5.0, 5.0, 5.0, 5.0, 10.0, 30.0, 90.0, 200.0, 260.0, 400.0, 250.0, 150.0, 220.0, 240.0,
        200.0, 150.0, 80.0, 40.0, 20.0, 15.0, 10.0, 8.0, 6.0,
    ];
    let days = 3;
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let mut sessions = Sessions::default();
    let mut window = Window::default();
    for hour in 0..24 * days {
        let count = Poisson::new(rate[hour % 24]).unwrap().sample(&mut rng) as u64;
        for _ in 0..count {
            let start = 1_793_664_000.0 + 3600.0 * (hour as f64 + rng.random::<f64>());
            sessions.add(start, start + 60.0);
            window.add(start);
        }
    }
    assert_eq!(window.hours(), 72);
    let p = fit::hourly_profile(&sessions.per_hour, &window).unwrap();
    assert_eq!(p.busy_hour, 10);
    for (h, &r) in rate.iter().enumerate() {
        // A mean of `days` Poisson counts: standard error √(rate / days).
        let estimate = p.busy_rate_per_hour * p.multipliers[h];
        within(
            &format!("rate at {h:02}:00"),
            estimate,
            r,
            (r / days as f64).sqrt(),
        );
    }
    assert_eq!(p.multipliers[10], 1.0);
}

// ---- The command --------------------------------------------------------------------------

/// SQL Server datetime text for `s` seconds after 2026-11-03 00:00.
fn stamp(s: f64) -> String {
    let ms = (s * 1000.0).round() as u64;
    let (secs, ms) = (ms / 1000, ms % 1000);
    format!(
        "2026-11-{:02} {:02}:{:02}:{:02}.{ms:03}",
        3 + secs / 86_400,
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

/// An export of one day: `im_n` IM sessions of log-normal length and a few A/V conferences,
/// sorted by start; IM durations come from `im_duration`.
fn export(im_n: usize, im_duration: impl Fn(&mut ChaCha8Rng) -> f64) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut rows: Vec<(f64, f64, &str)> = Vec::new();
    for _ in 0..im_n {
        let start = 86_000.0 * rng.random::<f64>();
        rows.push((start, start + im_duration(&mut rng), "IM"));
    }
    let conf = LogNormal::new(1800f64.ln(), 0.7).unwrap();
    for _ in 0..60 {
        let start = 30_000.0 + 30_000.0 * rng.random::<f64>();
        rows.push((start, start + conf.sample(&mut rng), "conf:audio-video"));
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut text = String::from("InviteTime,EndTime,Media\r\n");
    for (s, e, v) in rows {
        text.push_str(&format!("{},{},{v}\r\n", stamp(s), stamp(e)));
    }
    text
}

fn lognormal_im(rng: &mut ChaCha8Rng) -> f64 {
    LogNormal::new(180f64.ln(), 1.0).unwrap().sample(rng)
}

/// `text` without its `profile` lines, for `drainsim check` on a build that does not read
/// profiles yet.
fn without_profiles(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("profile = "))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn fit_writes_a_scenario_that_check_accepts() {
    let dir = TempDir::new("fit-check");
    dir.write("cdr.csv", &export(500, lognormal_im));
    let o = drainsim(dir.path(), &["fit", "cdr.csv", "--out", "fitted.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.path().join("fitted.toml")).unwrap();
    assert!(
        text.starts_with("# Written by drainsim fit from cdr.csv (560 sessions"),
        "{text}"
    );
    for name in ["\"im\"", "\"av_conference\""] {
        assert!(text.contains(&format!("name = {name}")), "{text}");
    }
    let profiles: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("profile = ["))
        .collect();
    assert_eq!(profiles.len(), 2, "{text}");
    assert!(
        profiles.iter().all(|p| p.matches(", ").count() == 23),
        "{text}"
    );
    assert!(text.contains("distribution = \"lognormal\""), "{text}");
    dir.write("checked.toml", &without_profiles(&text));
    let c = drainsim(dir.path(), &["check", "checked.toml"]);
    assert_eq!(c.status.code(), Some(0), "{}\n{text}", stderr(&c));
    // Without --out the same scenario goes to standard output.
    let o = drainsim(dir.path(), &["fit", "cdr.csv"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), text);
}

#[test]
fn durations_no_family_fits_go_to_an_empirical_file_next_to_the_scenario() {
    let dir = TempDir::new("fit-empirical");
    dir.write(
        "cdr.csv",
        &export(600, |rng| {
            if rng.random::<bool>() {
                20.0 + rng.random::<f64>()
            } else {
                3000.0 + rng.random::<f64>()
            }
        }),
    );
    let o = drainsim(dir.path(), &["fit", "cdr.csv", "--out", "fitted.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.path().join("fitted.toml")).unwrap();
    assert!(
        text.contains("duration = { distribution = \"empirical\", file = \"fitted-im.csv\" }"),
        "{text}"
    );
    let durations = std::fs::read_to_string(dir.path().join("fitted-im.csv")).unwrap();
    assert_eq!(durations.lines().count(), 601);
    dir.write("checked.toml", &without_profiles(&text));
    let c = drainsim(dir.path(), &["check", "checked.toml"]);
    assert_eq!(c.status.code(), Some(0), "{}", stderr(&c));
    // Running again replaces fit's own files.
    let again = drainsim(dir.path(), &["fit", "cdr.csv", "--out", "fitted.toml"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
}

#[test]
fn fit_never_overwrites_a_file_it_did_not_write() {
    let dir = TempDir::new("fit-foreign");
    dir.write("cdr.csv", &export(100, lognormal_im));
    dir.write("mine.toml", "name = \"my own\"\n");
    let o = drainsim(dir.path(), &["fit", "cdr.csv", "--out", "mine.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("mine.toml: exists and was not written by drainsim fit"),
        "{}",
        stderr(&o)
    );
    let kept = std::fs::read_to_string(dir.path().join("mine.toml")).unwrap();
    assert_eq!(kept, "name = \"my own\"\n");
}

#[test]
fn a_bad_export_is_file_line_message_and_writes_nothing() {
    let dir = TempDir::new("fit-bad");
    let good = export(20, lognormal_im);
    let cases: Vec<(String, &str)> = vec![
        (
            good.replacen("\r\n2026-11-03 ", "\r\n2026-11-03 25", 1),
            "cdr.csv:2: InviteTime",
        ),
        (
            "InviteTime,EndTime,Media\n10,5,IM\n".into(),
            "cdr.csv:2: the end (EndTime 5) is before the start",
        ),
        (
            "InviteTime,EndTime,Media\n10,15,IM\n5,15,IM\n".into(),
            "cdr.csv:3: this row starts before the previous one",
        ),
        (
            "InviteTime,EndTime\n10,15\n".into(),
            "cdr.csv:1: no feature column \"Media\"",
        ),
        (String::new(), "cdr.csv:1: the file is empty"),
        (
            "InviteTime,EndTime,Media\n".into(),
            "cdr.csv: no sessions to fit",
        ),
        (
            "InviteTime,EndTime,Media\n1e400,2,IM\n".into(),
            "cdr.csv:2: InviteTime \"1e400\" is not a time",
        ),
    ];
    for (text, expected) in cases {
        dir.write("cdr.csv", &text);
        let o = drainsim(dir.path(), &["fit", "cdr.csv", "--out", "fitted.toml"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.starts_with(expected),
            "expected {expected:?}, got {err}"
        );
        assert!(!dir.path().join("fitted.toml").exists());
    }
    // Binary garbage: an error, never a panic.
    let garbage: Vec<u8> = (0..2000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    std::fs::write(dir.path().join("cdr.csv"), &garbage).unwrap();
    let o = drainsim(dir.path(), &["fit", "cdr.csv"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"));
    let o = drainsim(dir.path(), &["fit", "missing.csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("missing.csv: cannot read: "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn map_names_features_and_unmapped_values_are_commented_out() {
    let dir = TempDir::new("fit-map");
    let text = export(100, lognormal_im).replace(",conf:audio-video\r\n", ",Meeting\r\n");
    dir.write("cdr.csv", &text);
    let o = drainsim(dir.path(), &["fit", "cdr.csv"]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        out.contains("\n# [[feature]]\n# name = \"Meeting\"\n"),
        "{out}"
    );
    assert!(
        stderr(&o).contains("value \"Meeting\" has no feature"),
        "{}",
        stderr(&o)
    );
    let o = drainsim(
        dir.path(),
        &["fit", "cdr.csv", "--map", "Meeting=av_conference"],
    );
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        out.contains("\n[[feature]]\nname = \"av_conference\"\n"),
        "{out}"
    );
    let bad = drainsim(dir.path(), &["fit", "cdr.csv", "--map", "Meeting"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("expected VALUE=FEATURE"),
        "{}",
        stderr(&bad)
    );
}
