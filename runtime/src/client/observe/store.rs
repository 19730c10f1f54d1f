//! The attributes one LwM2M server attached with Write-Attributes, and their inheritance.
//!
//! Attributes are per server (TS 1.1 §5.1.2: "attached ... by a LwM2M Server"): the client keeps
//! one [`AttributeStore`] per server account.

use litemap::LiteMap;

use super::attributes::{AttributeError, AttributeUpdate, Attributes};
use crate::codec::KindLookup;
use crate::path::Path;

/// The Server object's defaults for an observation without `pmin`/`pmax`: resources
/// `/1/x/2` (Default Minimum Period, absent means 0) and `/1/x/3` (Default Maximum Period,
/// absent means none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Defaults {
    /// `/1/x/2` Default Minimum Period, in seconds.
    pub pmin: Option<u32>,
    /// `/1/x/3` Default Maximum Period, in seconds.
    pub pmax: Option<u32>,
}

/// Attributes attached by one server, keyed by the path they were written to.
///
/// ```
/// use lwm2m::client::observe::{AttributeStore, AttributeUpdate, Defaults};
/// use lwm2m::{Kind, Path};
/// let kinds = |_: &Path| Some((Kind::Float, false));
/// let mut store = AttributeStore::new();
/// let update = AttributeUpdate::parse(["pmin=5"]).unwrap();
/// store.write(&Path::object(3303), &update, &kinds).unwrap();
/// let update = AttributeUpdate::parse(["gt=30"]).unwrap();
/// store.write(&Path::resource(3303, 0, 5700), &update, &kinds).unwrap();
/// let eff = store.effective(&Path::resource(3303, 0, 5700), Defaults { pmin: Some(1), pmax: Some(60) });
/// assert_eq!(eff.link_params(), ";pmin=5;pmax=60;gt=30");
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttributeStore {
    attached: LiteMap<Path, Attributes>,
}

impl AttributeStore {
    /// An empty store.
    pub fn new() -> AttributeStore {
        AttributeStore::default()
    }

    /// The attributes attached exactly at `path` (what Discover shows for it).
    pub fn get(&self, path: &Path) -> Option<&Attributes> {
        self.attached.get(path)
    }

    /// Every path with attributes, in tree order.
    pub fn iter(&self) -> impl Iterator<Item = (&Path, &Attributes)> {
        self.attached.iter()
    }

    /// The number of paths with attributes.
    pub fn len(&self) -> usize {
        self.attached.len()
    }

    /// Whether no attribute is attached anywhere.
    pub fn is_empty(&self) -> bool {
        self.attached.is_empty()
    }

    /// Applies a Write-Attributes to `path` (TS 1.1 §5.4.4): sets the named attributes, removes
    /// those named without a value, keeps the others. `kinds` gives the type of the target
    /// resource.
    ///
    /// Refused, changing nothing, when an attribute cannot be attached at this level, does not
    /// apply to the resource type (`gt`/`lt`/`st` need a numeric resource, `edge` a boolean one,
    /// no attribute on an executable one), or when the result, with what is inherited from
    /// above, breaks `lt < gt` or `lt + 2*st < gt`.
    pub fn write(
        &mut self,
        path: &Path,
        update: &AttributeUpdate,
        kinds: &dyn KindLookup,
    ) -> Result<(), AttributeError> {
        let kind = match path.resource_path() {
            Some(resource) => Some(
                kinds
                    .kind(&resource)
                    .map(|(kind, _multiple)| kind)
                    .ok_or(AttributeError::NotFound(resource))?,
            ),
            None => None,
        };
        for name in update.names() {
            if !name.allowed_at(path) {
                return Err(AttributeError::Level { name, path: *path });
            }
            if let Some(kind) = kind
                && !name.applies_to(kind)
            {
                return Err(AttributeError::Kind {
                    name,
                    path: *path,
                    kind,
                });
            }
        }
        let own = update.apply(&self.get(path).copied().unwrap_or_default());
        let inherited = path
            .parent()
            .map(|parent| self.inherited(&parent))
            .unwrap_or_default();
        own.or(&inherited).check_thresholds()?;
        if own.is_empty() {
            self.attached.remove(path);
        } else {
            self.attached.insert(*path, own);
        }
        Ok(())
    }

    /// The attributes in force at `path` without the Server defaults: each attribute from the
    /// lowest level that sets it, resource instance -> resource -> instance -> object.
    pub fn inherited(&self, path: &Path) -> Attributes {
        let mut merged = Attributes::default();
        let mut at = Some(*path);
        while let Some(p) = at {
            if p.is_root() {
                break;
            }
            if let Some(attrs) = self.attached.get(&p) {
                merged = merged.or(attrs);
            }
            at = p.parent();
        }
        merged
    }

    /// The effective attributes of an observation of `path`: [`AttributeStore::inherited`], then
    /// `pmin`/`pmax` from the Server object's defaults, and `pmin` 0 when neither sets it
    /// (TS 1.1 §5.1.2, Table 5.1.2-2 "Default Value").
    pub fn effective(&self, path: &Path, defaults: Defaults) -> Attributes {
        let mut eff = self.inherited(path);
        eff.pmin = eff.pmin.or(defaults.pmin).or(Some(0));
        eff.pmax = eff.pmax.or(defaults.pmax);
        eff
    }

    /// Forgets the attributes at `path` and below it (the instance or object was deleted).
    pub fn remove_under(&mut self, path: &Path) {
        self.attached.retain(|p, _| !path.contains(p));
    }

    /// Forgets every attribute (the server re-registered or was removed).
    pub fn clear(&mut self) {
        self.attached.clear();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::client::observe::Name;
    use crate::value::Kind;

    fn kinds(path: &Path) -> Option<(Kind, bool)> {
        match path.resource_id()? {
            5700 => Some((Kind::Float, false)),
            5701 => Some((Kind::String, false)),
            5850 => Some((Kind::Boolean, false)),
            7 => Some((Kind::Integer, true)),
            5605 => Some((Kind::None, false)),
            _ => None,
        }
    }

    fn write(store: &mut AttributeStore, path: &str, query: &str) -> Result<(), AttributeError> {
        let update = AttributeUpdate::parse_query(query)?;
        store.write(&path.parse().unwrap(), &update, &kinds)
    }

    #[test]
    fn writes_merge_and_remove() {
        let mut s = AttributeStore::new();
        write(&mut s, "/3303/0/5700", "pmin=2&gt=10").unwrap();
        write(&mut s, "/3303/0/5700", "pmax=20").unwrap();
        let p = Path::resource(3303, 0, 5700);
        assert_eq!(s.get(&p).unwrap().link_params(), ";pmin=2;pmax=20;gt=10");
        write(&mut s, "/3303/0/5700", "pmin&pmax&gt").unwrap();
        assert_eq!(s.get(&p), None, "an emptied path is dropped");
        assert!(s.is_empty());
    }

    #[test]
    fn levels_are_enforced() {
        let mut s = AttributeStore::new();
        assert!(matches!(
            write(&mut s, "/3303/0", "gt=1"),
            Err(AttributeError::Level { name: Name::Gt, .. })
        ));
        assert!(matches!(
            write(&mut s, "/", "pmin=1"),
            Err(AttributeError::Level { .. })
        ));
        assert!(matches!(
            write(&mut s, "/3303/0/5701", "st=1"),
            Err(AttributeError::Kind {
                kind: Kind::String,
                ..
            })
        ));
        assert!(matches!(
            write(&mut s, "/3303/0/5700", "edge=1"),
            Err(AttributeError::Kind { .. })
        ));
        assert!(matches!(
            write(&mut s, "/3303/0/5605", "pmin=1"),
            Err(AttributeError::Kind { .. })
        ));
        let missing = write(&mut s, "/3303/0/9999", "pmin=1").unwrap_err();
        assert_eq!(missing.coap_code(), (4, 4));
        write(&mut s, "/3311/0/5850", "edge=0").unwrap();
        write(&mut s, "/3/0/7/1", "lt=3").unwrap();
        write(&mut s, "/3/0/7", "gt=5").unwrap();
        write(&mut s, "/3303", "pmin=1&epmin=1&epmax=9").unwrap();
        assert_eq!(s.len(), 4);
    }

    #[test]
    fn thresholds_checked_on_the_result() {
        let mut s = AttributeStore::new();
        write(&mut s, "/3303/0/5700", "lt=5").unwrap();
        assert!(matches!(
            write(&mut s, "/3303/0/5700", "gt=4"),
            Err(AttributeError::Thresholds(_))
        ));
        // Refused writes change nothing.
        assert_eq!(s.get(&Path::resource(3303, 0, 5700)).unwrap().gt, None);
        write(&mut s, "/3303/0/5700", "gt=10&st=2").unwrap();
        assert!(write(&mut s, "/3303/0/5700", "st=2.5").is_err());
        // Inherited from the resource down to a resource instance.
        write(&mut s, "/3/0/7", "lt=5").unwrap();
        assert!(write(&mut s, "/3/0/7/0", "gt=5").is_err());
        write(&mut s, "/3/0/7/0", "gt=6").unwrap();
    }

    #[test]
    fn inheritance_precedence() {
        let mut s = AttributeStore::new();
        write(&mut s, "/3303", "pmin=1&pmax=100&epmin=7").unwrap();
        write(&mut s, "/3303/0", "pmin=2").unwrap();
        write(&mut s, "/3303/0/5700", "pmax=30&gt=1").unwrap();
        let defaults = Defaults {
            pmin: Some(9),
            pmax: Some(99),
        };
        let res = s.effective(&Path::resource(3303, 0, 5700), defaults);
        assert_eq!(res.link_params(), ";pmin=2;pmax=30;gt=1;epmin=7");
        let other_instance = s.effective(&Path::resource(3303, 1, 5700), defaults);
        assert_eq!(other_instance.link_params(), ";pmin=1;pmax=100;epmin=7");
        let inst = s.effective(&Path::instance(3303, 0), defaults);
        assert_eq!(inst.gt, None, "gt is not inherited upwards");
        let unrelated = s.effective(&Path::resource(3, 0, 0), defaults);
        assert_eq!((unrelated.pmin, unrelated.pmax), (Some(9), Some(99)));
        let bare = s.effective(&Path::resource(3, 0, 0), Defaults::default());
        assert_eq!((bare.pmin, bare.pmax), (Some(0), None));
        s.remove_under(&Path::instance(3303, 0));
        assert_eq!(s.len(), 1);
        assert_eq!(s.get(&Path::object(3303)).unwrap().pmin, Some(1));
    }
}
