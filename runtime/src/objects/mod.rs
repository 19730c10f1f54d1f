//! The built-in LwM2M objects every client needs, written with `#[derive(Object)]`:
//! [`Security`] (0), [`Server`] (1), [`AccessControl`] (2) and [`Device`] (3).
//!
//! Each struct carries every resource of the bundled registry version of its object, with the
//! same ids, operations, data types, multiplicity and mandatory flags, and constructors that give a
//! demo device a working configuration (the ETS minimum configuration C.1).
//!
//! ```
//! use lwm2m::objects::{Device, Security, Server};
//! use lwm2m::{Object, ResourceValue, Value};
//!
//! let security = Security::no_sec("coap://localhost:5683", 1);
//! let server = Server::new(1, 86400, "U");
//! let device = Device::demo();
//! assert_eq!(security.security_mode, Security::MODE_NO_SEC);
//! assert_eq!(
//!     Object::read(&server, 1),
//!     Ok(ResourceValue::Single(Value::Integer(86400)))
//! );
//! assert_eq!(device.supported_binding_and_modes, "U");
//! ```

mod access_control;
mod device;
#[cfg(feature = "firmware-update")]
mod firmware_update;
mod security;
mod server;

pub use access_control::AccessControl;
pub use device::{Device, DeviceHandler, WallClock};
#[cfg(feature = "firmware-update")]
#[cfg_attr(docsrs, doc(cfg(feature = "firmware-update")))]
pub use firmware_update::FirmwareUpdate;
pub use security::Security;
pub use server::Server;
