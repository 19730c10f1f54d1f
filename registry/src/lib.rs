//! # lwm2m-model
//!
//! The model of OMA LwM2M object definitions ([`ObjectDef`], [`ResourceDef`]), a tolerant parser for
//! the registry's XML files with precise diagnostics ([`parse_str`], [`parse_file`]), and the OMA
//! registry itself, bundled ([`Registry::bundled`]).
//!
//! ```
//! let registry = lwm2m_model::Registry::bundled();
//! let temperature = registry.get(3303).expect("3303 is bundled");
//! assert_eq!(temperature.name, "Temperature");
//! ```

mod diagnostic;
mod model;
// parse, registry, range modules: see below.

pub use diagnostic::{Diagnostic, Severity};
pub use model::*;
