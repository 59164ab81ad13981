//! Load balancer administration (R14 of docs/model.md): lifecycle tests for each member state,
//! DNS record steps, clients that do not fail over, HTTPS features, the rolling timings; and
//! closed forms for what lands on a paused server under each administration.
//!
//! Closed forms (checked with `|mean − theory| ≤ t(1 − α/2, n − 1)·SE`, α = 1e-4):
//!
//! - Sessions on FE 1 when it is paused, of a feature with rate λ over `n` servers and
//!   exponential holding time of mean m, still there after the wait W: `(λ m / n)·e^(−W/m)`.
//!   That is what the restart cuts under DNS load balancing, with the member disabled without
//!   persistence, and with it forced offline even with persistence (nothing new lands).
//! - With source-address persistence and the member disabled at t₀, `C` clients each
//!   connecting at rate λ (Poisson), records of timeout `T`: a client whose record names FE 1
//!   keeps coming back while its gaps stay under `T`. Its last connection before t₀ was `A`
//!   ago and its next comes `B` later (both Exp(λ)); it lands if `A + B < T`, then again after
//!   each gap under `T` (probability `1 − e^(−λT)`). With `C/n` records on FE 1, the sessions
//!   that land are `(C/n)·(e^(λT) − 1 − λT)`.
//! - Under DNS load balancing with a fraction `f` of clients that fail over, while FE 1 is
//!   paused and then down (W + D), the sessions that fail: `(Λ/n)·(W + D)·(1 − f)`.

use drainsim::engine::SimTime;
use drainsim::model::{Member, ReplicationMetrics, RunConfig, Status};
use drainsim::stats::estimate;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::common::{self, feature_id, mins};

const SEED: u64 = 1414;

/// `n` replications of `cfg`, in order.
fn replications(cfg: &RunConfig, n: u64) -> Vec<ReplicationMetrics> {
    (0..n)
        .map(|k| common::sim(cfg, SEED, k).run().expect("runs"))
        .collect()
}

/// Asserts that the mean of `xs` is within its 1 − 1e-4 t interval of `theory`, and that the
/// interval is narrow enough (relative to `theory`) for the check to mean something.
fn assert_mean(what: &str, xs: &[f64], theory: f64, max_rel_tol: f64) {
    let e = estimate(xs);
    let t = StudentsT::new(0.0, 1.0, (e.n - 1) as f64)
        .unwrap()
        .inverse_cdf(1.0 - 1e-4 / 2.0);
    let tol = t * e.sd / (e.n as f64).sqrt();
    assert!(
        tol <= max_rel_tol * theory,
        "{what}: tolerance {tol:.3} too wide for theory {theory:.3}: add replications"
    );
    assert!(
        (e.mean - theory).abs() <= tol,
        "{what}: measured {:.3} ± {tol:.3}, theory {theory:.3}",
        e.mean
    );
    println!(
        "{what}: measured {:.3} ± {tol:.3}, theory {theory:.3}",
        e.mean
    );
}

/// A pool of 4 with one UCAS feature (`response_group`, exponential holding of `mean_s`).
fn text(pool: &str, per_hour: f64, mean_s: u64, steps: &str, horizon_s: u64) -> String {
    format!(
        r#"
horizon = "{horizon_s}s"
sample_interval = "0s"
[pool]
servers = 4
quorum = "none"
{pool}

[[feature]]
name = "response_group"
arrivals_per_hour = {per_hour}
duration = {{ distribution = "exponential", mean = "{mean_s}s" }}
{steps}
"#
    )
}

const PAUSE_RESTART: &str = r#"
[[step]]
at = "1h"
action = "pause"
server = 1
[[step]]
action = "wait"
duration = "20m"
[[step]]
action = "restart"
server = 1
downtime = "1m"
"#;

/// The same with the member set to `state` at the pause, as `lb_before_pause` writes it.
fn admin_restart(state: &str) -> String {
    format!(
        r#"
[[step]]
at = "1h"
action = "{state}"
server = 1
[[step]]
action = "pause"
server = 1
[[step]]
action = "wait"
duration = "20m"
[[step]]
action = "restart"
server = 1
downtime = "1m"
"#
    )
}

// ---------------------------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------------------------

/// One microsecond before `t`.
fn just_before(t: SimTime) -> SimTime {
    SimTime(t.0 - 1)
}

/// Admissions on server `s` while stepping to `until` (every rise of its active count).
fn admitted_on(sim: &mut drainsim::model::Simulation<'_>, s: usize, until: SimTime) -> u64 {
    let mut n = 0;
    let mut last = sim.pool().active_on_server(s);
    while sim.next_time().is_some_and(|t| t <= until) {
        sim.step();
        let now = sim.pool().active_on_server(s);
        n += u64::from(now.saturating_sub(last));
        last = now;
    }
    n
}

#[test]
fn disabled_member_takes_nothing_new_keeps_its_sessions_and_stays_disabled_after_a_restart() {
    let steps = r#"
[[step]]
at = "30m"
action = "lb_disable"
server = 1
[[step]]
action = "wait"
duration = "20m"
[[step]]
action = "restart"
server = 1
downtime = "1m"
[[step]]
action = "wait"
duration = "20m"
[[step]]
action = "lb_enable"
server = 1
"#;
    let pool = "load_balancing = \"hardware\"\n[pool.hardware]\ndetect_delay = \"0s\"";
    let cfg = common::run_config(&text(pool, 2400.0, 600, steps, 7200));
    let mut sim = common::sim(&cfg, SEED, 0);
    assert!(admitted_on(&mut sim, 0, just_before(mins(30))) > 0);
    sim.run_until(mins(30));
    assert_eq!(sim.pool().member(0), Member::Disabled);
    let before = sim.pool().active_on_server(0);
    assert!(before > 0, "FE 1 has sessions when it is disabled");
    assert_eq!(admitted_on(&mut sim, 0, just_before(mins(50))), 0);
    // Existing sessions continue (they end only at their holding time).
    assert!(sim.pool().active_on_server(0) > 0);
    assert_eq!(sim.metrics().features[0].cut(), 0);
    // Restarted, and still disabled once it is up: nothing new until lb_enable.
    sim.run_until(mins(52));
    assert!(sim.pool().is_up(0));
    assert_eq!(sim.pool().member(0), Member::Disabled);
    assert_eq!(admitted_on(&mut sim, 0, just_before(mins(71))), 0);
    sim.run_until(mins(71));
    assert_eq!(sim.pool().member(0), Member::Enabled);
    assert!(admitted_on(&mut sim, 0, mins(90)) > 0);
}

#[test]
fn disabled_member_still_takes_clients_whose_record_names_it_forced_offline_none() {
    // Ten client addresses connecting every few seconds: every record stays alive.
    let pool = "load_balancing = \"hardware\"\n[pool.hardware]\ndetect_delay = \"0s\"\n\
                persistence = \"source_address\"\npersistence_timeout = \"30m\"\nclients = 10";
    for (state, lands) in [("lb_disable", true), ("lb_force_offline", false)] {
        let steps = format!(
            "[[step]]\nat = \"30m\"\naction = \"{state}\"\nserver = 1\n\
             [[step]]\naction = \"pause\"\nserver = 1\n"
        );
        let cfg = common::run_config(&text(pool, 3600.0, 60, &steps, 3600));
        let mut sim = common::sim(&cfg, SEED, 0);
        sim.run_until(mins(30));
        assert_eq!(sim.pool().status(0, 0), Status::Paused);
        let n = admitted_on(&mut sim, 0, mins(60));
        assert_eq!(n > 0, lands, "{state}: {n} sessions reached FE 1");
        let landed = sim.metrics().features[0].landed_on_paused;
        assert_eq!(
            landed, n,
            "{state}: all of them landed on the paused server"
        );
    }
}

#[test]
fn dns_remove_is_learnt_within_the_ttl_and_dns_add_brings_the_server_back() {
    let steps = r#"
[[step]]
at = "30m"
action = "dns_remove"
server = 1
[[step]]
action = "wait"
duration = "30m"
[[step]]
action = "dns_add"
server = 1
"#;
    let pool = "[pool.dns]\nttl = \"10m\"";
    let cfg = common::run_config(&text(pool, 4000.0, 60, steps, 6000));
    let mut sim = common::sim(&cfg, SEED, 0);
    sim.run_until(mins(30));
    // During the TTL, clients that have not yet refreshed still use FE 1, fewer and fewer.
    let early = admitted_on(&mut sim, 0, mins(35));
    let late = admitted_on(&mut sim, 0, just_before(mins(40)));
    assert!(early > late && late > 0, "early {early}, late {late}");
    // After the TTL no client lists it.
    assert_eq!(admitted_on(&mut sim, 0, just_before(mins(60))), 0);
    // Added back: clients learn it within the TTL again.
    sim.run_until(mins(60));
    let back = admitted_on(&mut sim, 0, mins(80));
    assert!(back > 100, "{back} sessions on FE 1 after dns_add");
    assert_eq!(sim.metrics().features[0].failed, 0);
    assert_eq!(sim.metrics().features[0].blocked, 0);
}

#[test]
fn clients_that_do_not_fail_over_fail_on_a_paused_server_the_others_retry() {
    let steps = "[[step]]\nat = \"10m\"\naction = \"pause\"\nserver = 1\n";
    for (f, fails) in [(1.0, false), (0.5, true), (0.0, true)] {
        let pool = format!("[pool.dns]\nfailover_clients = {f}");
        let cfg = common::run_config(&text(&pool, 3600.0, 60, steps, 3600));
        let m = common::sim(&cfg, SEED, 0).run().unwrap();
        let c = &m.features[0];
        assert_eq!(
            c.failed > 0,
            fails,
            "failover_clients = {f}: {} failed",
            c.failed
        );
        assert_eq!(c.arrivals, c.accepted + c.blocked + c.failed);
    }
}

#[test]
fn an_https_feature_goes_through_the_load_balancer_under_dns_load_balancing() {
    // Two UCAS features alike but for the transport; FE 1 paused. The SIP one drains (DNS);
    // the HTTPS one is sent to FE 1 by the load balancer's port monitor and lands there.
    let text = r#"
horizon = "1h"
sample_interval = "0s"
[pool]
servers = 4
quorum = "none"
load_balancing = "dns"
[[feature]]
name = "response_group"
arrivals_per_hour = 2000
duration = { distribution = "exponential", mean = "60s" }
[[feature]]
name = "rg_web"
service = "RTCRGS"
needs_dns_lb = true
transport = "https"
arrivals_per_hour = 2000
duration = { distribution = "exponential", mean = "60s" }
[[step]]
at = "10m"
action = "pause"
server = 1
"#;
    let cfg = common::run_config(text);
    let m = common::sim(&cfg, SEED, 0).run().unwrap();
    let (sip, web) = (
        feature_id(&cfg, "response_group"),
        feature_id(&cfg, "rg_web"),
    );
    assert_eq!(m.features[sip].landed_on_paused, 0);
    assert!(m.features[web].landed_on_paused > 50);
    // And with lb_disable (allowed: a load balancer carries the HTTPS feature) nothing lands.
    let cfg = common::run_config(&text.replace(
        "action = \"pause\"",
        "action = \"lb_disable\"\nserver = 1\n[[step]]\naction = \"pause\"",
    ));
    let m = common::sim(&cfg, SEED, 0).run().unwrap();
    assert_eq!(m.features[web].landed_on_paused, 0);
}

#[test]
fn rolling_timings_are_parameters() {
    let text = |extra: &str| {
        format!(
            r#"
horizon = "6h"
sample_interval = "0s"
[pool]
servers = 4
quorum = "none"
upgrade_domains = 2
replica_rebuild = "0s"
{extra}
[[feature]]
name = "im"
arrivals_per_hour = 100
duration = {{ distribution = "exponential", mean = "60s" }}
[[step]]
action = "rolling_restart"
downtime = "5m"
timeout = "10m"
"#
        )
    };
    for (extra, wait) in [
        ("", 20),
        ("ready_wait = \"3m\"", 3),
        ("ready_wait = \"0s\"", 0),
    ] {
        let cfg = common::run_config(&text(extra));
        let m = common::sim(&cfg, SEED, 0).run().unwrap();
        let d = &m.domains[1];
        let gap = d.paused_at.unwrap().since(d.ready_at.unwrap());
        assert_eq!(gap, mins(wait), "{extra:?}");
    }
    // Busy polls: a long rebuild with one Busy allowed fails the rolling restart at once.
    let cfg = common::run_config(
        &text("max_busy = 1\nreadiness_retry = \"1m\"").replace("\"0s\"", "\"1h\""),
    );
    let m = common::sim(&cfg, SEED, 0).run().unwrap();
    assert!(
        m.plan_failure
            .as_deref()
            .unwrap_or("")
            .contains("Busy 1 times")
    );
}

// ---------------------------------------------------------------------------------------------
// Closed forms
// ---------------------------------------------------------------------------------------------

#[test]
fn member_disabled_or_forced_offline_cuts_what_dns_cuts() {
    // λ = 600/h, m = 600 s, n = 4, W = 20 min: (λ m / n)·e^(−W/m) = 25·e^(−2).
    let theory = 25.0 * (-2.0f64).exp();
    let persist = "[pool.hardware]\npersistence = \"source_address\"\nclients = 50";
    let cases = [
        (
            "dns",
            "load_balancing = \"dns\"".to_string(),
            PAUSE_RESTART.to_string(),
        ),
        (
            "disabled",
            "load_balancing = \"hardware\"".to_string(),
            admin_restart("lb_disable"),
        ),
        (
            "forced offline, persistence",
            format!("load_balancing = \"hardware\"\n{persist}"),
            admin_restart("lb_force_offline"),
        ),
    ];
    for (name, pool, steps) in cases {
        let cfg = common::run_config(&text(&pool, 600.0, 600, &steps, 4800));
        let ms = replications(&cfg, 400);
        assert!(
            ms.iter().all(|m| m.features[0].landed_on_paused == 0),
            "{name}"
        );
        let cut: Vec<f64> = ms.iter().map(|m| m.features[0].cut() as f64).collect();
        assert_mean(&format!("cut, {name}"), &cut, theory, 0.25);
    }
}

#[test]
fn with_persistence_a_disabled_member_takes_the_clients_whose_records_live() {
    // C = 400 clients at λ = 1/180 s each (Λ = 8,000/h), T = 180 s: λT = 1. Disabled and
    // paused at 1 h; the wait (20 min) outlasts every chain of gaps under T by far.
    let (clients, n, lt) = (400.0, 4.0, 1.0f64);
    let theory = clients / n * (lt.exp() - 1.0 - lt);
    let pool = "load_balancing = \"hardware\"\n[pool.hardware]\npersistence = \
                \"source_address\"\npersistence_timeout = \"180s\"\nclients = 400";
    let cfg = common::run_config(&text(pool, 8000.0, 30, &admin_restart("lb_disable"), 4400));
    let ms = replications(&cfg, 60);
    let landed: Vec<f64> = ms
        .iter()
        .map(|m| m.features[0].landed_on_paused as f64)
        .collect();
    assert_mean("landed, disabled with persistence", &landed, theory, 0.15);
}

#[test]
fn clients_that_do_not_fail_over_fail_in_proportion() {
    // Λ = 3,600/h, n = 4, FE 1 paused 20 min then down 1 min, f = 0.7:
    // (Λ/n)·(W + D)·(1 − f) = 900/h · 21 min · 0.3.
    let theory = 900.0 * 21.0 / 60.0 * 0.3;
    let pool = "[pool.dns]\nfailover_clients = 0.7";
    let cfg = common::run_config(&text(pool, 3600.0, 30, PAUSE_RESTART, 5400));
    let ms = replications(&cfg, 200);
    let failed: Vec<f64> = ms.iter().map(|m| m.features[0].failed as f64).collect();
    assert_mean("failed, 70 % failover", &failed, theory, 0.1);
}
