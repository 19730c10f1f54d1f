//! [`Handler`]: the behaviour of an object, beside the data of its struct.
//!
//! A `#[derive(Object)]` struct (generated or hand-written) holds the resource values; the runtime
//! reads and writes them itself. What a device does beyond storing values goes into a handler, a
//! type of your own that implements [`Handler<T>`] for the object `T`, registered with each
//! instance. Every method has a default that does nothing, so a handler implements only what it
//! needs, and `()` is the handler of an object with no behaviour:
//!
//! | method | called | typical use |
//! | --- | --- | --- |
//! | [`read`](Handler::read) | before a server reads a resource | refresh a live value (a sensor) into the struct |
//! | [`validate_write`](Handler::validate_write) | before a write changes anything, after the registry checks | refuse a value; the [`Error`] becomes the CoAP code |
//! | [`written`](Handler::written) | after a write succeeded | apply the new configuration |
//! | [`execute`](Handler::execute) | on an Execute of an `E` resource | do it; arguments already parsed |
//! | [`created`](Handler::created) | after a server created the instance | set up |
//! | [`deleted`](Handler::deleted) | after a server deleted the instance | tear down |
//!
//! Executable resources hold no data in the struct (their field is an
//! [`Executable`](crate::Executable) marker): an Execute always goes to [`Handler::execute`].
//!
//! # Example
//!
//! ```
//! use lwm2m::{Error, ExecuteArgs, Executable, Handler, Object};
//!
//! #[derive(Debug, Default, Clone, Object)]
//! #[lwm2m(id = 3303, name = "Temperature", version = "1.1", multiple)]
//! struct Temperature {
//!     #[lwm2m(id = 5700, name = "Sensor Value", op = "R", mandatory)]
//!     value: f64,
//!     #[lwm2m(id = 5605, name = "Reset Min and Max Measured Values", op = "E")]
//!     reset: Executable,
//! }
//!
//! /// Reads a (simulated) sensor on every server read.
//! struct Thermometer {
//!     next: f64,
//!     resets: u32,
//! }
//!
//! impl Handler<Temperature> for Thermometer {
//!     fn read(&mut self, obj: &mut Temperature, resource: u16) -> Result<(), Error> {
//!         if resource == 5700 {
//!             obj.value = self.next;
//!             self.next += 0.5;
//!         }
//!         Ok(())
//!     }
//!
//!     fn execute(&mut self, _obj: &mut Temperature, resource: u16, args: &ExecuteArgs) -> Result<(), Error> {
//!         match resource {
//!             5605 if args.is_empty() => {
//!                 self.resets += 1;
//!                 Ok(())
//!             }
//!             5605 => Err(Error::BadRequest { reason: "no arguments expected".into() }),
//!             _ => Err(Error::MethodNotAllowed { resource }),
//!         }
//!     }
//! }
//!
//! let mut t = Temperature::default();
//! let mut h = Thermometer { next: 20.0, resets: 0 };
//! h.read(&mut t, 5700)?;
//! assert_eq!(t.value, 20.0);
//! h.execute(&mut t, 5605, &ExecuteArgs::parse("")?)?;
//! assert_eq!(h.resets, 1);
//! // `()` has no behaviour: an Execute with no implementation is 4.05 Method Not Allowed.
//! assert_eq!(
//!     ().execute(&mut t, 5605, &ExecuteArgs::new()),
//!     Err(Error::MethodNotAllowed { resource: 5605 })
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::error::Error;
use crate::execute::ExecuteArgs;
use crate::field::ResourceValue;
use crate::object::Object;

/// The behaviour of instances of the object `T`: see the [module documentation](self).
///
/// Every method has a default: reads and writes go to the struct unchanged, an Execute is
/// [`Error::MethodNotAllowed`] (4.05: the resource is executable but this device does not
/// implement it), the notifications do nothing.
pub trait Handler<T: Object>: 'static {
    /// Called before a server reads `resource` (also once per resource of an instance read), to
    /// refresh a live value into `obj`. An error aborts the read and is answered.
    fn read(&mut self, obj: &mut T, resource: u16) -> Result<(), Error> {
        let _ = (obj, resource);
        Ok(())
    }

    /// Called before a write changes anything, after the type, operation and registry-constraint
    /// checks passed. `changes` holds every resource the write sets, in request order; an error
    /// refuses the whole write and leaves `obj` unchanged.
    fn validate_write(&mut self, obj: &T, changes: &[(u16, ResourceValue)]) -> Result<(), Error> {
        let _ = (obj, changes);
        Ok(())
    }

    /// Called after a write succeeded, with the ids of the resources it set.
    fn written(&mut self, obj: &mut T, resources: &[u16]) {
        let _ = (obj, resources);
    }

    /// Executes the executable `resource` with its parsed arguments. The default refuses with
    /// [`Error::MethodNotAllowed`].
    fn execute(&mut self, obj: &mut T, resource: u16, args: &ExecuteArgs) -> Result<(), Error> {
        let _ = (obj, args);
        Err(Error::MethodNotAllowed { resource })
    }

    /// Called after a server created the instance `instance` of `T`.
    fn created(&mut self, obj: &mut T, instance: u16) {
        let _ = (obj, instance);
    }

    /// Called after a server deleted the instance `instance` of `T`; `obj` is its last value.
    fn deleted(&mut self, obj: &T, instance: u16) {
        let _ = (obj, instance);
    }
}

/// No behaviour: values stay in the struct, an Execute is [`Error::MethodNotAllowed`].
impl<T: Object> Handler<T> for () {}
