//! The rules checked on a replication's counts: conservation (R10) and determinism (R11).

use crate::model::{FeatureCounts, ReplicationMetrics, RunConfig};

/// The name of feature `f` of the run.
pub(super) fn name_of(cfg: &RunConfig, f: usize) -> &str {
    cfg.features.get(f).map_or("?", |x| x.name.as_str())
}

/// Which identity of R10 `c` breaks, if any. `active` is the feature's sessions in the pool
/// now (during a run); at the end of a run, `c.active_at_end` is used.
pub(super) fn conservation_problem(c: &FeatureCounts, active: Option<u64>) -> Option<String> {
    let active = active.unwrap_or(c.active_at_end);
    let routed = c.accepted + c.blocked + c.failed + c.connecting;
    if c.arrivals != routed {
        return Some(format!(
            "arrivals {} ≠ accepted {} + blocked {} + failed {} + connecting {}",
            c.arrivals, c.accepted, c.blocked, c.failed, c.connecting
        ));
    }
    let ended = c.completed + c.cut() + c.disrupted + active;
    if c.accepted != ended {
        return Some(format!(
            "accepted {} ≠ completed {} + cut {} + disrupted {} + active {active}",
            c.accepted,
            c.completed,
            c.cut(),
            c.disrupted
        ));
    }
    if c.redirected + c.landed_on_paused > c.accepted {
        return Some(format!(
            "redirected {} + landed on paused {} > accepted {}",
            c.redirected, c.landed_on_paused, c.accepted
        ));
    }
    None
}

/// A short description of the first difference between two runs' metrics, if any.
pub(super) fn first_difference(
    a: &ReplicationMetrics,
    b: &ReplicationMetrics,
    cfg: &RunConfig,
) -> Option<String> {
    if a == b {
        return None;
    }
    for (f, (x, y)) in a.features.iter().zip(&b.features).enumerate() {
        if x != y {
            return Some(format!("feature {:?}: {x:?} vs {y:?}", name_of(cfg, f)));
        }
    }
    if a.restarts != b.restarts {
        return Some(format!(
            "restart records differ ({} vs {})",
            a.restarts.len(),
            b.restarts.len()
        ));
    }
    if a.drains != b.drains {
        return Some(format!(
            "drain records differ ({} vs {})",
            a.drains.len(),
            b.drains.len()
        ));
    }
    if a.steps != b.steps {
        return Some("plan step records differ".to_string());
    }
    if a.events != b.events {
        return Some(format!(
            "events handled differ ({} vs {})",
            a.events, b.events
        ));
    }
    Some("metrics differ".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conservation_problems_are_named() {
        let mut c = FeatureCounts {
            arrivals: 10,
            accepted: 8,
            blocked: 1,
            failed: 1,
            completed: 5,
            disrupted: 1,
            active_at_end: 1,
            ..FeatureCounts::default()
        };
        c.cut_by[0] = 1;
        assert_eq!(conservation_problem(&c, None), None);
        assert_eq!(conservation_problem(&c, Some(1)), None);
        assert!(
            conservation_problem(&c, Some(2))
                .unwrap()
                .contains("accepted 8")
        );
        c.blocked = 2;
        assert!(
            conservation_problem(&c, None)
                .unwrap()
                .contains("arrivals 10")
        );
        c.blocked = 1;
        c.redirected = 5;
        c.landed_on_paused = 4;
        assert!(
            conservation_problem(&c, None)
                .unwrap()
                .contains("redirected")
        );
    }
}
