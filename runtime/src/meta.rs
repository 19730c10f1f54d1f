//! Static metadata of objects and resources, as `#[derive(Object)]` records it from the registry.

use crate::value::Kind;

/// What an LwM2M server may do with a resource (the registry's `Operations`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operations {
    /// No operation (`""`): the resource is only reachable through its object, such as in
    /// bootstrap writes.
    None,
    /// Read only (`"R"`).
    Read,
    /// Write only (`"W"`).
    Write,
    /// Read and write (`"RW"`).
    ReadWrite,
    /// Execute (`"E"`).
    Execute,
}

impl Operations {
    /// Whether a server may read the resource (`R` or `RW`).
    pub const fn is_readable(self) -> bool {
        matches!(self, Operations::Read | Operations::ReadWrite)
    }

    /// Whether a server may write the resource (`W` or `RW`).
    pub const fn is_writable(self) -> bool {
        matches!(self, Operations::Write | Operations::ReadWrite)
    }

    /// Whether a server may execute the resource (`E`).
    pub const fn is_executable(self) -> bool {
        matches!(self, Operations::Execute)
    }

    /// The registry spelling: `""`, `"R"`, `"W"`, `"RW"` or `"E"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Operations::None => "",
            Operations::Read => "R",
            Operations::Write => "W",
            Operations::ReadWrite => "RW",
            Operations::Execute => "E",
        }
    }
}

/// The static description of one resource of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceMeta {
    /// The resource id.
    pub id: u16,
    /// The registry name, such as `"Sensor Value"`.
    pub name: &'static str,
    /// What a server may do with it.
    pub operations: Operations,
    /// Its data type; [`Kind::None`] for an executable resource.
    pub kind: Kind,
    /// Whether it has several instances (`Instances<T>`).
    pub multiple: bool,
    /// Whether every object instance has it.
    pub mandatory: bool,
    /// The registry's units, such as `"Cel"`.
    pub units: Option<&'static str>,
    /// The registry's raw `RangeEnumeration` text, such as `"0..255"` (for documentation).
    pub range: Option<&'static str>,
    /// What [`validate`](crate::validate) enforces on written values, from the `min`, `max`,
    /// `values`, `length` and `lengths` attributes of the derive.
    pub constraint: Constraint,
}

/// A bound or enumerated value of a [`Constraint`]: integers stay exact.
#[derive(Debug, Clone, Copy)]
pub enum Number {
    /// An integer (covers both `i64` and `u64`).
    Int(i128),
    /// A value with a fraction or an exponent.
    Float(f64),
}

impl Number {
    /// The number as `f64` (an integer rounded to the nearest).
    pub fn as_f64(self) -> f64 {
        match self {
            // Rounding is the point: an integer bound compared with a float value.
            #[allow(clippy::cast_precision_loss)]
            Number::Int(n) => n as f64,
            Number::Float(f) => f,
        }
    }
}

/// Equality of the representation: `Int(1)` is not `Float(1.0)`, a NaN equals itself.
impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            (Number::Float(a), Number::Float(b)) => a.to_bits() == b.to_bits(),
            _ => false,
        }
    }
}

impl Eq for Number {}

impl core::fmt::Display for Number {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Number::Int(n) => write!(f, "{}", crate::numfmt::Wide(*n)),
            Number::Float(x) => write!(f, "{}", crate::numfmt::Float(*x)),
        }
    }
}

/// One item of a numeric [`Constraint::Values`] enumeration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueItem {
    /// One allowed value.
    Value(Number),
    /// An inclusive range of allowed values.
    Range(Number, Number),
}

/// The constraint of a resource's values, from the registry's `RangeEnumeration`.
///
/// It applies to each value of a resource (each instance of a multiple one): numbers for
/// [`Range`](Constraint::Range) and [`Values`](Constraint::Values), the length in octets of a
/// String or Opaque value for [`Length`](Constraint::Length) and
/// [`Lengths`](Constraint::Lengths). A constraint that does not fit the value's type (a length on
/// an Integer) is not enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constraint {
    /// Anything of the right type.
    None,
    /// An inclusive numeric range; a missing bound is open.
    Range {
        /// The lowest allowed value.
        min: Option<Number>,
        /// The highest allowed value.
        max: Option<Number>,
    },
    /// An enumeration of allowed numbers and inclusive ranges.
    Values(&'static [ValueItem]),
    /// An inclusive range of lengths in octets.
    Length {
        /// The shortest allowed length.
        min: u64,
        /// The longest allowed length.
        max: u64,
    },
    /// An enumeration of allowed lengths in octets.
    Lengths(&'static [u64]),
}

/// The static description of an object: what `#[derive(Object)]` stores in [`Object::META`].
///
/// [`Object::META`]: crate::Object::META
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectMeta {
    /// The object id, such as 3303.
    pub id: u16,
    /// The registry name, such as `"Temperature"`.
    pub name: &'static str,
    /// The object version, such as `"1.1"`.
    pub version: &'static str,
    /// The LwM2M version the object was defined for, such as `"1.0"`.
    pub lwm2m_version: &'static str,
    /// The object URN, such as `"urn:oma:lwm2m:ext:3303:1.1"`.
    pub urn: &'static str,
    /// Whether a client may have several instances of it.
    pub multiple: bool,
    /// Whether every client must have it.
    pub mandatory: bool,
    /// Its resources, sorted by id.
    pub resources: &'static [ResourceMeta],
}

impl ObjectMeta {
    /// The resource with this id, if the object defines it.
    pub fn resource(&self, id: u16) -> Option<&'static ResourceMeta> {
        self.resources.get(self.position(id)?)
    }

    /// The position of the resource with this id in [`resources`](ObjectMeta::resources), if
    /// the object defines it.
    ///
    /// Most objects number their resources from 0 without gaps: then the resource sits at its
    /// id in the sorted list, found without a search; the binary search is for the others.
    pub fn position(&self, id: u16) -> Option<usize> {
        let direct = usize::from(id);
        match self.resources.get(direct) {
            Some(found) if found.id == id => Some(direct),
            _ => self.resources.binary_search_by_key(&id, |r| r.id).ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn resource(id: u16, operations: Operations) -> ResourceMeta {
        ResourceMeta {
            id,
            name: "r",
            operations,
            kind: Kind::Integer,
            multiple: false,
            mandatory: false,
            units: None,
            range: None,
            constraint: Constraint::None,
        }
    }

    static META: ObjectMeta = ObjectMeta {
        id: 9,
        name: "Test",
        version: "1.0",
        lwm2m_version: "1.0",
        urn: "urn:oma:lwm2m:oma:9",
        multiple: false,
        mandatory: false,
        resources: &[
            resource(0, Operations::Read),
            resource(3, Operations::Write),
            resource(70, Operations::Execute),
        ],
    };

    #[test]
    fn resource_lookup_by_id() {
        assert_eq!(META.resource(3).map(|r| r.id), Some(3));
        assert_eq!(META.resource(70).map(|r| r.id), Some(70));
        assert_eq!(META.resource(0).map(|r| r.id), Some(0));
        assert!(META.resource(1).is_none());
        assert!(META.resource(u16::MAX).is_none());
    }

    #[test]
    fn operation_predicates() {
        use Operations::*;
        let table = [
            (None, false, false, false, ""),
            (Read, true, false, false, "R"),
            (Write, false, true, false, "W"),
            (ReadWrite, true, true, false, "RW"),
            (Execute, false, false, true, "E"),
        ];
        for (op, r, w, e, text) in table {
            assert_eq!(op.is_readable(), r, "{op:?}");
            assert_eq!(op.is_writable(), w, "{op:?}");
            assert_eq!(op.is_executable(), e, "{op:?}");
            assert_eq!(op.as_str(), text);
        }
    }
}
