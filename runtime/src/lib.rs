//! # lwm2m
//!
//! What an LwM2M device links: the object traits that `#[derive(Object)]` implements, resource
//! values, content-format codecs, and (later) the CoAP transport and client state machine.
//!
//! An object is a struct with one field per resource; `#[derive(Object)]` (feature `derive`, on
//! by default) records its [`ObjectMeta`] and implements [`Object`], which reads
//! and writes resources by id as a server asks. A store keeps instances as
//! `Box<dyn` [`ObjectInstance`]`>`.
//!
//! # Without std
//!
//! With default features off the crate is `#![no_std]` and needs only `alloc`: values, the
//! object store, every content format, the CoAP layer, the sans-IO [`client`] and the built-in
//! objects all work on a microcontroller (`examples/mcu-device` runs on an emulated Cortex-M4).
//! Time is the crate's own [`Instant`], addresses are `core::net::SocketAddr`. Features:
//!
//! - `std` (default): `Instant::now()` and conversions from `std::time::Instant`, host-name
//!   resolution, tokens seeded from the operating system.
//! - `derive` (default): `#[derive(Object)]`.
//! - `tokio` (default, implies `std`): the UDP driver in `lwm2m::net`.
//! - `dtls`: DTLS 1.2 PSK through OpenSSL (`lwm2m::net::dtls`).
//! - `firmware-update` (default): Firmware Update, object 5 (`lwm2m::firmware`,
//!   `Client::enable_firmware_update`); without it none of its code is linked.
#![no_std]
// docs.rs (nightly, `--cfg docsrs`) marks the items of optional features with the feature.
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The `alloc` crate, re-exported so that generated code names `String` and `Vec` in a crate
/// with or without std (`::lwm2m::alloc::string::String`).
pub extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod check;
pub mod client;
pub mod coap;
pub mod codec;
pub mod convert;
pub mod error;
pub mod execute;
pub mod field;
#[cfg(feature = "firmware-update")]
#[cfg_attr(docsrs, doc(cfg(feature = "firmware-update")))]
pub mod firmware;
pub mod handler;
pub mod meta;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod net;
mod numfmt;
pub mod object;
pub mod objects;
pub mod path;
pub mod persist;
pub mod store;
pub mod time;
pub mod uri;
pub mod validate;
pub mod value;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

/// What every module of the crate uses from `alloc` (the std prelude's share of it).
mod prelude {
    pub(crate) use alloc::borrow::ToOwned;
    pub(crate) use alloc::boxed::Box;
    pub(crate) use alloc::string::{String, ToString};
    pub(crate) use alloc::vec::Vec;
    pub(crate) use alloc::{format, vec};
}

pub use convert::ResourceType;
pub use error::Error;
pub use execute::ExecuteArgs;
pub use field::{Executable, Instances, ResourceField, ResourceValue};
pub use handler::Handler;
pub use meta::{Constraint, ObjectMeta, Operations, ResourceMeta};
pub use object::{Object, ObjectInstance};
pub use path::Path;
pub use store::{ObjectStore, WriteMode};
pub use time::Instant;
pub use value::{CoreLnk, Kind, ObjLnk, Time, Value, ValueRef};

#[cfg(feature = "derive")]
pub use lwm2m_derive::Object;
