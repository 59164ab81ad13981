//! drainsim's integration tests: one binary, one module per concern.

mod common;

mod bad_input;
mod bootstrap_coverage;
mod browser;
mod cli;
mod closed_form;
mod docs;
mod drain_invariants;
mod drain_records;
mod expectation_study;
mod expectations;
mod faults;
mod fit;
mod golden;
mod harness;
mod lb_admin;
mod lifecycle;
mod names;
mod plan;
mod pool_maintenance;
mod properties;
mod report_files;
mod runbook;
mod scenarios;
mod shards;
mod state_machine;
mod tidy;
mod trace_replay;
mod users;
