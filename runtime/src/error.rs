//! Errors of resource access: what a read or write of an object's resource can fail with.

use crate::prelude::*;
use crate::value::Kind;

/// Why a read or write of a resource failed.
///
/// Each variant maps to the CoAP response code an LwM2M client answers with
/// ([`Error::coap_code`]):
///
/// | variant | CoAP code | meaning |
/// | --- | --- | --- |
/// | [`NotFound`](Error::NotFound) | 4.04 Not Found | no such resource, or an optional resource that is absent |
/// | [`MethodNotAllowed`](Error::MethodNotAllowed) | 4.05 Method Not Allowed | the resource's operations forbid it |
/// | [`TypeMismatch`](Error::TypeMismatch) | 4.00 Bad Request | a value of another data type |
/// | [`OutOfRange`](Error::OutOfRange) | 4.00 Bad Request | a value that the field's Rust type cannot hold |
/// | [`NotMultiple`](Error::NotMultiple) | 4.00 Bad Request | instances sent to a single-instance resource |
/// | [`NotSingle`](Error::NotSingle) | 4.00 Bad Request | one value sent to a multiple-instance resource |
/// | [`Constraint`](Error::Constraint) | 4.00 Bad Request | a value outside the registry's range, length or enumeration |
/// | [`MissingMandatory`](Error::MissingMandatory) | 4.00 Bad Request | a create without a mandatory resource |
/// | [`InstanceExists`](Error::InstanceExists) | 4.00 Bad Request | a create of an instance id in use |
/// | [`SingleInstance`](Error::SingleInstance) | 4.00 Bad Request | a second instance of a single-instance object |
/// | [`BadRequest`](Error::BadRequest) | 4.00 Bad Request | anything else the request got wrong (execute arguments, a handler's refusal) |
/// | [`CreateNotAllowed`](Error::CreateNotAllowed) | 4.05 Method Not Allowed | a create of an object the device does not let servers create |
/// | [`ObjectNotFound`](Error::ObjectNotFound) | 4.04 Not Found | no such object in the store |
/// | [`InstanceNotFound`](Error::InstanceNotFound) | 4.04 Not Found | no such object instance |
/// | [`ResourceInstanceNotFound`](Error::ResourceInstanceNotFound) | 4.04 Not Found | no such resource instance |
/// | [`Internal`](Error::Internal) | 5.00 Internal Server Error | the device failed (a sensor that cannot be read) |
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The object has no resource with this id, or the resource is optional and absent.
    #[error("resource {resource} not found")]
    NotFound {
        /// The resource id.
        resource: u16,
    },
    /// The resource exists but its operations do not allow this access (a read of a write-only or
    /// executable resource, a write of a read-only one).
    #[error("method not allowed on resource {resource}")]
    MethodNotAllowed {
        /// The resource id.
        resource: u16,
    },
    /// The value has another LwM2M data type than the resource.
    #[error("type mismatch: expected {expected}, found {found}")]
    TypeMismatch {
        /// The data type of the resource.
        expected: Kind,
        /// The data type of the value given.
        found: Kind,
    },
    /// The value has the right data type but does not fit the field's Rust type, such as 300 written
    /// into a `u8` or a negative number into a `u32`.
    #[error("value out of range for {target}")]
    OutOfRange {
        /// The Rust type that could not hold the value (`"u8"`, `"f32"`, ...).
        target: &'static str,
    },
    /// Several instances were given for a single-instance resource.
    #[error("resource {resource} is not a multiple-instance resource")]
    NotMultiple {
        /// The resource id.
        resource: u16,
    },
    /// A single value was given for a multiple-instance resource.
    #[error("resource {resource} is a multiple-instance resource")]
    NotSingle {
        /// The resource id.
        resource: u16,
    },
    /// The value has the right type but breaks the resource's constraint (numeric range, length,
    /// enumeration) from the registry.
    #[error("resource {resource}: {reason}")]
    Constraint {
        /// The resource id.
        resource: u16,
        /// What is wrong, such as `"100 is above the maximum 85"`.
        reason: String,
    },
    /// A create (or replace) lacks a mandatory resource.
    #[error("mandatory resource {resource} is missing")]
    MissingMandatory {
        /// The resource id.
        resource: u16,
    },
    /// A create names an object instance id that exists.
    #[error("instance /{object}/{instance} already exists")]
    InstanceExists {
        /// The object id.
        object: u16,
        /// The instance id.
        instance: u16,
    },
    /// A create of a second instance of a single-instance object.
    #[error("object {object} is single-instance and already has an instance")]
    SingleInstance {
        /// The object id.
        object: u16,
    },
    /// The request is wrong in another way: malformed execute arguments, or a handler's refusal.
    #[error("bad request: {reason}")]
    BadRequest {
        /// Why.
        reason: String,
    },
    /// The device does not let servers create instances of this object.
    #[error("object {object} does not allow create")]
    CreateNotAllowed {
        /// The object id.
        object: u16,
    },
    /// The store has no object with this id.
    #[error("object {object} not found")]
    ObjectNotFound {
        /// The object id.
        object: u16,
    },
    /// The store has no such object instance.
    #[error("instance /{object}/{instance} not found")]
    InstanceNotFound {
        /// The object id.
        object: u16,
        /// The instance id.
        instance: u16,
    },
    /// A multiple-instance resource has no instance with this id.
    #[error("resource instance {resource}/{instance} not found")]
    ResourceInstanceNotFound {
        /// The resource id.
        resource: u16,
        /// The resource-instance id.
        instance: u16,
    },
    /// The device could not do what was asked, though the request was valid.
    #[error("internal error: {reason}")]
    Internal {
        /// Why.
        reason: String,
    },
}

impl Error {
    /// The CoAP response code for this error, as `(class, detail)`: `(4, 4)` is 4.04 Not Found.
    ///
    /// [`NotFound`](Error::NotFound) is 4.04, [`MethodNotAllowed`](Error::MethodNotAllowed) is
    /// 4.05, every value error ([`TypeMismatch`](Error::TypeMismatch),
    /// [`OutOfRange`](Error::OutOfRange), [`NotMultiple`](Error::NotMultiple),
    /// [`NotSingle`](Error::NotSingle)) is 4.00 Bad Request; the table on [`Error`] lists all.
    pub const fn coap_code(&self) -> (u8, u8) {
        match self {
            Error::NotFound { .. }
            | Error::ObjectNotFound { .. }
            | Error::InstanceNotFound { .. }
            | Error::ResourceInstanceNotFound { .. } => (4, 4),
            Error::MethodNotAllowed { .. } | Error::CreateNotAllowed { .. } => (4, 5),
            Error::TypeMismatch { .. }
            | Error::OutOfRange { .. }
            | Error::NotMultiple { .. }
            | Error::NotSingle { .. }
            | Error::Constraint { .. }
            | Error::MissingMandatory { .. }
            | Error::InstanceExists { .. }
            | Error::SingleInstance { .. }
            | Error::BadRequest { .. } => (4, 0),
            Error::Internal { .. } => (5, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coap_codes() {
        assert_eq!(Error::NotFound { resource: 1 }.coap_code(), (4, 4));
        assert_eq!(Error::MethodNotAllowed { resource: 1 }.coap_code(), (4, 5));
        let mismatch = Error::TypeMismatch {
            expected: Kind::Integer,
            found: Kind::String,
        };
        assert_eq!(mismatch.coap_code(), (4, 0));
        assert_eq!(Error::OutOfRange { target: "u8" }.coap_code(), (4, 0));
        assert_eq!(Error::NotMultiple { resource: 1 }.coap_code(), (4, 0));
        assert_eq!(Error::NotSingle { resource: 1 }.coap_code(), (4, 0));
        let bad = Error::BadRequest { reason: "x".into() };
        assert_eq!(bad.coap_code(), (4, 0));
        assert_eq!(Error::SingleInstance { object: 3 }.coap_code(), (4, 0));
        let gone = Error::InstanceNotFound {
            object: 3,
            instance: 1,
        };
        assert_eq!(gone.coap_code(), (4, 4));
        let broken = Error::Internal { reason: "x".into() };
        assert_eq!(broken.coap_code(), (5, 0));
    }

    #[test]
    fn messages_name_the_resource_and_types() {
        assert_eq!(
            Error::NotFound { resource: 5700 }.to_string(),
            "resource 5700 not found"
        );
        let mismatch = Error::TypeMismatch {
            expected: Kind::UnsignedInteger,
            found: Kind::String,
        };
        assert_eq!(
            mismatch.to_string(),
            "type mismatch: expected Unsigned Integer, found String"
        );
        assert_eq!(
            Error::OutOfRange { target: "u8" }.to_string(),
            "value out of range for u8"
        );
    }
}
