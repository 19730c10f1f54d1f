//! Semantic validation of the serde layer into the model, with a diagnostic per problem.

use std::collections::HashMap;

use crate::diagnostic::Sink;
use crate::model::{ObjectDef, Operations, ResourceDef, ResourceType, Version};
use crate::range;
use crate::raw::{RawItem, RawObject};
use crate::text::{collapse_whitespace, non_blank};
use crate::tree::{Element, Tree};

/// Where one element's children are, for pointing diagnostics at them.
struct Place<'t> {
    tree: &'t Tree,
    element: &'t Element,
}

impl Place<'_> {
    /// The offset of the child `name`, or of the element itself when the child is missing.
    fn at(&self, name: &str) -> usize {
        self.tree
            .child(self.element, name, 0)
            .map_or(self.element.offset, |child| child.offset)
    }

    fn offset(&self) -> usize {
        self.element.offset
    }
}

/// Validates an `<Object>`; `None` when something is missing or invalid (reported to `sink`).
pub(crate) fn object(
    raw: RawObject,
    tree: &Tree,
    element: &Element,
    sink: &mut Sink<'_>,
) -> Option<ObjectDef> {
    let place = Place { tree, element };
    let id = match non_blank(raw.id.as_deref()) {
        None => {
            sink.error(
                place.at("ObjectID"),
                "<Object> has no <ObjectID> (expected a number in 0..=65535)",
            );
            None
        }
        Some(text) => text
            .parse::<u16>()
            .map_err(|_| {
                sink.error(
                    place.at("ObjectID"),
                    format!("ObjectID \"{text}\" is not a number in 0..=65535"),
                );
            })
            .ok(),
    };
    let name = non_blank(raw.name.as_deref()).map(collapse_whitespace);
    if name.is_none() {
        sink.error(place.at("Name"), "<Object> has no <Name>");
    }
    let version = parse_version(raw.version.as_deref(), "ObjectVersion", &place, sink);
    let lwm2m_version = parse_version(raw.lwm2m_version.as_deref(), "LWM2MVersion", &place, sink);
    let multiple = flag(raw.multiple.as_deref(), MULTIPLE, "<Object>", &place, sink);
    let mandatory = flag(
        raw.mandatory.as_deref(),
        MANDATORY,
        "<Object>",
        &place,
        sink,
    );

    let items = raw.resources.map(|r| r.items).unwrap_or_default();
    let item_elements: Vec<&Element> = tree
        .children(element, "Resources")
        .take(1)
        .flat_map(|resources| tree.children(resources, "Item"))
        .collect();
    let mut first_seen: HashMap<u16, usize> = HashMap::new();
    let mut resources = Vec::with_capacity(items.len());
    let mut uses_v1_1_type = None;
    for (index, raw_item) in items.into_iter().enumerate() {
        let item_element = item_elements.get(index).copied().unwrap_or(element);
        let item_place = Place {
            tree,
            element: item_element,
        };
        if let Some(kind) = non_blank(raw_item.kind.as_deref()) {
            if matches!(kind, "Unsigned Integer" | "Corelnk") && uses_v1_1_type.is_none() {
                uses_v1_1_type = Some(kind.to_owned());
            }
        }
        if let Some(resource) = item(raw_item, &item_place, &mut first_seen, sink) {
            resources.push(resource);
        }
    }

    check_schema(tree, uses_v1_1_type, lwm2m_version, sink);
    let (id, version) = (id?, version?);
    let urn = urn(raw.urn.as_deref(), id, version, &place, sink);
    Some(ObjectDef {
        id,
        name: name?,
        description: non_blank(raw.description1.as_deref())
            .unwrap_or("")
            .to_owned(),
        description2: non_blank(raw.description2.as_deref()).map(str::to_owned),
        urn,
        version,
        lwm2m_version: lwm2m_version?,
        multiple: multiple?,
        mandatory: mandatory?,
        resources,
        source: None,
    })
}

/// Validates an `<Item>`; `None` when it has an error (reported to `sink`).
fn item(
    raw: RawItem,
    place: &Place<'_>,
    first_seen: &mut HashMap<u16, usize>,
    sink: &mut Sink<'_>,
) -> Option<ResourceDef> {
    let id = match non_blank(raw.id.as_deref()) {
        None => {
            sink.error(
                place.offset(),
                "<Item> has no ID attribute (expected a resource ID in 0..=65535)",
            );
            None
        }
        Some(text) => match text.parse::<u16>() {
            Ok(id) => Some(id),
            Err(_) => {
                sink.error(
                    place.offset(),
                    format!("<Item> ID \"{text}\" is not a number in 0..=65535"),
                );
                None
            }
        },
    };
    if let Some(id) = id {
        if let Some(&first) = first_seen.get(&id) {
            sink.error(
                place.offset(),
                format!(
                    "duplicate resource ID {id} (first defined at line {})",
                    sink.line(first)
                ),
            );
        } else {
            first_seen.insert(id, place.offset());
        }
    }
    let name = non_blank(raw.name.as_deref()).map(collapse_whitespace);
    let label = match (&id, &name) {
        (Some(id), Some(name)) => format!("resource {id} \"{name}\""),
        (Some(id), None) => format!("resource {id}"),
        (None, Some(name)) => format!("resource \"{name}\""),
        (None, None) => "resource".to_owned(),
    };
    if name.is_none() {
        sink.error(place.at("Name"), format!("{label} has no <Name>"));
    }

    let mut operations = match raw.operations.as_deref().map(str::trim) {
        None => {
            sink.error(
                place.offset(),
                format!("{label} has no <Operations> (expected R, W, RW, E or empty)"),
            );
            None
        }
        Some(text) => {
            let operations = Operations::from_registry(text);
            if operations.is_none() {
                sink.error(
                    place.at("Operations"),
                    format!(
                        "{label}: unknown Operations \"{text}\" (expected R, W, RW, E or empty)"
                    ),
                );
            }
            operations
        }
    };
    let type_text = non_blank(raw.kind.as_deref());
    let mut kind = match type_text {
        None => None,
        Some(text) => match ResourceType::from_registry(text) {
            Some(kind) => Some(kind),
            None => {
                let expected: Vec<&str> = ResourceType::ALL.iter().map(|t| t.as_str()).collect();
                sink.error(
                    place.at("Type"),
                    format!(
                        "{label}: unknown Type \"{text}\" (expected {}, or empty for an executable)",
                        expected.join(", ")
                    ),
                );
                return None;
            }
        },
    };
    match (operations, kind) {
        (Some(Operations::Execute), Some(given)) => {
            sink.warning(
                place.at("Type"),
                format!(
                    "{label} is executable (Operations E) but has Type {given}: the Type is ignored"
                ),
            );
            kind = None;
        }
        (Some(ops), None) if !ops.is_executable() && type_text.is_none() => {
            sink.warning(
                place.at("Type"),
                format!(
                    "{label} has Operations \"{ops}\" but no Type: assumed an executable resource \
                     (Operations E)"
                ),
            );
            operations = Some(Operations::Execute);
        }
        _ => {}
    }
    let multiple = flag(raw.multiple.as_deref(), MULTIPLE, &label, place, sink);
    let mandatory = flag(raw.mandatory.as_deref(), MANDATORY, &label, place, sink);
    let range = non_blank(raw.range.as_deref()).map(|text| {
        let parsed = range::parse(text, kind);
        if let Some(warning) = parsed.warning {
            sink.warning(place.at("RangeEnumeration"), format!("{label}: {warning}"));
        }
        parsed.range
    });
    Some(ResourceDef {
        id: id?,
        name: name?,
        operations: operations?,
        multiple: multiple?,
        mandatory: mandatory?,
        kind,
        range,
        units: non_blank(raw.units.as_deref()).map(str::to_owned),
        description: non_blank(raw.description.as_deref())
            .unwrap_or("")
            .to_owned(),
    })
}

/// An element with two allowed values: (element, value meaning false, value meaning true).
type FlagSpec = (&'static str, &'static str, &'static str);
const MULTIPLE: FlagSpec = ("MultipleInstances", "Single", "Multiple");
const MANDATORY: FlagSpec = ("Mandatory", "Optional", "Mandatory");

fn flag(
    text: Option<&str>,
    (element, no, yes): FlagSpec,
    owner: &str,
    place: &Place<'_>,
    sink: &mut Sink<'_>,
) -> Option<bool> {
    match non_blank(text) {
        Some(t) if t == no => Some(false),
        Some(t) if t == yes => Some(true),
        Some(t) => {
            sink.error(
                place.at(element),
                format!("{owner}: {element} \"{t}\" is not {no} or {yes}"),
            );
            None
        }
        None => {
            sink.error(
                place.at(element),
                format!("{owner} has no <{element}> (expected {no} or {yes})"),
            );
            None
        }
    }
}

/// `ObjectVersion` or `LWM2MVersion`: blank or missing means 1.0.
fn parse_version(
    text: Option<&str>,
    element: &str,
    place: &Place<'_>,
    sink: &mut Sink<'_>,
) -> Option<Version> {
    match non_blank(text) {
        None => Some(Version::V1_0),
        Some(t) => {
            let parsed = Version::parse(t);
            if parsed.is_none() {
                sink.error(
                    place.at(element),
                    format!("{element} \"{t}\" is not a version MAJOR.MINOR such as 1.0"),
                );
            }
            parsed
        }
    }
}

/// Warns when the declared schema is `LWM2M.xsd` (1.0) but the content needs the 1.1 schema.
fn check_schema(
    tree: &Tree,
    uses_v1_1_type: Option<String>,
    lwm2m_version: Option<Version>,
    sink: &mut Sink<'_>,
) {
    let Some(location) = tree.schema_location.as_deref() else {
        return;
    };
    if location.trim().rsplit('/').next() != Some("LWM2M.xsd") {
        return;
    }
    let reason = if let Some(kind) = uses_v1_1_type {
        format!("uses the Type \"{kind}\"")
    } else if let Some(v) = lwm2m_version.filter(|v| *v >= Version { major: 1, minor: 1 }) {
        format!("declares LWM2MVersion {v}")
    } else {
        return;
    };
    let offset = tree.root().map_or(0, |root| root.offset);
    sink.warning(
        offset,
        format!(
            "the file declares the LwM2M 1.0 schema (LWM2M.xsd) but {reason}: assumed the 1.1 \
             schema (LWM2M-v1_1.xsd)"
        ),
    );
}

/// The URN kind of an ObjectID band (`None`: reserved band, any kind accepted).
fn band(id: u16) -> Option<&'static str> {
    match id {
        0..=1023 => Some("oma"),
        1024..=2047 => None,
        2048..=10240 => Some("ext"),
        _ => Some("x"),
    }
}

/// Checks `ObjectURN` against the ObjectID and ObjectVersion; returns the URN to use.
fn urn(
    text: Option<&str>,
    id: u16,
    version: Version,
    place: &Place<'_>,
    sink: &mut Sink<'_>,
) -> String {
    let written = non_blank(text);
    let written_kind = written
        .and_then(|u| u.strip_prefix("urn:oma:lwm2m:"))
        .and_then(|rest| rest.split(':').next());
    let kind = band(id).or(written_kind).unwrap_or("x");
    let expected = if version == Version::V1_0 {
        format!("urn:oma:lwm2m:{kind}:{id}")
    } else {
        format!("urn:oma:lwm2m:{kind}:{id}:{version}")
    };
    match written {
        None => sink.warning(
            place.at("ObjectURN"),
            format!("<Object> has no <ObjectURN>: assumed \"{expected}\""),
        ),
        Some(urn) if urn == expected => {}
        Some(urn) => sink.warning(
            place.at("ObjectURN"),
            format!(
                "ObjectURN \"{urn}\" disagrees with ObjectID {id} and ObjectVersion {version} \
                 (expected \"{expected}\"): assumed the ObjectID and ObjectVersion elements are \
                 right, using \"{expected}\""
            ),
        ),
    }
    expected
}
