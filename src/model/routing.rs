//! Where a new session goes (R4, R5): the drain logic, as small policies behind one trait.

use rand::RngExt;

use super::feature::{Feature, Transport};
use super::mix::mix64;
use super::pool::{Pool, Status};
use super::{DnsConfig, HardwareConfig, HlbAlgorithm, Persistence, PoolConfig, RouteRng};
use crate::engine::SimTime;

/// The client behind a new session (R14): its source address, whether it fails over to the
/// next DNS address, and when its DNS cache learns a change. Derived from the session's own
/// seed by hashing, so that it costs no draw from any stream and the same session has the
/// same client in every run of a sweep (common random numbers).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Client {
    /// Source address, `0..clients` (`None` when the scenario does not model clients: every
    /// session is its own client and no persistence record can name it).
    pub id: Option<u32>,
    /// Whether it tries the next address after a refusal or a timeout (DNS load balancing).
    pub fails_over: bool,
    /// When its cached A records expire after a change, as a fraction of the TTL in [0, 1).
    pub dns_phase: f64,
}

impl Client {
    /// A client that always fails over and learns DNS changes at once (the model before
    /// clients were, and what [`RoutingPolicy::route`] assumes).
    pub const PERFECT: Client = Client {
        id: None,
        fails_over: true,
        dns_phase: 0.0,
    };

    /// The client of the session whose routing seed is `seed`, in a pool set up as `pool`.
    pub fn of_session(seed: u64, pool: &PoolConfig) -> Client {
        let h = mix64(seed ^ 0x5EED_C11E_A7B1_0C5D);
        let (id, own) = match pool.hardware.clients {
            Some(n) if n > 0 => {
                // Multiply-high: uniform on 0..n without modulo bias worth the name.
                let id = ((u128::from(h) * u128::from(n)) >> 64) as u32;
                (Some(id), mix64(u64::from(id) ^ 0xC11E_0000_0000_0001))
            }
            _ => (None, h),
        };
        let unit = |x: u64| (x >> 11) as f64 / (1u64 << 53) as f64;
        let a = mix64(own);
        Client {
            id,
            fails_over: unit(a) < pool.dns.failover_clients,
            dns_phase: unit(mix64(a)),
        }
    }
}

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
    /// Decides for one new session of `client` (R14: persistence, clients that do not fail
    /// over, DNS caches). Policies that do not model clients need not implement it.
    fn route_client(
        &mut self,
        pool: &Pool,
        f: usize,
        feature: &Feature,
        client: &Client,
        rng: &mut RouteRng,
    ) -> Decision {
        let _ = client;
        self.route(pool, f, feature, rng)
    }
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
    /// The hardware load balancer that carries HTTPS features (R14), if any feature uses it.
    web: Option<HardwarePolicy>,
}

impl DnsPolicy {
    /// A DNS policy for a pool of `servers`.
    pub fn new(cfg: DnsConfig, servers: usize) -> DnsPolicy {
        DnsPolicy {
            cfg,
            order: (0..servers as u32).collect(),
            swaps: Vec::with_capacity(servers),
            web: None,
        }
    }

    /// Sends features with `transport = "https"` through this hardware load balancer.
    pub fn with_web(mut self, web: HardwarePolicy) -> DnsPolicy {
        self.web = Some(web);
        self
    }

    fn try_servers(
        &mut self,
        pool: &Pool,
        f: usize,
        client: &Client,
        rng: &mut RouteRng,
    ) -> Decision {
        let n = self.order.len();
        let mut delay = SimTime::ZERO;
        let mut tried = false;
        for i in 0..n {
            // Partial Fisher–Yates: the i-th server tried is `order[j]`. It is swapped into
            // place only if the client goes on, so the usual accepted first try leaves the
            // permutation untouched.
            let j = rng.random_range(i..n);
            let s = self.order[j] as usize;
            if !pool.dns_lists(s, client.dns_phase, self.cfg.ttl) {
                // Not in this client's records: never tried. Skipping it keeps the order of
                // the listed servers a uniform shuffle.
                self.order.swap(i, j);
                self.swaps.push(j as u32);
                continue;
            }
            if tried && !client.fails_over {
                // A client that does not fail over stops after its first pick's refusal.
                return Decision::Fail;
            }
            tried = true;
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
        if tried && !client.fails_over {
            return Decision::Fail;
        }
        Decision::Block { setup_delay: delay }
    }
}

impl RoutingPolicy for DnsPolicy {
    fn name(&self) -> &str {
        "dns"
    }

    fn route(&mut self, pool: &Pool, f: usize, feature: &Feature, rng: &mut RouteRng) -> Decision {
        self.route_client(pool, f, feature, &Client::PERFECT, rng)
    }

    fn route_client(
        &mut self,
        pool: &Pool,
        f: usize,
        feature: &Feature,
        client: &Client,
        rng: &mut RouteRng,
    ) -> Decision {
        if feature.transport == Transport::Https
            && let Some(web) = &mut self.web
        {
            return web.route_client(pool, f, feature, client, rng);
        }
        let d = self.try_servers(pool, f, client, rng);
        // Undo the swaps in reverse order: the permutation is the identity again.
        while let Some(j) = self.swaps.pop() {
            let i = self.swaps.len();
            self.order.swap(i, j as usize);
        }
        d
    }

    fn may_land_on_paused(&self, feature: &Feature) -> bool {
        match &self.web {
            Some(web) if feature.transport == Transport::Https => web.may_land_on_paused(feature),
            _ => false,
        }
    }
}

/// A hardware load balancer in front of the pool (R5).
///
/// Round robin and least connections rotate a cursor *per feature*: each feature's sessions are
/// spread in turn over the members. A balancer rotating over all connections spreads every
/// feature evenly too, so the expected load per server is the same; rotating per feature keeps
/// one feature's placement independent of the others' arrivals, so that runs of a sweep that
/// add or remove features replay exactly the same placements (common random numbers).
///
/// Members the administrator disabled or forced offline take no load-balanced connection
/// (R14); a disabled member still takes clients whose persistence record names it. Every
/// algorithm picks in O(log n) through the pool's member indexes ([`super::members`]).
#[derive(Debug, Clone)]
pub struct HardwarePolicy {
    cfg: HardwareConfig,
    cursor: Vec<usize>,
    /// Per client: the member its persistence record names and when the record expires.
    records: Vec<(u32, SimTime)>,
}

impl HardwarePolicy {
    /// A hardware policy with the given settings.
    pub fn new(cfg: HardwareConfig) -> HardwarePolicy {
        HardwarePolicy {
            cfg,
            cursor: Vec::new(),
            records: Vec::new(),
        }
    }

    /// The member the balancer picks among the eligible ones (seen up by the monitor, and
    /// enabled), or `None`.
    fn pick(&mut self, pool: &Pool, f: usize, rng: &mut RouteRng) -> Option<usize> {
        let n = pool.servers();
        if self.cursor.len() < pool.n_features() {
            self.cursor.resize(pool.n_features(), 0);
        }
        let members = pool.members();
        let cursor = &mut self.cursor[f];
        let s = match self.cfg.algorithm {
            // The next member in turn is nearly always eligible: O(1), else O(log n).
            HlbAlgorithm::RoundRobin if members.eligible(*cursor % n) => *cursor % n,
            HlbAlgorithm::RoundRobin => members.next_eligible(*cursor % n)?,
            HlbAlgorithm::LeastConnections => match members.least_loaded(*cursor % n) {
                Some(s) => s,
                // A pool built without the index (a policy used on another pool's state).
                None if members.tracks_load() => return None,
                None => (0..n)
                    .map(|k| (*cursor + k) % n)
                    .filter(|&s| members.eligible(s))
                    .min_by_key(|&s| pool.active_on_server(s))?,
            },
            HlbAlgorithm::Random => {
                let up = members.eligible_count();
                if up == 0 {
                    return None;
                }
                let k = rng.random_range(0..up as usize);
                return Some(members.kth_eligible(k as u32));
            }
        };
        *cursor = (s + 1) % n;
        Some(s)
    }

    /// The member for a new connection of `client`: the one its live persistence record names
    /// if that member may take it, else a load-balanced pick (which then becomes the record).
    fn choose(
        &mut self,
        pool: &Pool,
        f: usize,
        client: &Client,
        rng: &mut RouteRng,
    ) -> Option<usize> {
        let id = match (self.cfg.persistence, client.id) {
            (Persistence::SourceAddress, Some(id)) => id as usize,
            _ => return self.pick(pool, f, rng),
        };
        let now = pool.now();
        if self.records.is_empty() {
            self.records = vec![(0, SimTime::ZERO); self.cfg.clients.unwrap_or(0) as usize];
        }
        let expires = now.plus(self.cfg.persistence_timeout);
        if let Some(rec) = self.records.get_mut(id)
            && rec.1 > now
            && pool.members().takes_persistent(rec.0 as usize)
        {
            rec.1 = expires;
            return Some(rec.0 as usize);
        }
        let s = self.pick(pool, f, rng)?;
        if let Some(rec) = self.records.get_mut(id) {
            *rec = (s as u32, expires);
        }
        Some(s)
    }

    fn decide(
        &mut self,
        pool: &Pool,
        f: usize,
        feature: &Feature,
        client: &Client,
        rng: &mut RouteRng,
    ) -> Decision {
        let Some(s) = self.choose(pool, f, client, rng) else {
            return Decision::Block {
                setup_delay: SimTime::ZERO,
            };
        };
        self.admit_on(pool, s, f, feature, rng)
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
        self.decide(pool, f, feature, &Client::PERFECT, rng)
    }

    fn route_client(
        &mut self,
        pool: &Pool,
        f: usize,
        feature: &Feature,
        client: &Client,
        rng: &mut RouteRng,
    ) -> Decision {
        self.decide(pool, f, feature, client, rng)
    }

    fn may_land_on_paused(&self, feature: &Feature) -> bool {
        feature.needs_dns_lb && self.cfg.not_redirected > 0.0
    }
}

impl HardwarePolicy {
    /// What the pool does with a connection the balancer sent to member `s` (R5).
    fn admit_on(
        &self,
        pool: &Pool,
        s: usize,
        f: usize,
        feature: &Feature,
        rng: &mut RouteRng,
    ) -> Decision {
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
}

/// The policy drainsim uses for a pool: [`DnsPolicy`] under DNS load balancing,
/// [`HardwarePolicy`] behind a hardware load balancer. The one place where a pool's
/// configuration becomes a routing policy.
pub fn policy_for(pool: &PoolConfig) -> Box<dyn RoutingPolicy> {
    policy_for_features(pool, &[])
}

/// [`policy_for`] a pool serving `features`: under DNS load balancing, features over HTTPS
/// go through the hardware load balancer (R14).
pub fn policy_for_features(pool: &PoolConfig, features: &[Feature]) -> Box<dyn RoutingPolicy> {
    match pool.load_balancing {
        super::LoadBalancing::Dns => {
            let dns = DnsPolicy::new(pool.dns.clone(), pool.servers as usize);
            if pool.hlb_in_use(features) {
                Box::new(dns.with_web(HardwarePolicy::new(pool.hardware.clone())))
            } else {
                Box::new(dns)
            }
        }
        super::LoadBalancing::Hardware => Box::new(HardwarePolicy::new(pool.hardware.clone())),
    }
}
