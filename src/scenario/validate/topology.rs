//! The pool topology written in `[pool]`: `upgrade_domains` (a count or explicit lists of
//! servers), `routing_groups` and `replica_rebuild`. It is kept as written ([`TopologySpec`])
//! and resolved for each pool size of a sweep.

use super::super::ctx::Ctx;
use super::super::raw::{RawPool, RawServer};
use super::super::span::FieldPath;
use super::super::validated::{DomainSpec, TopologySpec};
use super::servers::{PoolServers, resolve};
use crate::engine::SimTime;

/// The topology as written; `servers` is the pool size when it is valid.
pub(super) fn validate_topology(
    ctx: &mut Ctx<'_>,
    raw: &RawPool,
    servers: PoolServers<'_>,
) -> Option<TopologySpec> {
    let p = FieldPath::root().key("pool");
    let domains = validate_domains(ctx, &p.key("upgrade_domains"), raw, servers);
    let routing_groups = match raw.routing_groups {
        None => Some(0),
        Some(n) if (0..=100_000).contains(&n) => Some(n as u32),
        Some(n) => {
            ctx.err(
                &p.key("routing_groups"),
                format!("must be between 0 and 100000, got {n}"),
            );
            None
        }
    };
    let replica_rebuild = ctx.duration(
        &p.key("replica_rebuild"),
        &raw.replica_rebuild,
        Some(SimTime::ZERO),
    );
    Some(TopologySpec {
        domains: domains?,
        routing_groups: routing_groups?,
        replica_rebuild: replica_rebuild?,
    })
}

/// `upgrade_domains` at `p`: absent (one per server), a count, or lists of servers.
fn validate_domains(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    raw: &RawPool,
    pool: PoolServers<'_>,
) -> Option<DomainSpec> {
    let servers = pool.count;
    match &raw.upgrade_domains {
        None => Some(DomainSpec::PerServer),
        Some(toml::Value::Integer(n)) => {
            if *n < 1 || servers.is_some_and(|s| *n > s as i64) {
                ctx.err(
                    p,
                    format!("must be between 1 and the number of servers, got {n}"),
                );
                return None;
            }
            Some(DomainSpec::Count((*n).clamp(1, u32::MAX as i64) as u32))
        }
        Some(toml::Value::Array(lists)) => domain_lists(ctx, p, lists, pool),
        Some(other) => {
            ctx.err(
                p,
                format!("expected a number of domains or a list of server lists, got {other}"),
            );
            None
        }
    }
}

/// `upgrade_domains = [[1, 2], [3, 4]]` (or the servers' names): every server in one domain
/// at most.
fn domain_lists(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    lists: &[toml::Value],
    pool: PoolServers<'_>,
) -> Option<DomainSpec> {
    let before = ctx.diags.len();
    let mut out = Vec::new();
    let mut seen: Vec<u32> = Vec::new();
    for (i, l) in lists.iter().enumerate() {
        let lp = p.index(i);
        let Some(items) = l.as_array().filter(|a| !a.is_empty()) else {
            ctx.err(
                &lp,
                "each upgrade domain is a non-empty list of servers (numbers or names)",
            );
            continue;
        };
        let mut domain = Vec::new();
        for (k, v) in items.iter().enumerate() {
            let raw = match v {
                toml::Value::Integer(s) => RawServer::Number(*s),
                toml::Value::String(s) => RawServer::Name(s.clone()),
                _ => {
                    ctx.err(
                        &lp.index(k),
                        format!(
                            "{v} is not a server of this pool (1 to {}, or a server's name)",
                            pool.count.unwrap_or(0)
                        ),
                    );
                    continue;
                }
            };
            let Some(ix) = resolve(ctx, &lp.index(k), &raw, pool) else {
                continue;
            };
            if seen.contains(&ix) {
                ctx.err(
                    &lp.index(k),
                    format!(
                        "server {} is in two upgrade domains",
                        super::steps::written_as(&raw)
                    ),
                );
            }
            seen.push(ix);
            domain.push(ix);
        }
        out.push(domain);
    }
    (ctx.diags.len() == before).then_some(DomainSpec::Lists(out))
}
