//! The model of an LwM2M object definition, independent of XML.
//!
//! The parser (`crate::parse`) fills it from the registry's XML files after validation; code
//! generators and documentation tools read it. Every text field is trimmed and blank values are
//! `None`, so a consumer never sees the registry's four spellings of "empty".

use std::fmt;
use std::path::PathBuf;

/// One object definition: the content of one `<Object>` element of a registry XML file.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectDef {
    /// `ObjectID`, for example 3303.
    pub id: u16,
    /// `Name`, trimmed, inner whitespace runs collapsed to one space (for example "Temperature").
    pub name: String,
    /// `Description1`, trimmed; may span several lines.
    pub description: String,
    /// `Description2`, trimmed, `None` when blank (it is blank in almost every file).
    pub description2: Option<String>,
    /// `ObjectURN`, for example `urn:oma:lwm2m:ext:3303:1.1`.
    pub urn: String,
    /// `ObjectVersion`; "1.0" when the element is missing or blank.
    pub version: Version,
    /// `LWM2MVersion`; "1.0" when the element is missing or blank.
    pub lwm2m_version: Version,
    /// `MultipleInstances` is `Multiple`.
    pub multiple: bool,
    /// `Mandatory` is `Mandatory`.
    pub mandatory: bool,
    /// The resources, in the order of the file (which is not always numeric).
    pub resources: Vec<ResourceDef>,
    /// Where the definition was read from, when it was read from a file.
    pub source: Option<PathBuf>,
}

/// One resource definition: an `<Item>` of `<Resources>`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceDef {
    /// `Item@ID`, for example 5700.
    pub id: u16,
    /// `Name`, trimmed, inner whitespace (including NBSP) collapsed to one space.
    pub name: String,
    /// `Operations`.
    pub operations: Operations,
    /// `MultipleInstances` is `Multiple`.
    pub multiple: bool,
    /// `Mandatory` is `Mandatory`.
    pub mandatory: bool,
    /// `Type`; `None` for executables (their Type is empty in the registry).
    pub kind: Option<ResourceType>,
    /// `RangeEnumeration`, parsed best-effort; `None` when blank or missing.
    pub range: Option<Range>,
    /// `Units`, trimmed, `None` when blank (kept as an opaque string: mostly SenML unit codes).
    pub units: Option<String>,
    /// `Description`, trimmed.
    pub description: String,
}

/// The `Operations` of a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operations {
    /// Empty in the XML: bootstrap-only resources of the Security/OSCORE objects.
    None,
    /// `R`.
    Read,
    /// `W`.
    Write,
    /// `RW`.
    ReadWrite,
    /// `E`.
    Execute,
}

impl Operations {
    /// The registry spelling: "", "R", "W", "RW" or "E".
    pub fn as_str(self) -> &'static str {
        match self {
            Operations::None => "",
            Operations::Read => "R",
            Operations::Write => "W",
            Operations::ReadWrite => "RW",
            Operations::Execute => "E",
        }
    }

    /// Parses the registry spelling (exact, case-sensitive; the registry has no variants).
    pub fn from_registry(text: &str) -> Option<Self> {
        Some(match text {
            "" => Operations::None,
            "R" => Operations::Read,
            "W" => Operations::Write,
            "RW" => Operations::ReadWrite,
            "E" => Operations::Execute,
            _ => return None,
        })
    }

    /// The resource can be read by a server.
    pub fn is_readable(self) -> bool {
        matches!(self, Operations::Read | Operations::ReadWrite)
    }

    /// The resource can be written by a server.
    pub fn is_writable(self) -> bool {
        matches!(self, Operations::Write | Operations::ReadWrite)
    }

    /// The resource is executable.
    pub fn is_executable(self) -> bool {
        self == Operations::Execute
    }
}

impl fmt::Display for Operations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The data type of a resource (`Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceType {
    /// `String`: UTF-8 text.
    String,
    /// `Integer`: signed, up to 64 bits.
    Integer,
    /// `Unsigned Integer` (LwM2M 1.1): unsigned, up to 64 bits.
    UnsignedInteger,
    /// `Float`: 32 or 64-bit IEEE 754.
    Float,
    /// `Boolean`.
    Boolean,
    /// `Opaque`: a sequence of bytes.
    Opaque,
    /// `Time`: seconds since the Unix epoch.
    Time,
    /// `Objlnk`: an object link (object id, instance id).
    Objlnk,
    /// `Corelnk` (LwM2M 1.1): a CoRE link-format string.
    Corelnk,
}

impl ResourceType {
    /// Every type, in declaration order.
    pub const ALL: [ResourceType; 9] = [
        ResourceType::String,
        ResourceType::Integer,
        ResourceType::UnsignedInteger,
        ResourceType::Float,
        ResourceType::Boolean,
        ResourceType::Opaque,
        ResourceType::Time,
        ResourceType::Objlnk,
        ResourceType::Corelnk,
    ];

    /// The registry spelling, for example "Unsigned Integer".
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::String => "String",
            ResourceType::Integer => "Integer",
            ResourceType::UnsignedInteger => "Unsigned Integer",
            ResourceType::Float => "Float",
            ResourceType::Boolean => "Boolean",
            ResourceType::Opaque => "Opaque",
            ResourceType::Time => "Time",
            ResourceType::Objlnk => "Objlnk",
            ResourceType::Corelnk => "Corelnk",
        }
    }

    /// Parses the registry spelling (exact; blank is handled by the caller as "no type").
    pub fn from_registry(text: &str) -> Option<Self> {
        ResourceType::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `major.minor` version such as `ObjectVersion` or `LWM2MVersion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    /// The major number.
    pub major: u16,
    /// The minor number.
    pub minor: u16,
}

impl Version {
    /// 1.0, the default when the registry leaves a version out.
    pub const V1_0: Version = Version { major: 1, minor: 0 };

    /// Parses `major.minor` (for example "1.1"); `None` for anything else.
    pub fn parse(text: &str) -> Option<Version> {
        let (major, minor) = text.trim().split_once('.')?;
        Some(Version {
            major: major.parse().ok()?,
            minor: minor.parse().ok()?,
        })
    }
}

impl Default for Version {
    fn default() -> Self {
        Version::V1_0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A number as written in a `RangeEnumeration`: integers stay exact (64-bit ranges exist).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// A value that fits `i64`.
    Int(i64),
    /// A non-negative value above `i64::MAX` (up to `u64::MAX`).
    UInt(u64),
    /// A value written with a fraction or exponent.
    Float(f64),
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(v) => write!(f, "{v}"),
            Number::UInt(v) => write!(f, "{v}"),
            Number::Float(v) => write!(f, "{v:?}"),
        }
    }
}

/// A parsed `RangeEnumeration`. The raw text is always kept, for documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    /// The text as written in the XML, trimmed.
    pub text: String,
    /// What the text was understood to mean.
    pub constraint: Constraint,
}

/// The meaning of a `RangeEnumeration`, as far as it could be understood.
///
/// For String and Opaque resources the numbers constrain the length in octets (LwM2M Core TS);
/// the parser records that by producing [`Constraint::Length`] for those types.
#[derive(Debug, Clone, PartialEq)]
pub enum Constraint {
    /// An inclusive numeric range `min..max`.
    Range {
        /// Lower bound, inclusive.
        min: Number,
        /// Upper bound, inclusive.
        max: Number,
    },
    /// An enumeration of allowed numeric values, possibly with ranges mixed in (`0..247, 255`).
    Enumeration(Vec<RangeItem>),
    /// An inclusive length range in octets (String / Opaque resources, or text such as `0..255 bytes`).
    Length {
        /// Minimum length, inclusive.
        min: u64,
        /// Maximum length, inclusive.
        max: u64,
    },
    /// An enumeration of allowed lengths in octets (`16,32,48` on an Opaque).
    Lengths(Vec<u64>),
    /// An enumeration of allowed strings (`"foo","bar"`), or labelled values (`0: ON`).
    Labels(Vec<(Option<Number>, String)>),
    /// Free text that could not be understood; kept for documentation, never enforced.
    Unparsed,
}

/// One item of a numeric enumeration.
#[derive(Debug, Clone, PartialEq)]
pub enum RangeItem {
    /// A single allowed value.
    Value(Number),
    /// An inclusive range of allowed values.
    Range(Number, Number),
}
