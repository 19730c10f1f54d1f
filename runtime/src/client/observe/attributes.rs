//! The `<NOTIFICATION>` class attributes, their Write-Attributes query syntax and their
//! link-format rendering (LwM2M Core TS 1.1 §5.1.2 and 1.2 §5.1.2, Table 5.1.2-2).
//!
//! | attribute | query | value | levels | resources |
//! | --- | --- | --- | --- | --- |
//! | Minimum Period | `pmin` | integer seconds | object, instance, resource, resource instance | readable |
//! | Maximum Period | `pmax` | integer seconds | object, instance, resource, resource instance | readable |
//! | Greater Than | `gt` | decimal | resource, resource instance | numeric |
//! | Less Than | `lt` | decimal | resource, resource instance | numeric |
//! | Step | `st` | non-negative decimal | resource, resource instance | numeric |
//! | Minimum Evaluation Period (1.2) | `epmin` | integer seconds | object, instance, resource, resource instance | readable |
//! | Maximum Evaluation Period (1.2) | `epmax` | integer seconds | object, instance, resource, resource instance | readable |
//! | Edge (1.2) | `edge` | `0` (falling) or `1` (rising) | resource, resource instance | boolean |
//!
//! The `<PROPERTIES>` class attributes (`dim`, `ssid`, `uri`, `ver`, `lwm2m`) are read-only: a
//! Write-Attributes that names one is refused with 4.00 Bad Request.

use crate::prelude::*;
use core::fmt;

use crate::path::Path;
use crate::value::Kind;

/// The notification attributes attached at one path, or the effective set of an observation.
///
/// `None` means "not set here". Periods are whole seconds (TS 1.1 grammar `1*DIGIT`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Attributes {
    /// `pmin`: the minimum time in seconds between two notifications.
    pub pmin: Option<u32>,
    /// `pmax`: the maximum time in seconds between two notifications; ignored when 0 or below
    /// `pmin`.
    pub pmax: Option<u32>,
    /// `gt`: notify when the value crosses this threshold upwards or downwards.
    pub gt: Option<f64>,
    /// `lt`: notify when the value crosses this threshold upwards or downwards.
    pub lt: Option<f64>,
    /// `st`: notify when the value moved by at least this much since the last notified value.
    pub st: Option<f64>,
    /// `epmin` (LwM2M 1.2): the minimum time in seconds between two evaluations of the
    /// notification conditions.
    pub epmin: Option<u32>,
    /// `epmax` (LwM2M 1.2): the maximum time in seconds between two evaluations; ignored when 0
    /// or below `epmin`.
    pub epmax: Option<u32>,
    /// `edge` (LwM2M 1.2): on a boolean resource, notify on the rising (`true`) or falling
    /// (`false`) edge only.
    pub edge: Option<bool>,
}

impl Attributes {
    /// Whether no attribute is set.
    pub fn is_empty(&self) -> bool {
        *self == Attributes::default()
    }

    /// These attributes with each unset one taken from `parent`: the inheritance rule of TS 1.1
    /// §5.1.2 (an attribute attached at a lower level overrides the one above it).
    pub fn or(self, parent: &Attributes) -> Attributes {
        Attributes {
            pmin: self.pmin.or(parent.pmin),
            pmax: self.pmax.or(parent.pmax),
            gt: self.gt.or(parent.gt),
            lt: self.lt.or(parent.lt),
            st: self.st.or(parent.st),
            epmin: self.epmin.or(parent.epmin),
            epmax: self.epmax.or(parent.epmax),
            edge: self.edge.or(parent.edge),
        }
    }

    /// Whether a "Change Value Condition" (`gt`, `lt`, `st`) or `edge` is set: without one, any
    /// change of the value is notified.
    pub fn has_change_conditions(&self) -> bool {
        self.gt.is_some() || self.lt.is_some() || self.st.is_some() || self.edge.is_some()
    }

    /// The validity rules of the Change Value Conditions (TS 1.1 §5.1.2): `lt < gt` and
    /// `lt + 2*st < gt` when those are set.
    pub fn check_thresholds(&self) -> Result<(), AttributeError> {
        if let (Some(lt), Some(gt)) = (self.lt, self.gt) {
            if lt >= gt {
                return Err(AttributeError::Thresholds("lt must be below gt"));
            }
            if let Some(st) = self.st
                && lt + 2.0 * st >= gt
            {
                return Err(AttributeError::Thresholds("lt + 2*st must be below gt"));
            }
        }
        Ok(())
    }

    /// The CoRE link-format parameters for Discover, in table order: `;pmin=10;gt=20.5`
    /// (empty when no attribute is set).
    pub fn link_params(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Attributes {
    /// Writes the link-format parameters, as [`Attributes::link_params`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(v) = self.pmin {
            write!(f, ";pmin={v}")?;
        }
        if let Some(v) = self.pmax {
            write!(f, ";pmax={v}")?;
        }
        if let Some(v) = self.gt {
            write!(f, ";gt={}", crate::numfmt::Float(v))?;
        }
        if let Some(v) = self.lt {
            write!(f, ";lt={}", crate::numfmt::Float(v))?;
        }
        if let Some(v) = self.st {
            write!(f, ";st={}", crate::numfmt::Float(v))?;
        }
        if let Some(v) = self.epmin {
            write!(f, ";epmin={v}")?;
        }
        if let Some(v) = self.epmax {
            write!(f, ";epmax={v}")?;
        }
        if let Some(v) = self.edge {
            write!(f, ";edge={}", u8::from(v))?;
        }
        Ok(())
    }
}

/// One notification attribute, by its CoRE link parameter name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Name {
    /// `pmin`.
    Pmin,
    /// `pmax`.
    Pmax,
    /// `gt`.
    Gt,
    /// `lt`.
    Lt,
    /// `st`.
    St,
    /// `epmin`.
    Epmin,
    /// `epmax`.
    Epmax,
    /// `edge`.
    Edge,
}

impl Name {
    /// Every notification attribute, in table order.
    pub const ALL: [Name; 8] = [
        Name::Pmin,
        Name::Pmax,
        Name::Gt,
        Name::Lt,
        Name::St,
        Name::Epmin,
        Name::Epmax,
        Name::Edge,
    ];

    /// The query / link parameter name (`"pmin"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Name::Pmin => "pmin",
            Name::Pmax => "pmax",
            Name::Gt => "gt",
            Name::Lt => "lt",
            Name::St => "st",
            Name::Epmin => "epmin",
            Name::Epmax => "epmax",
            Name::Edge => "edge",
        }
    }

    /// The attribute named `text`, if it is a notification attribute.
    pub fn from_name(text: &str) -> Option<Name> {
        Name::ALL.into_iter().find(|n| n.as_str() == text)
    }

    /// Whether the attribute can be attached at `path` (Table 5.1.2-2 "Assignation Level"):
    /// the periods at object, instance, resource and resource-instance level; `gt`, `lt`, `st`
    /// and `edge` at resource and resource-instance level only. Never at the root.
    pub fn allowed_at(self, path: &Path) -> bool {
        match self {
            Name::Pmin | Name::Pmax | Name::Epmin | Name::Epmax => !path.is_root(),
            Name::Gt | Name::Lt | Name::St | Name::Edge => path.resource_path().is_some(),
        }
    }

    /// Whether the attribute applies to a resource of this type: `gt`, `lt`, `st` to numeric
    /// resources (Integer, Unsigned Integer, Float), `edge` to Boolean ones, the periods to any
    /// readable (non-executable) resource.
    pub fn applies_to(self, kind: Kind) -> bool {
        match self {
            Name::Gt | Name::Lt | Name::St => is_numeric(kind),
            Name::Edge => kind == Kind::Boolean,
            Name::Pmin | Name::Pmax | Name::Epmin | Name::Epmax => kind != Kind::None,
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `gt`, `lt` and `st` apply to values of this type.
pub fn is_numeric(kind: Kind) -> bool {
    matches!(kind, Kind::Integer | Kind::UnsignedInteger | Kind::Float)
}

/// What a Write-Attributes does to one attribute.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Update<T> {
    /// The query does not name it: it stays as it is.
    #[default]
    Keep,
    /// `name=value`: set it.
    Set(T),
    /// `name` without a value: remove it (TS 1.1 §5.4.4 Write-Attributes).
    Remove,
}

impl<T: Copy> Update<T> {
    /// The value after this update of `current`.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Update::Keep => current,
            Update::Set(v) => Some(v),
            Update::Remove => None,
        }
    }

    /// Whether the query names the attribute (to set or to remove it).
    pub fn is_named(&self) -> bool {
        !matches!(self, Update::Keep)
    }
}

/// A parsed Write-Attributes request: per attribute, keep, set or remove.
///
/// ```
/// use lwm2m::client::observe::{AttributeUpdate, Attributes, Update};
/// let update = AttributeUpdate::parse(["pmin=10", "gt=20.5", "st"]).unwrap();
/// assert_eq!(update.pmin, Update::Set(10));
/// assert_eq!(update.st, Update::Remove);
/// let before = Attributes { st: Some(1.0), pmax: Some(60), ..Attributes::default() };
/// let after = update.apply(&before);
/// assert_eq!(after.link_params(), ";pmin=10;pmax=60;gt=20.5");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AttributeUpdate {
    /// `pmin`.
    pub pmin: Update<u32>,
    /// `pmax`.
    pub pmax: Update<u32>,
    /// `gt`.
    pub gt: Update<f64>,
    /// `lt`.
    pub lt: Update<f64>,
    /// `st`.
    pub st: Update<f64>,
    /// `epmin`.
    pub epmin: Update<u32>,
    /// `epmax`.
    pub epmax: Update<u32>,
    /// `edge`.
    pub edge: Update<bool>,
}

/// The `<PROPERTIES>` class attributes: readable by Discover, never written.
const READ_ONLY: [&str; 5] = ["dim", "ssid", "uri", "ver", "lwm2m"];

impl AttributeUpdate {
    /// Parses the Uri-Query options of a Write-Attributes request, one `name=value` or `name`
    /// each. Fails on an unknown or read-only attribute, an attribute given twice, a bad value
    /// or an empty request (all answered 4.00 Bad Request).
    pub fn parse<'a>(
        queries: impl IntoIterator<Item = &'a str>,
    ) -> Result<AttributeUpdate, AttributeError> {
        let mut update = AttributeUpdate::default();
        let mut any = false;
        for query in queries {
            let (key, value) = match query.split_once('=') {
                Some((key, value)) => (key, Some(value)),
                None => (query, None),
            };
            let Some(name) = Name::from_name(key) else {
                if READ_ONLY.contains(&key) {
                    return Err(AttributeError::ReadOnly(key.to_owned()));
                }
                return Err(AttributeError::Unknown(key.to_owned()));
            };
            if update.is_named(name) {
                return Err(AttributeError::Duplicate(name));
            }
            update.set(name, value)?;
            any = true;
        }
        if !any {
            return Err(AttributeError::Empty);
        }
        Ok(update)
    }

    /// Parses a whole query string, `pmin=10&pmax=60&st`, as [`AttributeUpdate::parse`].
    pub fn parse_query(query: &str) -> Result<AttributeUpdate, AttributeError> {
        AttributeUpdate::parse(query.split('&').filter(|q| !q.is_empty()))
    }

    /// Whether the update names `name` (to set or remove it).
    pub fn is_named(&self, name: Name) -> bool {
        match name {
            Name::Pmin => self.pmin.is_named(),
            Name::Pmax => self.pmax.is_named(),
            Name::Gt => self.gt.is_named(),
            Name::Lt => self.lt.is_named(),
            Name::St => self.st.is_named(),
            Name::Epmin => self.epmin.is_named(),
            Name::Epmax => self.epmax.is_named(),
            Name::Edge => self.edge.is_named(),
        }
    }

    /// The attributes this update names, in table order.
    pub fn names(&self) -> impl Iterator<Item = Name> + '_ {
        Name::ALL.into_iter().filter(|n| self.is_named(*n))
    }

    /// Whether the update names no attribute.
    pub fn is_empty(&self) -> bool {
        self.names().next().is_none()
    }

    /// `attrs` after this update.
    pub fn apply(&self, attrs: &Attributes) -> Attributes {
        Attributes {
            pmin: self.pmin.apply(attrs.pmin),
            pmax: self.pmax.apply(attrs.pmax),
            gt: self.gt.apply(attrs.gt),
            lt: self.lt.apply(attrs.lt),
            st: self.st.apply(attrs.st),
            epmin: self.epmin.apply(attrs.epmin),
            epmax: self.epmax.apply(attrs.epmax),
            edge: self.edge.apply(attrs.edge),
        }
    }

    fn set(&mut self, name: Name, value: Option<&str>) -> Result<(), AttributeError> {
        let Some(text) = value else {
            match name {
                Name::Pmin => self.pmin = Update::Remove,
                Name::Pmax => self.pmax = Update::Remove,
                Name::Gt => self.gt = Update::Remove,
                Name::Lt => self.lt = Update::Remove,
                Name::St => self.st = Update::Remove,
                Name::Epmin => self.epmin = Update::Remove,
                Name::Epmax => self.epmax = Update::Remove,
                Name::Edge => self.edge = Update::Remove,
            }
            return Ok(());
        };
        let bad = || AttributeError::BadValue {
            name,
            value: text.to_owned(),
        };
        match name {
            Name::Pmin => self.pmin = Update::Set(parse_seconds(text).ok_or_else(bad)?),
            Name::Pmax => self.pmax = Update::Set(parse_seconds(text).ok_or_else(bad)?),
            Name::Epmin => self.epmin = Update::Set(parse_seconds(text).ok_or_else(bad)?),
            Name::Epmax => self.epmax = Update::Set(parse_seconds(text).ok_or_else(bad)?),
            Name::Gt => self.gt = Update::Set(parse_decimal(text).ok_or_else(bad)?),
            Name::Lt => self.lt = Update::Set(parse_decimal(text).ok_or_else(bad)?),
            Name::St => {
                let st = parse_decimal(text).filter(|v| *v >= 0.0).ok_or_else(bad)?;
                self.st = Update::Set(st);
            }
            Name::Edge => {
                let edge = match text {
                    "0" => false,
                    "1" => true,
                    _ => return Err(bad()),
                };
                self.edge = Update::Set(edge);
            }
        }
        Ok(())
    }
}

/// `1*DIGIT` seconds that fit a `u32`.
fn parse_seconds(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `["-"] 1*DIGIT ["." 1*DIGIT]`: the TS grammar (1.2 allows negative thresholds). No exponent,
/// no `inf`/`NaN`, so the value is always finite.
fn parse_decimal(text: &str) -> Option<f64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match digits.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || frac.is_some_and(|f| !all_digits(f)) {
        return None;
    }
    crate::numfmt::parse_f64(text).filter(|v| v.is_finite())
}

/// Why a Write-Attributes is refused. [`AttributeError::coap_code`] gives the response code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AttributeError {
    /// The request names no attribute.
    #[error("write-attributes without any attribute")]
    Empty,
    /// A query key that is no LwM2M notification attribute.
    #[error("unknown attribute `{0}`")]
    Unknown(String),
    /// A `<PROPERTIES>` class attribute (`dim`, `ssid`, `uri`, `ver`, `lwm2m`).
    #[error("attribute `{0}` is read-only")]
    ReadOnly(String),
    /// The same attribute twice in one request.
    #[error("attribute `{0}` given twice")]
    Duplicate(Name),
    /// A value outside the attribute's grammar or range.
    #[error("attribute `{name}`: bad value `{value}`")]
    BadValue {
        /// The attribute.
        name: Name,
        /// The text given.
        value: String,
    },
    /// The attribute cannot be attached at this level (Table 5.1.2-2 "Assignation Level").
    #[error("attribute `{name}` cannot be attached to {path}")]
    Level {
        /// The attribute.
        name: Name,
        /// The target of the request.
        path: Path,
    },
    /// The attribute does not apply to the resource's data type (`gt` on a string, `edge` on an
    /// integer, a period on an executable resource).
    #[error("attribute `{name}` does not apply to {path}, a {kind} resource")]
    Kind {
        /// The attribute.
        name: Name,
        /// The target of the request.
        path: Path,
        /// The resource's type.
        kind: Kind,
    },
    /// The target resource is unknown to the type lookup.
    #[error("resource {0} not found")]
    NotFound(Path),
    /// The resulting `gt`, `lt`, `st` break `lt < gt` or `lt + 2*st < gt` (TS 1.1 §5.1.2).
    #[error("invalid change value conditions: {0}")]
    Thresholds(&'static str),
}

impl AttributeError {
    /// The CoAP response code as (class, detail): 4.04 for an unknown resource, 4.00 otherwise.
    pub const fn coap_code(&self) -> (u8, u8) {
        match self {
            AttributeError::NotFound(_) => (4, 4),
            _ => (4, 0),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_attribute() {
        let u = AttributeUpdate::parse([
            "pmin=1", "pmax=60", "gt=20.5", "lt=-3", "st=0.5", "epmin=2", "epmax=30", "edge=1",
        ])
        .unwrap();
        let a = u.apply(&Attributes::default());
        assert_eq!(
            a,
            Attributes {
                pmin: Some(1),
                pmax: Some(60),
                gt: Some(20.5),
                lt: Some(-3.0),
                st: Some(0.5),
                epmin: Some(2),
                epmax: Some(30),
                edge: Some(true),
            }
        );
        assert_eq!(
            a.link_params(),
            ";pmin=1;pmax=60;gt=20.5;lt=-3;st=0.5;epmin=2;epmax=30;edge=1"
        );
    }

    #[test]
    fn key_without_value_removes() {
        let u = AttributeUpdate::parse_query("pmin&gt=5").unwrap();
        assert_eq!(u.pmin, Update::Remove);
        assert_eq!(u.gt, Update::Set(5.0));
        assert_eq!(u.pmax, Update::Keep);
        let before = Attributes {
            pmin: Some(3),
            pmax: Some(9),
            ..Attributes::default()
        };
        let after = u.apply(&before);
        assert_eq!(after.pmin, None);
        assert_eq!(after.pmax, Some(9));
        assert_eq!(u.names().collect::<Vec<_>>(), [Name::Pmin, Name::Gt]);
    }

    #[test]
    fn rejects_bad_queries() {
        let cases: [(&[&str], AttributeError); 6] = [
            (&[], AttributeError::Empty),
            (&["foo=1"], AttributeError::Unknown("foo".into())),
            (&["dim=2"], AttributeError::ReadOnly("dim".into())),
            (&["pmin=1", "pmin=2"], AttributeError::Duplicate(Name::Pmin)),
            (&["pmin", "pmin=2"], AttributeError::Duplicate(Name::Pmin)),
            (
                &["edge=2"],
                AttributeError::BadValue {
                    name: Name::Edge,
                    value: "2".into(),
                },
            ),
        ];
        for (queries, expected) in cases {
            let got = AttributeUpdate::parse(queries.iter().copied()).unwrap_err();
            assert_eq!(got, expected, "{queries:?}");
            assert_eq!(got.coap_code(), (4, 0));
        }
        for bad in [
            "pmin=-1",
            "pmin=1.5",
            "pmin=",
            "pmin=x",
            "pmax=4294967296",
            "gt=1e3",
            "gt=inf",
            "gt=NaN",
            "gt=.5",
            "gt=5.",
            "lt=+1",
            "st=-1",
            "gt=",
            "epmax=1 ",
        ] {
            assert!(
                matches!(
                    AttributeUpdate::parse([bad]),
                    Err(AttributeError::BadValue { .. })
                ),
                "{bad} accepted"
            );
        }
    }

    #[test]
    fn threshold_rules() {
        let a = |gt, lt, st| Attributes {
            gt: Some(gt),
            lt: Some(lt),
            st,
            ..Attributes::default()
        };
        assert!(a(10.0, 5.0, None).check_thresholds().is_ok());
        assert!(a(10.0, 5.0, Some(2.4)).check_thresholds().is_ok());
        assert!(a(10.0, 5.0, Some(2.5)).check_thresholds().is_err());
        assert!(a(5.0, 5.0, None).check_thresholds().is_err());
        assert!(a(5.0, 10.0, None).check_thresholds().is_err());
        let only_gt = Attributes {
            gt: Some(1.0),
            st: Some(100.0),
            ..Attributes::default()
        };
        assert!(only_gt.check_thresholds().is_ok());
    }

    #[test]
    fn levels_and_kinds() {
        let obj = Path::object(3303);
        let res = Path::resource(3303, 0, 5700);
        let ri = Path::resource_instance(3303, 0, 5700, 1);
        assert!(Name::Pmin.allowed_at(&obj));
        assert!(Name::Pmin.allowed_at(&ri));
        assert!(!Name::Pmin.allowed_at(&Path::ROOT));
        assert!(!Name::Gt.allowed_at(&obj));
        assert!(!Name::Gt.allowed_at(&Path::instance(3303, 0)));
        assert!(Name::Gt.allowed_at(&res));
        assert!(Name::Edge.allowed_at(&ri));
        assert!(Name::Gt.applies_to(Kind::Float));
        assert!(Name::St.applies_to(Kind::UnsignedInteger));
        assert!(!Name::Lt.applies_to(Kind::String));
        assert!(!Name::Gt.applies_to(Kind::Time));
        assert!(Name::Edge.applies_to(Kind::Boolean));
        assert!(!Name::Edge.applies_to(Kind::Integer));
        assert!(!Name::Pmin.applies_to(Kind::None));
    }

    #[test]
    fn inheritance_fills_unset_only() {
        let child = Attributes {
            pmin: Some(1),
            ..Attributes::default()
        };
        let parent = Attributes {
            pmin: Some(5),
            pmax: Some(50),
            ..Attributes::default()
        };
        let merged = child.or(&parent);
        assert_eq!(merged.pmin, Some(1));
        assert_eq!(merged.pmax, Some(50));
    }
}
