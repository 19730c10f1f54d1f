//! The content formats (exact-byte vectors, round trips, times, malformed input) and what the
//! CoAP layer tolerates on datagrams as they arrive: one test binary, a module per subject.
//!
//! proptest keeps the seeds of failures it found in `../proptest-regressions/<module>.txt` (its
//! `SourceParallel` default for a crate with a `main.rs`).

mod support;

mod coap_tolerance;
mod malformed;
mod oma_json_time;
mod roundtrip;
mod senml_time;
mod vectors;
