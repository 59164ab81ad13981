//! Drain records and the HLB monitor's timing: each way a drain can end, stepped event by
//! event with exact expectations, and the same situations measured over many replications
//! against closed forms.
//!
//! The statistical set-up is the M/M/∞ pool of an audit of these records: 4 Front Ends (3
//! where quorum is involved) under DNS load balancing, `av_conference` arriving 1/s with
//! exponential 60 s holding times, so that each server holds a Poisson number of sessions of
//! mean λ·E[S]/servers (15 on 4 servers, 20 on 3). Sessions present at a pause each end after an
//! exponential residual time (memorylessness), so after 30 s a Poisson(15·e^−0.5) number is
//! left, and the drain time is the maximum of those residuals: `E[T] = 60·Ein(15)` with
//! `Ein(x) = ∫₀ˣ (1 − e^−u)/u du`. Tolerances are `t(1 − α/2, n − 1)·SE` at `ALPHA` per check,
//! as in `closed_form`.

use drainsim::engine::SimTime;
use drainsim::model::{DrainEnd, DrainRecord, RunConfig, ServiceState, Simulation};
use drainsim::stats::estimate;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::common::{self, mins, service_id};

const ALPHA: f64 = 1e-4;
const SEED: u64 = 17;
const REPLICATIONS: u64 = 300;

fn secs(s: u64) -> SimTime {
    SimTime::from_secs(s)
}

/// The audit's pool: `servers` Front Ends, av_conference at 1/s, exponential 60 s.
fn audit(servers: u32, quorum: &str, pool_extra: &str, steps: &str) -> RunConfig {
    common::run_config(&format!(
        "horizon = \"2h\"\n[pool]\nservers = {servers}\nquorum = \"{quorum}\"\n{pool_extra}\n\
         [[feature]]\nname = \"av_conference\"\narrivals_per_hour = 3600\n\
         duration = {{ distribution = \"exponential\", mean = \"60s\" }}\n{steps}"
    ))
}

const PAUSE_FE1_AT_1H: &str = "[[step]]\nat = \"1h\"\naction = \"pause\"\nserver = 1\n";

/// Runs `REPLICATIONS` replications and returns their metrics.
fn replicate(cfg: &RunConfig) -> Vec<drainsim::model::ReplicationMetrics> {
    (0..REPLICATIONS)
        .map(|r| common::sim(cfg, SEED, r).run().expect("runs"))
        .collect()
}

fn drains_of(m: &[drainsim::model::ReplicationMetrics], server: usize) -> Vec<&DrainRecord> {
    m.iter()
        .flat_map(|m| m.drains.iter())
        .filter(|d| d.server == server)
        .collect()
}

/// Asserts `|mean(xs) − theory| ≤ t(1 − α/2, n − 1)·SE`, and that this tolerance is below
/// `max_rel_tol` of the theory (so that the check keeps its power).
fn assert_mean(what: &str, xs: &[f64], theory: f64, max_rel_tol: f64) {
    let e = estimate(xs);
    let t = StudentsT::new(0.0, 1.0, (e.n - 1) as f64)
        .unwrap()
        .inverse_cdf(1.0 - ALPHA / 2.0);
    let tol = t * e.sd / (e.n as f64).sqrt();
    assert!(
        tol <= max_rel_tol * theory,
        "{what}: tolerance {tol:.3} is too wide against {theory:.3}"
    );
    assert!(
        (e.mean - theory).abs() <= tol,
        "{what}: mean {:.3} (95% CI {:.3}–{:.3}), closed form {theory:.3}, tolerance ±{tol:.3}",
        e.mean,
        e.low,
        e.high
    );
}

/// `Ein(x) = ∫₀ˣ (1 − e^−u)/u du`, by its everywhere-convergent series `Σ (−1)^{k+1} x^k/(k·k!)`.
fn ein(x: f64) -> f64 {
    let (mut term, mut sum) = (1.0, 0.0);
    for k in 1..200 {
        term *= x / k as f64; // x^k / k!
        let sign = if k % 2 == 1 { 1.0 } else { -1.0 };
        sum += sign * term / k as f64;
    }
    sum
}

// ---------------------------------------------------------------------------------------------
// Exact lifecycles (deterministic holding times).

/// 2 Front Ends, 120 av_conference sessions an hour, each 10 minutes long.
fn exact(servers: u32, quorum: &str, steps: &str) -> RunConfig {
    common::run_config(&format!(
        "horizon = \"2h\"\n[pool]\nservers = {servers}\nquorum = \"{quorum}\"\n\
         [[feature]]\nname = \"av_conference\"\narrivals_per_hour = 120\n\
         duration = {{ distribution = \"deterministic\", value = \"10m\" }}\n{steps}"
    ))
}

/// Steps to just before `t` and returns the sessions on server `s` then.
fn sessions_before(sim: &mut Simulation<'_>, t: SimTime, s: usize) -> u32 {
    sim.run_until(SimTime(t.0 - 1));
    sim.pool().active_on_server(s)
}

#[test]
fn a_hard_stop_after_a_pause_ends_the_drain_stopped_with_the_sessions_it_cut() {
    let cfg = exact(
        2,
        "none",
        &format!("{PAUSE_FE1_AT_1H}[[step]]\nat = \"1h5m\"\naction = \"stop\"\nserver = 1\n"),
    );
    let mut sim = common::sim(&cfg, SEED, 0);
    let before = sessions_before(&mut sim, mins(65), 0);
    assert!(
        before > 0,
        "FE 1 still has sessions 5 minutes into its drain"
    );
    sim.run_until(mins(65));
    let d = &sim.metrics().drains;
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        (d[0].end, d[0].paused_at, d[0].ended_at, d[0].left),
        (DrainEnd::Stopped, mins(60), mins(65), before as u64)
    );
    assert_eq!(d[0].drain_time(), None, "a stopped drain has no drain time");
}

#[test]
fn a_resume_ends_the_drain_resumed_with_the_sessions_still_there() {
    let cfg = exact(
        2,
        "none",
        &format!("{PAUSE_FE1_AT_1H}[[step]]\nat = \"1h5m\"\naction = \"resume\"\nserver = 1\n"),
    );
    let mut sim = common::sim(&cfg, SEED, 0);
    let before = sessions_before(&mut sim, mins(65), 0);
    assert!(before > 0);
    sim.run_until(mins(65));
    let d = &sim.metrics().drains;
    assert_eq!(
        (d.len(), d[0].end, d[0].left),
        (1, DrainEnd::Resumed, before as u64),
        "{d:?}"
    );
}

#[test]
fn quorum_loss_ends_a_drain_stopped_with_the_sessions_it_cut() {
    // 3 Front Ends: lync2013 needs any 2 running; restarting FE 2 and FE 3 loses quorum.
    let cfg = exact(
        3,
        "lync2013",
        &format!(
            "{PAUSE_FE1_AT_1H}[[step]]\nat = \"1h5m\"\naction = \"restart\"\nservers = [2, 3]\n\
             downtime = \"10m\"\n"
        ),
    );
    let mut sim = common::sim(&cfg, SEED, 0);
    let before = sessions_before(&mut sim, mins(65), 0);
    assert!(before > 0);
    sim.run_until(mins(65));
    assert!(sim.pool().quorum_lost());
    let d: Vec<_> = sim
        .metrics()
        .drains
        .iter()
        .filter(|d| d.server == 0)
        .collect();
    assert_eq!(
        (d.len(), d[0].end, d[0].left),
        (1, DrainEnd::Stopped, before as u64),
        "{d:?}"
    );
}

#[test]
fn pausing_an_already_paused_server_opens_no_second_drain() {
    let cfg = exact(
        2,
        "none",
        &format!(
            "{PAUSE_FE1_AT_1H}[[step]]\nat = \"1h30m\"\naction = \"pause\"\nservers = [1, 2]\n"
        ),
    );
    let mut sim = common::sim(&cfg, SEED, 0);
    sim.run_until(mins(119));
    let fe1: Vec<_> = sim
        .metrics()
        .drains
        .iter()
        .filter(|d| d.server == 0)
        .collect();
    assert_eq!(fe1.len(), 1, "one pause, one drain: {fe1:?}");
    assert_eq!(fe1[0].end, DrainEnd::Drained);
    assert!(
        fe1[0].ended_at <= mins(70),
        "FE 1 drained within one holding time: {fe1:?}"
    );
    let fe2: Vec<_> = sim
        .metrics()
        .drains
        .iter()
        .filter(|d| d.server == 1)
        .collect();
    assert_eq!(
        (fe2.len(), fe2[0].paused_at),
        (1, mins(90)),
        "FE 2's own drain starts at its pause: {fe2:?}"
    );
}

#[test]
fn a_graceful_stop_completes_when_quorum_loss_cuts_its_last_sessions() {
    let cfg = exact(
        3,
        "lync2013",
        "[[step]]\nat = \"1h\"\naction = \"stop_graceful\"\nserver = 1\n\
         [[step]]\nat = \"1h5m\"\naction = \"restart\"\nservers = [2, 3]\ndowntime = \"1m\"\n",
    );
    let rtcsrv = service_id(&cfg, "RTCSRV");
    let mut sim = common::sim(&cfg, SEED, 0);
    sim.run_until(mins(65));
    assert_eq!(sim.pool().active_on_server(0), 0);
    assert_eq!(
        sim.pool().service_state(0, rtcsrv),
        ServiceState::Stopped,
        "the graceful stop completes when its last session is cut"
    );
    sim.run_until(mins(90));
    assert!(!sim.pool().quorum_lost(), "FE 2 and FE 3 are back");
    assert_eq!(sim.pool().service_state(0, rtcsrv), ServiceState::Stopped);
}

/// Hardware load balancing with a monitor, round robin, 1 arrival/s.
fn monitored(monitor: &str, steps: &str) -> RunConfig {
    audit(
        4,
        "none",
        &format!(
            "load_balancing = \"hardware\"\n[pool.hardware]\nalgorithm = \"round_robin\"\n\
             health_monitor = \"{monitor}\"\ndetect_delay = \"60s\"\n"
        ),
        steps,
    )
}

#[test]
fn the_monitor_notices_a_change_detect_delay_after_it_whatever_follows() {
    // Paused at 3,600 s (down to a service monitor), restarted at 3,610 s (still down): the
    // monitor has counted failed polls since 3,600 s and marks it down at 3,660 s.
    let cfg = monitored(
        "service",
        &format!(
            "{PAUSE_FE1_AT_1H}[[step]]\nat = \"3610s\"\naction = \"restart\"\nserver = 1\n\
             downtime = \"10m\"\n"
        ),
    );
    let mut sim = common::sim(&cfg, SEED, 0);
    sim.run_until(SimTime(secs(3660).0 - 1));
    assert!(
        sim.pool().hlb_sees_up(0),
        "not yet noticed at 3,659.999999 s"
    );
    sim.run_until(secs(3660));
    assert!(!sim.pool().hlb_sees_up(0), "noticed at 3,660 s");
    // Up again at 4,210 s; noticed 60 s later.
    sim.run_until(SimTime(secs(4270).0 - 1));
    assert!(!sim.pool().hlb_sees_up(0));
    sim.run_until(secs(4270));
    assert!(sim.pool().hlb_sees_up(0));
}

#[test]
fn a_restart_shorter_than_detect_delay_goes_unnoticed() {
    // A monitor that needs 60 s of failed polls never sees a 20-second outage.
    let cfg = monitored(
        "port",
        "[[step]]\nat = \"1h\"\naction = \"restart\"\nserver = 1\ndowntime = \"20s\"\n",
    );
    let mut sim = common::sim(&cfg, SEED, 0);
    let mut seen_down = false;
    while sim.next_time().is_some_and(|t| t <= mins(65)) {
        sim.step();
        seen_down |= !sim.pool().hlb_sees_up(0);
    }
    assert!(!seen_down, "the monitor never marks FE 1 down");
    assert!(
        sim.metrics().features[0].failed > 0,
        "the sessions it sent during the outage failed"
    );
}

// ---------------------------------------------------------------------------------------------
// The audit's five cases against closed forms.

fn lefts(d: &[&DrainRecord]) -> Vec<f64> {
    d.iter().map(|d| d.left as f64).collect()
}

#[test]
fn stop_30s_after_pause_leaves_poisson_15_e_minus_half_sessions_stopped() {
    let cfg = audit(
        4,
        "none",
        "",
        &format!("{PAUSE_FE1_AT_1H}[[step]]\nat = \"3630s\"\naction = \"stop\"\nserver = 1\n"),
    );
    let m = replicate(&cfg);
    let d = drains_of(&m, 0);
    assert_eq!(d.len() as u64, REPLICATIONS, "one drain per replication");
    assert!(d.iter().all(|d| d.end == DrainEnd::Stopped));
    let theory = 15.0 * (-0.5f64).exp();
    assert_mean("sessions left at the stop", &lefts(&d), theory, 0.1);
    let cut: Vec<f64> = m.iter().map(|m| m.features[0].cut() as f64).collect();
    assert_mean("sessions cut by the stop", &cut, theory, 0.1);
}

#[test]
fn resume_30s_after_pause_leaves_poisson_15_e_minus_half_sessions_resumed() {
    let cfg = audit(
        4,
        "none",
        "",
        &format!("{PAUSE_FE1_AT_1H}[[step]]\nat = \"3630s\"\naction = \"resume\"\nserver = 1\n"),
    );
    let d_all = replicate(&cfg);
    let d = drains_of(&d_all, 0);
    assert!(d.iter().all(|d| d.end == DrainEnd::Resumed));
    assert_mean(
        "sessions left at the resume",
        &lefts(&d),
        15.0 * (-0.5f64).exp(),
        0.1,
    );
}

#[test]
fn quorum_loss_30s_after_pause_leaves_poisson_20_e_minus_half_sessions_stopped() {
    let cfg = audit(
        3,
        "lync2013",
        "",
        &format!(
            "{PAUSE_FE1_AT_1H}[[step]]\nat = \"3630s\"\naction = \"restart\"\nservers = [2, 3]\n\
             downtime = \"10m\"\n"
        ),
    );
    let m = replicate(&cfg);
    let d = drains_of(&m, 0);
    assert_eq!(d.len() as u64, REPLICATIONS);
    assert!(d.iter().all(|d| d.end == DrainEnd::Stopped));
    assert_mean(
        "FE 1's sessions at the quorum loss",
        &lefts(&d),
        20.0 * (-0.5f64).exp(),
        0.1,
    );
}

#[test]
fn a_second_pause_keeps_one_drain_whose_time_follows_the_drain_time_law() {
    let cfg = audit(
        4,
        "none",
        "",
        &format!(
            "{PAUSE_FE1_AT_1H}[[step]]\nat = \"1h30m\"\naction = \"pause\"\nservers = [1, 2]\n"
        ),
    );
    let m = replicate(&cfg);
    assert!(m.iter().all(|m| m.drains.len() == 2), "one drain per pause");
    let d = drains_of(&m, 0);
    assert!(d.iter().all(|d| d.end == DrainEnd::Drained));
    let times: Vec<f64> = d
        .iter()
        .map(|d| d.drain_time().unwrap().as_secs_f64())
        .collect();
    assert_mean("FE 1's drain time, s", &times, 60.0 * ein(15.0), 0.1);
}

#[test]
fn restart_10s_after_pause_fails_what_round_robin_sends_until_60s_after_the_pause() {
    let cfg = monitored(
        "service",
        &format!(
            "{PAUSE_FE1_AT_1H}[[step]]\nat = \"3610s\"\naction = \"restart\"\nserver = 1\n\
             downtime = \"10m\"\n"
        ),
    );
    let m = replicate(&cfg);
    let failed: Vec<f64> = m.iter().map(|m| m.features[0].failed as f64).collect();
    // Round robin sends FE 1 a quarter of the 1/s arrivals from 3,610 s to 3,660 s.
    assert_mean(
        "sessions failed on the restarted member",
        &failed,
        50.0 / 4.0,
        0.15,
    );
}

#[test]
fn the_ein_series_matches_its_asymptotic_form() {
    // Ein(x) = γ + ln x + E1(x), E1(15) ≈ 1.9e-8: a check of the helper itself.
    let gamma = 0.577_215_664_901_532_9;
    assert!((ein(15.0) - (gamma + 15f64.ln())).abs() < 1e-6);
}
