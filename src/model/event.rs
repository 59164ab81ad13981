//! Every event of the pool model, in one closed enum.

/// An event of the pool simulation. Small and `Copy`: the queue holds millions of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A new session of feature `feature` arrives at the pool (Poisson, per feature).
    Arrival {
        /// Feature id.
        feature: u16,
    },
    /// A session ends at its drawn holding time. Stale when the slot's `epoch` moved on
    /// (its server restarted or its service stopped first: the session was already cut).
    Departure {
        /// 0-based server (a pool has at most 1,000: see `scenario::Limits`).
        server: u16,
        /// Feature id.
        feature: u16,
        /// Users in the session (R21), taken off the server's users when it ends.
        participants: u16,
        /// Epoch of the (server, feature) slot when the session was admitted.
        epoch: u32,
    },
    /// A session whose client spent `setup_delay` on refusals and timeouts reaches the server
    /// it chose (R4). Its details wait in a reusable slot of the simulation.
    Connect {
        /// Slot of the pending connection.
        slot: u32,
    },
    /// Plan step `step` becomes due (its `at` time was reached).
    StepStart {
        /// Index in the plan.
        step: u32,
    },
    /// A `wait` ends, or a `wait_until_drained` times out. Stale unless `gen` is current.
    StepTimer {
        /// Index in the plan.
        step: u32,
        /// Generation of the plan cursor when scheduled.
        generation: u32,
    },
    /// A restarted server finishes booting. Stale if it was restarted again since (`gen`).
    ServerUp {
        /// 0-based server.
        server: u32,
        /// Restart generation of that server when scheduled.
        generation: u32,
    },
    /// The hardware load balancer's health monitor catches up with server `server`'s state
    /// (`detect_delay` after it changed). Stale if it changed again since (`gen`).
    HealthNoticed {
        /// 0-based server.
        server: u32,
        /// Health generation of that server when scheduled.
        generation: u32,
    },
    /// Record occupancy for the time series.
    Sample,
    /// The next session of the call-detail trace starts (R13); its details wait in the
    /// simulation's trace cursor.
    TraceArrival,
}

// The queue holds millions of events: a departure's participants fit in what a 32-bit server
// index used to take, so an event stays 12 bytes (24 per queue node).
const _: () = assert!(std::mem::size_of::<Event>() == 12);
