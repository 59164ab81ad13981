//! Load balancer administration steps against a run's load balancing (R14): shared by the
//! validation of the base run and the expansion of the sweep, which sits below it.

use crate::model::{LoadBalancing, RunConfig};

/// What is wrong with a run's load balancer administration: an `lb_*` step without a
/// hardware load balancer, a `dns_*` step without DNS load balancing (one message per step,
/// with its index).
pub(super) fn check_admin(cfg: &RunConfig) -> Vec<(usize, String)> {
    let hlb = cfg.pool.hlb_in_use(&cfg.features);
    let dns = cfg.pool.load_balancing == LoadBalancing::Dns;
    let mut out = Vec::new();
    for (k, step) in cfg.plan.iter().enumerate() {
        let kind = step.action.kind();
        if kind.is_lb() && !hlb {
            out.push((
                k,
                format!(
                    "\"{}\" acts on a hardware load balancer, but this run uses DNS load \
                     balancing and no feature goes over HTTPS; to keep new clients off a \
                     server under DNS load balancing, use \"dns_remove\"",
                    kind.name()
                ),
            ));
        }
        if kind.is_dns() && !dns {
            out.push((
                k,
                format!(
                    "\"{}\" changes the pool's DNS records, but this run uses a hardware load \
                     balancer (clients reach its virtual address, not the servers' records); \
                     use \"lb_disable\" or \"lb_force_offline\"",
                    kind.name()
                ),
            ));
        }
    }
    out
}
