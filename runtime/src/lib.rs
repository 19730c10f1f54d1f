//! # lwm2m
//!
//! What an LwM2M device links: the object traits that `#[derive(Object)]` implements, resource
//! values, content-format codecs, and (later) the CoAP transport and client state machine.
//!
//! An object is a struct with one field per resource; `#[derive(Object)]` (feature `derive`, on
//! by default) records its [`ObjectMeta`] and implements [`Object`], which reads
//! and writes resources by id as a server asks. A store keeps instances as
//! `Box<dyn` [`ObjectInstance`]`>`.

pub mod check;
pub mod client;
pub mod coap;
pub mod codec;
pub mod convert;
pub mod error;
pub mod execute;
pub mod field;
pub mod handler;
pub mod meta;
#[cfg(feature = "tokio")]
pub mod net;
pub mod object;
pub mod objects;
pub mod path;
pub mod store;
pub mod uri;
pub mod validate;
pub mod value;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use convert::ResourceType;
pub use error::Error;
pub use execute::ExecuteArgs;
pub use field::{Executable, Instances, ResourceField, ResourceValue};
pub use handler::Handler;
pub use meta::{Constraint, ObjectMeta, Operations, ResourceMeta};
pub use object::{Object, ObjectInstance};
pub use path::Path;
pub use store::{ObjectStore, WriteMode};
pub use value::{CoreLnk, Kind, ObjLnk, Time, Value};

#[cfg(feature = "derive")]
pub use lwm2m_derive::Object;
