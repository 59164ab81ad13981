//! The pool topology written in `[pool]`: `upgrade_domains` (a count or explicit lists of
//! servers), `routing_groups` and `replica_rebuild`. It is kept as written ([`TopologySpec`])
//! and resolved for each pool size of a sweep.

use super::super::ctx::Ctx;
use super::super::raw::RawPool;
use super::super::span::FieldPath;
use super::super::validated::{DomainSpec, TopologySpec};
use crate::engine::SimTime;

/// The topology as written; `servers` is the pool size when it is valid.
pub(super) fn validate_topology(
    ctx: &mut Ctx<'_>,
    raw: &RawPool,
    servers: Option<u32>,
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
    servers: Option<u32>,
) -> Option<DomainSpec> {
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
        Some(toml::Value::Array(lists)) => domain_lists(ctx, p, lists, servers),
        Some(other) => {
            ctx.err(
                p,
                format!("expected a number of domains or a list of server lists, got {other}"),
            );
            None
        }
    }
}

/// `upgrade_domains = [[1, 2], [3, 4]]`: every server 1-based, in one domain at most.
fn domain_lists(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    lists: &[toml::Value],
    servers: Option<u32>,
) -> Option<DomainSpec> {
    let before = ctx.diags.len();
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for (i, l) in lists.iter().enumerate() {
        let lp = p.index(i);
        let Some(items) = l.as_array().filter(|a| !a.is_empty()) else {
            ctx.err(
                &lp,
                "each upgrade domain is a non-empty list of server numbers",
            );
            continue;
        };
        let mut domain = Vec::new();
        for (k, v) in items.iter().enumerate() {
            match v.as_integer() {
                Some(s) if s >= 1 && servers.is_none_or(|n| s <= n as i64) => {
                    if seen.contains(&s) {
                        ctx.err(
                            &lp.index(k),
                            format!("server {s} is in two upgrade domains"),
                        );
                    }
                    seen.push(s);
                    domain.push((s - 1) as u32);
                }
                _ => ctx.err(
                    &lp.index(k),
                    format!(
                        "{v} is not a server of this pool (1 to {})",
                        servers.unwrap_or(0)
                    ),
                ),
            }
        }
        out.push(domain);
    }
    (ctx.diags.len() == before).then_some(DomainSpec::Lists(out))
}
