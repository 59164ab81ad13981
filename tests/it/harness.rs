//! The public invariant suite (`drainsim::harness`): drainsim's own policies pass it, and it
//! catches policies that break the rules — so the harness itself can fail.

use std::sync::atomic::{AtomicU64, Ordering};

use drainsim::engine::SimTime;
use drainsim::harness::{self, Case, Harness, ViolationKind};
use drainsim::model::{
    Admission, Decision, DnsPolicy, Feature, HardwarePolicy, LoadBalancing, Pool, RouteRng,
    RoutingPolicy, RunConfig, Status,
};

use crate::common;

fn dns(cfg: &RunConfig) -> Box<dyn RoutingPolicy> {
    Box::new(DnsPolicy::new(
        cfg.pool.dns.clone(),
        cfg.pool.servers as usize,
    ))
}

fn hardware(cfg: &RunConfig) -> Box<dyn RoutingPolicy> {
    Box::new(HardwarePolicy::new(cfg.pool.hardware.clone()))
}

#[test]
fn drainsim_policies_pass_the_builtin_suite() {
    let report = harness::check(harness::builtin_policy);
    println!("{report}");
    assert!(report.is_ok(), "{report}");
    // Every case routed sessions, so the suite did look at decisions.
    assert!(report.cases.len() >= 14, "{report}");
    for c in &report.cases {
        assert!(
            c.decisions > 100,
            "case {} checked only {} decisions",
            c.name,
            c.decisions
        );
    }
}

#[test]
fn dns_policy_passes_on_every_case() {
    // DNS routing on every case, including those whose pool names a hardware load balancer.
    let report = Harness::new(dns).run();
    assert_eq!(report.policy, "dns");
    assert!(report.is_ok(), "{report}");
}

#[test]
fn hardware_policy_passes_on_every_case() {
    let report = Harness::new(hardware).run();
    assert_eq!(report.policy, "hardware");
    assert!(report.is_ok(), "{report}");
}

/// Broken on purpose: every session goes to server 1, whatever its state.
struct AlwaysServerOne;

impl RoutingPolicy for AlwaysServerOne {
    fn name(&self) -> &str {
        "always-server-1"
    }

    fn route(
        &mut self,
        _pool: &Pool,
        _f: usize,
        _feature: &Feature,
        _rng: &mut RouteRng,
    ) -> Decision {
        Decision::Accept {
            server: 0,
            setup_delay: SimTime::ZERO,
            admission: Admission::Direct,
        }
    }

    fn may_land_on_paused(&self, _feature: &Feature) -> bool {
        false
    }
}

#[test]
fn catches_a_policy_that_ignores_server_state() {
    let report =
        Harness::new(|_: &RunConfig| -> Box<dyn RoutingPolicy> { Box::new(AlwaysServerOne) })
            .max_violations_per_kind(1000)
            .run();
    assert!(!report.is_ok());
    for kind in [
        ViolationKind::AcceptedOnPaused,
        ViolationKind::AcceptedOnDown,
        ViolationKind::AcceptedOnStopped,
        ViolationKind::OverCapacity,
    ] {
        assert!(report.has(kind), "expected a {kind} violation:\n{report}");
    }
    // Refused decisions become blocks, so the run itself stays consistent: no conservation,
    // determinism or panic noise on top of the real faults.
    for kind in [
        ViolationKind::Conservation,
        ViolationKind::Nondeterministic,
        ViolationKind::Panic,
        ViolationKind::SessionOnDeadService,
    ] {
        assert!(!report.has(kind), "unexpected {kind}:\n{report}");
    }
    // The first paused acceptance in the pause-wait-restart case happens after the pause at
    // 15m and before the restart at 25m, and says which server and feature.
    let v = report
        .of_kind(ViolationKind::AcceptedOnPaused)
        .find(|v| v.scenario.starts_with("pause-wait-restart"))
        .expect("a paused acceptance in pause-wait-restart");
    assert!(
        v.time >= SimTime::from_secs(15 * 60) && v.time < SimTime::from_secs(25 * 60),
        "{v}"
    );
    assert!(v.detail.contains("FE 1"), "{v}");
    // During the restart (down 2m from 25m) server 1 is down.
    let v = report
        .of_kind(ViolationKind::AcceptedOnDown)
        .find(|v| v.scenario.starts_with("pause-wait-restart"))
        .expect("a down acceptance in pause-wait-restart");
    assert!(
        v.time >= SimTime::from_secs(25 * 60) && v.time <= SimTime::from_secs(27 * 60),
        "{v}"
    );
}

/// Placements are valid, but chosen from a counter shared by every instance: two runs with the
/// same seeds route differently.
struct SharedCounter;

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl RoutingPolicy for SharedCounter {
    fn name(&self) -> &str {
        "shared-counter"
    }

    fn route(
        &mut self,
        pool: &Pool,
        f: usize,
        _feature: &Feature,
        _rng: &mut RouteRng,
    ) -> Decision {
        let n = pool.servers();
        let start = COUNTER.fetch_add(1, Ordering::Relaxed) as usize;
        (0..n)
            .map(|k| (start + k) % n)
            .find(|&s| pool.status(s, f) == Status::Running && pool.has_capacity(s, f))
            .map_or(
                Decision::Block {
                    setup_delay: SimTime::ZERO,
                },
                |server| Decision::Accept {
                    server,
                    setup_delay: SimTime::ZERO,
                    admission: Admission::Direct,
                },
            )
    }

    fn may_land_on_paused(&self, _feature: &Feature) -> bool {
        false
    }
}

#[test]
fn catches_a_nondeterministic_policy() {
    // The second run of a replication starts where the first left the counter: it routes the
    // same sessions elsewhere unless the first run's decisions were a multiple of the pool size.
    let report =
        Harness::new(|_: &RunConfig| -> Box<dyn RoutingPolicy> { Box::new(SharedCounter) }).run();
    assert!(report.has(ViolationKind::Nondeterministic), "{report}");
    assert!(
        report
            .violations
            .iter()
            .all(|v| v.kind == ViolationKind::Nondeterministic),
        "only determinism is broken:\n{report}"
    );
}

/// Panics on the first DNS-dependent session.
struct Panicky(DnsPolicy);

impl RoutingPolicy for Panicky {
    fn name(&self) -> &str {
        "panicky"
    }

    fn route(&mut self, pool: &Pool, f: usize, feature: &Feature, rng: &mut RouteRng) -> Decision {
        assert!(!feature.needs_dns_lb, "cannot route {}", feature.name);
        self.0.route(pool, f, feature, rng)
    }

    fn may_land_on_paused(&self, _feature: &Feature) -> bool {
        false
    }
}

#[test]
fn reports_a_panicking_policy_instead_of_panicking() {
    let report = Harness::new(|cfg: &RunConfig| -> Box<dyn RoutingPolicy> {
        Box::new(Panicky(DnsPolicy::new(
            cfg.pool.dns.clone(),
            cfg.pool.servers as usize,
        )))
    })
    .run();
    let v = report
        .of_kind(ViolationKind::Panic)
        .next()
        .unwrap_or_else(|| panic!("expected a panic violation:\n{report}"));
    assert!(v.detail.contains("cannot route"), "{v}");
    // Cases without DNS-dependent features still run cleanly.
    assert!(
        report
            .cases
            .iter()
            .any(|c| c.name.starts_with("quorum-loss") && c.violations == 0),
        "{report}"
    );
}

/// The hardware policy, but it denies what it does: it says it never lands on a paused server.
struct Undeclared(HardwarePolicy);

impl RoutingPolicy for Undeclared {
    fn name(&self) -> &str {
        "undeclared"
    }

    fn route(&mut self, pool: &Pool, f: usize, feature: &Feature, rng: &mut RouteRng) -> Decision {
        self.0.route(pool, f, feature, rng)
    }

    fn may_land_on_paused(&self, _feature: &Feature) -> bool {
        false
    }
}

#[test]
fn holds_a_policy_to_its_may_land_on_paused() {
    let report = Harness::new(|cfg: &RunConfig| -> Box<dyn RoutingPolicy> {
        Box::new(Undeclared(HardwarePolicy::new(cfg.pool.hardware.clone())))
    })
    .filter(|c| c.config.pool.load_balancing == LoadBalancing::Hardware)
    .run();
    let v = report
        .of_kind(ViolationKind::AcceptedOnPaused)
        .next()
        .unwrap_or_else(|| panic!("expected a paused acceptance:\n{report}"));
    assert!(v.detail.contains("may_land_on_paused is false"), "{v}");
}

/// The hardware policy with its landed-on-paused sessions labelled as direct.
struct Mislabelled(HardwarePolicy);

impl RoutingPolicy for Mislabelled {
    fn name(&self) -> &str {
        "mislabelled"
    }

    fn route(&mut self, pool: &Pool, f: usize, feature: &Feature, rng: &mut RouteRng) -> Decision {
        match self.0.route(pool, f, feature, rng) {
            Decision::Accept {
                server,
                setup_delay,
                admission: Admission::LandedOnPaused,
            } => Decision::Accept {
                server,
                setup_delay,
                admission: Admission::Direct,
            },
            d => d,
        }
    }

    fn may_land_on_paused(&self, feature: &Feature) -> bool {
        self.0.may_land_on_paused(feature)
    }
}

#[test]
fn catches_a_wrong_admission_label() {
    let report = Harness::new(|cfg: &RunConfig| -> Box<dyn RoutingPolicy> {
        Box::new(Mislabelled(HardwarePolicy::new(cfg.pool.hardware.clone())))
    })
    .filter(|c| c.config.pool.load_balancing == LoadBalancing::Hardware)
    .run();
    assert!(report.has(ViolationKind::WrongAdmission), "{report}");
    assert!(
        report
            .violations
            .iter()
            .all(|v| v.kind == ViolationKind::WrongAdmission),
        "a wrong label is the only fault:\n{report}"
    );
}

/// Names a server that does not exist.
struct OffByOne(DnsPolicy);

impl RoutingPolicy for OffByOne {
    fn name(&self) -> &str {
        "off-by-one"
    }

    fn route(&mut self, pool: &Pool, f: usize, feature: &Feature, rng: &mut RouteRng) -> Decision {
        match self.0.route(pool, f, feature, rng) {
            Decision::Accept {
                server,
                setup_delay,
                admission,
            } => Decision::Accept {
                server: server + 1,
                setup_delay,
                admission,
            },
            d => d,
        }
    }

    fn may_land_on_paused(&self, _feature: &Feature) -> bool {
        false
    }
}

#[test]
fn catches_a_server_index_out_of_range() {
    let text = r#"
name = "two servers"
seed = 3
replications = 2
horizon = "20m"
[pool]
servers = 2
quorum = "none"
[[feature]]
name = "im"
arrivals_per_hour = 600
duration = { distribution = "exponential", mean = "1m" }
"#;
    let report = Harness::with_cases(
        |cfg: &RunConfig| -> Box<dyn RoutingPolicy> {
            Box::new(OffByOne(DnsPolicy::new(
                cfg.pool.dns.clone(),
                cfg.pool.servers as usize,
            )))
        },
        Case::from_toml(text).expect("valid"),
    )
    .run();
    assert!(report.has(ViolationKind::NoSuchServer), "{report}");
    assert!(!report.has(ViolationKind::Panic), "{report}");
    let v = report.of_kind(ViolationKind::NoSuchServer).next().unwrap();
    assert_eq!(v.scenario, "two servers");
    assert!(v.time > SimTime::ZERO && v.time <= SimTime::from_secs(20 * 60));
}

#[test]
fn runs_cases_built_from_your_own_run_configs() {
    let cfg = common::run_config(
        r#"
horizon = "30m"
[pool]
servers = 3
load_balancing = "hardware"
quorum = "none"
[[feature]]
name = "response_group"
arrivals_per_hour = 600
duration = { distribution = "exponential", mean = "1m" }
[[step]]
at = "10m"
action = "pause"
server = 1
[[step]]
action = "wait"
duration = "10m"
[[step]]
action = "restart"
server = 1
downtime = "1m"
"#,
    );
    let case = Case::new("mine", cfg).seed(9).replications(2);
    let ok = Harness::with_cases(harness::builtin_policy, vec![case.clone()]).run();
    assert!(ok.is_ok(), "{ok}");
    assert_eq!(ok.cases.len(), 1);
    assert_eq!(ok.cases[0].replications, 2);
    // The same case catches the broken policy, with its name and replication.
    let bad = Harness::with_cases(
        |_: &RunConfig| -> Box<dyn RoutingPolicy> { Box::new(AlwaysServerOne) },
        vec![case.replications(1)],
    )
    .determinism(false)
    .run();
    assert!(bad.has(ViolationKind::AcceptedOnDown), "{bad}");
    assert!(
        bad.violations
            .iter()
            .all(|v| v.scenario == "mine" && v.replication == 0)
    );
}
