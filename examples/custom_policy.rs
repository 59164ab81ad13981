//! A routing policy of your own, checked with the invariant suite, then compared with
//! drainsim's built-in ones.
//!
//! The policy: a hardware load balancer with an **application-aware monitor that polls every
//! 30 s**. Between polls it still believes what the last poll saw, so for up to 30 s after a
//! pause it keeps picking the paused server; the pool redirects what it can (R5), but the UCAS
//! sessions (Response Group, Call Park, …) it sends there stay there, and a restart cuts those
//! still running. Unlike the documented port-5061 monitor, which never sees a pause, it stops
//! sending new sessions to the paused server once it has polled.
//!
//! ```text
//! cargo run --example custom_policy
//! ```

use std::process::ExitCode;

use rand::RngExt;

use drainsim::engine::SimTime;
use drainsim::harness::{Clock, Harness};
use drainsim::model::{
    Admission, Decision, DnsPolicy, FRONT_END, Feature, HardwarePolicy, LoadBalancing, OnLoss,
    Pool, RouteRng, RoutingPolicy, RunConfig, Seeds, ServiceState, Status,
};
use drainsim::scenario::{self, NoFiles};
use drainsim::stats::estimate;

/// A hardware load balancer whose health monitor polls RTCSRV's state every `period`
/// (application-aware: a paused front end counts as down), and picks members round robin, with
/// one cursor per feature as drainsim's own hardware policy does.
struct PollingHlb {
    clock: Clock,
    period: SimTime,
    /// Offset of the polls within the period: unknown to the operator, so drawn at random.
    phase: Option<SimTime>,
    /// Index of the last poll whose result `seen_up` holds.
    last_poll: Option<u64>,
    seen_up: Vec<bool>,
    cursor: Vec<usize>,
}

impl PollingHlb {
    fn new(clock: Clock, servers: usize, period: SimTime) -> PollingHlb {
        PollingHlb {
            clock,
            period,
            phase: None,
            last_poll: None,
            seen_up: vec![true; servers],
            cursor: Vec::new(),
        }
    }

    /// Brings the monitor's view up to date. The trait shows the pool only when a session
    /// arrives, so a poll takes effect at the first arrival after its time: with several
    /// arrivals a second, that is within a fraction of a second of the poll.
    fn poll(&mut self, pool: &Pool, rng: &mut RouteRng) {
        let period = self.period.0.max(1);
        let phase = *self
            .phase
            .get_or_insert_with(|| SimTime(rng.random_range(0..period)));
        let now = self.clock.now();
        if now < phase {
            return;
        }
        let poll = (now.0 - phase.0) / period;
        if self.last_poll == Some(poll) {
            return;
        }
        self.last_poll = Some(poll);
        for (s, up) in self.seen_up.iter_mut().enumerate() {
            *up = pool.is_up(s)
                && !pool.quorum_lost()
                && pool.service_state(s, FRONT_END) == ServiceState::Running;
        }
    }

    fn pick(&mut self, f: usize) -> Option<usize> {
        if self.cursor.len() <= f {
            self.cursor.resize(f + 1, 0);
        }
        let n = self.seen_up.len();
        let s = (0..n)
            .map(|k| (self.cursor[f] + k) % n)
            .find(|&s| self.seen_up[s])?;
        self.cursor[f] = (s + 1) % n;
        Some(s)
    }
}

/// The pool's own redirect (R5): uniform among running servers with room.
fn redirect(pool: &Pool, f: usize, rng: &mut RouteRng) -> Decision {
    let eligible: Vec<usize> = (0..pool.servers())
        .filter(|&s| pool.status(s, f) == Status::Running && pool.has_capacity(s, f))
        .collect();
    if eligible.is_empty() {
        return Decision::Block {
            setup_delay: SimTime::ZERO,
        };
    }
    Decision::Accept {
        server: eligible[rng.random_range(0..eligible.len())],
        setup_delay: SimTime::ZERO,
        admission: Admission::Redirected,
    }
}

impl RoutingPolicy for PollingHlb {
    fn name(&self) -> &str {
        "hlb-polling-30s"
    }

    fn route(&mut self, pool: &Pool, f: usize, feature: &Feature, rng: &mut RouteRng) -> Decision {
        self.poll(pool, rng);
        let Some(s) = self.pick(f) else {
            return Decision::Block {
                setup_delay: SimTime::ZERO,
            };
        };
        match pool.status(s, f) {
            Status::Running if pool.has_capacity(s, f) => Decision::Accept {
                server: s,
                setup_delay: SimTime::ZERO,
                admission: Admission::Direct,
            },
            // The UCAS trap of R5: a DNS-dependent session sent to a paused server stays there.
            Status::Paused if feature.needs_dns_lb && pool.has_capacity(s, f) => Decision::Accept {
                server: s,
                setup_delay: SimTime::ZERO,
                admission: Admission::LandedOnPaused,
            },
            Status::Running | Status::Paused => redirect(pool, f, rng),
            // The front end answers, this feature's own service is stopped: the pool redirects.
            Status::Stopped
                if pool.is_up(s)
                    && !pool.quorum_lost()
                    && pool.service_state(s, FRONT_END) != ServiceState::Stopped =>
            {
                redirect(pool, f, rng)
            }
            // A dead member the monitor has not polled yet: the connection fails.
            Status::Stopped | Status::Down => Decision::Fail,
        }
    }

    fn may_land_on_paused(&self, feature: &Feature) -> bool {
        feature.needs_dns_lb
    }
}

const SCENARIO: &str = r#"
name = "Pause FE 1, wait 10 minutes, restart"
seed = 2015
replications = 40
horizon = "1h15m"
sample_interval = "0s"

[pool]
servers = 4
load_balancing = "hardware"
quorum = "none"

[pool.hardware]
algorithm = "round_robin"
health_monitor = "port"
detect_delay = "15s"

[[feature]]
name = "im"
arrivals_per_hour = 1800
duration = { distribution = "exponential", mean = "3m" }

[[feature]]
name = "av_conference"
arrivals_per_hour = 60
duration = { distribution = "lognormal", median = "20m", sigma = 0.8 }

[[feature]]
name = "response_group"
arrivals_per_hour = 600
duration = { distribution = "lognormal", median = "2m", sigma = 0.9 }

[[feature]]
name = "call_park"
arrivals_per_hour = 400
duration = { distribution = "uniform", min = "10s", max = "90s" }

[[step]]
at = "1h"
action = "pause"
server = 1

[[step]]
action = "wait"
duration = "10m"

[[step]]
action = "restart"
server = 1
downtime = "2m"
"#;

fn main() -> ExitCode {
    let period = SimTime::from_secs(30);

    // 1. The invariant suite, on the built-in cases with a hardware load balancer.
    let clock = Clock::new();
    let suite_clock = clock.clone();
    let report = Harness::new(move |cfg: &RunConfig| -> Box<dyn RoutingPolicy> {
        Box::new(PollingHlb::new(
            suite_clock.clone(),
            cfg.pool.servers as usize,
            period,
        ))
    })
    .with_clock(clock)
    .filter(|c| c.config.pool.load_balancing == LoadBalancing::Hardware)
    .run();
    print!("{report}");
    if !report.is_ok() {
        eprintln!("the policy breaks the pool's rules");
        return ExitCode::FAILURE;
    }

    // 2. Sessions cut by the restart, on the same sessions (common random numbers) under
    //    DNS load balancing, the documented hardware load balancer, and the polling one.
    let s = match scenario::parse(SCENARIO, "custom_policy.rs", &NoFiles) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let cfg = &s.base;
    let clock = Clock::new();
    type Factory<'a> = Box<dyn Fn() -> Box<dyn RoutingPolicy> + 'a>;
    let policies: [(&str, Factory); 3] = [
        (
            "DNS load balancing",
            Box::new(|| {
                Box::new(DnsPolicy::new(
                    cfg.pool.dns.clone(),
                    cfg.pool.servers as usize,
                ))
            }),
        ),
        (
            "HLB, port monitor",
            Box::new(|| Box::new(HardwarePolicy::new(cfg.pool.hardware.clone()))),
        ),
        (
            "HLB, polling 30 s",
            Box::new(|| {
                Box::new(PollingHlb::new(
                    clock.clone(),
                    cfg.pool.servers as usize,
                    period,
                ))
            }),
        ),
    ];
    println!(
        "\n{}: sessions cut by the restart, mean [95 % CI] over {} replications",
        s.name, s.replications
    );
    // Features that recover on server loss (IM) are disrupted, never cut: leave them out.
    let dropped: Vec<usize> = (0..cfg.features.len())
        .filter(|&f| cfg.features[f].on_loss == OnLoss::Dropped)
        .collect();
    print!("{:<22}", "policy");
    for &f in &dropped {
        print!("{:>24}", cfg.features[f].name);
    }
    println!("{:>24}", "landed on paused");
    for (label, make) in &policies {
        let mut cut = vec![Vec::new(); cfg.features.len()];
        let mut landed = Vec::new();
        for rep in 0..s.replications {
            let seeds = Seeds::derive(s.seed, u64::from(rep));
            let m = match clock.simulate(cfg, seeds, make()) {
                Ok(m) => m,
                Err(e) => {
                    eprintln!("{label}, replication {rep}: {e}");
                    return ExitCode::FAILURE;
                }
            };
            for (f, c) in m.features.iter().enumerate() {
                cut[f].push(c.cut() as f64);
            }
            landed.push(m.total().landed_on_paused as f64);
        }
        print!("{label:<22}");
        for &f in &dropped {
            print!("{:>24}", mean_ci(&cut[f]));
        }
        println!("{:>24}", mean_ci(&landed));
    }
    ExitCode::SUCCESS
}

/// `mean [low, high]` with the 95 % Student-t interval.
fn mean_ci(xs: &[f64]) -> String {
    let e = estimate(xs);
    format!("{:.2} [{:.2}, {:.2}]", e.mean, e.low, e.high)
}
