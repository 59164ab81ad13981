//! The discrete-event engine: simulated time, the event queue and the run loop.
//!
//! The engine knows nothing of servers, services or sessions. A model implements
//! [`Model`]; the engine pops events in `(time, seq)` order and hands them to it,
//! stopping at the horizon or when the event budget is spent.

mod queue;
mod time;

pub use queue::{EventQueue, Scheduled};
pub use time::{SimTime, parse_duration};

/// A model driven by the engine: it reacts to one event at a time and may schedule more.
pub trait Model {
    /// The closed set of events this model schedules.
    type Event: Copy;

    /// Handles one event at time `now`.
    fn handle(&mut self, now: SimTime, event: Self::Event, queue: &mut EventQueue<Self::Event>);
}

/// Why [`run`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The next event lies beyond the horizon (or none is left).
    Horizon,
    /// The event budget was spent before the horizon was reached.
    BudgetExhausted {
        /// Simulated time of the last event handled.
        at: SimTime,
    },
}

/// Runs `model` until the horizon or the event budget, whichever comes first.
///
/// Events scheduled exactly at the horizon are still handled; later ones are not.
/// Returns how the run stopped and how many events were handled.
pub fn run<M: Model>(
    model: &mut M,
    queue: &mut EventQueue<M::Event>,
    horizon: SimTime,
    event_budget: u64,
) -> (Stop, u64) {
    let mut handled = 0u64;
    loop {
        if handled >= event_budget {
            if queue.peek_time().is_some_and(|t| t <= horizon) {
                return (Stop::BudgetExhausted { at: queue.now() }, handled);
            }
            return (Stop::Horizon, handled);
        }
        let Some(Scheduled { time, event }) = queue.pop_until(horizon) else {
            return (Stop::Horizon, handled);
        };
        model.handle(time, event, queue);
        handled += 1;
    }
}
