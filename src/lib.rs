//! # drainsim
//!
//! A discrete-event simulator and test harness for **drain behaviour** in a Lync Server 2013 /
//! Skype for Business Server 2015 Front End pool: servers are paused ("prevent new
//! connections"), their sessions drain, they are restarted; drainsim measures how many
//! sessions each restart cuts off, per feature, under DNS or hardware load balancing, with
//! confidence intervals.
//!
//! ## Map
//!
//! ```text
//! scenario file ──parse──▶ RawScenario ──validate──▶ Scenario ──expand──▶ [Run]
//!    [Run] × replications ──(rayon)──▶ Simulation (engine + model, one thread each) ──▶ ReplicationMetrics
//!    ReplicationMetrics ──summarize──▶ [SummaryRow] ──▶ report (csv, report.md) ──▶ expectations ──▶ exit code
//! ```
//!
//! - [`engine`]: simulated time, the `(time, seq)` event queue, the run loop. Knows nothing of servers.
//! - [`model`]: pool, services, features, routing policies (R4/R5), plan steps, the simulation.
//! - [`scenario`]: the TOML contract (stage one, serde) and its validation into model types
//!   (stage two), sweep expansion.
//! - [`runner`]: replications in parallel, deterministic whatever the thread count.
//! - [`stats`], [`summary`]: means, Student-t intervals, quantiles, paired comparisons.
//! - [`report`]: CSV files and `report.md`, written atomically. [`expect`]: `[[expect]]` checks.
//! - [`cli`]: the `drainsim` command.
//!
//! ## Invariants, written as absences
//!
//! - `model` and `engine` do no I/O, no serde, and never read the wall clock.
//! - `engine` knows nothing of servers; `model` knows nothing of files.
//! - Only `cli` and `report` touch the file system; scenario files reach empirical CSVs through
//!   a [`scenario::FileSource`] the caller provides.
//! - No `HashMap` iteration reaches an output; no `thread_rng`: every random stream derives from
//!   the scenario seed.
//! - No panic on user input: every problem becomes a `file:line:col: message`.
//!
//! The model's rules are numbered R1–R11 in `DESIGN.md`; tests cite them.

#![warn(missing_docs)]

pub mod cli;
pub mod engine;
pub mod expect;
pub mod harness;
pub mod model;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod stats;
pub mod summary;

/// The embedded default scenario (`scenarios/default.toml`), run by `drainsim run` without arguments.
pub const DEFAULT_SCENARIO: &str = include_str!("../scenarios/default.toml");
