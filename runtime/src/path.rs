//! LwM2M paths: `/`, `/o`, `/o/i`, `/o/i/r` and `/o/i/r/ri`.

use crate::prelude::*;
use core::fmt;
use core::str::FromStr;

/// An absolute LwM2M path: the root, an object, an object instance, a resource or a resource
/// instance.
///
/// Paths order as the resource tree is walked: a parent sorts before its children, siblings by id
/// (`/3` < `/3/0` < `/3/0/0` < `/3/0/0/0` < `/3/0/1` < `/3/1` < `/4`).
///
/// ```
/// use lwm2m::Path;
/// let p: Path = "/3/0/7/1".parse().unwrap();
/// assert_eq!(p, Path::resource_instance(3, 0, 7, 1));
/// assert_eq!(p.to_string(), "/3/0/7/1");
/// assert_eq!(p.resource_path(), Some(Path::resource(3, 0, 7)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Path {
    // Invariant: `len <= 4`; ids past `len` are zero (so derived Eq/Ord/Hash are correct).
    len: u8,
    ids: [u16; 4],
}

/// Why a text is not a valid LwM2M path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The text does not start with `/`.
    #[error("path `{0}` does not start with `/`")]
    NotAbsolute(String),
    /// A component is empty, not decimal, or above 65535.
    #[error("path `{path}`: component `{component}` is not an id between 0 and 65535")]
    BadComponent {
        /// The whole text.
        path: String,
        /// The offending component.
        component: String,
    },
    /// More than four components.
    #[error("path `{0}` has more than 4 components")]
    TooLong(String),
}

impl Path {
    /// The root path `/`.
    pub const ROOT: Path = Path {
        len: 0,
        ids: [0; 4],
    };

    /// `/object`.
    pub const fn object(object: u16) -> Path {
        Path {
            len: 1,
            ids: [object, 0, 0, 0],
        }
    }

    /// `/object/instance`.
    pub const fn instance(object: u16, instance: u16) -> Path {
        Path {
            len: 2,
            ids: [object, instance, 0, 0],
        }
    }

    /// `/object/instance/resource`.
    pub const fn resource(object: u16, instance: u16, resource: u16) -> Path {
        Path {
            len: 3,
            ids: [object, instance, resource, 0],
        }
    }

    /// `/object/instance/resource/resource_instance`.
    pub const fn resource_instance(object: u16, instance: u16, resource: u16, ri: u16) -> Path {
        Path {
            len: 4,
            ids: [object, instance, resource, ri],
        }
    }

    /// A path from up to four ids; `None` for more than four.
    pub fn from_ids(ids: &[u16]) -> Option<Path> {
        let mut path = Path::ROOT;
        for &id in ids {
            path = path.child(id)?;
        }
        Some(path)
    }

    /// The ids of this path, outermost first (empty for the root).
    pub fn ids(&self) -> &[u16] {
        self.ids.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The number of components: 0 (root) to 4 (resource instance).
    #[allow(clippy::len_without_is_empty)] // `is_root` is the empty path
    pub const fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether this is the root path `/`.
    pub const fn is_root(&self) -> bool {
        self.len == 0
    }

    /// The object id, if the path has one.
    pub fn object_id(&self) -> Option<u16> {
        self.ids().first().copied()
    }

    /// The object instance id, if the path has one.
    pub fn instance_id(&self) -> Option<u16> {
        self.ids().get(1).copied()
    }

    /// The resource id, if the path has one.
    pub fn resource_id(&self) -> Option<u16> {
        self.ids().get(2).copied()
    }

    /// The resource instance id, if the path has one.
    pub fn resource_instance_id(&self) -> Option<u16> {
        self.ids().get(3).copied()
    }

    /// Whether the path names exactly an object (`/o`).
    pub const fn is_object(&self) -> bool {
        self.len == 1
    }

    /// Whether the path names exactly an object instance (`/o/i`).
    pub const fn is_instance(&self) -> bool {
        self.len == 2
    }

    /// Whether the path names exactly a resource (`/o/i/r`).
    pub const fn is_resource(&self) -> bool {
        self.len == 3
    }

    /// Whether the path names exactly a resource instance (`/o/i/r/ri`).
    pub const fn is_resource_instance(&self) -> bool {
        self.len == 4
    }

    /// This path with one more component, or `None` below a resource instance.
    #[inline]
    pub fn child(&self, id: u16) -> Option<Path> {
        // Built whole rather than by writing one slot of a copy: the decoders build paths id by
        // id and use them at once, and a narrow store read back wide stalls the CPU.
        let [a, b, c, _] = self.ids;
        let ids = match self.len {
            0 => [id, 0, 0, 0],
            1 => [a, id, 0, 0],
            2 => [a, b, id, 0],
            3 => [a, b, c, id],
            _ => return None,
        };
        Some(Path {
            len: self.len + 1,
            ids,
        })
    }

    /// The parent path, or `None` for the root.
    pub fn parent(&self) -> Option<Path> {
        let last = usize::from(self.len.checked_sub(1)?);
        let mut ids = self.ids;
        if let Some(slot) = ids.get_mut(last) {
            *slot = 0;
        }
        Some(Path {
            len: self.len - 1,
            ids,
        })
    }

    /// The resource this path is in (`/o/i/r` for `/o/i/r` and `/o/i/r/ri`), `None` above a resource.
    pub fn resource_path(&self) -> Option<Path> {
        match self.len {
            3 => Some(*self),
            4 => self.parent(),
            _ => None,
        }
    }

    /// Whether `other` is this path or below it (`/3` contains `/3/0/1`; the root contains all).
    pub fn contains(&self, other: &Path) -> bool {
        if other.len < self.len {
            return false;
        }
        // The top `16 * len` bits of the packed ids must agree (none for the root).
        let prefix = u64::MAX
            .checked_shl(64u32.saturating_sub(16 * u32::from(self.len)))
            .unwrap_or(0);
        (self.packed_ids() ^ other.packed_ids()) & prefix == 0
    }

    /// The four id slots packed into one integer, outermost in the high bits. Ids past the length
    /// are zero, so comparing packed ids (then lengths) is comparing paths in tree order.
    #[inline]
    pub(crate) const fn packed_ids(&self) -> u64 {
        // Four narrow loads, not one wide one: paths are often read right after the decoders
        // built them id by id, and a wide load of narrow stores stalls the CPU.
        let [a, b, c, d] = self.ids;
        (a as u64) << 48 | (b as u64) << 32 | (c as u64) << 16 | d as u64
    }
}

impl Ord for Path {
    fn cmp(&self, other: &Path) -> core::cmp::Ordering {
        // Tree order (a prefix first). Ids past `len` are zero, so comparing the packed ids and
        // then the lengths gives the same order as comparing the `ids()` slices, in two integer
        // comparisons (this is on every store and codec lookup).
        self.packed_ids()
            .cmp(&other.packed_ids())
            .then(self.len.cmp(&other.len))
    }
}

impl PartialOrd for Path {
    fn partial_cmp(&self, other: &Path) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            return f.write_str("/");
        }
        for id in self.ids() {
            write!(f, "/{id}")?;
        }
        Ok(())
    }
}

impl FromStr for Path {
    type Err = PathError;

    /// Parses `/`, `/3`, `/3/0`, `/3/0/1` or `/3/0/1/2`. A single trailing slash is accepted
    /// (`/3/0/`), as LwM2M base names often end with one. Leading zeros are accepted (`/03`).
    fn from_str(text: &str) -> Result<Path, PathError> {
        let rest = text
            .strip_prefix('/')
            .ok_or_else(|| PathError::NotAbsolute(text.to_owned()))?;
        if rest.is_empty() {
            return Ok(Path::ROOT);
        }
        let rest = match rest.strip_suffix('/') {
            Some("") => {
                return Err(PathError::BadComponent {
                    path: text.to_owned(),
                    component: String::new(),
                });
            }
            Some(trimmed) => trimmed,
            None => rest,
        };
        let mut path = Path::ROOT;
        for component in rest.split('/') {
            let id = parse_id(component).ok_or_else(|| PathError::BadComponent {
                path: text.to_owned(),
                component: component.to_owned(),
            })?;
            path = path
                .child(id)
                .ok_or_else(|| PathError::TooLong(text.to_owned()))?;
        }
        Ok(path)
    }
}

/// A decimal id between 0 and 65535: ASCII digits only (no sign, no spaces).
fn parse_id(text: &str) -> Option<u16> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        for text in ["/", "/3", "/3/0", "/3/0/1", "/3/0/7/65535"] {
            let path: Path = text.parse().unwrap();
            assert_eq!(path.to_string(), text);
        }
        assert_eq!("/3/0/".parse::<Path>().unwrap(), Path::instance(3, 0));
    }

    #[test]
    fn rejects_bad_text() {
        for text in [
            "",
            "3/0",
            "//",
            "/3//0",
            "/a",
            "/-1",
            "/+1",
            "/65536",
            "/1/2/3/4/5",
            "/ 1",
        ] {
            assert!(text.parse::<Path>().is_err(), "{text:?} parsed");
        }
    }

    #[test]
    fn order_is_tree_order() {
        let mut paths = [
            Path::object(4),
            Path::resource(3, 0, 1),
            Path::resource_instance(3, 0, 0, 0),
            Path::instance(3, 1),
            Path::resource(3, 0, 0),
            Path::object(3),
            Path::ROOT,
        ];
        paths.sort();
        let shown: Vec<String> = paths.iter().map(Path::to_string).collect();
        assert_eq!(
            shown,
            ["/", "/3", "/3/0/0", "/3/0/0/0", "/3/0/1", "/3/1", "/4"]
        );
    }

    #[test]
    fn order_and_containment_agree_with_the_id_slices() {
        // Every path of length 0..=4 with ids in 0..3 (121 paths), compared pairwise.
        let mut all = vec![Path::ROOT];
        let mut frontier = vec![Path::ROOT];
        while let Some(parent) = frontier.pop() {
            for id in 0..3 {
                if let Some(child) = parent.child(id) {
                    all.push(child);
                    frontier.push(child);
                }
            }
        }
        assert_eq!(all.len(), 121);
        // Ids that use the high bits of their 16-bit slot.
        all.extend([
            Path::object(65535),
            Path::instance(256, 65535),
            Path::resource(1, 256, 255),
            Path::resource_instance(65535, 65535, 65535, 65535),
            Path::resource_instance(2, 0, 32768, 1),
        ]);
        for a in &all {
            for b in &all {
                assert_eq!(a.cmp(b), a.ids().cmp(b.ids()), "{a} vs {b}");
                assert_eq!(
                    a.contains(b),
                    b.ids().starts_with(a.ids()),
                    "{a} contains {b}"
                );
            }
        }
    }

    #[test]
    fn navigation() {
        let p = Path::resource_instance(3, 0, 7, 1);
        assert_eq!(p.parent(), Some(Path::resource(3, 0, 7)));
        assert_eq!(p.child(1), None);
        assert_eq!(Path::ROOT.parent(), None);
        assert_eq!(p.resource_path(), Some(Path::resource(3, 0, 7)));
        assert_eq!(Path::instance(3, 0).resource_path(), None);
        assert!(Path::object(3).contains(&p));
        assert!(!Path::object(4).contains(&p));
        assert!(Path::ROOT.contains(&p));
        assert!(!p.contains(&Path::object(3)));
        assert_eq!(p.ids(), &[3, 0, 7, 1]);
        assert_eq!(Path::from_ids(&[3, 0]), Some(Path::instance(3, 0)));
        assert_eq!(Path::from_ids(&[1, 2, 3, 4, 5]), None);
        // Parent resets the dropped id so equality stays structural.
        assert_eq!(Path::resource(3, 0, 9).parent(), Some(Path::instance(3, 0)));
    }
}
