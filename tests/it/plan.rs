//! `drainsim plan` (R17) and routing-group quorum (R15): a plan with a known optimum, the
//! selection's promise as a property, `recommended.toml` passing `drainsim test`, bad input,
//! determinism, and a hand-written pair of restarts losing a routing group's quorum.

use drainsim::planner::{self, PlanOptions, PlanResult};
use drainsim::scenario::{self, NoFiles};
use proptest::prelude::*;

use crate::common::{TempDir, drainsim, errors, scenario as parse, stderr};

/// Four Front Ends, no quorum, one feature dropped on restart with exponential holding times
/// (mean 10 min) at 2,400 sessions/h: each server holds ρ = 100 sessions in steady state.
fn known(rate: f64, seed: u64, plan: &str) -> String {
    format!(
        r#"name = "known optimum"
seed = {seed}
replications = 20
max_replications = 200
horizon = "6h"
sample_interval = "0s"

[pool]
servers = 4
quorum = "none"

[[feature]]
name = "av_conference"
arrivals_per_hour = {rate}
duration = {{ distribution = "exponential", mean = "10m" }}

[plan]
{plan}
"#
    )
}

const KNOWN_PLAN: &str = "parallel = [1, 2]\nwait = [\"5m\", \"20m\", \"40m\"]\nstart = [\"2h\"]\n\
                          downtime = \"5m\"\nwindow = \"2h\"\n";

fn plan_of(text: &str) -> PlanResult {
    let s = parse(text);
    planner::plan(&s, text, &NoFiles, &PlanOptions::default()).expect("plans")
}

fn find(p: &PlanResult, parallel: u32, wait: &str) -> usize {
    p.candidates
        .iter()
        .position(|e| e.candidate.parallel == parallel && e.candidate.wait.text() == wait)
        .expect("candidate exists")
}

/// Expected sessions cut by patching 4 servers two at a time with wait `w` (min), downtime
/// `d` (min), mean holding `m`, per-server steady load ρ, under DNS load balancing (new
/// sessions go to the running servers only): the first pair holds ρ each at its pause and
/// keeps a fraction e^(−w/m) at its restart; meanwhile the other pair carries the pool's load
/// alone, 2ρ each in the limit, so at its own pause it holds ρ(2 − e^(−(w+d)/m)).
fn theory_two_at_once(rho: f64, w: f64, d: f64, m: f64) -> f64 {
    let keep = (-w / m).exp();
    2.0 * rho * keep + 2.0 * rho * (2.0 - (-(w + d) / m).exp()) * keep
}

#[test]
fn known_optimum_longest_wait_that_fits_two_at_a_time() {
    let p = plan_of(&known(2400.0, 7, KNOWN_PLAN));
    let rec = p.recommended.expect("a candidate is feasible");
    let e = &p.candidates[rec];
    // One at a time with 40 minutes takes 4 × 45 min = 3 h: beyond the window.
    let slow = &p.candidates[find(&p, 1, "40m")];
    assert!(
        slow.infeasible()
            .is_some_and(|r| r.contains("after the window")),
        "{:?}",
        slow.feasibility
    );
    assert_eq!((e.candidate.parallel, e.candidate.wait.text()), (2, "40m"));
    for (wait, w) in [("40m", 40.0), ("20m", 20.0)] {
        let c = &p.candidates[find(&p, 2, wait)];
        let cut: Vec<f64> = c.obs.iter().map(|o| o.cut).collect();
        let est = drainsim::stats::estimate(&cut);
        let theory = theory_two_at_once(100.0, w, 5.0, 10.0);
        // Tolerance from the interval: its half-width, twice (the closed form neglects the
        // retry delays and the pool's approach to 2ρ).
        let tol = 2.0 * (est.high - est.mean);
        assert!(
            (est.mean - theory).abs() <= tol,
            "2 at a time, wait {wait}: measured {:.2} ± {:.2}, theory {theory:.2}",
            est.mean,
            est.high - est.mean
        );
    }
}

/// Candidates' paired difference (b − a) over their common replications: mean and CI low.
fn paired_low(p: &PlanResult, a: usize, b: usize) -> f64 {
    let (x, y) = (&p.candidates[a].obs, &p.candidates[b].obs);
    let n = x.len().min(y.len());
    let d: Vec<f64> = (0..n).map(|k| y[k].objective - x[k].objective).collect();
    drainsim::stats::estimate(&d).low
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// The recommendation is feasible, and no feasible candidate beats it on the same
    /// sessions by more than the indifference zone beyond the 95 % interval of their paired
    /// difference.
    #[test]
    fn the_recommendation_is_feasible_and_never_beaten_beyond_the_ci(
        seed in 1u64..1000,
        rate in 600.0f64..3000.0,
        window_min in 45u32..200,
    ) {
        let plan = format!(
            "parallel = [1, 2, 3]\nwait = [\"5m\", \"15m\", \"30m\", \"drained\"]\n\
             drain_limit = \"20m\"\nstart = [\"1h\"]\ndowntime = \"5m\"\nwindow = \"{window_min}m\"\n\
             max_blocked_fraction = 0.2\n"
        );
        let text = known(rate, seed, &plan);
        let p = plan_of(&text);
        if let Some(r) = p.recommended {
            prop_assert!(p.candidates[r].is_feasible());
            prop_assert!(p.equivalent.contains(&r));
            for c in 0..p.candidates.len() {
                if c != r && p.candidates[c].is_feasible() {
                    // rec − c > δ beyond the interval would mean c is better by more than the
                    // zone.
                    prop_assert!(
                        paired_low(&p, c, r) <= p.delta,
                        "candidate {} beats the recommendation {} (seed {seed})", c + 1, r + 1
                    );
                }
            }
        } else {
            prop_assert!(p.candidates.iter().all(|c| !c.is_feasible()));
        }
    }
}

#[test]
fn recommended_toml_passes_drainsim_test_as_written() {
    let dir = TempDir::new("plan-recommended");
    dir.write("night.toml", &known(2400.0, 11, KNOWN_PLAN));
    let o = drainsim(
        dir.path(),
        &["plan", "night.toml", "--out", "out", "--jobs", "2"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("**Recommendation: patch 2 at a time, wait 40m"),
        "{out}"
    );
    for f in [
        "plan.md",
        "candidates.csv",
        "plan_tradeoff.svg",
        "plan_tradeoff.png",
    ] {
        assert!(dir.path().join("out").join(f).is_file(), "{f}");
    }
    // A second plan into its own folder replaces it, as a run does.
    let again = drainsim(
        dir.path(),
        &[
            "plan",
            "night.toml",
            "--out",
            "out",
            "--jobs",
            "2",
            "--quiet",
        ],
    );
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let csv = std::fs::read_to_string(dir.path().join("out/candidates.csv")).unwrap();
    assert_eq!(csv.lines().count(), 7, "{csv}");
    assert_eq!(csv.lines().filter(|l| l.ends_with(",true")).count(), 1);
    for n in ["2", "3", "5"] {
        let t = drainsim(
            dir.path(),
            &[
                "test",
                "out/recommended.toml",
                "--replications",
                n,
                "--jobs",
                "2",
            ],
        );
        assert_eq!(
            t.status.code(),
            Some(0),
            "--replications {n}: {}{}",
            String::from_utf8_lossy(&t.stdout),
            stderr(&t)
        );
    }
    // The same runbook with its waits cut by a third (40 → 27 minutes) cuts about four times
    // as many sessions: the regression test catches it.
    let rec = std::fs::read_to_string(dir.path().join("out/recommended.toml")).unwrap();
    assert_fails_shortened(dir.path(), &rec, "duration = \"40m\"", "duration = \"27m\"");
}

/// `drainsim test` of `text` with `from` replaced by `to` exits 1 on the cut bound.
fn assert_fails_shortened(dir: &std::path::Path, text: &str, from: &str, to: &str) {
    assert!(text.contains(from), "{text}");
    let path = dir.join("shortened.toml");
    std::fs::write(&path, text.replace(from, to)).unwrap();
    let t = drainsim(
        dir,
        &[
            "test",
            path.to_str().unwrap(),
            "--replications",
            "2",
            "--jobs",
            "2",
        ],
    );
    let out = String::from_utf8_lossy(&t.stdout);
    assert_eq!(t.status.code(), Some(1), "{out}{}", stderr(&t));
    assert!(out.contains("cut_mean"), "{out}");
}

#[test]
fn the_shipped_plan_recommendation_passes_drainsim_test() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let t = drainsim(
        root,
        &[
            "test",
            "reports/plan-night/recommended.toml",
            "--replications",
            "2",
        ],
    );
    assert_eq!(
        t.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&t.stdout),
        stderr(&t)
    );
    // Waits cut by a third (45 → 30 minutes) cut about 9 sessions instead of 6.7: it fails.
    let text = std::fs::read_to_string(root.join("reports/plan-night/recommended.toml")).unwrap();
    let dir = TempDir::new("plan-night-shortened");
    assert_fails_shortened(
        dir.path(),
        &text,
        "duration = \"45m\"",
        "duration = \"30m\"",
    );
}

#[test]
fn more_choices_rolling_restart_https_lb_disable_and_a_wall_clock_window() {
    let plan = "procedure = [\"batches\", \"rolling_restart\"]\nparallel = [2]\nwait = [\"20m\"]\n\
                start = [\"01:00\"]\ndowntime = \"5m\"\nwindow = \"01:00-04:00\"\n\
                lb_disable = [false, true]\n";
    let text = known(1200.0, 5, plan).replace(
        "duration = { distribution = \"exponential\", mean = \"10m\" }",
        "duration = { distribution = \"exponential\", mean = \"10m\" }\ntransport = \"https\"",
    );
    let s = parse(&text);
    let spec = s.plan.clone().expect("a plan");
    let w = spec.window.clone().expect("a window");
    assert_eq!(
        (w.opens.as_secs_f64(), w.closes.as_secs_f64()),
        (3600.0, 14400.0)
    );
    let p = plan_of(&text);
    // One rolling restart and two batch candidates (with and without the HLB disabled).
    assert_eq!(p.candidates.len(), 3);
    let rolling = &p.candidates[0];
    assert!(
        rolling.text.contains("action = \"rolling_restart\""),
        "{}",
        rolling.text
    );
    assert!(
        rolling
            .candidate
            .describe(&p.spec)
            .starts_with("rolling restart by upgrade domain"),
        "{}",
        rolling.candidate.describe(&p.spec)
    );
    // It was simulated, and judged by the same constraints: a night it did not finish in
    // counts against the window.
    assert!(!rolling.obs.is_empty());
    let unfinished = rolling
        .obs
        .iter()
        .filter(|o| !o.maintenance_s.is_finite())
        .count();
    assert!(
        unfinished == 0 || !rolling.is_feasible() || unfinished * 20 <= rolling.obs.len(),
        "{unfinished} of {} unfinished, yet {:?}",
        rolling.obs.len(),
        rolling.feasibility
    );
    assert!(
        p.candidates
            .iter()
            .any(|c| c.text.contains("action = \"lb_disable\""))
    );
}

#[test]
fn same_seed_same_plan_whatever_the_threads() {
    let text = known(1200.0, 3, KNOWN_PLAN);
    let s = parse(&text);
    let csv = |jobs| {
        let opts = PlanOptions {
            jobs: Some(jobs),
            ..Default::default()
        };
        let p = planner::plan(&s, &text, &NoFiles, &opts).expect("plans");
        planner::report::candidates_csv(&p)
    };
    assert_eq!(csv(1), csv(2));
}

#[test]
fn bad_plans_are_refused_with_their_position() {
    let cases: [(&str, &str); 12] = [
        (
            "parallel = []\n",
            "test.toml:18:12: plan.parallel: lists no choice",
        ),
        ("wait = []\n", "test.toml:18:8: plan.wait: lists no choice"),
        (
            "parallel = [1]\nwait = [\"30m\"]\ndowntime = \"10m\"\nwindow = \"1h\"\n",
            "plan.window: \"1h\" leaves 1h after the latest start, shorter than every candidate: \
             the shortest (1 at a time, wait 30m) takes at least 2h40m",
        ),
        (
            "[plan.weights]\nresponse_groop = 5\n",
            "plan.weights.response_groop: no feature",
        ),
        ("wait = [\"soon\"]\n", "plan.wait[0]"),
        (
            "lb_disable = [true]\n",
            "needs traffic through a hardware load balancer",
        ),
        ("nights = 1.5\n", "plan.nights: the fraction of nights"),
        (
            "indifference = \"ten\"\n",
            "plan.indifference: is a number of sessions",
        ),
        (
            "secondary = \"speed\"\n",
            "plan.secondary: `speed` is not a secondary objective",
        ),
        (
            "procedure = [\"reboot\"]\n",
            "plan.procedure[0]: `reboot` is not a plan procedure",
        ),
        (
            "start = [\"04:00\"]\nwindow = \"01:00-03:00\"\n",
            "plan.window: the start \"04:00\"",
        ),
        (
            "window = \"01:00-25:00\"\n",
            "plan.window: \"25:00\" is not a time of day",
        ),
    ];
    for (plan, want) in cases {
        let errs = errors(&known(600.0, 1, plan));
        assert!(errs.iter().any(|e| e.contains(want)), "{plan}: {errs:?}");
    }
    let with_steps =
        known(600.0, 1, "parallel = [1]\n") + "\n[[step]]\naction = \"pause\"\nserver = 1\n";
    let errs = errors(&with_steps);
    assert!(
        errs.iter()
            .any(|e| e.contains("`[plan]` and `[[step]]` cannot be combined")),
        "{errs:?}"
    );
    // Through the binary: exit 2, nothing written.
    let dir = TempDir::new("plan-bad");
    dir.write("bad.toml", &known(600.0, 1, "parallel = []\n"));
    let o = drainsim(dir.path(), &["plan", "bad.toml", "--out", "out"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad.toml:18:12:"), "{}", stderr(&o));
    assert!(!dir.path().join("out").exists());
    dir.write(
        "noplan.toml",
        &known(600.0, 1, "")
            .replace("[plan]\n", "")
            .replace("name = \"known optimum\"", "name = \"x\""),
    );
    let o = drainsim(dir.path(), &["plan", "noplan.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no `[plan]` table"), "{}", stderr(&o));
}

/// Six servers in three upgrade domains, 60 routing groups; `steps` as written.
fn six(steps: &str) -> String {
    format!(
        r#"horizon = "3h"
replications = 3
sample_interval = "0s"
[pool]
servers = 6
upgrade_domains = 3
routing_groups = 60
[[feature]]
name = "im"
arrivals_per_hour = 6000
duration = {{ distribution = "exponential", mean = "3m" }}
{steps}"#
    )
}

#[test]
fn restarting_two_replicas_of_a_group_loses_its_quorum_and_blocks_its_users() {
    // FE 1 and FE 3 are in different upgrade domains: groups with replicas on both lose quorum.
    let text =
        six("[[step]]\nat = \"1h\"\naction = \"restart\"\nservers = [1, 3]\ndowntime = \"10m\"\n");
    let cfg = crate::common::run_config(&text);
    let m = drainsim::model::Simulation::new(&cfg, drainsim::model::Seeds::derive(1, 0))
        .run()
        .expect("runs");
    assert!(!m.rg_quorum_losses.is_empty());
    for l in &m.rg_quorum_losses {
        let replicas = &cfg.topology.routing_groups[l.group];
        assert!(
            replicas.contains(&0) && replicas.contains(&2),
            "{replicas:?}"
        );
        assert_eq!(l.from.as_secs_f64(), 3600.0);
        assert_eq!(l.to.map(|t| t.as_secs_f64()), Some(4200.0));
    }
    let f = &m.features[0];
    assert!(f.blocked_rg_quorum > 0 && f.blocked_rg_quorum <= f.blocked);
    assert!(f.conserved());
    // The report names the groups.
    let s = parse(&text);
    let runs = scenario::expand(&s).expect("expands");
    let results = drainsim::runner::run_all(&s, runs, &Default::default()).expect("runs");
    let rows = drainsim::summary::summarize(&results);
    let data = drainsim::report::ReportData {
        scenario: &s,
        source: &text,
        results: &results,
        rows: &rows,
        comparisons: &[],
        command: String::new(),
        detail: false,
    };
    let files = drainsim::report::render(&data);
    let md = files
        .iter()
        .find(|(n, _)| n == "report.md")
        .expect("report.md");
    let md = String::from_utf8_lossy(&md.1);
    assert!(
        md.contains("## Routing-group quorum lost") && md.contains("group "),
        "{md}"
    );
    assert!(files.iter().any(|(n, _)| n == "rg_quorum.csv"));
    // drainsim may replace the folder it wrote.
    for (name, _) in &files {
        assert!(drainsim::report::folder::is_report_file(name), "{name}");
    }
}

#[test]
fn rolling_restart_by_upgrade_domain_never_loses_a_group() {
    let text = six(
        "[[step]]\nat = \"30m\"\naction = \"rolling_restart\"\ndowntime = \"5m\"\ntimeout = \"10m\"\n",
    );
    let cfg = crate::common::run_config(&text);
    for k in 0..3 {
        let m = drainsim::model::Simulation::new(&cfg, drainsim::model::Seeds::derive(5, k))
            .run()
            .expect("runs");
        assert!(m.plan_ended.is_some(), "the rolling restart finished");
        assert!(m.rg_quorum_losses.is_empty());
        assert_eq!(m.features[0].blocked_rg_quorum, 0);
    }
}

#[test]
fn the_plan_can_minimise_users_cut() {
    let plan = "parallel = [1, 2]\nwait = [\"5m\", \"40m\"]\nstart = [\"2h\"]\ndowntime = \"5m\"\n\
                minimise = \"users\"\n";
    let text = known(600.0, 3, plan).replace(
        "duration = { distribution = \"exponential\", mean = \"10m\" }",
        "duration = { distribution = \"exponential\", mean = \"10m\" }\nparticipants = 3",
    );
    let p = plan_of(&text);
    assert_eq!(p.spec.objective, scenario::PlanObjective::Users);
    let mut cut = 0.0;
    for e in &p.candidates {
        for o in &e.obs {
            assert_eq!(o.users_cut, 3.0 * o.cut);
            assert_eq!(o.objective, o.users_cut, "the objective is not users cut");
            cut += o.cut;
        }
    }
    assert!(cut > 0.0, "nothing cut: the test proves nothing");
    let files = planner::report::render(&p, "users", &text, "drainsim plan users.toml");
    let file = |n: &str| {
        let b = &files.iter().find(|(f, _)| f == n).expect(n).1;
        String::from_utf8_lossy(b).into_owned()
    };
    let csv = file("candidates.csv");
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .contains(",users_cut_mean,users_cut_ci95_low,users_cut_ci95_high,"),
        "{csv}"
    );
    assert!(file("recommended.toml").contains("users_cut_mean = { max = "));
    assert!(file("plan.md").contains("- Users in them: **"));
    // The sessions objective stays the default; anything else is refused.
    assert_eq!(
        plan_of(&known(
            600.0,
            3,
            "parallel = [1]\nwait = [\"5m\"]\nstart = [\"2h\"]\n"
        ))
        .spec
        .objective,
        scenario::PlanObjective::Cut
    );
    let errs = errors(&known(600.0, 1, "minimise = \"people\"\n"));
    assert!(
        errs.iter()
            .any(|e| e.contains("plan.minimise") && e.contains("\"users\"")),
        "{errs:?}"
    );
}

#[test]
fn a_cap_too_low_to_show_feasibility_says_how_many_nights_it_takes() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = TempDir::new("plan-low-cap");
    let out = dir.path().join("out");
    let t = drainsim(
        root,
        &[
            "plan",
            "scenarios/plan-night.toml",
            "--max-replications",
            "100",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let md = std::fs::read_to_string(out.join("plan.md")).unwrap();
    assert!(
        md.contains("**No candidate was shown to meet every constraint.**"),
        "{md}\n{}",
        stderr(&t)
    );
    // The nights named are the fewest whose Clopper–Pearson bound shows fewer than 5 % break.
    let needs: u32 = md
        .split("takes at least ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no count of nights in:\n{md}"));
    assert!((100..400).contains(&needs), "{needs}");
    assert!(
        md.contains(&format!("raise `max_replications` to {needs} or more")),
        "{md}"
    );
}
