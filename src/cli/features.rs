//! `drainsim features`: the built-in feature catalogue.

use super::Outcome;
use crate::model::{CATALOGUE, Participants};

/// Prints the catalogue, one feature a line.
pub fn features() -> Outcome {
    outln!(
        "{:<27} {:<11} {:<13} {:<15} {:<29} description",
        "feature",
        "service",
        "needs DNS LB",
        "on server loss",
        "participants"
    );
    for e in CATALOGUE {
        outln!(
            "{:<27} {:<11} {:<13} {:<15} {:<29} {}",
            e.name,
            e.service,
            if e.needs_dns_lb { "yes" } else { "no" },
            e.on_loss.name(),
            Participants::default_for(Some(e)).describe(),
            e.description
        );
    }
    Outcome::Success
}
