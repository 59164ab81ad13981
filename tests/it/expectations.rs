//! Expectations decided with confidence: three outcomes, more replications while undecided,
//! the same verdicts whatever the starting count or the thread count.

use drainsim::expect::{self, Decision, run_until_decided};
use drainsim::runner::{RunOptions, simulate};
use drainsim::scenario::{self, Scenario};

use crate::common;

/// The default scenario with its expectations replaced by `expect`, starting at `start`
/// replications.
fn default_with(expect: &str, start: u32, seed: u64) -> Scenario {
    let text = drainsim::DEFAULT_SCENARIO;
    let body = &text[..text
        .find("[[expect]]")
        .expect("the default scenario has expectations")];
    let mut s = common::scenario(&format!("{body}\n{expect}"));
    s.replications = start;
    s.seed = seed;
    s
}

fn decide(s: &Scenario, jobs: usize) -> expect::Decided {
    let runs = scenario::expand(s).expect("expands");
    let opts = RunOptions {
        jobs: Some(jobs),
        ..Default::default()
    };
    run_until_decided(s, runs, &opts).expect("runs")
}

const DNS_RG_AT_MOST_0_1: &str = "[[expect]]\nload_balancing = \"dns\"\nfeature = \"response_group\"\ncut_mean = { max = 0.1 }\n";

/// The first seed (from 1) whose first `n` replications of the `lb` run all satisfy `keep` on
/// the sessions of `feature` they cut.
fn seed_where(claim: &str, lb: &str, feature: &str, n: u32, keep: impl Fn(u64) -> bool) -> u64 {
    let probe = default_with(claim, n, 0);
    let runs = scenario::expand(&probe).expect("expands");
    let run = runs
        .iter()
        .find(|r| r.labels.iter().any(|(_, v)| v == lb))
        .expect("the run exists");
    let f = common::feature_id(&run.config, feature);
    (1..400u64)
        .find(|&seed| {
            let probe = Scenario {
                seed,
                ..probe.clone()
            };
            let cut: u64 = (0..n)
                .map(|k| {
                    simulate(&probe, run, k, None)
                        .expect("runs")
                        .metrics
                        .features[f]
                        .cut()
                })
                .sum();
            keep(cut)
        })
        .expect("such a seed exists among the first 400")
}

#[test]
fn a_true_claim_passes_even_when_the_first_replications_mislead() {
    // Under DNS load balancing a Response Group call is cut about once in a hundred restarts
    // (0.01 per replication): true by a margin against 0.1. Find a seed whose first five
    // replications hold such a cut: a point estimate of at least 0.2, which judged alone fails.
    let seed = seed_where(DNS_RG_AT_MOST_0_1, "dns", "response_group", 5, |cut| {
        cut > 0
    });
    let s = default_with(DNS_RG_AT_MOST_0_1, 5, seed);
    let first = point_cut(&decide_once(&s), "dns", "response_group");
    assert!(first > 0.1, "the first five replications mislead: {first}");
    let d = decide(&s, 2);
    let failures = expect::failures(&d.judgements);
    assert!(failures.is_empty(), "{failures:?}");
    assert!(d.replications > 5, "decided only after more replications");
}

/// The summary of the scenario's starting replications alone, judged as one look.
fn decide_once(s: &Scenario) -> Vec<drainsim::summary::SummaryRow> {
    let runs = scenario::expand(s).expect("expands");
    let results = drainsim::runner::run_all(s, runs, &RunOptions::default()).expect("runs");
    drainsim::summary::summarize(&results)
}

/// `cut_mean` of one row: the point estimate that an expectation used to be judged on.
fn point_cut(rows: &[drainsim::summary::SummaryRow], lb: &str, feature: &str) -> f64 {
    rows.iter()
        .find(|r| r.feature == feature && r.label("load_balancing").as_deref() == Some(lb))
        .and_then(|r| r.column("cut_mean"))
        .expect("the row exists")
}

#[test]
fn a_false_claim_fails_even_when_the_first_replications_mislead() {
    // Behind the HLB a restart cuts about 0.7 Call Park sessions: "at most 0.2" is false by a
    // margin. Find a seed whose first two replications cut none (the point estimate 0, which
    // judged alone passes the claim).
    let claim = "[[expect]]\nload_balancing = \"hardware\"\nfeature = \"call_park\"\ncut_mean = { max = 0.2 }\n";
    let misleading = seed_where(claim, "hardware", "call_park", 2, |cut| cut == 0);
    let s = default_with(claim, 2, misleading);
    let first = point_cut(&decide_once(&s), "hardware", "call_park");
    assert!(
        first <= 0.2,
        "judged on two replications alone, the claim passes: {first}"
    );
    let d = decide(&s, 2);
    assert!(
        d.judgements.iter().all(|j| j.decision == Decision::Fail),
        "{:?}",
        d.judgements
    );
}

#[test]
fn verdicts_and_replications_do_not_depend_on_the_thread_count() {
    let s = default_with(DNS_RG_AT_MOST_0_1, 3, 7);
    let (a, b) = (decide(&s, 1), decide(&s, 2));
    assert_eq!(a.replications, b.replications);
    assert_eq!(a.judgements, b.judgements);
}

#[test]
fn a_claim_still_undecided_at_the_cap_is_reported_inconclusive() {
    // A minimum at exactly the mean of the 40 replications the cap allows: no look can show
    // the mean above or below it.
    let probe = "[[expect]]\nload_balancing = \"hardware\"\nfeature = \"response_group\"\n\
                 cut_mean = { max = 1000 }\n";
    let mut p = default_with(probe, 40, 42);
    p.max_replications = 40;
    let mean = decide(&p, 2)
        .rows
        .iter()
        .find(|r| {
            r.feature == "response_group"
                && r.label("load_balancing").as_deref() == Some("hardware")
        })
        .and_then(|r| r.measure("cut").map(|e| e.mean))
        .expect("the row");
    let claim = format!(
        "[[expect]]\nload_balancing = \"hardware\"\nfeature = \"response_group\"\n\
         cut_mean = {{ min = {mean} }}\n"
    );
    let mut s = default_with(&claim, 10, 42);
    s.max_replications = 40;
    let d = decide(&s, 2);
    assert_eq!(d.replications, 40);
    let f = expect::failures(&d.judgements);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].message.starts_with("inconclusive: "),
        "{}",
        f[0].message
    );
    // No count would be right here, so none is printed.
    assert!(
        f[0].message.contains("more replications may decide it"),
        "{}",
        f[0].message
    );
}

#[test]
fn a_never_bound_fails_on_the_first_night_that_breaks_it_and_names_its_rerun() {
    // Behind the hardware load balancer a restart cuts Response Group calls on most nights.
    let claim = "[[expect]]\nload_balancing = \"hardware\"\nfeature = \"response_group\"\n\
                 cut_mean = { max = 0 }\n";
    let s = default_with(claim, 5, 42);
    let d = decide(&s, 2);
    assert_eq!(d.replications, 5, "decided at the first look");
    let f = expect::failures(&d.judgements);
    assert_eq!(f.len(), 1, "{f:?}");
    let msg = &f[0].message;
    let k: u32 = between(msg, "and replication ", " (of scenario seed")
        .parse()
        .expect("k");
    let seed: u64 = between(msg, "--seed ", " --replications 1")
        .parse()
        .expect("seed");
    // The first night with a cut is the one named, and the rerun seed replays it alone.
    let runs = scenario::expand(&s).expect("expands");
    let run = runs
        .iter()
        .find(|r| r.labels.iter().any(|(_, v)| v == "hardware"))
        .expect("the hardware run");
    let f_rg = common::feature_id(&run.config, "response_group");
    let cut = |sc: &Scenario, rep: u32| {
        simulate(sc, run, rep, None).expect("runs").metrics.features[f_rg].cut()
    };
    assert!((0..k).all(|j| cut(&s, j) == 0), "{msg}");
    let original = cut(&s, k);
    assert!(original > 0, "{msg}");
    let alone = Scenario { seed, ..s.clone() };
    assert_eq!(cut(&alone, 0), original, "{msg}");
}

/// The text of `s` between `a` and `b`.
fn between<'s>(s: &'s str, a: &str, b: &str) -> &'s str {
    let start = s
        .find(a)
        .map(|i| i + a.len())
        .unwrap_or_else(|| panic!("{a:?} in {s}"));
    let end = s[start..].find(b).unwrap_or_else(|| panic!("{b:?} in {s}"));
    &s[start..start + end]
}

#[test]
fn paired_expectations_judge_the_hardware_minus_dns_difference() {
    // On the same sessions, the HLB cuts more Response Group calls than DNS load balancing.
    let holds = "[[expect]]\npaired = \"hardware - dns\"\nfeature = \"response_group\"\n\
                 diff_mean = { min = 0.0 }\n";
    let d = decide(&default_with(holds, 20, 42), 2);
    assert!(
        expect::failures(&d.judgements).is_empty(),
        "{:?}",
        d.judgements
    );
    assert!(
        d.judgements[0].message.contains("p = "),
        "{}",
        d.judgements[0].message
    );
    // The opposite claim fails.
    let false_claim = holds.replace("min = 0.0", "max = 0.0");
    let d = decide(&default_with(&false_claim, 20, 42), 2);
    assert_eq!(
        d.judgements[0].decision,
        Decision::Fail,
        "{:?}",
        d.judgements
    );
}

#[test]
fn a_paired_expectation_needs_both_load_balancings() {
    let text = "horizon = \"1h\"\n[pool]\nservers = 2\n[[feature]]\nname = \"im\"\n\
                arrivals_per_hour = 10\nduration = { distribution = \"exponential\", mean = \"1m\" }\n\
                [[expect]]\npaired = \"hardware - dns\"\ndiff_mean = { min = 0 }\n";
    let errors = common::errors(text);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("expect[0].paired: needs runs under both")),
        "{errors:?}"
    );
}

#[test]
fn a_precision_target_adds_replications_until_the_interval_is_that_narrow() {
    let text = drainsim::DEFAULT_SCENARIO.replace(
        "replications = 200",
        "replications = { half_width = 0.8, start = 10, max = 640 }",
    );
    let body = &text[..text.find("[[expect]]").expect("expectations")];
    let s = common::scenario(body);
    assert_eq!((s.replications, s.max_replications), (10, 640));
    let target = s.precision.expect("a precision target");
    let d = decide(&s, 2);
    assert!(d.precise, "met within the cap");
    assert!(expect::precision_met(&target, &d.rows));
    // It stopped at the first look that met it: the look before did not.
    let half = d.replications / 2;
    assert!(half >= 10, "took more than the starting count");
    let mut earlier = s.clone();
    earlier.replications = half;
    earlier.max_replications = half;
    earlier.precision = None;
    let rows = decide(&earlier, 2).rows;
    assert!(!expect::precision_met(&target, &rows));
}
