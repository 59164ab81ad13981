//! Servers as the file names them: `[pool] servers` a count or the Front Ends' names, and a
//! server in a step, `[plan]` or an upgrade domain by its 1-based number or its name. Names
//! are resolved here to the numbers the model works on; the labels go with the pool
//! ([`ServerNames`]) for the reports.

use super::super::ctx::{Ctx, Limits, suggest};
use super::super::raw::{RawServer, RawServers};
use super::super::span::FieldPath;
use crate::model::ServerNames;

/// The pool's servers as the rest of the file refers to them: their number when valid, and
/// their names when the file lists them.
#[derive(Clone, Copy)]
pub(super) struct PoolServers<'a> {
    /// Number of servers, when valid.
    pub count: Option<u32>,
    /// Their names, when `[pool] servers` lists them.
    pub names: Option<&'a [String]>,
}

/// `[pool] servers`: the number of Front Ends, and their labels.
pub(super) fn validate_pool_servers(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    raw: Option<&RawServers>,
    limits: &Limits,
) -> (Option<u32>, ServerNames) {
    let p = p.key("servers");
    match raw {
        None => {
            ctx.err(
                &p,
                "is required: the number of Front Ends, or their FQDNs \
                 ([\"fe01.contoso.com\", \"fe02.contoso.com\", …])",
            );
            (None, ServerNames::numbered())
        }
        Some(RawServers::Count(n)) => {
            let servers = limits.pool_size(*n);
            if servers.is_none() {
                ctx.err(
                    &p,
                    format!("must be between 1 and {}, got {n}", limits.max_servers),
                );
            }
            (servers, ServerNames::numbered())
        }
        Some(RawServers::Names(names)) => named(ctx, &p, names, limits),
    }
}

/// `servers = ["fe01.contoso.com", …]`: each a host name, each once (DNS names ignore case).
fn named(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    names: &[String],
    limits: &Limits,
) -> (Option<u32>, ServerNames) {
    let before = ctx.diags.len();
    if names.is_empty() {
        ctx.err(
            p,
            "lists no server: give the Front Ends' FQDNs, or their number",
        );
    }
    let count = limits.pool_size(names.len() as i64);
    if count.is_none() && !names.is_empty() {
        ctx.err(
            p,
            format!(
                "lists {} servers; a pool has 1 to {}",
                names.len(),
                limits.max_servers
            ),
        );
    }
    for (i, n) in names.iter().enumerate() {
        if let Err(e) = check_host_name(n) {
            ctx.err(&p.index(i), e);
        } else if let Some(j) = names[..i].iter().position(|m| m.eq_ignore_ascii_case(n)) {
            ctx.err(
                &p.index(i),
                format!("\"{n}\" is listed twice (also servers[{j}]; DNS names ignore case)"),
            );
        }
    }
    let ok = ctx.diags.len() == before;
    let labels = names.iter().map(|n| n.trim().to_string()).collect();
    (count.filter(|_| ok), ServerNames::named(labels))
}

/// Refuses what cannot be a server's DNS name: letters, digits and hyphens in dot-separated
/// labels of at most 63 characters, 253 in all.
fn check_host_name(n: &str) -> Result<(), String> {
    let t = n.trim();
    let why = if t.is_empty() {
        Some("is empty".to_string())
    } else if t.len() > 253 {
        Some("is longer than the 253 characters of a DNS name".to_string())
    } else if let Some(c) = t
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
    {
        Some(format!("holds {c:?}, which no DNS name holds"))
    } else if t.split('.').any(|l| l.is_empty() || l.len() > 63) {
        Some("has an empty label or one longer than 63 characters".to_string())
    } else if t.split('.').any(|l| l.starts_with('-') || l.ends_with('-')) {
        Some("has a label that starts or ends with a hyphen".to_string())
    } else {
        None
    };
    match why {
        None => Ok(()),
        Some(w) => Err(format!(
            "\"{n}\" {w}: a server is named by its FQDN, such as \"fe01.contoso.com\""
        )),
    }
}

/// Server `raw` (a 1-based number, or a name of the pool) as a 0-based index, or `None` with
/// the problem recorded at `p`.
pub(super) fn resolve(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    raw: &RawServer,
    pool: PoolServers<'_>,
) -> Option<u32> {
    match raw {
        RawServer::Number(s) => match pool.count {
            Some(n) if *s < 1 || *s > n as i64 => {
                let names = pool.names.map_or(String::new(), |names| {
                    format!(" (or named {})", first_and_last(names))
                });
                ctx.err(
                    p,
                    format!("server {s} does not exist: servers are numbered 1 to {n}{names}"),
                );
                None
            }
            None if *s < 1 => {
                ctx.err(
                    p,
                    format!("server {s} does not exist: servers are numbered from 1"),
                );
                None
            }
            _ => Some((*s - 1) as u32),
        },
        RawServer::Name(name) => resolve_name(ctx, p, name, pool),
    }
}

/// A server by name: its FQDN in any case, or its host name (`fe01`) when no other server
/// has the same.
fn resolve_name(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    name: &str,
    pool: PoolServers<'_>,
) -> Option<u32> {
    let Some(names) = pool.names else {
        ctx.err(
            p,
            format!(
                "\"{name}\" names a server, but `[pool] servers` is a count: list the Front \
                 Ends' FQDNs there (servers = [\"fe01.contoso.com\", …]), or number the \
                 servers from 1"
            ),
        );
        return None;
    };
    let t = name.trim();
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(t)) {
        return Some(i as u32);
    }
    let host = |n: &str| n.split('.').next().unwrap_or(n).to_ascii_lowercase();
    let same_host: Vec<usize> = (0..names.len())
        .filter(|&i| !t.contains('.') && host(&names[i]) == t.to_ascii_lowercase())
        .collect();
    if let [i] = same_host[..] {
        return Some(i as u32);
    }
    let hint = suggest(t, names.iter().map(String::as_str))
        .map(|s| format!("; did you mean \"{s}\"?"))
        .unwrap_or_default();
    ctx.err(
        p,
        format!(
            "no server of this pool is named \"{name}\" (the pool's servers are {}){hint}",
            first_and_last(names)
        ),
    );
    None
}

/// `"a", "b", "c"`, or the first two and the last of a long list.
fn first_and_last(names: &[String]) -> String {
    let q = |n: &String| format!("\"{n}\"");
    if names.len() <= 4 {
        names.iter().map(q).collect::<Vec<_>>().join(", ")
    } else {
        format!(
            "{}, {} … {}",
            q(&names[0]),
            q(&names[1]),
            q(&names[names.len() - 1])
        )
    }
}
