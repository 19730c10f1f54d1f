//! # lwm2m-model
//!
//! The model of OMA LwM2M object definitions ([`ObjectDef`], [`ResourceDef`]), a tolerant parser for
//! the registry's XML files with precise diagnostics ([`parse_str`], [`parse_bytes`],
//! [`parse_file`]), and the OMA registry itself, bundled ([`Registry::bundled`]).
//!
//! The parser accepts every quirk of the registry (any element order, four spellings of an empty
//! element, BOM, CRLF, comments, missing versions, ...) and reports **every** problem of a file as a
//! [`Diagnostic`] at the line and column of the offending element. A file with an error gives no
//! object; warnings say what was assumed. `RangeEnumeration` text is parsed best-effort by
//! [`range::parse`].
//!
//! ```
//! let registry = lwm2m_model::Registry::bundled();
//! let temperature = registry.get(3303).expect("3303 is bundled");
//! assert_eq!(temperature.name, "Temperature");
//!
//! let parsed = lwm2m_model::parse_str("broken.xml", "<LWM2M><Object></LWM2M>");
//! assert!(parsed.object.is_none());
//! assert_eq!(
//!     parsed.diagnostics[0].to_string(),
//!     "broken.xml:1:16: error: not well-formed XML: expected `</Object>`, but `</LWM2M>` was found"
//! );
//! ```

mod diagnostic;
mod model;
mod parse;
pub mod range;
mod raw;
mod registry;
mod text;
mod tree;
mod validate;

pub use diagnostic::{Diagnostic, Severity};
pub use model::*;
pub use parse::{Parsed, parse_bytes, parse_file, parse_str};
pub use registry::{LoadReport, Registry, xml_files};
