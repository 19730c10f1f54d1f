//! Resource values: the typed data that travels between objects and content formats.

use crate::prelude::*;
use alloc::borrow::Cow;
use core::fmt;

/// The LwM2M data type of a resource, as the object registry names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `String`: UTF-8 text.
    String,
    /// `Integer`: signed, up to 64 bits.
    Integer,
    /// `Unsigned Integer` (LwM2M 1.1): unsigned, up to 64 bits.
    UnsignedInteger,
    /// `Float`: IEEE 754, 32 or 64 bits on the wire.
    Float,
    /// `Boolean`.
    Boolean,
    /// `Opaque`: bytes.
    Opaque,
    /// `Time`: seconds since the Unix epoch.
    Time,
    /// `Objlnk`: a link to an object instance.
    ObjLnk,
    /// `Corelnk` (LwM2M 1.1): CoRE link-format text.
    CoreLnk,
    /// `none`: an executable resource carries no value.
    None,
}

impl Kind {
    /// The registry spelling ("Unsigned Integer", "Objlnk", "Corelnk", ...); "none" for [`Kind::None`].
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::String => "String",
            Kind::Integer => "Integer",
            Kind::UnsignedInteger => "Unsigned Integer",
            Kind::Float => "Float",
            Kind::Boolean => "Boolean",
            Kind::Opaque => "Opaque",
            Kind::Time => "Time",
            Kind::ObjLnk => "Objlnk",
            Kind::CoreLnk => "Corelnk",
            Kind::None => "none",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A point in time: seconds since the Unix epoch (LwM2M `Time`), signed as the specification says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Time(pub i64);

impl Time {
    /// The current system time, or the epoch if the clock is before it.
    #[cfg(feature = "std")]
    pub fn now() -> Time {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Time(i64::try_from(secs).unwrap_or(i64::MAX))
    }
}

/// An object link (LwM2M `Objlnk`): `object:instance`. `65535:65535` is the null link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjLnk {
    /// The linked object id.
    pub object: u16,
    /// The linked instance id.
    pub instance: u16,
}

impl ObjLnk {
    /// The null link `65535:65535`.
    pub const NULL: ObjLnk = ObjLnk {
        object: u16::MAX,
        instance: u16::MAX,
    };

    /// A link to `/object/instance`.
    pub const fn new(object: u16, instance: u16) -> ObjLnk {
        ObjLnk { object, instance }
    }
}

impl Default for ObjLnk {
    fn default() -> Self {
        ObjLnk::NULL
    }
}

impl fmt::Display for ObjLnk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.object, self.instance)
    }
}

/// CoRE link-format text (LwM2M `Corelnk`, RFC 6690), for example `</3/0>;ver=1.1`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct CoreLnk(pub String);

impl fmt::Display for CoreLnk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One value of a resource (or of one resource instance).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `String`.
    String(String),
    /// `Integer`.
    Integer(i64),
    /// `Unsigned Integer`.
    UnsignedInteger(u64),
    /// `Float`.
    Float(f64),
    /// `Boolean`.
    Boolean(bool),
    /// `Opaque`.
    Opaque(Vec<u8>),
    /// `Time`.
    Time(Time),
    /// `Objlnk`.
    ObjLnk(ObjLnk),
    /// `Corelnk`.
    CoreLnk(CoreLnk),
}

impl Value {
    /// The type this value carries.
    pub fn kind(&self) -> Kind {
        match self {
            Value::String(_) => Kind::String,
            Value::Integer(_) => Kind::Integer,
            Value::UnsignedInteger(_) => Kind::UnsignedInteger,
            Value::Float(_) => Kind::Float,
            Value::Boolean(_) => Kind::Boolean,
            Value::Opaque(_) => Kind::Opaque,
            Value::Time(_) => Kind::Time,
            Value::ObjLnk(_) => Kind::ObjLnk,
            Value::CoreLnk(_) => Kind::CoreLnk,
        }
    }
}

/// A [`Value`] lent by its owner: what a borrowing read hands the encoders, without copying a
/// string or the bytes of an Opaque.
///
/// The text and bytes are [`Cow`]s: borrowed from a field of an object on the store's read path
/// (a [`ResourceType`](crate::ResourceType) lends itself with
/// [`to_value_ref`](crate::ResourceType::to_value_ref)), owned when a value had to be made (a
/// type of the device's own that only converts itself with
/// [`to_value`](crate::ResourceType::to_value)). The other variants are copies.
///
/// ```
/// use lwm2m::Value;
/// use lwm2m::value::ValueRef;
///
/// let value = Value::String("LwM2M-rs".into());
/// let lent = value.as_ref();
/// assert!(matches!(lent, ValueRef::String(ref s) if s == "LwM2M-rs"));
/// assert_eq!(lent.into_owned(), value);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum ValueRef<'a> {
    /// `String`.
    String(Cow<'a, str>),
    /// `Integer`.
    Integer(i64),
    /// `Unsigned Integer`.
    UnsignedInteger(u64),
    /// `Float`.
    Float(f64),
    /// `Boolean`.
    Boolean(bool),
    /// `Opaque`.
    Opaque(Cow<'a, [u8]>),
    /// `Time`.
    Time(Time),
    /// `Objlnk`.
    ObjLnk(ObjLnk),
    /// `Corelnk`: the link-format text.
    CoreLnk(Cow<'a, str>),
}

impl ValueRef<'_> {
    /// The type this value carries.
    pub fn kind(&self) -> Kind {
        match self {
            ValueRef::String(_) => Kind::String,
            ValueRef::Integer(_) => Kind::Integer,
            ValueRef::UnsignedInteger(_) => Kind::UnsignedInteger,
            ValueRef::Float(_) => Kind::Float,
            ValueRef::Boolean(_) => Kind::Boolean,
            ValueRef::Opaque(_) => Kind::Opaque,
            ValueRef::Time(_) => Kind::Time,
            ValueRef::ObjLnk(_) => Kind::ObjLnk,
            ValueRef::CoreLnk(_) => Kind::CoreLnk,
        }
    }

    /// The value as an owned [`Value`] (text and bytes copied unless already owned).
    pub fn into_owned(self) -> Value {
        match self {
            ValueRef::String(s) => Value::String(s.into_owned()),
            ValueRef::Integer(n) => Value::Integer(n),
            ValueRef::UnsignedInteger(n) => Value::UnsignedInteger(n),
            ValueRef::Float(x) => Value::Float(x),
            ValueRef::Boolean(b) => Value::Boolean(b),
            ValueRef::Opaque(b) => Value::Opaque(b.into_owned()),
            ValueRef::Time(t) => Value::Time(t),
            ValueRef::ObjLnk(l) => Value::ObjLnk(l),
            ValueRef::CoreLnk(s) => Value::CoreLnk(CoreLnk(s.into_owned())),
        }
    }
}

impl Value {
    /// The value lent as a [`ValueRef`] (nothing copied).
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::String(s) => ValueRef::String(Cow::Borrowed(s)),
            Value::Integer(n) => ValueRef::Integer(*n),
            Value::UnsignedInteger(n) => ValueRef::UnsignedInteger(*n),
            Value::Float(x) => ValueRef::Float(*x),
            Value::Boolean(b) => ValueRef::Boolean(*b),
            Value::Opaque(b) => ValueRef::Opaque(Cow::Borrowed(b)),
            Value::Time(t) => ValueRef::Time(*t),
            Value::ObjLnk(l) => ValueRef::ObjLnk(*l),
            Value::CoreLnk(CoreLnk(s)) => ValueRef::CoreLnk(Cow::Borrowed(s)),
        }
    }
}

/// An owned value as a [`ValueRef`] that owns its text and bytes (nothing copied).
impl From<Value> for ValueRef<'static> {
    fn from(value: Value) -> ValueRef<'static> {
        match value {
            Value::String(s) => ValueRef::String(Cow::Owned(s)),
            Value::Integer(n) => ValueRef::Integer(n),
            Value::UnsignedInteger(n) => ValueRef::UnsignedInteger(n),
            Value::Float(x) => ValueRef::Float(x),
            Value::Boolean(b) => ValueRef::Boolean(b),
            Value::Opaque(b) => ValueRef::Opaque(Cow::Owned(b)),
            Value::Time(t) => ValueRef::Time(t),
            Value::ObjLnk(l) => ValueRef::ObjLnk(l),
            Value::CoreLnk(CoreLnk(s)) => ValueRef::CoreLnk(Cow::Owned(s)),
        }
    }
}
