//! Lifecycle tests for rules R3–R9 of docs/model.md: each builds a small scenario, steps the
//! simulation event by event and asserts the pool's states and the measures.
//!
//! Holding times are deterministic wherever that makes an exact assertion possible; every
//! pool sets `quorum = "none"` unless the test is about quorum (R9), because the default
//! quorum of a 2–12 server pool would otherwise stop the pool in some of these set-ups.

use drainsim::engine::SimTime;
use drainsim::model::{
    CutReason, DrainEnd, RunConfig, ServiceState, Simulation, StartupType, Status,
};

use crate::common::{self, feature_id, mins, service_id};

const SEED: u64 = 2013;

/// One `[[feature]]` block with a deterministic holding time.
fn feature(name: &str, per_hour: u32, hold: &str) -> String {
    format!(
        "[[feature]]\nname = \"{name}\"\narrivals_per_hour = {per_hour}\n\
         duration = {{ distribution = \"deterministic\", value = \"{hold}\" }}\n"
    )
}

/// A scenario text: header, `[pool]` lines, then the feature and step blocks.
fn scenario(horizon: &str, pool: &str, blocks: &[String]) -> String {
    format!(
        "horizon = \"{horizon}\"\n[pool]\n{pool}\n{}",
        blocks.join("\n")
    )
}

fn cfg(text: &str) -> RunConfig {
    common::run_config(text)
}

fn sim(cfg: &RunConfig) -> Simulation<'_> {
    common::sim(cfg, SEED, 0)
}

/// One microsecond before `t`.
fn just_before(t: SimTime) -> SimTime {
    SimTime(t.0 - 1)
}

/// Handles every event at or before `until`, calling `each` after each one.
fn step_through<'a>(
    sim: &mut Simulation<'a>,
    until: SimTime,
    mut each: impl FnMut(&Simulation<'a>),
) {
    while sim.next_time().is_some_and(|t| t <= until) {
        if sim.step().is_none() {
            break;
        }
        each(sim);
    }
}

/// New sessions per (server, feature) while stepping to `until`. An event admits at most one
/// session and nothing else adds one, so every rise of `Pool::active` is an admission.
struct Admissions {
    features: usize,
    counts: Vec<u64>,
}

impl Admissions {
    fn get(&self, s: usize, f: usize) -> u64 {
        self.counts[s * self.features + f]
    }
}

fn admissions(sim: &mut Simulation<'_>, until: SimTime) -> Admissions {
    let (servers, features) = (sim.pool().servers(), sim.pool().n_features());
    let snapshot = |sim: &Simulation<'_>| -> Vec<u32> {
        (0..servers)
            .flat_map(|s| (0..features).map(move |f| (s, f)))
            .map(|(s, f)| sim.pool().active(s, f))
            .collect()
    };
    let mut prev = snapshot(sim);
    let mut counts = vec![0u64; servers * features];
    step_through(sim, until, |sim| {
        let now = snapshot(sim);
        for (i, (&a, &b)) in now.iter().zip(&prev).enumerate() {
            counts[i] += a.saturating_sub(b) as u64;
        }
        prev = now;
    });
    Admissions { features, counts }
}

fn servers_active(sim: &Simulation<'_>, servers: std::ops::Range<usize>) -> u64 {
    servers.map(|s| sim.pool().active_on_server(s) as u64).sum()
}

// ---------------------------------------------------------------------------------------------
// R3: states, and RTCSRV standing for every feature that needs the front end.

const R3_FEATURES: [(&str, &str); 4] = [
    ("im", ""),
    ("response_group", ""),
    ("announcement", ""),
    // A catalogue feature that opts out of R3's front-end rule.
    ("web_conference", "needs_front_end = false\n"),
];

fn r3_config(step: &str) -> RunConfig {
    let mut blocks: Vec<String> = R3_FEATURES
        .iter()
        .map(|(name, extra)| feature(name, 120, "10m") + extra)
        .collect();
    blocks.push(step.to_string());
    cfg(&scenario(
        "1h",
        "servers = 2\nload_balancing = \"dns\"\nquorum = \"none\"",
        &blocks,
    ))
}

#[test]
fn r3_paused_front_end_pauses_every_feature_that_needs_it() {
    let cfg = r3_config(
        "[[step]]\nat = \"10m\"\naction = \"pause\"\nserver = 1\nservices = [\"RTCSRV\"]\n",
    );
    let (rtcsrv, rtcrgs) = (service_id(&cfg, "RTCSRV"), service_id(&cfg, "RTCRGS"));
    let web = feature_id(&cfg, "web_conference");
    let mut sim = sim(&cfg);
    sim.run_until(just_before(mins(10)));
    for f in 0..cfg.features.len() {
        assert_eq!(
            sim.pool().status(0, f),
            Status::Running,
            "before the pause, feature {f}"
        );
    }
    sim.run_until(mins(10));
    assert_eq!(sim.pool().service_state(0, rtcsrv), ServiceState::Paused);
    // The feature's own service is untouched: R3 is about what a session *sees*.
    assert_eq!(sim.pool().service_state(0, rtcrgs), ServiceState::Running);
    for name in ["im", "response_group", "announcement"] {
        let f = feature_id(&cfg, name);
        assert_eq!(
            sim.pool().status(0, f),
            Status::Paused,
            "{name} on the paused server"
        );
        assert_eq!(
            sim.pool().status(1, f),
            Status::Running,
            "{name} on the other server"
        );
    }
    assert_eq!(
        sim.pool().status(0, web),
        Status::Running,
        "needs_front_end = false keeps its own service's state"
    );
    // Under DNS the opted-out feature keeps being accepted on server 1, the others are not.
    let adm = admissions(&mut sim, mins(60));
    assert!(
        adm.get(0, web) > 0,
        "web_conference still lands on server 1"
    );
    for name in ["im", "response_group", "announcement"] {
        assert_eq!(
            adm.get(0, feature_id(&cfg, name)),
            0,
            "{name} accepted on a paused RTCSRV"
        );
    }
}

#[test]
fn r3_stopped_front_end_stops_and_cuts_every_feature_that_needs_it() {
    // Long sessions so that every feature has sessions on server 1 when RTCSRV stops.
    let mut blocks: Vec<String> = R3_FEATURES
        .iter()
        .map(|(name, extra)| feature(name, 120, "2h") + extra)
        .collect();
    blocks.push(
        "[[step]]\nat = \"30m\"\naction = \"stop\"\nserver = 1\nservices = [\"RTCSRV\"]\n".into(),
    );
    let cfg = cfg(&scenario(
        "1h",
        "servers = 2\nload_balancing = \"dns\"\nquorum = \"none\"",
        &blocks,
    ));
    let mut sim = sim(&cfg);
    sim.run_until(just_before(mins(30)));
    let before: Vec<u32> = (0..cfg.features.len())
        .map(|f| sim.pool().active(0, f))
        .collect();
    assert!(
        before.iter().all(|&n| n > 0),
        "every feature has sessions on server 1: {before:?}"
    );
    sim.run_until(mins(30));
    let stop = CutReason::ALL
        .iter()
        .position(|&r| r == CutReason::Stop)
        .unwrap();
    for (name, _) in R3_FEATURES {
        let f = feature_id(&cfg, name);
        let c = &sim.metrics().features[f];
        if name == "web_conference" {
            assert_eq!(sim.pool().status(0, f), Status::Running);
            assert_eq!(
                sim.pool().active(0, f),
                before[f],
                "opted-out sessions survive"
            );
            assert_eq!(c.cut() + c.disrupted, 0);
        } else {
            assert_eq!(sim.pool().status(0, f), Status::Stopped, "{name}");
            assert_eq!(
                sim.pool().active(0, f),
                0,
                "{name} sessions end with RTCSRV"
            );
            if name == "im" {
                assert_eq!(c.disrupted, before[f] as u64, "im recovers: disrupted");
            } else {
                assert_eq!(
                    c.cut_by[stop], before[f] as u64,
                    "{name} is dropped: cut (stop)"
                );
            }
        }
    }
}

#[test]
fn r3_pausing_rtcrgs_pauses_response_group_and_announcement_only() {
    let cfg = r3_config(
        "[[step]]\nat = \"10m\"\naction = \"pause\"\nserver = 1\nservices = [\"RTCRGS\"]\n",
    );
    let (im, rg, ann) = (
        feature_id(&cfg, "im"),
        feature_id(&cfg, "response_group"),
        feature_id(&cfg, "announcement"),
    );
    let mut sim = sim(&cfg);
    sim.run_until(mins(10));
    assert_eq!(
        sim.pool().service_state(0, service_id(&cfg, "RTCRGS")),
        ServiceState::Paused
    );
    assert_eq!(
        sim.pool().service_state(0, service_id(&cfg, "RTCSRV")),
        ServiceState::Running
    );
    assert_eq!(sim.pool().status(0, rg), Status::Paused);
    assert_eq!(
        sim.pool().status(0, ann),
        Status::Paused,
        "Announcement shares RTCRGS"
    );
    assert_eq!(sim.pool().status(0, im), Status::Running);
    let adm = admissions(&mut sim, mins(60));
    assert!(adm.get(0, im) > 0, "im is still accepted on server 1");
    assert_eq!(
        adm.get(0, rg) + adm.get(0, ann),
        0,
        "RTCRGS features accepted while paused"
    );
    assert!(
        adm.get(1, rg) > 0 && adm.get(1, ann) > 0,
        "they go to server 2 instead"
    );
}

// ---------------------------------------------------------------------------------------------
// R4: DNS load balancing.

fn dns_pool(servers: u32) -> String {
    format!(
        "servers = {servers}\nload_balancing = \"dns\"\nquorum = \"none\"\n\
         [pool.dns]\nretry_delay = \"1s\"\nconnect_timeout = \"5s\""
    )
}

#[test]
fn r4_dns_paused_server_accepts_no_new_session() {
    let cfg = cfg(&scenario(
        "40m",
        &dns_pool(2),
        &[
            feature("im", 600, "10m"),
            feature("response_group", 600, "10m"),
            "[[step]]\nat = \"10m\"\naction = \"pause\"\nserver = 1\n".into(),
        ],
    ));
    let mut sim = sim(&cfg);
    sim.run_until(mins(10));
    let at_pause = sim.pool().active_on_server(0);
    assert!(at_pause > 0, "server 1 had sessions when it was paused");
    let mut prev = at_pause;
    let mut grew = Vec::new();
    step_through(&mut sim, mins(40), |sim| {
        let now = sim.pool().active_on_server(0);
        if now > prev {
            grew.push(sim.now());
        }
        prev = now;
    });
    assert!(
        grew.is_empty(),
        "sessions accepted on the paused server at {grew:?}"
    );
    // R6: the sessions it had ended at their holding time (10 min), none was cut.
    assert_eq!(sim.pool().active_on_server(0), 0);
    let t = sim.metrics().total();
    assert_eq!(t.cut() + t.disrupted + t.blocked, 0);
    assert!(sim.pool().active_on_server(1) > 0, "server 2 took the load");
}

#[test]
fn r4_dns_every_server_paused_blocks_every_session() {
    let cfg = cfg(&scenario(
        "30m",
        &dns_pool(3),
        &[
            feature("im", 600, "1m"),
            "[[step]]\naction = \"pause\"\nservers = [1, 2, 3]\n".into(),
        ],
    ));
    let m = sim(&cfg).run().unwrap();
    let c = &m.features[0];
    assert!(c.arrivals > 100, "{c:?}");
    assert_eq!(c.blocked, c.arrivals, "{c:?}");
    assert_eq!(c.accepted, 0);
    assert!(c.conserved());
}

/// Mean setup delay (s) under DNS when `paused` of `servers` servers are paused from the start,
/// and the sum of delays in µs.
fn dns_setup_delay(servers: u32, step: &str) -> (f64, u64, u64) {
    let cfg = cfg(&scenario(
        "1h",
        &dns_pool(servers),
        &[feature("im", 3000, "1m"), step.to_string()],
    ));
    let m = sim(&cfg).run().unwrap();
    let c = &m.features[0];
    assert_eq!(c.blocked, 0, "a running server was always left");
    assert!(c.accepted > 2000, "{c:?}");
    (c.setup_delay_mean_s(), c.setup_delay_sum_us, c.accepted)
}

#[test]
fn r4_dns_setup_delay_grows_by_retry_delay_per_paused_server_tried() {
    // 2 servers, 1 paused: the client tries the paused one first half of the time → 0.5 s.
    // Tolerances are about 4 standard errors of the mean for ~3000 sessions.
    let (mean, sum_us, _) = dns_setup_delay(2, "[[step]]\naction = \"pause\"\nserver = 1\n");
    assert_eq!(
        sum_us % 1_000_000,
        0,
        "every delay is a whole number of retry_delay"
    );
    assert!((mean - 0.5).abs() < 0.04, "mean setup delay {mean}");
    // 3 servers, 2 paused: the running one is at a uniform position → 0, 1 or 2 s → 1.0 s.
    let (mean, sum_us, _) = dns_setup_delay(3, "[[step]]\naction = \"pause\"\nservers = [1, 2]\n");
    assert_eq!(sum_us % 1_000_000, 0);
    assert!((mean - 1.0).abs() < 0.07, "mean setup delay {mean}");
}

#[test]
fn r4_dns_stopped_server_adds_connect_timeout() {
    let (mean, sum_us, _) = dns_setup_delay(2, "[[step]]\naction = \"stop\"\nserver = 1\n");
    assert_eq!(
        sum_us % 5_000_000,
        0,
        "every delay is a whole number of connect_timeout"
    );
    assert!((mean - 2.5).abs() < 0.2, "mean setup delay {mean}");
}

#[test]
fn r4_dns_down_server_adds_connect_timeout() {
    // Restarted at 0 and down beyond the horizon.
    let (mean, sum_us, _) = dns_setup_delay(
        2,
        "[[step]]\naction = \"restart\"\nserver = 1\ndowntime = \"10h\"\n",
    );
    assert_eq!(
        sum_us % 5_000_000,
        0,
        "every delay is a whole number of connect_timeout"
    );
    assert!((mean - 2.5).abs() < 0.2, "mean setup delay {mean}");
}

// ---------------------------------------------------------------------------------------------
// R5: hardware load balancer.

fn hlb_pool(monitor: &str, not_redirected: f64) -> String {
    format!(
        "servers = 2\nload_balancing = \"hardware\"\nquorum = \"none\"\n\
         [pool.hardware]\nalgorithm = \"round_robin\"\nhealth_monitor = \"{monitor}\"\n\
         detect_delay = \"15s\"\nnot_redirected = {not_redirected:?}"
    )
}

fn hlb_pause_config(monitor: &str, not_redirected: f64) -> RunConfig {
    cfg(&scenario(
        "40m",
        &hlb_pool(monitor, not_redirected),
        &[
            feature("im", 3600, "10m"),
            feature("response_group", 3600, "10m"),
            "[[step]]\nat = \"10m\"\naction = \"pause\"\nserver = 1\n".into(),
        ],
    ))
}

#[test]
fn r5_hlb_port_monitor_lands_ucas_on_paused_server_and_redirects_the_rest() {
    let cfg = hlb_pause_config("port", 1.0);
    let (im, rg) = (feature_id(&cfg, "im"), feature_id(&cfg, "response_group"));
    let mut sim = sim(&cfg);
    sim.run_until(mins(10));
    let before = sim.metrics().features.clone();
    assert_eq!(before[rg].landed_on_paused + before[im].redirected, 0);
    let adm = admissions(&mut sim, mins(40));
    assert!(
        sim.pool().hlb_sees_up(0),
        "a paused server still answers on port 5061"
    );
    let m = sim.metrics();
    // Every response_group session the HLB sent to server 1 stayed there.
    assert!(
        adm.get(0, rg) > 0,
        "response_group sessions land on the paused server"
    );
    assert_eq!(m.features[rg].landed_on_paused, adm.get(0, rg));
    assert_eq!(m.features[rg].redirected, 0);
    // im is redirected by the pool: nothing new on server 1.
    assert_eq!(adm.get(0, im), 0, "im accepted on the paused server");
    assert!(m.features[im].redirected > 0);
    assert_eq!(m.features[im].landed_on_paused, 0);
}

#[test]
fn r5_hlb_not_redirected_zero_redirects_ucas_too() {
    let cfg = hlb_pause_config("port", 0.0);
    let rg = feature_id(&cfg, "response_group");
    let mut sim = sim(&cfg);
    sim.run_until(mins(10));
    let adm = admissions(&mut sim, mins(40));
    let c = &sim.metrics().features[rg];
    assert_eq!(
        adm.get(0, rg),
        0,
        "response_group accepted on the paused server"
    );
    assert_eq!(c.landed_on_paused, 0);
    assert!(c.redirected > 0);
}

#[test]
fn r5_hlb_service_monitor_stops_picking_paused_server_after_detect_delay() {
    let cfg = hlb_pause_config("service", 1.0);
    let rg = feature_id(&cfg, "response_group");
    let detected = mins(10).plus(SimTime::from_secs(15));
    let mut sim = sim(&cfg);
    sim.run_until(mins(10));
    assert!(sim.pool().hlb_sees_up(0), "the monitor has not noticed yet");
    let in_window = admissions(&mut sim, just_before(detected));
    assert!(sim.pool().hlb_sees_up(0));
    assert!(
        in_window.get(0, rg) > 0,
        "during detect_delay the HLB still sends UCAS sessions to the paused server"
    );
    sim.run_until(detected);
    assert!(!sim.pool().hlb_sees_up(0), "noticed after detect_delay");
    let landed = sim.metrics().features[rg].landed_on_paused;
    let after = admissions(&mut sim, mins(40));
    assert_eq!(
        after.get(0, rg),
        0,
        "the HLB no longer picks the paused server"
    );
    assert_eq!(sim.metrics().features[rg].landed_on_paused, landed);
    assert!(after.get(1, rg) > 0);
}

#[test]
fn r5_hlb_restarted_server_fails_sessions_until_detected() {
    let cfg = cfg(&scenario(
        "40m",
        &hlb_pool("port", 1.0),
        &[
            feature("response_group", 3600, "1m"),
            "[[step]]\nat = \"10m\"\naction = \"restart\"\nserver = 1\ndowntime = \"10m\"\n".into(),
        ],
    ));
    let detect = SimTime::from_secs(15);
    let mut sim = sim(&cfg);
    sim.run_until(mins(10));
    assert!(!sim.pool().is_up(0));
    assert!(
        sim.pool().hlb_sees_up(0),
        "the monitor has not noticed the restart yet"
    );
    assert_eq!(sim.metrics().features[0].failed, 0);
    sim.run_until(just_before(mins(10).plus(detect)));
    assert!(sim.pool().hlb_sees_up(0));
    let failed = sim.metrics().features[0].failed;
    assert!(failed > 0, "sessions sent to the dead member fail");
    sim.run_until(mins(10).plus(detect));
    assert!(!sim.pool().hlb_sees_up(0));
    // Back up at 20 min, seen up only 15 s later; no failure in between or after.
    sim.run_until(just_before(mins(20).plus(detect)));
    assert!(sim.pool().is_up(0));
    assert!(!sim.pool().hlb_sees_up(0));
    sim.run_until(mins(20).plus(detect));
    assert!(sim.pool().hlb_sees_up(0));
    sim.run_until(mins(40));
    assert_eq!(sim.metrics().features[0].failed, failed);
    assert!(sim.pool().active_on_server(0) > 0, "server 1 serves again");
}

// ---------------------------------------------------------------------------------------------
// R6/R7: restarts.

fn restart_config(extra_steps: &str) -> RunConfig {
    cfg(&scenario(
        "1h30m",
        &dns_pool(2),
        &[
            feature("im", 600, "1h"),
            feature("av_conference", 600, "1h"),
            extra_steps.to_string(),
        ],
    ))
}

#[test]
fn r6_r7_restart_cuts_dropped_and_disrupts_recovering_sessions() {
    let cfg = restart_config(
        "[[step]]\nat = \"30m\"\naction = \"restart\"\nserver = 1\ndowntime = \"10m\"\n",
    );
    let (im, av) = (feature_id(&cfg, "im"), feature_id(&cfg, "av_conference"));
    let mut sim = sim(&cfg);
    sim.run_until(just_before(mins(30)));
    let (im_before, av_before) = (
        sim.pool().active(0, im) as u64,
        sim.pool().active(0, av) as u64,
    );
    let other_before = sim.pool().active_on_server(1);
    assert!(im_before > 0 && av_before > 0);
    sim.run_until(mins(30));
    let restart = CutReason::ALL
        .iter()
        .position(|&r| r == CutReason::Restart)
        .unwrap();
    let m = sim.metrics();
    assert_eq!(
        sim.pool().active_on_server(0),
        0,
        "empty right after the restart"
    );
    assert_eq!(
        m.features[av].cut_by[restart], av_before,
        "every dropped session is cut"
    );
    assert_eq!(
        m.features[im].disrupted, im_before,
        "every recovering session is disrupted"
    );
    assert_eq!(m.features[im].cut(), 0);
    assert_eq!(m.restarts.len(), 1);
    assert_eq!(m.restarts[0].cut[av], av_before);
    assert_eq!(m.restarts[0].disrupted[im], im_before);
    assert_eq!(m.restarts[0].at, mins(30));
    // R6: sessions elsewhere are untouched (1 h holding time: none ended since).
    assert!(sim.pool().active_on_server(1) >= other_before);
    // Down for exactly `downtime`, empty all along.
    let mut nonempty_while_down = false;
    step_through(&mut sim, just_before(mins(40)), |sim| {
        nonempty_while_down |= !sim.pool().is_up(0) && sim.pool().active_on_server(0) > 0;
    });
    assert!(!nonempty_while_down);
    assert!(!sim.pool().is_up(0));
    assert_eq!(sim.pool().status(0, im), Status::Down);
    sim.run_until(mins(40));
    assert!(sim.pool().is_up(0));
}

#[test]
fn r7_automatic_startup_reaccepts_after_restart_even_if_paused() {
    let cfg = restart_config(
        "[[step]]\nat = \"20m\"\naction = \"pause\"\nserver = 1\n\
         [[step]]\nat = \"30m\"\naction = \"restart\"\nserver = 1\ndowntime = \"10m\"\n",
    );
    let mut sim = sim(&cfg);
    sim.run_until(mins(20));
    for svc in 0..cfg.services.len() {
        assert_eq!(sim.pool().service_state(0, svc), ServiceState::Paused);
        assert_eq!(sim.pool().startup(0, svc), StartupType::Automatic);
    }
    sim.run_until(mins(40));
    assert!(sim.pool().is_up(0));
    for svc in 0..cfg.services.len() {
        assert_eq!(
            sim.pool().service_state(0, svc),
            ServiceState::Running,
            "the trap: {} runs again after the restart",
            cfg.services[svc]
        );
    }
    let adm = admissions(&mut sim, mins(90));
    for f in 0..cfg.features.len() {
        assert!(
            adm.get(0, f) > 0,
            "{} accepted again on server 1",
            cfg.features[f].name
        );
    }
}

#[test]
fn r7_manual_startup_stays_stopped_until_start() {
    let cfg = restart_config(
        "[[step]]\nat = \"20m\"\naction = \"set_startup\"\nserver = 1\nstartup = \"manual\"\n\
         [[step]]\naction = \"pause\"\nserver = 1\n\
         [[step]]\nat = \"30m\"\naction = \"restart\"\nserver = 1\ndowntime = \"10m\"\n\
         [[step]]\naction = \"wait\"\nduration = \"20m\"\n\
         [[step]]\naction = \"start\"\nserver = 1\n",
    );
    let mut sim = sim(&cfg);
    sim.run_until(mins(20));
    for svc in 0..cfg.services.len() {
        assert_eq!(sim.pool().startup(0, svc), StartupType::Manual);
    }
    sim.run_until(mins(40));
    assert!(sim.pool().is_up(0));
    for svc in 0..cfg.services.len() {
        assert_eq!(sim.pool().service_state(0, svc), ServiceState::Stopped);
    }
    let stopped = admissions(&mut sim, just_before(mins(60)));
    for f in 0..cfg.features.len() {
        assert_eq!(
            stopped.get(0, f),
            0,
            "accepted on a server whose services are stopped"
        );
        assert!(stopped.get(1, f) > 0);
        assert_eq!(sim.pool().status(0, f), Status::Stopped);
    }
    sim.run_until(mins(60));
    assert_eq!(sim.metrics().steps.last().map(|r| r.action), Some("start"));
    for svc in 0..cfg.services.len() {
        assert_eq!(sim.pool().service_state(0, svc), ServiceState::Running);
    }
    let started = admissions(&mut sim, mins(90));
    for f in 0..cfg.features.len() {
        assert!(started.get(0, f) > 0, "accepted again after `start`");
    }
}

// ---------------------------------------------------------------------------------------------
// R8: the operator's plan.

#[test]
fn r8_steps_run_in_order_respecting_at_wait_and_restart() {
    let cfg = cfg(&scenario(
        "2h",
        &dns_pool(2),
        &[
            feature("im", 60, "5m"),
            "[[step]]\nat = \"10m\"\naction = \"pause\"\nserver = 1\n\
             [[step]]\naction = \"wait\"\nduration = \"5m\"\n\
             [[step]]\naction = \"restart\"\nserver = 1\ndowntime = \"3m\"\n\
             [[step]]\nat = \"1m\"\naction = \"set_startup\"\nserver = 2\nstartup = \"manual\"\n\
             [[step]]\nat = \"30m\"\naction = \"pause\"\nserver = 2\n"
                .into(),
        ],
    ));
    let mut sim = sim(&cfg);
    sim.run_until(just_before(mins(10)));
    assert_eq!(sim.current_step(), 0, "`at` holds the first step");
    assert!(sim.metrics().steps.is_empty());
    sim.run_until(mins(10));
    assert_eq!(
        sim.current_step(),
        1,
        "pause ended at once, wait in progress"
    );
    sim.run_until(just_before(mins(15)));
    assert_eq!(sim.current_step(), 1);
    sim.run_until(mins(15));
    assert_eq!(
        sim.current_step(),
        2,
        "restart in progress until the server is up"
    );
    sim.run_until(just_before(mins(18)));
    assert_eq!(sim.current_step(), 2);
    sim.run_until(mins(18));
    assert_eq!(
        sim.current_step(),
        4,
        "set_startup (its `at` passed) ran at once"
    );
    let m = sim.run().unwrap();
    let got: Vec<(usize, &str, SimTime, Option<SimTime>, &str)> = m
        .steps
        .iter()
        .map(|r| (r.index, r.action, r.started, r.ended, r.outcome.name()))
        .collect();
    let expected = vec![
        (0, "pause", mins(10), Some(mins(10)), "done"),
        (1, "wait", mins(10), Some(mins(15)), "done"),
        (2, "restart", mins(15), Some(mins(18)), "done"),
        (3, "set_startup", mins(18), Some(mins(18)), "done"),
        (4, "pause", mins(30), Some(mins(30)), "done"),
    ];
    assert_eq!(got, expected);
}

fn drain_config(hold: &str, timeout: &str) -> RunConfig {
    cfg(&scenario(
        "2h",
        &dns_pool(2),
        &[
            feature("im", 600, hold),
            format!(
                "[[step]]\nat = \"10m\"\naction = \"pause\"\nserver = 1\n\
                 [[step]]\naction = \"wait_until_drained\"\nserver = 1\ntimeout = \"{timeout}\"\n\
                 [[step]]\naction = \"restart\"\nserver = 1\ndowntime = \"1m\"\n"
            ),
        ],
    ))
}

#[test]
fn r8_wait_until_drained_ends_when_the_server_is_drained() {
    let cfg = drain_config("10m", "1h");
    let mut sim = sim(&cfg);
    sim.run_until(mins(10));
    assert!(sim.pool().active_on_server(0) > 0);
    // The moment server 1 became empty, seen event by event.
    let mut emptied = None;
    step_through(&mut sim, mins(30), |sim| {
        if emptied.is_none() && sim.pool().active_on_server(0) == 0 {
            emptied = Some(sim.now());
        }
    });
    let emptied = emptied.expect("server 1 drains within its 10-minute holding time");
    assert!(emptied > mins(10) && emptied <= mins(20), "{emptied}");
    let m = sim.metrics();
    let wait = &m.steps[1];
    assert_eq!(
        (wait.action, wait.outcome.name()),
        ("wait_until_drained", "drained")
    );
    assert_eq!(wait.ended, Some(emptied));
    assert_eq!(m.steps[2].started, emptied, "the restart follows at once");
    assert_eq!(
        m.restarts[0].cut.iter().sum::<u64>(),
        0,
        "a drained restart cuts nothing"
    );
    assert_eq!(m.restarts[0].disrupted.iter().sum::<u64>(), 0);
    let drain = &m.drains[0];
    assert_eq!(
        (drain.end, drain.paused_at, drain.ended_at),
        (DrainEnd::Drained, mins(10), emptied)
    );
}

#[test]
fn r8_wait_until_drained_gives_up_at_its_timeout() {
    let cfg = drain_config("1h", "5m");
    let im = feature_id(&cfg, "im");
    let mut sim = sim(&cfg);
    sim.run_until(just_before(mins(15)));
    let left = sim.pool().active(0, im) as u64;
    assert!(left > 0);
    sim.run_until(mins(15));
    let m = sim.metrics();
    let wait = &m.steps[1];
    assert_eq!(
        (wait.action, wait.outcome.name()),
        ("wait_until_drained", "timeout")
    );
    assert_eq!((wait.started, wait.ended), (mins(10), Some(mins(15))));
    assert_eq!(m.steps[2].started, mins(15));
    assert_eq!(
        m.restarts[0].disrupted[im], left,
        "the restart disrupts what was left"
    );
}

#[test]
fn r8_stop_graceful_stops_the_service_when_its_last_session_ends() {
    let cfg = cfg(&scenario(
        "1h",
        &dns_pool(2),
        &[
            feature("im", 600, "10m"),
            "[[step]]\nat = \"10m\"\naction = \"stop_graceful\"\nserver = 1\nservices = [\"RTCSRV\"]\n"
                .into(),
        ],
    ));
    let rtcsrv = service_id(&cfg, "RTCSRV");
    let mut sim = sim(&cfg);
    sim.run_until(mins(10));
    assert!(sim.pool().active_on_server(0) > 0);
    assert_eq!(sim.pool().service_state(0, rtcsrv), ServiceState::Paused);
    assert!(sim.pool().graceful_pending(0, rtcsrv));
    let mut wrong = Vec::new();
    let mut stopped_at = None;
    step_through(&mut sim, mins(60), |sim| {
        let (active, state) = (
            sim.pool().active_on_server(0),
            sim.pool().service_state(0, rtcsrv),
        );
        match (active, state) {
            (0, ServiceState::Stopped) => {
                stopped_at.get_or_insert(sim.now());
            }
            (n, ServiceState::Paused) if n > 0 => {}
            other => wrong.push((sim.now(), other)),
        }
    });
    assert!(
        wrong.is_empty(),
        "(time, (sessions, state)) out of the graceful stop: {wrong:?}"
    );
    let stopped_at = stopped_at.expect("RTCSRV stops");
    assert!(stopped_at <= mins(20), "{stopped_at}");
    assert!(!sim.pool().graceful_pending(0, rtcsrv));
    let t = sim.metrics().total();
    assert_eq!(t.cut() + t.disrupted, 0, "a graceful stop cuts nothing");
}

#[test]
fn r8_resume_makes_a_paused_service_running() {
    let cfg = cfg(&scenario(
        "1h",
        &dns_pool(2),
        &[
            feature("response_group", 600, "15m"),
            "[[step]]\nat = \"10m\"\naction = \"pause\"\nserver = 1\n\
             [[step]]\nat = \"20m\"\naction = \"resume\"\nserver = 1\n"
                .into(),
        ],
    ));
    let mut sim = sim(&cfg);
    sim.run_until(mins(10));
    assert_eq!(sim.pool().status(0, 0), Status::Paused);
    assert_eq!(admissions(&mut sim, just_before(mins(20))).get(0, 0), 0);
    sim.run_until(mins(20));
    for svc in 0..cfg.services.len() {
        assert_eq!(sim.pool().service_state(0, svc), ServiceState::Running);
    }
    assert!(
        admissions(&mut sim, mins(60)).get(0, 0) > 0,
        "accepted again after resume"
    );
    let drain = &sim.metrics().drains[0];
    assert_eq!((drain.end, drain.ended_at), (DrainEnd::Resumed, mins(20)));
}

// ---------------------------------------------------------------------------------------------
// R9: quorum.

fn quorum_config(servers: &str) -> RunConfig {
    cfg(&scenario(
        "1h",
        "servers = 8\nload_balancing = \"dns\"\nquorum = \"lync2013\"",
        &[
            feature("av_conference", 600, "2h"),
            feature("response_group", 600, "2h"),
            format!("[[step]]\nat = \"30m\"\naction = \"stop\"\nservers = {servers}\n"),
        ],
    ))
}

#[test]
fn r9_stopping_servers_1_to_4_of_8_loses_quorum() {
    let cfg = quorum_config("[1, 2, 3, 4]");
    let mut sim = sim(&cfg);
    sim.run_until(just_before(mins(30)));
    let (first, last) = (servers_active(&sim, 0..4), servers_active(&sim, 4..8));
    assert!(first > 0 && last > 0);
    let arrivals_before = sim.metrics().total().arrivals;
    sim.run_until(mins(30));
    assert!(sim.pool().quorum_lost(), "3 of the first 7 run: below 4");
    assert_eq!(
        servers_active(&sim, 0..8),
        0,
        "every session in the pool ends"
    );
    let t = sim.metrics().total();
    let (stop, quorum) = (
        CutReason::ALL
            .iter()
            .position(|&r| r == CutReason::Stop)
            .unwrap(),
        CutReason::ALL
            .iter()
            .position(|&r| r == CutReason::QuorumLoss)
            .unwrap(),
    );
    assert_eq!(
        t.cut_by[stop], first,
        "the stopped servers' sessions: cut by the stop"
    );
    assert_eq!(t.cut_by[quorum], last, "the others': cut by quorum loss");
    for s in 4..8 {
        assert_eq!(sim.pool().status(s, 0), Status::Stopped);
    }
    let m = sim.run().unwrap();
    let t = m.total();
    assert!(t.arrivals > arrivals_before);
    assert_eq!(
        t.blocked,
        t.arrivals - arrivals_before,
        "every new session is blocked"
    );
    assert!(t.conserved());
}

#[test]
fn r9_stopping_servers_5_to_8_of_8_keeps_quorum() {
    let cfg = quorum_config("[5, 6, 7, 8]");
    let mut sim = sim(&cfg);
    sim.run_until(just_before(mins(30)));
    let first = servers_active(&sim, 0..4);
    sim.run_until(mins(30));
    assert!(
        !sim.pool().quorum_lost(),
        "servers 1–4 are 4 of the first 7"
    );
    assert_eq!(servers_active(&sim, 0..4), first, "their sessions continue");
    let adm = admissions(&mut sim, mins(60));
    let t = sim.metrics().total();
    assert_eq!(t.cut_by[2], 0);
    assert_eq!(t.blocked, 0);
    assert!(
        (0..4).all(|s| adm.get(s, 0) > 0),
        "servers 1–4 take new sessions"
    );
    assert!((4..8).all(|s| adm.get(s, 0) + adm.get(s, 1) == 0));
}
