//! The serde layer: the registry XML as written, every leaf an optional string, any element order.
//! Validation into the model happens in `crate::validate`.

use serde::Deserialize;

/// The `<LWM2M>` root.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawDocument {
    /// Every `<Object>` (one in a valid file).
    #[serde(rename = "Object")]
    pub(crate) objects: Vec<RawObject>,
}

/// An `<Object>`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawObject {
    #[serde(rename = "Name")]
    pub(crate) name: Option<String>,
    #[serde(rename = "Description1")]
    pub(crate) description1: Option<String>,
    #[serde(rename = "Description2")]
    pub(crate) description2: Option<String>,
    #[serde(rename = "ObjectID")]
    pub(crate) id: Option<String>,
    #[serde(rename = "ObjectURN")]
    pub(crate) urn: Option<String>,
    #[serde(rename = "LWM2MVersion")]
    pub(crate) lwm2m_version: Option<String>,
    #[serde(rename = "ObjectVersion")]
    pub(crate) version: Option<String>,
    #[serde(rename = "MultipleInstances")]
    pub(crate) multiple: Option<String>,
    #[serde(rename = "Mandatory")]
    pub(crate) mandatory: Option<String>,
    #[serde(rename = "Resources")]
    pub(crate) resources: Option<RawResources>,
}

/// `<Resources>`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawResources {
    #[serde(rename = "Item")]
    pub(crate) items: Vec<RawItem>,
}

/// An `<Item>` of `<Resources>`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawItem {
    #[serde(rename = "@ID")]
    pub(crate) id: Option<String>,
    #[serde(rename = "Name")]
    pub(crate) name: Option<String>,
    #[serde(rename = "Operations")]
    pub(crate) operations: Option<String>,
    #[serde(rename = "MultipleInstances")]
    pub(crate) multiple: Option<String>,
    #[serde(rename = "Mandatory")]
    pub(crate) mandatory: Option<String>,
    #[serde(rename = "Type")]
    pub(crate) kind: Option<String>,
    #[serde(rename = "RangeEnumeration")]
    pub(crate) range: Option<String>,
    #[serde(rename = "Units")]
    pub(crate) units: Option<String>,
    #[serde(rename = "Description")]
    pub(crate) description: Option<String>,
}

/// The element names of `<Object>` that the raw layer reads (a repeated one is an error).
pub(crate) const OBJECT_FIELDS: [&str; 10] = [
    "Name",
    "Description1",
    "Description2",
    "ObjectID",
    "ObjectURN",
    "LWM2MVersion",
    "ObjectVersion",
    "MultipleInstances",
    "Mandatory",
    "Resources",
];

/// The element names of `<Item>` that the raw layer reads (a repeated one is an error).
pub(crate) const ITEM_FIELDS: [&str; 8] = [
    "Name",
    "Operations",
    "MultipleInstances",
    "Mandatory",
    "Type",
    "RangeEnumeration",
    "Units",
    "Description",
];
