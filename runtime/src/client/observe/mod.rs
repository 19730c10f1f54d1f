//! Information reporting rules: notification attributes and when an observation notifies.
//!
//! Sans-IO and independent of the client's transport: time is an [`Instant`](crate::Instant) passed
//! in, values are [`Sample`]s.
//!
//! - [`AttributeUpdate`] parses a Write-Attributes query (`pmin=10`, `gt=20.5`, `st` to remove).
//! - [`AttributeStore`] keeps what one server attached, checks levels, types and the threshold
//!   rules, and resolves inheritance (resource instance -> resource -> instance -> object ->
//!   Server object [`Defaults`]) into the effective [`Attributes`] of an observation.
//! - [`Observation`] applies pmin, pmax, gt, lt, st and the LwM2M 1.2 epmin, epmax and edge to a
//!   stream of changes and clock ticks, answering an [`Action`] and a next deadline.
//!
//! [`Attributes::link_params`] renders the attributes for Discover (`;pmin=10;gt=20.5`).

mod attributes;
mod rules;
mod store;

pub use attributes::{AttributeError, AttributeUpdate, Attributes, Name, Update, is_numeric};
pub use rules::{Action, Observation, Sample, Trigger};
pub use store::{AttributeStore, Defaults};
