//! Users affected (R21): participants per session, their draw, and the users twins of every
//! cut, disrupted, failed and blocked count.

use drainsim::model::{Participants, ReplicationMetrics};
use drainsim::runner::{RunOptions, run_all};
use drainsim::scenario;
use drainsim::summary;

use crate::common::{errors, feature_id, run_config, scenario, sim};

/// One server restarted without a drain: everything on it is cut. `participants` goes into
/// the conference feature.
fn restart_scenario(participants: &str) -> String {
    format!(
        r#"horizon = "2h"
replications = 3
[pool]
servers = 2
quorum = "none"

[[feature]]
name = "av_conference"
arrivals_per_hour = 600
duration = {{ distribution = "exponential", mean = "20m" }}
{participants}

[[feature]]
name = "im"
arrivals_per_hour = 600
duration = {{ distribution = "exponential", mean = "20m" }}

[[step]]
at = "1h"
action = "restart"
server = 1
downtime = "5m"
"#
    )
}

fn replicate(text: &str, reps: u64) -> Vec<ReplicationMetrics> {
    let cfg = run_config(text);
    (0..reps)
        .map(|r| sim(&cfg, 7, r).run().expect("runs"))
        .collect()
}

#[test]
fn a_fixed_size_multiplies_every_count_and_users_are_conserved() {
    let text = restart_scenario("participants = 3");
    let cfg = run_config(&text);
    let (conf, im) = (feature_id(&cfg, "av_conference"), feature_id(&cfg, "im"));
    let mut cut = 0;
    for m in replicate(&text, 3) {
        let c = &m.features[conf];
        let u = &c.users;
        assert!(c.conserved(), "{c:?}");
        assert_eq!(u.arrivals, 3 * c.arrivals);
        assert_eq!(u.cut(), 3 * c.cut());
        assert_eq!(u.cut_by, c.cut_by.map(|x| 3 * x));
        assert_eq!(u.completed, 3 * c.completed);
        assert_eq!(u.active_at_end, 3 * c.active_at_end);
        assert_eq!(u.blocked + u.failed, 3 * (c.blocked + c.failed));
        // P2P IM counts one user per session, and recovers: disrupted, not cut.
        let i = &m.features[im];
        assert_eq!(i.users.disrupted, i.disrupted);
        assert_eq!(i.users.arrivals, i.arrivals);
        cut += c.cut();
    }
    assert!(cut > 0, "the restart cut nothing: the test proves nothing");
}

#[test]
fn participants_never_change_the_sessions() {
    // Common random numbers: sizes come from a stream of their own, so any participants
    // leave every session count as it was.
    let base = replicate(&restart_scenario(""), 3);
    for p in [
        "participants = 1",
        "participants = 9",
        "participants = { distribution = \"uniform\", min = 2, max = 30 }",
        "participants = { distribution = \"discrete\", values = [2, 50], weights = [1, 1] }",
    ] {
        let other = replicate(&restart_scenario(p), 3);
        for (a, b) in base.iter().zip(&other) {
            for (fa, fb) in a.features.iter().zip(&b.features) {
                let strip = |c: &drainsim::model::FeatureCounts| drainsim::model::FeatureCounts {
                    users: Default::default(),
                    ..c.clone()
                };
                assert_eq!(strip(fa), strip(fb), "{p}");
            }
        }
    }
}

#[test]
fn cut_users_follow_the_size_distribution() {
    // Users cut / sessions cut estimates the mean size (sizes are independent of everything
    // else); its standard error is sd/√cut, so 5 standard errors is a generous tolerance.
    let text = restart_scenario("");
    let cfg = run_config(&text);
    let conf = feature_id(&cfg, "av_conference");
    let sizes = &cfg.features[conf].participants;
    assert_eq!(*sizes, Participants::lync2013_conference());
    let (mut cut, mut users) = (0u64, 0u64);
    for m in replicate(&text, 40) {
        cut += m.features[conf].cut();
        users += m.features[conf].users.cut();
    }
    // E[p] = 0.85·4 + 0.10·6 + 0.05·11 = 4.55, E[p²] = 0.85·16 + 0.10·36 + 0.05·121 = 23.25.
    let mean = sizes.mean();
    assert!((mean - 4.55).abs() < 1e-12, "{mean}");
    let sd = (23.25f64 - 4.55 * 4.55).sqrt();
    let got = users as f64 / cut as f64;
    let tol = 5.0 * sd / (cut as f64).sqrt();
    assert!(cut > 500, "{cut} sessions cut: too few to judge");
    assert!(
        (got - mean).abs() < tol,
        "users per cut session {got}, want {mean} ± {tol}"
    );
}

#[test]
fn every_form_of_participants_is_read_and_the_defaults_follow_the_catalogue() {
    let cfg = run_config(&restart_scenario(""));
    let im = feature_id(&cfg, "im");
    assert_eq!(cfg.features[im].participants, Participants::Fixed(1));
    let read = |p: &str| {
        let cfg = run_config(&restart_scenario(p));
        cfg.features[feature_id(&cfg, "av_conference")]
            .participants
            .clone()
    };
    assert_eq!(read("participants = 7"), Participants::Fixed(7));
    assert_eq!(
        read("participants = \"lync2013_conference\""),
        Participants::lync2013_conference()
    );
    assert_eq!(
        read("participants = { distribution = \"uniform\", min = 2, max = 8 }"),
        Participants::Uniform { min: 2, max: 8 }
    );
    let d =
        read("participants = { distribution = \"discrete\", values = [2, 6], weights = [3, 1] }");
    assert_eq!(d, Participants::discrete(vec![2, 6], &[3.0, 1.0]));
    assert!((d.mean() - 3.0).abs() < 1e-12);
}

#[test]
fn bad_participants_are_refused_with_their_place() {
    for (p, needle) in [
        ("participants = 0", "from 1 to 10000, got 0"),
        ("participants = 2.5", "expected a whole number"),
        (
            "participants = \"lync2013\"",
            "expected \"lync2013_conference\"",
        ),
        (
            "participants = { distribution = \"discrete\", values = [4, 6], weights = [1] }",
            "1 weights for 2 values",
        ),
        (
            "participants = { distribution = \"discrete\", values = [4], weights = [-1] }",
            "must be a finite number above 0",
        ),
        (
            "participants = { distribution = \"uniform\", min = 5, max = 2 }",
            "must be at least `min` (5), got 2",
        ),
        (
            "participants = { distribution = \"poisson\", mean = 3 }",
            "unknown participants distribution \"poisson\"",
        ),
        (
            "participants = { distribution = \"uniform\", min = 2, maxi = 3 }",
            "unknown key `maxi`",
        ),
    ] {
        let e = errors(&restart_scenario(p)).join("\n");
        assert!(e.contains(needle), "{p}: {e}");
        assert!(e.contains("test.toml:11:"), "{p}: no position: {e}");
        assert!(e.contains("participants"), "{p}: no field path: {e}");
    }
}

#[test]
fn users_measures_reach_the_summary_and_the_comparison() {
    let mut s = scenario(&format!(
        "{}\n[sweep]\nload_balancing = [\"dns\", \"hardware\"]\n",
        restart_scenario("participants = 2")
    ));
    s.replications = 3;
    let runs = scenario::expand(&s).expect("expands");
    let results = run_all(&s, runs, &RunOptions::default()).expect("runs");
    let rows = summary::summarize(&results);
    for r in &rows {
        let (cut, users) = (
            r.column("cut_mean").unwrap(),
            r.column("users_cut_mean").unwrap(),
        );
        let factor = if r.feature == "im" { 0.0 } else { 2.0 };
        if r.feature == "av_conference" {
            assert_eq!(users, factor * cut, "{}", r.feature);
        }
        assert!(r.column("users_cut_ci95_high").is_some());
        assert!(r.column("users_disrupted_mean").is_some());
    }
    let comparisons = summary::compare(&results);
    let c = comparisons
        .iter()
        .find(|c| c.feature == "av_conference")
        .unwrap();
    assert_eq!(c.dns_users_cut_mean, 2.0 * c.dns_cut_mean);
    assert_eq!(c.users_diff.mean, 2.0 * c.diff.mean);
}

#[test]
fn expectations_bound_users_cut() {
    let with = |bound: &str| {
        format!(
            "{}\n[[expect]]\nfeature = \"av_conference\"\nusers_cut_mean = {bound}\n",
            restart_scenario("participants = 5")
        )
    };
    scenario(&with("{ max = 100000 }"));
    let e = errors(&with("{ max = 100000 }").replace("users_cut_mean", "users_cutt_mean"));
    assert!(e.iter().any(|e| e.contains("users_cutt_mean")), "{e:?}");
    // Through the binary: a bound far above holds (exit 0), a bound of no user cut fails (1).
    let dir = crate::common::TempDir::new("users-expect");
    for (bound, code) in [("{ max = 100000 }", 0), ("{ max = 0 }", 1)] {
        dir.write("u.toml", &with(bound));
        let o = crate::common::drainsim(dir.path(), &["run", "u.toml", "-q", "--out", "r"]);
        assert_eq!(
            o.status.code(),
            Some(code),
            "{bound}: {}",
            crate::common::stderr(&o)
        );
    }
}
