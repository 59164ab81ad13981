//! Property tests over generated *scenarios* (not bytes): small valid scenario files with
//! random pools, features and plans, run through the real parser and simulation.
//!
//! A failing case prints its scenario file (seed included) as the minimal failing input: save
//! it as a `.toml` file and run it with `drainsim run` to reproduce.

use std::fmt;
use std::sync::{Arc, Mutex};

use drainsim::model::{
    Action, Admission, CATALOGUE, Decision, DnsPolicy, Feature, HardwarePolicy, LoadBalancing,
    Pool, RouteRng, RoutingPolicy, RunConfig, Seeds, ServiceState, Simulation, StartupType, Status,
};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use crate::common;

/// A generated scenario file and the seed it names.
#[derive(Clone)]
pub(crate) struct Case {
    pub(crate) seed: u64,
    pub(crate) text: String,
}

impl fmt::Debug for Case {
    /// The scenario file itself, so that a failure can be reproduced by copying it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "\n----- scenario (seed {}) -----\n{}-----",
            self.seed, self.text
        )
    }
}

impl Case {
    pub(crate) fn config(&self) -> RunConfig {
        common::run_config(&self.text)
    }
}

// ---------------------------------------------------------------------------------------------
// The generator.

#[derive(Debug, Clone)]
enum Dist {
    Deterministic(u32),
    Exponential(u32),
    Uniform(u32, u32),
    LogNormal(u32, f64),
}

impl Dist {
    fn toml(&self) -> String {
        match self {
            Dist::Deterministic(v) => {
                format!("{{ distribution = \"deterministic\", value = \"{v}s\" }}")
            }
            Dist::Exponential(m) => {
                format!("{{ distribution = \"exponential\", mean = \"{m}s\" }}")
            }
            Dist::Uniform(a, b) => format!(
                "{{ distribution = \"uniform\", min = \"{}s\", max = \"{}s\" }}",
                a.min(b),
                a.max(b)
            ),
            Dist::LogNormal(m, s) => {
                format!("{{ distribution = \"lognormal\", median = \"{m}s\", sigma = {s:?} }}")
            }
        }
    }
}

fn dist() -> impl Strategy<Value = Dist> {
    prop_oneof![
        (0u32..=1800).prop_map(Dist::Deterministic),
        (5u32..=1800).prop_map(Dist::Exponential),
        (0u32..=900, 0u32..=1800).prop_map(|(a, b)| Dist::Uniform(a, b)),
        (5u32..=900, 1u32..=15).prop_map(|(m, s)| Dist::LogNormal(m, s as f64 / 10.0)),
    ]
}

/// Windows services a custom feature may use: two known ones and one of its own.
const CUSTOM_SERVICES: [&str; 3] = ["RTCSRV", "RTCRGS", "RTCXAPP"];
/// Known Windows services a step may name.
const STEP_SERVICES: [&str; 5] = ["RTCSRV", "RTCRGS", "RTCAVMCU", "RTCCAA", "RTCCPS"];

#[derive(Debug, Clone)]
enum FeatureKind {
    Catalogue(usize),
    Custom {
        service: usize,
        needs_dns_lb: bool,
        recovers: bool,
        needs_front_end: bool,
    },
}

#[derive(Debug, Clone)]
struct FeatureSpec {
    kind: FeatureKind,
    per_hour: u32,
    dist: Dist,
    cap: Option<u32>,
}

fn feature() -> impl Strategy<Value = FeatureSpec> {
    let kind = prop_oneof![
        3 => (0..CATALOGUE.len()).prop_map(FeatureKind::Catalogue),
        1 => (0..CUSTOM_SERVICES.len(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
            |(service, needs_dns_lb, recovers, needs_front_end)| FeatureKind::Custom {
                service,
                needs_dns_lb,
                recovers,
                needs_front_end,
            }
        ),
    ];
    (
        kind,
        1u32..=900,
        dist(),
        prop::option::weighted(0.15, 1u32..=20),
    )
        .prop_map(|(kind, per_hour, dist, cap)| FeatureSpec {
            kind,
            per_hour,
            dist,
            cap,
        })
}

const ACTIONS: [&str; 9] = [
    "pause",
    "resume",
    "stop",
    "start",
    "restart",
    "set_startup",
    "stop_graceful",
    "wait",
    "wait_until_drained",
];
const STARTUPS: [&str; 3] = ["automatic", "manual", "disabled"];

#[derive(Debug, Clone)]
struct StepSpec {
    /// Index in [`ACTIONS`].
    action: usize,
    /// Raw server indices, reduced modulo the pool size (and deduplicated) when written.
    servers: Vec<u32>,
    /// Indices in [`STEP_SERVICES`] (`None`: every service).
    services: Option<Vec<usize>>,
    /// `at`, in thousandths of the horizon (so always before it).
    at_permille: Option<u32>,
    /// `wait` duration or `restart` downtime, s.
    secs: u32,
    /// Index in [`STARTUPS`].
    startup: usize,
    /// `wait_until_drained` timeout, s.
    timeout: Option<u32>,
}

fn step() -> impl Strategy<Value = StepSpec> {
    (
        0..ACTIONS.len(),
        prop::collection::vec(0u32..6, 1..=2),
        prop::option::weighted(0.4, prop::collection::vec(0..STEP_SERVICES.len(), 1..=2)),
        prop::option::weighted(0.5, 0u32..1000),
        0u32..=1800,
        0..STARTUPS.len(),
        prop::option::of(1u32..=3600),
    )
        .prop_map(
            |(action, servers, services, at_permille, secs, startup, timeout)| StepSpec {
                action,
                servers,
                services,
                at_permille,
                secs,
                startup,
                timeout,
            },
        )
}

#[derive(Debug, Clone)]
struct PoolSpec {
    servers: u32,
    hardware: bool,
    algorithm: usize,
    monitor: usize,
    detect_s: u32,
    not_redirected: usize,
    retry_ms: u32,
    connect_s: u32,
    max_sessions: Option<u32>,
}

fn pool(hardware: Option<bool>) -> impl Strategy<Value = PoolSpec> {
    let lb = match hardware {
        Some(h) => Just(h).boxed(),
        None => any::<bool>().boxed(),
    };
    (
        1u32..=6,
        lb,
        0usize..3,
        0usize..2,
        0u32..=60,
        0usize..3,
        0u32..=3000,
        0u32..=10,
        prop::option::weighted(0.15, 1u32..=40),
    )
        .prop_map(
            |(
                servers,
                hardware,
                algorithm,
                monitor,
                detect_s,
                not_redirected,
                retry_ms,
                connect_s,
                max_sessions,
            )| PoolSpec {
                servers,
                hardware,
                algorithm,
                monitor,
                detect_s,
                not_redirected,
                retry_ms,
                connect_s,
                max_sessions,
            },
        )
}

/// Writes the scenario file. Every choice the generator makes is valid by construction, so a
/// file the parser rejects is a bug of the generator (or of the parser): `run_config` panics
/// with its diagnostics.
fn build(
    seed: u64,
    horizon_min: u32,
    p: &PoolSpec,
    features: &[FeatureSpec],
    steps: &[StepSpec],
) -> Case {
    use std::fmt::Write as _;
    let mut t = String::new();
    let horizon_s = horizon_min * 60;
    let _ = writeln!(
        t,
        "seed = {seed}\nreplications = 1\nhorizon = \"{horizon_min}m\""
    );
    let _ = writeln!(t, "\n[pool]\nservers = {}", p.servers);
    let lb = if p.hardware { "hardware" } else { "dns" };
    let _ = writeln!(t, "load_balancing = \"{lb}\"\nquorum = \"none\"");
    if let Some(m) = p.max_sessions {
        let _ = writeln!(t, "max_sessions_per_server = {m}");
    }
    let _ = writeln!(
        t,
        "[pool.dns]\nretry_delay = \"{}ms\"\nconnect_timeout = \"{}s\"",
        p.retry_ms, p.connect_s
    );
    let _ = writeln!(
        t,
        "[pool.hardware]\nalgorithm = \"{}\"\nhealth_monitor = \"{}\"\ndetect_delay = \"{}s\"\n\
         not_redirected = {:?}",
        ["round_robin", "least_connections", "random"][p.algorithm],
        ["port", "service"][p.monitor],
        p.detect_s,
        [0.0, 0.5, 1.0][p.not_redirected],
    );
    let mut names: Vec<String> = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let name = match &f.kind {
            FeatureKind::Catalogue(k) => CATALOGUE[*k].name.to_string(),
            FeatureKind::Custom { .. } => format!("custom{i}"),
        };
        if names.contains(&name) {
            continue;
        }
        names.push(name.clone());
        let _ = writeln!(t, "\n[[feature]]\nname = \"{name}\"");
        if let FeatureKind::Custom {
            service,
            needs_dns_lb,
            recovers,
            needs_front_end,
        } = f.kind
        {
            let loss = if recovers { "recovers" } else { "dropped" };
            let _ = writeln!(
                t,
                "service = \"{}\"\nneeds_dns_lb = {needs_dns_lb}\non_server_loss = \"{loss}\"\n\
                 needs_front_end = {needs_front_end}",
                CUSTOM_SERVICES[service]
            );
        }
        let _ = writeln!(
            t,
            "arrivals_per_hour = {}\nduration = {}",
            f.per_hour,
            f.dist.toml()
        );
        if let Some(c) = f.cap {
            let _ = writeln!(t, "max_per_server = {c}");
        }
    }
    for s in steps {
        let action = ACTIONS[s.action];
        let _ = writeln!(t, "\n[[step]]\naction = \"{action}\"");
        if let Some(p) = s.at_permille {
            let _ = writeln!(t, "at = \"{}s\"", horizon_s as u64 * p as u64 / 1000);
        }
        if action == "wait" {
            let _ = writeln!(t, "duration = \"{}s\"", s.secs);
            continue;
        }
        let mut servers: Vec<u32> = s.servers.iter().map(|&k| k % p.servers + 1).collect();
        servers.sort_unstable();
        servers.dedup();
        let list: Vec<String> = servers.iter().map(u32::to_string).collect();
        let _ = writeln!(t, "servers = [{}]", list.join(", "));
        match action {
            "restart" => {
                let _ = writeln!(t, "downtime = \"{}s\"", s.secs);
            }
            "set_startup" => {
                let _ = writeln!(t, "startup = \"{}\"", STARTUPS[s.startup]);
            }
            "wait_until_drained" => {
                if let Some(to) = s.timeout {
                    let _ = writeln!(t, "timeout = \"{to}s\"");
                }
            }
            _ => {}
        }
        if let (Some(svcs), false) = (&s.services, action == "restart") {
            let mut svcs = svcs.clone();
            svcs.sort_unstable();
            svcs.dedup();
            let list: Vec<String> = svcs
                .iter()
                .map(|&k| format!("\"{}\"", STEP_SERVICES[k]))
                .collect();
            let _ = writeln!(t, "services = [{}]", list.join(", "));
        }
    }
    Case { seed, text: t }
}

/// Small valid scenarios: 1–6 servers, 1–4 features, 1–6 steps, horizon ≤ 2 h, no quorum.
/// `hardware`: force the load balancing (`None`: either).
pub(crate) fn scenarios(hardware: Option<bool>) -> impl Strategy<Value = Case> {
    (
        any::<u64>(),
        10u32..=120,
        pool(hardware),
        prop::collection::vec(feature(), 1..=4),
        prop::collection::vec(step(), 1..=6),
    )
        .prop_map(|(seed, h, p, f, s)| build(seed, h, &p, &f, &s))
}

/// Scenarios whose plan sets one server's startup to Manual, maybe pauses it, restarts it
/// early enough that it boots before the horizon, waits a minute (so that the Manual boot is
/// seen between events even if the next step restarts the server at once), then does 0–3
/// random steps.
fn manual_restart_scenarios() -> impl Strategy<Value = Case> {
    (
        any::<u64>(),
        60u32..=120,
        pool(None),
        prop::collection::vec(feature(), 1..=4),
        0u32..6,
        any::<bool>(),
        0u32..=333,
        0u32..=900,
        prop::collection::vec(step(), 0..=3),
    )
        .prop_map(|(seed, h, p, f, server, pause, at, downtime, rest)| {
            let prefix = |action: &str, at_permille, secs| StepSpec {
                action: ACTIONS.iter().position(|a| *a == action).unwrap(),
                servers: vec![server],
                services: None,
                at_permille,
                secs,
                startup: 1, // manual
                timeout: None,
            };
            let mut steps = vec![prefix("set_startup", None, 0)];
            if pause {
                steps.push(prefix("pause", None, 0));
            }
            steps.push(prefix("restart", Some(at), downtime));
            steps.push(prefix("wait", None, 60));
            steps.extend(rest);
            build(seed, h, &p, &f, &steps)
        })
}

// ---------------------------------------------------------------------------------------------
// Policy wrappers that check every decision.

/// Decisions that broke a rule, as messages; shared with the test (the policy lives in the sim).
type Violations = Arc<Mutex<Vec<String>>>;

/// DNS load balancing (R4) that records any session accepted on a server that is not
/// `Running` with room for it.
struct CheckedDns {
    inner: DnsPolicy,
    violations: Violations,
}

impl RoutingPolicy for CheckedDns {
    fn name(&self) -> &str {
        "checked-dns"
    }

    fn route(&mut self, pool: &Pool, f: usize, feature: &Feature, rng: &mut RouteRng) -> Decision {
        let d = self.inner.route(pool, f, feature, rng);
        if let Decision::Accept { server, .. } = d {
            let status = pool.status(server, f);
            if status != Status::Running || !pool.has_capacity(server, f) {
                self.violations.lock().unwrap().push(format!(
                    "{} accepted on server {} with status {status:?}, capacity {}",
                    feature.name,
                    server + 1,
                    pool.has_capacity(server, f)
                ));
            }
        }
        d
    }

    fn may_land_on_paused(&self, feature: &Feature) -> bool {
        self.inner.may_land_on_paused(feature)
    }
}

/// Either policy, checked against the admission rules of R4/R5: never on a Down or Stopped
/// service or a full server; on a Paused one only as `LandedOnPaused`, only for a feature that
/// needs DNS load balancing, only when the policy says it may.
struct CheckedAny {
    inner: Box<dyn RoutingPolicy>,
    violations: Violations,
}

impl RoutingPolicy for CheckedAny {
    fn name(&self) -> &str {
        "checked"
    }

    fn route(&mut self, pool: &Pool, f: usize, feature: &Feature, rng: &mut RouteRng) -> Decision {
        let d = self.inner.route(pool, f, feature, rng);
        if let Decision::Accept {
            server, admission, ..
        } = d
        {
            let status = pool.status(server, f);
            let ok = pool.has_capacity(server, f)
                && match status {
                    Status::Running => admission != Admission::LandedOnPaused,
                    Status::Paused => {
                        admission == Admission::LandedOnPaused
                            && feature.needs_dns_lb
                            && self.inner.may_land_on_paused(feature)
                    }
                    Status::Stopped | Status::Down => false,
                };
            if !ok {
                self.violations.lock().unwrap().push(format!(
                    "{} accepted on server {} ({admission:?}) with status {status:?}, capacity {}",
                    feature.name,
                    server + 1,
                    pool.has_capacity(server, f)
                ));
            }
        }
        d
    }

    fn may_land_on_paused(&self, feature: &Feature) -> bool {
        self.inner.may_land_on_paused(feature)
    }
}

pub(crate) fn seeds(case: &Case) -> Seeds {
    Seeds::derive(case.seed, 0)
}

// ---------------------------------------------------------------------------------------------
// The properties.

proptest! {
    // Regressions go to `proptest-regressions/` at the crate root (committed with the tests).
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/properties.txt",
        ))),
        ..ProptestConfig::with_cases(64)
    })]

    /// R10: `arrivals = accepted + blocked + failed` and
    /// `accepted = completed + cut + disrupted + active_at_end`, per feature and in total.
    #[test]
    fn r10_conservation_holds_for_every_feature_and_the_total(case in scenarios(None)) {
        let cfg = case.config();
        let m = Simulation::new(&cfg, seeds(&case)).run().unwrap();
        for (f, c) in m.features.iter().enumerate() {
            prop_assert!(c.conserved(), "feature {}: {c:?}", cfg.features[f].name);
        }
        let t = m.total();
        prop_assert!(t.conserved(), "total: {t:?}");
    }

    /// R4: under DNS load balancing no session is ever accepted by a paused or stopped service,
    /// a down server, or a full one.
    #[test]
    fn r4_dns_accepts_only_on_running_services_with_room(case in scenarios(Some(false))) {
        let cfg = case.config();
        let violations = Violations::default();
        let policy = CheckedDns {
            inner: DnsPolicy::new(cfg.pool.dns.clone(), cfg.pool.servers as usize),
            violations: violations.clone(),
        };
        Simulation::with_policy(&cfg, seeds(&case), Box::new(policy)).run().unwrap();
        let v = violations.lock().unwrap();
        prop_assert!(v.is_empty(), "{} violations, first: {:?}", v.len(), v.first());
    }

    /// R4/R5: under either load balancing, an accepted session's server has room, its service
    /// is running — or paused, for a DNS-dependent feature that landed there behind an HLB.
    #[test]
    fn r4_r5_every_acceptance_follows_the_routing_rules(case in scenarios(None)) {
        let cfg = case.config();
        let violations = Violations::default();
        let inner: Box<dyn RoutingPolicy> = match cfg.pool.load_balancing {
            LoadBalancing::Dns => {
                Box::new(DnsPolicy::new(cfg.pool.dns.clone(), cfg.pool.servers as usize))
            }
            LoadBalancing::Hardware => Box::new(HardwarePolicy::new(cfg.pool.hardware.clone())),
        };
        let policy = CheckedAny { inner, violations: violations.clone() };
        Simulation::with_policy(&cfg, seeds(&case), Box::new(policy)).run().unwrap();
        let v = violations.lock().unwrap();
        prop_assert!(v.is_empty(), "{} violations, first: {:?}", v.len(), v.first());
    }

    /// R6/R7: whenever a server is down it has no session (a restart leaves it empty and
    /// nothing is accepted until it is up), and per-feature counts add up to the server's.
    #[test]
    fn r7_a_down_server_is_empty(case in scenarios(None)) {
        let cfg = case.config();
        let mut sim = Simulation::new(&cfg, seeds(&case));
        let (n, nf) = (sim.pool().servers(), sim.pool().n_features());
        while let Some(t) = sim.step() {
            for s in 0..n {
                let sum: u32 = (0..nf).map(|f| sim.pool().active(s, f)).sum();
                prop_assert_eq!(sum, sim.pool().active_on_server(s), "server {} at {}", s + 1, t);
                if !sim.pool().is_up(s) {
                    prop_assert_eq!(
                        sim.pool().active_on_server(s), 0,
                        "server {} is down at {} with sessions", s + 1, t
                    );
                }
            }
        }
    }

    /// R7: a server restarted while its services' startup type is Manual accepts no session
    /// of a feature using those services after it boots, until a `start` step names them
    /// (or it restarts again).
    #[test]
    fn r7_manual_startup_accepts_nothing_until_start(case in manual_restart_scenarios()) {
        let cfg = case.config();
        let mut sim = Simulation::new(&cfg, seeds(&case));
        let (n, nf, ns) = (sim.pool().servers(), sim.pool().n_features(), sim.pool().n_services());
        let active = |sim: &Simulation<'_>| -> Vec<u32> {
            (0..n * nf).map(|i| sim.pool().active(i / nf, i % nf)).collect()
        };
        let mut prev = active(&sim);
        let mut was_up = vec![true; n];
        // Startup types as the plan's `set_startup` steps left them, replayed from the step
        // records: a step that runs in the same event as a boot (right after a restart) ran
        // after it, so the pool's own table may already be ahead of the boot.
        let mut startup = vec![StartupType::Automatic; n * ns];
        // Open (server, service) windows: booted stopped by its startup type, not started since.
        let mut window = vec![false; n * ns];
        let mut steps_seen = 0;
        let mut opened = 0;
        while let Some(t) = sim.step() {
            // Admissions and window changes never happen in the same event: an arrival
            // changes no state, and boots and steps admit nobody.
            let now = active(&sim);
            for (i, (&a, &b)) in now.iter().zip(&prev).enumerate() {
                let (s, f) = (i / nf, i % nf);
                if a > b {
                    let blocked_by = (0..ns)
                        .find(|&svc| window[s * ns + svc] && sim.pool().feature_uses(f, svc));
                    prop_assert!(
                        blocked_by.is_none(),
                        "{} accepted at {} on server {} although {} booted stopped (Manual)",
                        cfg.features[f].name, t, s + 1, cfg.services[blocked_by.unwrap_or(0)]
                    );
                }
            }
            prev = now;
            let steps = &sim.metrics().steps;
            let new_steps = &steps[steps_seen..];
            for (s, up) in was_up.iter_mut().enumerate() {
                let is_up = sim.pool().is_up(s);
                if is_up && !*up {
                    for svc in 0..ns {
                        let manual = startup[s * ns + svc] != StartupType::Automatic;
                        window[s * ns + svc] = manual;
                        opened += manual as usize;
                        if new_steps.is_empty() {
                            // R7 itself: Automatic → Running, Manual/Disabled → Stopped.
                            let state = sim.pool().service_state(s, svc);
                            prop_assert_eq!(
                                state == ServiceState::Stopped, manual,
                                "server {} booted at {} with {} {:?}",
                                s + 1, t, cfg.services[svc], state
                            );
                        }
                    }
                } else if !is_up {
                    window[s * ns..(s + 1) * ns].fill(false);
                }
                *up = is_up;
            }
            for r in new_steps {
                match &cfg.plan[r.index].action {
                    Action::Start(target) => {
                        for &s in &target.servers {
                            for svc in (0..ns).filter(|&svc| target.services.contains(svc)) {
                                window[s as usize * ns + svc] = false;
                            }
                        }
                    }
                    Action::SetStartup { target, startup: to } => {
                        for &s in &target.servers {
                            for svc in (0..ns).filter(|&svc| target.services.contains(svc)) {
                                startup[s as usize * ns + svc] = *to;
                            }
                        }
                    }
                    _ => {}
                }
            }
            steps_seen = steps.len();
        }
        prop_assert!(opened > 0, "the restarted server never booted with Manual services");
    }

    /// R11: the same seed gives identical measures (time series included).
    #[test]
    fn r11_same_seed_same_metrics(case in scenarios(None)) {
        let cfg = case.config();
        let run = || Simulation::new(&cfg, seeds(&case)).record_timeseries(true).run().unwrap();
        let (a, b) = (run(), run());
        prop_assert!(a == b, "two runs of the same seed differ");
    }
}
