//! Checks of the whole pool after each event.

use super::ViolationKind;
use super::invariants::{conservation_problem, name_of};
use crate::model::{Pool, RunConfig, Simulation, Status};

/// Where a found violation goes.
type Sink<'s> = &'s mut dyn FnMut(ViolationKind, String);

/// Checks the pool after each event. A state that stays broken is reported once, when it
/// starts.
pub(super) struct Watch {
    /// Per (server, feature): sessions on a down server or stopped service.
    dead: Vec<bool>,
    /// Per (server, feature), and per server at index `nf`: above its cap.
    full: Vec<bool>,
    /// Per feature: a conservation identity broken.
    unbalanced: Vec<bool>,
    /// Restart records already checked.
    restarts_seen: usize,
}

impl Watch {
    pub(super) fn new(cfg: &RunConfig) -> Watch {
        let n = cfg.pool.servers as usize;
        let nf = cfg.features.len();
        Watch {
            dead: vec![false; n * nf],
            full: vec![false; n * (nf + 1)],
            unbalanced: vec![false; nf],
            restarts_seen: 0,
        }
    }

    /// Checks the pool and the metrics as they stand after an event.
    pub(super) fn after_event(&mut self, sim: &Simulation<'_>, cfg: &RunConfig, report: Sink<'_>) {
        let pool = sim.pool();
        for s in 0..pool.servers() {
            self.check_server_cap(pool, cfg, s, report);
            for f in 0..pool.n_features() {
                self.check_feature_on_server(pool, cfg, s, f, report);
            }
        }
        self.check_restarts(sim, cfg, report);
        self.check_conservation(sim, cfg, report);
    }

    /// `max_sessions_per_server` holds on server `s`.
    fn check_server_cap(&mut self, pool: &Pool, cfg: &RunConfig, s: usize, report: Sink<'_>) {
        let nf = pool.n_features();
        let cap = cfg.pool.max_sessions_per_server.unwrap_or(u32::MAX);
        let total = pool.active_on_server(s);
        let over = total > cap;
        let slot = &mut self.full[s * (nf + 1) + nf];
        if over && !*slot {
            report(
                ViolationKind::OverCapacity,
                format!(
                    "{} holds {total} sessions, above max_sessions_per_server = {cap}",
                    cfg.pool.label(s)
                ),
            );
        }
        *slot = over;
    }

    /// Feature `f`'s sessions on server `s` are on a live service and within its cap.
    fn check_feature_on_server(
        &mut self,
        pool: &Pool,
        cfg: &RunConfig,
        s: usize,
        f: usize,
        report: Sink<'_>,
    ) {
        let nf = pool.n_features();
        let active = pool.active(s, f);
        let status = pool.status(s, f);
        let dead = active > 0 && matches!(status, Status::Down | Status::Stopped);
        if dead && !self.dead[s * nf + f] {
            report(
                ViolationKind::SessionOnDeadService,
                format!(
                    "{active} {:?} sessions on {}, whose status for it is {status:?}",
                    name_of(cfg, f),
                    cfg.pool.label(s)
                ),
            );
        }
        self.dead[s * nf + f] = dead;
        let cap = cfg.features[f].max_per_server.unwrap_or(u32::MAX);
        let over = active > cap;
        if over && !self.full[s * (nf + 1) + f] {
            report(
                ViolationKind::OverCapacity,
                format!(
                    "{} holds {active} {:?} sessions, above max_per_server = {cap}",
                    cfg.pool.label(s),
                    name_of(cfg, f)
                ),
            );
        }
        self.full[s * (nf + 1) + f] = over;
    }

    /// Every server restarted since the last event is empty (R7).
    fn check_restarts(&mut self, sim: &Simulation<'_>, cfg: &RunConfig, report: Sink<'_>) {
        let pool = sim.pool();
        let restarts = &sim.metrics().restarts;
        for r in restarts.iter().skip(self.restarts_seen) {
            let left = pool.active_on_server(r.server);
            if left > 0 {
                report(
                    ViolationKind::RestartNotEmpty,
                    format!(
                        "{} still holds {left} sessions after its restart",
                        cfg.pool.label(r.server)
                    ),
                );
            }
        }
        self.restarts_seen = restarts.len();
    }

    /// The identities of R10 hold for every feature, with the sessions in the pool now.
    fn check_conservation(&mut self, sim: &Simulation<'_>, cfg: &RunConfig, report: Sink<'_>) {
        let pool = sim.pool();
        for (f, c) in sim.metrics().features.iter().enumerate() {
            let active: u64 = (0..pool.servers())
                .map(|s| u64::from(pool.active(s, f)))
                .sum();
            let problem = conservation_problem(c, Some(active));
            if let Some(p) = &problem
                && !self.unbalanced[f]
            {
                report(
                    ViolationKind::Conservation,
                    format!("feature {:?}: {p}", name_of(cfg, f)),
                );
            }
            self.unbalanced[f] = problem.is_some();
        }
    }
}
