//! `[pool]`: size, load balancing, quorum, session cap, `[pool.dns]` and `[pool.hardware]`.
//! Upgrade domains and routing groups, also written in `[pool]`, are `topology`.

use super::super::ctx::{
    Ctx, Limits, check_quorum_size, default_quorum, parse_algorithm, parse_lb, parse_monitor,
    parse_probability, parse_quorum, session_cap,
};
use super::super::raw::{RawDns, RawHardware, RawPool};
use super::super::span::FieldPath;
use crate::engine::SimTime;
use crate::model::{DnsConfig, HardwareConfig, PoolConfig, QuorumRule};

/// The pool, and whether `quorum` was written (else it follows the pool size).
pub(super) fn validate_pool(
    ctx: &mut Ctx<'_>,
    raw: &RawPool,
    limits: &Limits,
) -> (Option<PoolConfig>, bool) {
    let p = FieldPath::root().key("pool");
    let (servers, names) =
        super::servers::validate_pool_servers(ctx, &p, raw.servers.as_ref(), limits);
    let load_balancing = ctx.pick(
        p.key("load_balancing"),
        parse_lb(raw.load_balancing.as_deref().unwrap_or("dns")),
    );
    let quorum = validate_quorum(ctx, &p, raw.quorum.as_deref(), servers);
    let max_sessions_per_server = raw
        .max_sessions_per_server
        .and_then(|n| ctx.pick(p.key("max_sessions_per_server"), session_cap(n)));
    let dns = validate_dns(ctx, &p.key("dns"), &raw.dns);
    let hardware = validate_hardware(ctx, &p.key("hardware"), &raw.hardware);
    let rolling = super::lb::rolling_timings(ctx, &p, raw);
    let cfg = (|| {
        Some(PoolConfig {
            servers: servers?,
            load_balancing: load_balancing?,
            quorum: quorum?,
            max_sessions_per_server,
            dns: dns?,
            hardware: hardware?,
            rolling: rolling?,
            names,
        })
    })();
    (cfg, raw.quorum.is_some())
}

/// `quorum`: as written (and then it must fit the pool size), or the default for the size.
fn validate_quorum(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    quorum: Option<&str>,
    servers: Option<u32>,
) -> Option<QuorumRule> {
    let Some(q) = quorum else {
        // Without a valid size there is no pool to give a quorum to.
        return Some(default_quorum(servers.unwrap_or(1)));
    };
    let rule = ctx.pick(p.key("quorum"), parse_quorum(q))?;
    if let Some(n) = servers
        && let Err(e) = check_quorum_size(rule, n)
    {
        ctx.err(&p.key("quorum"), e);
    }
    Some(rule)
}

/// `[pool.dns]`.
fn validate_dns(ctx: &mut Ctx<'_>, d: &FieldPath, raw: &RawDns) -> Option<DnsConfig> {
    let retry_delay = ctx.duration(
        &d.key("retry_delay"),
        &raw.retry_delay,
        Some(SimTime::from_secs(1)),
    );
    let connect_timeout = ctx.duration(
        &d.key("connect_timeout"),
        &raw.connect_timeout,
        Some(SimTime::from_secs(5)),
    );
    let (ttl, failover_clients) = super::lb::dns_clients(ctx, d, raw);
    Some(DnsConfig {
        retry_delay: retry_delay?,
        connect_timeout: connect_timeout?,
        ttl: ttl?,
        failover_clients: failover_clients?,
    })
}

/// `[pool.hardware]`.
fn validate_hardware(
    ctx: &mut Ctx<'_>,
    h: &FieldPath,
    raw: &RawHardware,
) -> Option<HardwareConfig> {
    let algorithm = ctx.pick(
        h.key("algorithm"),
        parse_algorithm(raw.algorithm.as_deref().unwrap_or("round_robin")),
    );
    let health_monitor = ctx.pick(
        h.key("health_monitor"),
        parse_monitor(raw.health_monitor.as_deref().unwrap_or("port")),
    );
    let detect_delay = ctx.duration(
        &h.key("detect_delay"),
        &raw.detect_delay,
        Some(SimTime::from_secs(15)),
    );
    let not_redirected = ctx.pick(
        h.key("not_redirected"),
        parse_probability(raw.not_redirected.unwrap_or(1.0)),
    );
    let (persistence, persistence_timeout, clients) = super::lb::persistence(ctx, h, raw);
    Some(HardwareConfig {
        algorithm: algorithm?,
        health_monitor: health_monitor?,
        detect_delay: detect_delay?,
        not_redirected: not_redirected?,
        persistence: persistence?,
        persistence_timeout: persistence_timeout?,
        clients: clients?,
    })
}

/// `utilisation_threshold`: a fraction in (0, 1], 0.8 when absent.
pub(super) fn validate_utilisation_threshold(ctx: &mut Ctx<'_>, raw: &RawPool) -> Option<f64> {
    match raw.utilisation_threshold {
        None => Some(0.8),
        Some(x) if x.is_finite() && x > 0.0 && x <= 1.0 => Some(x),
        Some(x) => {
            ctx.err(
                &FieldPath::root().key("pool").key("utilisation_threshold"),
                format!("must be a fraction in (0, 1], got {x}"),
            );
            None
        }
    }
}
