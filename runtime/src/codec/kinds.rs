//! Resource types for decoders: the lookups a payload's paths go through, with the depth of
//! each path checked against the resource's multiplicity.

use super::*;

/// The type of the resource holding `path` (a resource or resource instance path), checking that
/// the path's depth matches the resource's multiplicity. `None` when `kinds` does not know it.
pub(crate) fn lookup(kinds: &dyn KindLookup, path: &Path) -> Result<Option<Kind>, DecodeError> {
    let Some(resource) = path.resource_path() else {
        return Ok(None);
    };
    check_kind(path, kinds.kind(&resource))
}

/// Checks a lookup answer for `path` (see [`lookup`]).
#[inline]
fn check_kind(path: &Path, answer: Option<(Kind, bool)>) -> Result<Option<Kind>, DecodeError> {
    let Some((kind, multiple)) = answer else {
        return Ok(None);
    };
    if multiple != path.is_resource_instance() || kind == Kind::None {
        return Err(kind_error(path, kind, multiple));
    }
    Ok(Some(kind))
}

/// Why a resource of type `kind` and multiplicity `multiple` takes no value at `path`.
#[cold]
fn kind_error(path: &Path, kind: Kind, multiple: bool) -> DecodeError {
    if multiple != path.is_resource_instance() {
        let found = if multiple {
            "a single value for a multiple-instance resource"
        } else {
            "a resource instance of a single-instance resource"
        };
        return DecodeError::mismatch(*path, kind, found);
    }
    DecodeError::mismatch(*path, kind, "a value for an executable resource")
}

/// Like [`lookup`], but an unknown resource is an error (for formats without types).
pub(crate) fn require(kinds: &dyn KindLookup, path: &Path) -> Result<Kind, DecodeError> {
    lookup(kinds, path)?.ok_or(DecodeError::UnknownResource(*path))
}

/// [`lookup`] remembering the last resource asked: the instances of a multiple resource come one
/// after another in every format, and each would otherwise cost a lookup.
pub(crate) struct Kinds<'k> {
    kinds: &'k dyn KindLookup,
    /// The packed ids of the last resource asked ([`NOT_ASKED`] before the first) and the answer.
    last: (u64, Option<(Kind, bool)>),
}

/// No resource path packs to this (a resource path's fourth id is zero).
const NOT_ASKED: u64 = u64::MAX;

impl<'k> Kinds<'k> {
    pub(crate) fn new(kinds: &'k dyn KindLookup) -> Self {
        Kinds {
            kinds,
            last: (NOT_ASKED, None),
        }
    }

    /// As [`lookup`].
    #[inline]
    pub(crate) fn lookup(&mut self, path: &Path) -> Result<Option<Kind>, DecodeError> {
        if path.len() < 3 {
            return Ok(None);
        }
        // The resource's packed ids (the path's without a resource instance), read without
        // copying the path: a path the decoder has just built id by id, read back whole, stalls.
        let key = path.packed_ids() & !0xffff;
        let answer = if self.last.0 == key {
            self.last.1
        } else {
            let [object, instance, resource] =
                [key >> 48, key >> 32, key >> 16].map(|id| id as u16);
            let answer = self.kinds.kind(&Path::resource(object, instance, resource));
            self.last = (key, answer);
            answer
        };
        check_kind(path, answer)
    }

    /// As [`require`].
    #[inline]
    pub(crate) fn require(&mut self, path: &Path) -> Result<Kind, DecodeError> {
        self.lookup(path)?
            .ok_or(DecodeError::UnknownResource(*path))
    }
}
