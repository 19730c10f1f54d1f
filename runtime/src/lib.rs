//! # lwm2m
//!
//! What an LwM2M device links: the object traits that `#[derive(Object)]` implements, resource
//! values, content-format codecs, and (later) the CoAP transport and client state machine.

pub mod codec;
pub mod path;
pub mod value;

pub use path::Path;
pub use value::{CoreLnk, Kind, ObjLnk, Time, Value};
