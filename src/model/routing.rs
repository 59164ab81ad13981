//! Where a new session goes (R4, R5): the drain logic, as small policies behind one trait.

use rand::RngExt;

use super::feature::Feature;
use super::pool::{Pool, Status};
use super::{DnsConfig, HardwareConfig, HlbAlgorithm, RouteRng};
use crate::engine::SimTime;

/// How an accepted session got its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The first server tried took it (DNS: possibly after retries).
    Direct,
    /// The hardware load balancer's pick was paused or full; the pool redirected it (R5).
    Redirected,
    /// A DNS-dependent session was accepted on a paused server behind a hardware load balancer (R5).
    LandedOnPaused,
}

/// A routing decision for one new session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Accepted on `server` after `setup_delay`.
    Accept {
        /// 0-based server.
        server: usize,
        /// Time spent on refusals and timeouts before acceptance.
        setup_delay: SimTime,
        /// How it got there.
        admission: Admission,
    },
    /// No server would take it (every address refused, or no eligible server).
    Block {
        /// Time the client spent trying.
        setup_delay: SimTime,
    },
    /// Sent to a dead member the monitor had not yet noticed (R5).
    Fail,
}

/// A routing policy: given the pool's state, choose what happens to a new session of feature `f`.
///
/// Implementations must be deterministic given `rng`, and must never accept a session on a
/// server whose [`Pool::status`] is `Down` or `Stopped`, or that has no capacity. Whether a
/// session may be accepted on a `Paused` server is the policy's documented choice (DNS never
/// does; the hardware policy does for DNS-dependent features, R5).
pub trait RoutingPolicy: Send {
    /// A short name for reports.
    fn name(&self) -> &str;
    /// Decides for one new session.
    fn route(&mut self, pool: &Pool, f: usize, feature: &Feature, rng: &mut RouteRng) -> Decision;
    /// Whether this policy may place a new session of `feature` on a paused server (used by the
    /// invariant checks).
    fn may_land_on_paused(&self, feature: &Feature) -> bool;
}

/// DNS load balancing (R4): the client shuffles the pool's addresses and tries them in turn.
#[derive(Debug, Clone)]
pub struct DnsPolicy {
    cfg: DnsConfig,
    /// Scratch permutation of server indices, the identity between sessions. The client
    /// shuffles only as far as it tries (partial Fisher–Yates, O(tries)), then the swaps are
    /// undone. Starting from the identity makes a session's first choice a pure function of its
    /// own random numbers, so the same session picks the same first server in every run of a
    /// sweep (common random numbers), and the same one a `random` hardware balancer would.
    order: Vec<u32>,
    /// The swaps made for the current session, to undo them.
    swaps: Vec<u32>,
}

impl DnsPolicy {
    /// A DNS policy for a pool of `servers`.
    pub fn new(cfg: DnsConfig, servers: usize) -> DnsPolicy {
        DnsPolicy {
            cfg,
            order: (0..servers as u32).collect(),
            swaps: Vec::with_capacity(servers),
        }
    }

    fn try_servers(&mut self, pool: &Pool, f: usize, rng: &mut RouteRng) -> Decision {
        let n = self.order.len();
        let mut delay = SimTime::ZERO;
        for i in 0..n {
            // Partial Fisher–Yates: the i-th server tried is `order[j]`. It is swapped into
            // place only if the client goes on, so the usual accepted first try leaves the
            // permutation untouched.
            let j = rng.random_range(i..n);
            let s = self.order[j] as usize;
            match pool.status(s, f) {
                Status::Down | Status::Stopped => delay = delay.plus(self.cfg.connect_timeout),
                Status::Paused => delay = delay.plus(self.cfg.retry_delay),
                Status::Running if !pool.has_capacity(s, f) => {
                    delay = delay.plus(self.cfg.retry_delay)
                }
                Status::Running => {
                    return Decision::Accept {
                        server: s,
                        setup_delay: delay,
                        admission: Admission::Direct,
                    };
                }
            }
            self.order.swap(i, j);
            self.swaps.push(j as u32);
        }
        Decision::Block { setup_delay: delay }
    }
}

impl RoutingPolicy for DnsPolicy {
    fn name(&self) -> &str {
        "dns"
    }

    fn route(&mut self, pool: &Pool, f: usize, _feature: &Feature, rng: &mut RouteRng) -> Decision {
        let d = self.try_servers(pool, f, rng);
        // Undo the swaps in reverse order: the permutation is the identity again.
        while let Some(j) = self.swaps.pop() {
            let i = self.swaps.len();
            self.order.swap(i, j as usize);
        }
        d
    }

    fn may_land_on_paused(&self, _feature: &Feature) -> bool {
        false
    }
}

/// A hardware load balancer in front of the pool (R5).
///
/// Round robin and least connections rotate a cursor *per feature*: each feature's sessions are
/// spread in turn over the members. A balancer rotating over all connections spreads every
/// feature evenly too, so the expected load per server is the same; rotating per feature keeps
/// one feature's placement independent of the others' arrivals, so that runs of a sweep that
/// add or remove features replay exactly the same placements (common random numbers).
#[derive(Debug, Clone)]
pub struct HardwarePolicy {
    cfg: HardwareConfig,
    cursor: Vec<usize>,
}

impl HardwarePolicy {
    /// A hardware policy with the given settings.
    pub fn new(cfg: HardwareConfig) -> HardwarePolicy {
        HardwarePolicy {
            cfg,
            cursor: Vec::new(),
        }
    }

    /// The member the balancer picks among those its monitor sees up, or `None`.
    fn pick(&mut self, pool: &Pool, f: usize, rng: &mut RouteRng) -> Option<usize> {
        let n = pool.servers();
        if self.cursor.len() < pool.n_features() {
            self.cursor.resize(pool.n_features(), 0);
        }
        let cursor = &mut self.cursor[f];
        match self.cfg.algorithm {
            HlbAlgorithm::RoundRobin => {
                for k in 0..n {
                    let s = (*cursor + k) % n;
                    if pool.hlb_sees_up(s) {
                        *cursor = (s + 1) % n;
                        return Some(s);
                    }
                }
                None
            }
            HlbAlgorithm::LeastConnections => {
                let mut best: Option<(u32, usize)> = None;
                for k in 0..n {
                    let s = (*cursor + k) % n;
                    if pool.hlb_sees_up(s) {
                        let load = pool.active_on_server(s);
                        if best.is_none_or(|(b, _)| load < b) {
                            best = Some((load, s));
                        }
                    }
                }
                let (_, s) = best?;
                *cursor = (s + 1) % n;
                Some(s)
            }
            HlbAlgorithm::Random => {
                let up = (0..n).filter(|&s| pool.hlb_sees_up(s)).count();
                if up == 0 {
                    return None;
                }
                let k = rng.random_range(0..up);
                (0..n).filter(|&s| pool.hlb_sees_up(s)).nth(k)
            }
        }
    }
}

/// A running server with room for feature `f`, uniformly among the eligible (reservoir sampling),
/// as the pool's topology-aware redirect does (R5).
fn redirect_target(pool: &Pool, f: usize, rng: &mut RouteRng) -> Option<usize> {
    let mut chosen = None;
    let mut seen = 0u32;
    for s in 0..pool.servers() {
        if pool.status(s, f) == Status::Running && pool.has_capacity(s, f) {
            seen += 1;
            if rng.random_range(0..seen) == 0 {
                chosen = Some(s);
            }
        }
    }
    chosen
}

/// Whether server `s`'s RTCSRV answers SIP (up, in quorum, not stopped).
fn front_end_answers(pool: &Pool, s: usize) -> bool {
    pool.is_up(s)
        && !pool.quorum_lost()
        && pool.service_state(s, super::FRONT_END) != super::ServiceState::Stopped
}

fn redirected(pool: &Pool, f: usize, rng: &mut RouteRng) -> Decision {
    match redirect_target(pool, f, rng) {
        Some(server) => Decision::Accept {
            server,
            setup_delay: SimTime::ZERO,
            admission: Admission::Redirected,
        },
        None => Decision::Block {
            setup_delay: SimTime::ZERO,
        },
    }
}

impl RoutingPolicy for HardwarePolicy {
    fn name(&self) -> &str {
        "hardware"
    }

    fn route(&mut self, pool: &Pool, f: usize, feature: &Feature, rng: &mut RouteRng) -> Decision {
        let Some(s) = self.pick(pool, f, rng) else {
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
            Status::Running => redirected(pool, f, rng),
            Status::Paused if feature.needs_dns_lb => {
                // The UCAS trap: the pool does not redirect these; with probability
                // `not_redirected` the session stays on the paused server.
                let lands = self.cfg.not_redirected >= 1.0
                    || (self.cfg.not_redirected > 0.0 && rng.random_bool(self.cfg.not_redirected));
                if lands && pool.has_capacity(s, f) {
                    Decision::Accept {
                        server: s,
                        setup_delay: SimTime::ZERO,
                        admission: Admission::LandedOnPaused,
                    }
                } else {
                    redirected(pool, f, rng)
                }
            }
            Status::Paused => redirected(pool, f, rng),
            Status::Stopped if front_end_answers(pool, s) => {
                // The front end answers but this feature's own service is stopped: the pool
                // routes the session to an instance on another server.
                redirected(pool, f, rng)
            }
            // Down, or RTCSRV stopped, before the monitor noticed.
            Status::Stopped | Status::Down => Decision::Fail,
        }
    }

    fn may_land_on_paused(&self, feature: &Feature) -> bool {
        feature.needs_dns_lb && self.cfg.not_redirected > 0.0
    }
}

/// The policy drainsim uses for a pool: [`DnsPolicy`] under DNS load balancing,
/// [`HardwarePolicy`] behind a hardware load balancer. The one place where a pool's
/// configuration becomes a routing policy.
pub fn policy_for(pool: &super::PoolConfig) -> Box<dyn RoutingPolicy> {
    match pool.load_balancing {
        super::LoadBalancing::Dns => {
            Box::new(DnsPolicy::new(pool.dns.clone(), pool.servers as usize))
        }
        super::LoadBalancing::Hardware => Box::new(HardwarePolicy::new(pool.hardware.clone())),
    }
}
