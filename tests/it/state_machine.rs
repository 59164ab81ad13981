//! State-machine property test of the R3/R7 transitions: random sequences of operator steps
//! (pause, resume, stop, start, stop_graceful, set_startup, restart, and the load balancer and
//! DNS administration of R14: lb_enable/lb_disable/lb_force_offline, dns_remove/dns_add) are
//! run through the
//! simulation and compared, step by step, with a small reference model. Shrinking reduces a
//! failure to a minimal sequence; regressions are kept in `proptest-regressions/`.

use std::sync::OnceLock;

use drainsim::engine::SimTime;
use drainsim::model::{
    Action, DrainEnd, Member, RunConfig, ServiceMask, ServiceState, Simulation, StartupType, Step,
    Target,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

use crate::common::{run_config, sim};

const SERVERS: usize = 3;
/// Service ids in the catalogue order of `KNOWN_SERVICES`: RTCSRV and RTCRGS.
const RTCSRV: usize = 0;
const RTCRGS: usize = 8;
/// Operator steps are ten minutes apart; a restart takes two, so it is over before the next.
const STEP_GAP_S: u64 = 600;
const DOWNTIME_S: u64 = 120;

/// A pool with no sessions (the rate is negligible), so the reference model needs no session
/// accounting: graceful stops complete at once.
fn base() -> &'static RunConfig {
    static CFG: OnceLock<RunConfig> = OnceLock::new();
    CFG.get_or_init(|| {
        run_config(
            r#"
horizon = "1d"
[pool]
servers = 3
quorum = "none"

[[feature]]
name = "response_group"
arrivals_per_hour = 1e-9
duration = { distribution = "exponential", mean = "1m" }
"#,
        )
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Services {
    All,
    FrontEnd,
    ResponseGroup,
}

impl Services {
    fn mask(self) -> ServiceMask {
        match self {
            Services::All => ServiceMask::ALL,
            Services::FrontEnd => ServiceMask::one(RTCSRV),
            Services::ResponseGroup => ServiceMask::one(RTCRGS),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Pause(Vec<u32>, Services),
    Resume(Vec<u32>, Services),
    Stop(Vec<u32>, Services),
    Start(Vec<u32>, Services),
    StopGraceful(Vec<u32>, Services),
    SetStartup(Vec<u32>, Services, StartupType),
    Restart(Vec<u32>),
    Lb(Vec<u32>, Member),
    Dns(Vec<u32>, bool),
}

impl Op {
    fn action(&self) -> Action {
        let t = |s: &Vec<u32>, m: &Services| Target {
            servers: s.clone(),
            services: m.mask(),
        };
        match self {
            Op::Pause(s, m) => Action::Pause(t(s, m)),
            Op::Resume(s, m) => Action::Resume(t(s, m)),
            Op::Stop(s, m) => Action::Stop(t(s, m)),
            Op::Start(s, m) => Action::Start(t(s, m)),
            Op::StopGraceful(s, m) => Action::StopGraceful(t(s, m)),
            Op::SetStartup(s, m, st) => Action::SetStartup {
                target: t(s, m),
                startup: *st,
            },
            Op::Restart(s) => Action::Restart {
                servers: s.clone(),
                downtime: SimTime::from_secs(DOWNTIME_S),
            },
            Op::Lb(s, state) => Action::LbMember {
                servers: s.clone(),
                state: *state,
            },
            Op::Dns(s, listed) => Action::DnsRecord {
                servers: s.clone(),
                listed: *listed,
            },
        }
    }
}

/// The reference: every (server, service) state and startup type.
#[derive(Debug, Clone, PartialEq)]
struct Model {
    state: Vec<Vec<ServiceState>>,
    startup: Vec<Vec<StartupType>>,
    steps: usize,
    /// Drain records so far: one per server whose pause (or graceful stop) moved a service
    /// from Running to Paused; with no sessions each closes at once, `drained`.
    drains: usize,
    /// Each server's member state on the load balancer (a restart keeps it, R14).
    member: Vec<Member>,
    /// Whether each server's DNS record is published.
    listed: Vec<bool>,
}

struct Reference;

fn servers() -> impl Strategy<Value = Vec<u32>> {
    proptest::sample::subsequence((0..SERVERS as u32).collect::<Vec<_>>(), 1..=SERVERS)
}

fn member() -> impl Strategy<Value = Member> {
    prop_oneof![
        Just(Member::Enabled),
        Just(Member::Disabled),
        Just(Member::ForcedOffline)
    ]
}

fn services() -> impl Strategy<Value = Services> {
    prop_oneof![
        Just(Services::All),
        Just(Services::FrontEnd),
        Just(Services::ResponseGroup)
    ]
}

impl ReferenceStateMachine for Reference {
    type State = Model;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<Model> {
        let n = base().services.len();
        Just(Model {
            state: vec![vec![ServiceState::Running; n]; SERVERS],
            startup: vec![vec![StartupType::Automatic; n]; SERVERS],
            steps: 0,
            drains: 0,
            member: vec![Member::Enabled; SERVERS],
            listed: vec![true; SERVERS],
        })
        .boxed()
    }

    fn transitions(_: &Model) -> BoxedStrategy<Op> {
        let startup = prop_oneof![
            Just(StartupType::Automatic),
            Just(StartupType::Manual),
            Just(StartupType::Disabled)
        ];
        prop_oneof![
            (servers(), services()).prop_map(|(s, m)| Op::Pause(s, m)),
            (servers(), services()).prop_map(|(s, m)| Op::Resume(s, m)),
            (servers(), services()).prop_map(|(s, m)| Op::Stop(s, m)),
            (servers(), services()).prop_map(|(s, m)| Op::Start(s, m)),
            (servers(), services()).prop_map(|(s, m)| Op::StopGraceful(s, m)),
            (servers(), services(), startup).prop_map(|(s, m, t)| Op::SetStartup(s, m, t)),
            servers().prop_map(Op::Restart),
            (servers(), member()).prop_map(|(s, m)| Op::Lb(s, m)),
            (servers(), any::<bool>()).prop_map(|(s, l)| Op::Dns(s, l)),
        ]
        .boxed()
    }

    fn apply(mut m: Model, op: &Op) -> Model {
        let n = m.state[0].len();
        let each = |m: &mut Model,
                    s: &[u32],
                    svc: Services,
                    f: &dyn Fn(&mut ServiceState, &mut StartupType)| {
            for &srv in s {
                for k in 0..n {
                    if svc.mask().contains(k) {
                        let (st, su) = (
                            &mut m.state[srv as usize][k],
                            &mut m.startup[srv as usize][k],
                        );
                        f(st, su);
                    }
                }
            }
        };
        if let Op::Pause(s, svc) | Op::StopGraceful(s, svc) = op {
            m.drains += s
                .iter()
                .filter(|&&srv| {
                    (0..n).any(|k| {
                        svc.mask().contains(k) && m.state[srv as usize][k] == ServiceState::Running
                    })
                })
                .count();
        }
        match op {
            Op::Pause(s, svc) => each(&mut m, s, *svc, &|st, _| {
                if *st == ServiceState::Running {
                    *st = ServiceState::Paused;
                }
            }),
            Op::Resume(s, svc) => each(&mut m, s, *svc, &|st, _| {
                if *st == ServiceState::Paused {
                    *st = ServiceState::Running;
                }
            }),
            // With no sessions a graceful stop completes at once.
            Op::Stop(s, svc) | Op::StopGraceful(s, svc) => {
                each(&mut m, s, *svc, &|st, _| *st = ServiceState::Stopped)
            }
            Op::Start(s, svc) => each(&mut m, s, *svc, &|st, su| {
                if *st == ServiceState::Stopped && *su != StartupType::Disabled {
                    *st = ServiceState::Running;
                }
            }),
            Op::SetStartup(s, svc, t) => each(&mut m, s, *svc, &|_, su| *su = *t),
            // R7: Automatic comes back Running even if it was paused; Manual and Disabled stay
            // stopped.
            Op::Restart(s) => each(&mut m, s, Services::All, &|st, su| {
                *st = if *su == StartupType::Automatic {
                    ServiceState::Running
                } else {
                    ServiceState::Stopped
                }
            }),
            Op::Lb(s, state) => s.iter().for_each(|&srv| m.member[srv as usize] = *state),
            Op::Dns(s, l) => s.iter().for_each(|&srv| m.listed[srv as usize] = *l),
        }
        m.steps += 1;
        m
    }
}

/// The system under test: the operator steps so far, replayed through a fresh simulation.
struct Sut {
    ops: Vec<Op>,
}

struct PoolMachine;

impl StateMachineTest for PoolMachine {
    type SystemUnderTest = Sut;
    type Reference = Reference;

    fn init_test(_: &Model) -> Sut {
        Sut { ops: Vec::new() }
    }

    fn apply(mut sut: Sut, reference: &Model, op: Op) -> Sut {
        sut.ops.push(op);
        let mut cfg = base().clone();
        cfg.plan = sut
            .ops
            .iter()
            .enumerate()
            .map(|(k, o)| Step {
                at: Some(SimTime::from_secs((k as u64 + 1) * STEP_GAP_S)),
                action: o.action(),
            })
            .collect();
        let mut s: Simulation<'_> = sim(&cfg, 1, 0);
        let k = sut.ops.len() as u64;
        s.run_until(SimTime::from_secs(k * STEP_GAP_S + STEP_GAP_S / 2));
        let drains = &s.metrics().drains;
        assert_eq!(
            drains.len(),
            reference.drains,
            "drain records after {:?}: {drains:?}",
            sut.ops
        );
        assert!(
            drains
                .iter()
                .all(|d| d.end == DrainEnd::Drained && d.left == 0),
            "with no sessions every drain ends drained at once: {drains:?}"
        );
        let pool = s.pool();
        for srv in 0..SERVERS {
            assert!(
                pool.is_up(srv),
                "server {srv} is back up before the next step"
            );
            assert_eq!(
                pool.member(srv),
                reference.member[srv],
                "after {:?}",
                sut.ops
            );
            assert_eq!(
                pool.members().eligible(srv),
                pool.hlb_sees_up(srv) && reference.member[srv] == Member::Enabled
            );
            // A client whose cache expires at once sees the record as last set.
            assert_eq!(
                pool.dns_lists(srv, 0.0, SimTime::ZERO),
                reference.listed[srv],
                "after {:?}",
                sut.ops
            );
            for svc in 0..cfg.services.len() {
                assert_eq!(
                    (pool.service_state(srv, svc), pool.startup(srv, svc)),
                    (reference.state[srv][svc], reference.startup[srv][svc]),
                    "server {} service {} after {:?}",
                    srv + 1,
                    cfg.services[svc],
                    sut.ops
                );
            }
        }
        sut
    }
}

prop_state_machine! {
    #![proptest_config(Config {
        cases: 48,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/state_machine.txt"
        ))),
        .. Config::default()
    })]

    /// R3/R7 transitions match the reference model after every step of any sequence.
    #[test]
    fn r3_r7_service_states_follow_the_reference_model(sequential 1..20 => PoolMachine);
}
