//! Tests of the preflight gates.
