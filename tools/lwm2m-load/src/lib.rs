//! `lwm2m-load`: serving LwM2M reads at the kernel floor.
//!
//! The tool plays the LwM2M server on 127.0.0.1: it starts a client process, answers its
//! Register and Updates, keeps W confirmable GETs in flight, matches the answers by token and
//! reports reads/s, latency percentiles, timeouts, mismatches and the client's CPU time and
//! memory from `/proc`. The same loop against a plain UDP echo server gives the floor that the
//! kernel's loopback round trip sets.

pub mod child;
pub mod cli;
pub mod coap;
pub mod compare;
pub mod driver;
pub mod echo;
pub mod error;
pub mod procfs;
pub mod serve;
pub mod stats;

pub use error::{Error, Result};
