//! Load balancer administration (R14) as written in `[pool]`, `[pool.dns]`,
//! `[pool.hardware]` and `[[feature]]`: DNS clients and TTL, persistence and clients, the
//! rolling procedure's timings, a feature's transport; and the checks that need the whole
//! run (a TTL must fit the horizon; the steps' load balancer, [`super::super::admin`]).

use super::super::ctx::{Ctx, one_of, parse_clients, parse_fraction, parse_persistence};
use super::super::raw::{RawDns, RawHardware, RawPool, RawScenario};
use super::super::span::FieldPath;
use crate::engine::SimTime;
use crate::model::{Persistence, RollingTimings, RunConfig, Transport};

/// `transport`: `"sip"` (default) or `"https"`.
pub(super) fn transport(ctx: &mut Ctx<'_>, p: &FieldPath, v: Option<&str>) -> Option<Transport> {
    let options = [("sip", Transport::Sip), ("https", Transport::Https)];
    ctx.pick(p.key("transport"), one_of(v.unwrap_or("sip"), &options))
}

/// `ttl` (default 1 h) and `failover_clients` (default 1.0).
pub(super) fn dns_clients(
    ctx: &mut Ctx<'_>,
    d: &FieldPath,
    raw: &RawDns,
) -> (Option<SimTime>, Option<f64>) {
    let ttl = ctx.duration(&d.key("ttl"), &raw.ttl, Some(SimTime::from_secs(3600)));
    let failover = ctx.pick(
        d.key("failover_clients"),
        parse_fraction(raw.failover_clients.unwrap_or(1.0)),
    );
    (ttl, failover)
}

/// `persistence` (default none), `persistence_timeout` (default 180 s, F5's) and `clients`
/// (required with source-address persistence).
pub(super) fn persistence(
    ctx: &mut Ctx<'_>,
    h: &FieldPath,
    raw: &RawHardware,
) -> (Option<Persistence>, Option<SimTime>, Option<Option<u32>>) {
    let persistence = ctx.pick(
        h.key("persistence"),
        parse_persistence(raw.persistence.as_deref().unwrap_or("none")),
    );
    let timeout = ctx.positive_duration(
        &h.key("persistence_timeout"),
        &raw.persistence_timeout,
        Some(SimTime::from_secs(180)),
    );
    let clients = match raw.clients {
        None => Some(None),
        Some(n) => ctx.pick(h.key("clients"), parse_clients(n)).map(Some),
    };
    if persistence == Some(Persistence::SourceAddress) && raw.clients.is_none() {
        ctx.err(
            &h.key("persistence"),
            "\"source_address\" persistence needs `clients`, the number of distinct client \
             source addresses (a site behind NAT counts once), e.g. clients = 5000",
        );
        return (None, timeout, clients);
    }
    (persistence, timeout, clients)
}

/// `readiness_retry`, `ready_wait` and `max_busy` of `rolling_restart`.
pub(super) fn rolling_timings(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    raw: &RawPool,
) -> Option<RollingTimings> {
    let d = RollingTimings::default();
    let readiness_retry = ctx.positive_duration(
        &p.key("readiness_retry"),
        &raw.readiness_retry,
        Some(d.readiness_retry),
    );
    let ready_wait = ctx.duration(&p.key("ready_wait"), &raw.ready_wait, Some(d.ready_wait));
    let max_busy = match raw.max_busy {
        None => Some(d.max_busy),
        Some(n) if (1..=1000).contains(&n) => Some(n as u32),
        Some(n) => {
            ctx.err(
                &p.key("max_busy"),
                format!("must be a number of Busy answers from 1 to 1000, got {n}"),
            );
            None
        }
    };
    Some(RollingTimings {
        readiness_retry: readiness_retry?,
        ready_wait: ready_wait?,
        max_busy: max_busy?,
    })
}

/// The checks that need the whole base run: TTL against the horizon, and the steps'
/// administration when no sweep axis changes the load balancing (otherwise each run is
/// checked when the sweep expands).
pub(super) fn check_base(ctx: &mut Ctx<'_>, raw: &RawScenario, cfg: &RunConfig, swept: bool) {
    let ttl = cfg.pool.dns.ttl;
    let dns_steps = cfg.plan.iter().any(|s| s.action.kind().is_dns());
    if ttl > cfg.horizon && (raw.pool.dns.ttl.is_some() || dns_steps) {
        ctx.err(
            &FieldPath::root().key("pool").key("dns").key("ttl"),
            format!(
                "{ttl} is longer than the horizon ({}): clients would not learn a DNS change \
                 within the run; shorten the TTL or lengthen the horizon",
                cfg.horizon
            ),
        );
    }
    if swept {
        return;
    }
    for (k, msg) in super::super::admin::check_admin(cfg) {
        ctx.err(&FieldPath::root().key("step").index(k).key("action"), msg);
    }
}
