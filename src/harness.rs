//! Invariant suite for routing policies (to be written).
