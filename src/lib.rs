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
//! - [`engine`]: simulated time, the radix-heap event queue, the run loop. Knows nothing of
//!   servers.
//! - [`model`]: the pool's nouns, one file each (`pool`, `service`, `feature`, `routing` for
//!   R4/R5/R14, `members` for the load balancer's members, `quorum`, `plan`, `metrics`,
//!   `dist`, `workload`, `event`), and `model::sim`, one
//!   replication, split by component: `sessions` (arrivals, routing, departures, cuts),
//!   `servers` (transitions, restarts, graceful stops, quorum, the HLB monitor, drain records),
//!   `plan` (the step executor and its cursor), `procedures` (rolling restart, failover).
//! - [`scenario`]: the TOML contract: `raw` (serde, stage one), `ctx` (the diagnostics context
//!   and value parsers, below both validation and sweeps), `validate/` (stage two, one file per
//!   section), `sweep` (axes), `expand` (runs), `schema` (JSON Schema from the serde types).
//! - [`runner`]: replications in parallel, deterministic whatever the thread count.
//! - [`stats`], [`summary`]: means, Student-t intervals (for a bootstrapped trace, intervals
//!   for the process behind the recorded night), quantiles, paired comparisons; the summary
//!   columns.
//! - [`report`]: CSV files, charts and `report.md`, written atomically. [`expect`]: `[[expect]]`
//!   checks.
//! - [`harness`]: runs routing policies (built-in or yours) against the model's rules on the
//!   built-in cases (`harness/cases/*.toml`).
//! - [`fit`]: a scenario fitted to a call-detail export (hourly profiles, holding-time
//!   families by likelihood); statistics and text only, fed rows by `cli` through
//!   `scenario::trace`, the streaming export reader.
//! - [`planner`]: `drainsim plan` (R17): candidate runbooks from `[plan]`, Kim and Nelson's
//!   ranking and selection on common random numbers, and the plan folder rendered in memory.
//! - [`runbook`]: `drainsim runbook` (R22): a run's steps as the administrator's runbook, each
//!   with its commands, the simulation's expectations and its stop rules; text only.
//! - [`cli`]: the `drainsim` command, one module per subcommand; `main` maps outcomes to exit
//!   codes in one place.
//!
//! The user documentation is in `docs/` (model rules, scenario reference, file formats, command
//! line).
//!
//! ## Invariants, written as absences
//!
//! - `model` and `engine` do no I/O, no serde, and never read the wall clock (enforced by
//!   `tests/it/tidy.rs`).
//! - `engine` knows nothing of servers; `model` knows nothing of files.
//! - Only `cli` and `report` touch the file system; scenario files reach empirical CSVs through
//!   a [`scenario::FileSource`] the caller provides.
//! - No `HashMap` iteration reaches an output; no `thread_rng`: every random stream derives from
//!   the scenario seed.
//! - No panic on user input: every problem becomes a `file:line:col: message`.
//!
//! The model's rules are numbered R1–R11 in `docs/model.md`; tests cite them.

#![warn(missing_docs)]

pub mod cli;
pub mod engine;
pub mod expect;
pub mod files;
pub mod fit;
pub mod harness;
pub mod model;
pub mod planner;
pub mod quote;
mod read_at;
pub mod report;
pub mod runbook;
pub mod runner;
pub mod scenario;
pub mod stats;
pub mod summary;

/// The embedded default scenario (`scenarios/default.toml`), run by `drainsim run` without arguments.
pub const DEFAULT_SCENARIO: &str = include_str!("../scenarios/default.toml");
