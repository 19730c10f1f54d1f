//! The object a `#[derive(Object)]` input describes, checked: ids, names, operations, data types.

use std::collections::BTreeMap;

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, LitStr, Type};

use crate::attrs;
use crate::errors::Errors;

/// The operations of a resource (`op = "..."`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    None,
    Read,
    Write,
    ReadWrite,
    Execute,
}

impl Op {
    fn parse(text: &str) -> Option<Op> {
        Some(match text {
            "" => Op::None,
            "R" => Op::Read,
            "W" => Op::Write,
            "RW" => Op::ReadWrite,
            "E" => Op::Execute,
            _ => return None,
        })
    }

    /// The variant of `lwm2m::meta::Operations`.
    pub(crate) fn variant(self) -> &'static str {
        match self {
            Op::None => "None",
            Op::Read => "Read",
            Op::Write => "Write",
            Op::ReadWrite => "ReadWrite",
            Op::Execute => "Execute",
        }
    }
}

/// An LwM2M data type as `kind = "..."` names it.
#[derive(Clone, Copy)]
pub(crate) struct KindName {
    /// The variant of `lwm2m::Kind`.
    pub(crate) variant: &'static str,
    /// The `__private` function that checks that a field type carries it.
    pub(crate) check: &'static str,
}

/// Registry spelling, `Kind` variant, check function.
const KINDS: [(&str, &str, &str); 9] = [
    ("String", "String", "assert_string"),
    ("Integer", "Integer", "assert_integer"),
    (
        "Unsigned Integer",
        "UnsignedInteger",
        "assert_unsigned_integer",
    ),
    ("Float", "Float", "assert_float"),
    ("Boolean", "Boolean", "assert_boolean"),
    ("Opaque", "Opaque", "assert_opaque"),
    ("Time", "Time", "assert_time"),
    ("Objlnk", "ObjLnk", "assert_objlnk"),
    ("Corelnk", "CoreLnk", "assert_corelnk"),
];

impl KindName {
    fn parse(text: &str) -> Option<KindName> {
        KINDS
            .iter()
            .find(|(name, _, _)| *name == text)
            .map(|&(_, variant, check)| KindName { variant, check })
    }
}

/// A checked `#[derive(Object)]` input.
pub(crate) struct ObjectModel {
    pub(crate) ident: Ident,
    /// The struct's visibility, which its `ID` constant gets.
    pub(crate) vis: syn::Visibility,
    pub(crate) krate: syn::Path,
    pub(crate) id: u16,
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) lwm2m_version: String,
    pub(crate) urn: String,
    pub(crate) multiple: bool,
    pub(crate) mandatory: bool,
    /// Sorted by id.
    pub(crate) resources: Vec<Resource>,
}

/// One resource field.
pub(crate) struct Resource {
    pub(crate) field: Ident,
    /// The field's visibility, which its id constant gets.
    pub(crate) vis: syn::Visibility,
    /// The name of its id constant: the field's name in SCREAMING_SNAKE_CASE.
    pub(crate) constant: Ident,
    pub(crate) ty: Type,
    pub(crate) id: u16,
    pub(crate) name: String,
    pub(crate) op: Op,
    /// The span of the `op` value.
    pub(crate) op_span: Span,
    /// The explicit kind and the span of its value.
    pub(crate) kind: Option<(KindName, Span)>,
    /// The span of the `multiple` flag.
    pub(crate) multiple: Option<Span>,
    pub(crate) mandatory: bool,
    pub(crate) units: Option<String>,
    pub(crate) range: Option<String>,
    /// The value constraint (`min`/`max`, `values`, `length`, `lengths`).
    pub(crate) constraint: Option<crate::constraint::Spec>,
    /// The span of the whole `#[lwm2m(...)]` attribute.
    pub(crate) attr_span: Span,
}

const OBJECT_KEYS: [&str; 8] = [
    "crate",
    "id",
    "name",
    "version",
    "lwm2m_version",
    "urn",
    "multiple",
    "mandatory",
];

const RESOURCE_KEYS: [&str; 14] = [
    "id",
    "name",
    "op",
    "kind",
    "mandatory",
    "multiple",
    "units",
    "range",
    "min",
    "max",
    "values",
    "length",
    "lengths",
    "skip",
];

/// Checks the whole input; `Err` holds every error found.
pub(crate) fn build(input: &DeriveInput) -> syn::Result<ObjectModel> {
    let mut errors = Errors::default();
    check_shape(input, &mut errors);
    let object = parse_object(input, &mut errors);
    let mut resources = Vec::new();
    let mut ids = Vec::new();
    if let Data::Struct(data) = &input.data {
        if let Fields::Named(fields) = &data.fields {
            for field in &fields.named {
                if let Some(resource) = parse_resource(field, &mut ids, &mut errors) {
                    resources.push(resource);
                }
            }
        }
    }
    check_unique_ids(&ids, &mut errors);
    check_unique_constants(&resources, &mut errors);
    errors.finish()?;
    let mut object = object.ok_or_else(|| syn::Error::new(Span::call_site(), "invalid object"))?;
    resources.sort_by_key(|r| r.id);
    object.resources = resources;
    Ok(object)
}

/// A struct with named fields (or none), without generics.
fn check_shape(input: &DeriveInput, errors: &mut Errors) {
    match &input.data {
        Data::Struct(data) => {
            if let Fields::Unnamed(fields) = &data.fields {
                errors.push(syn::Error::new_spanned(
                    fields,
                    "#[derive(Object)] needs named fields, one per resource: \
                     a tuple struct has none",
                ));
            }
        }
        Data::Enum(data) => errors.push(syn::Error::new_spanned(
            data.enum_token,
            "#[derive(Object)] needs a struct with one field per resource, not an enum",
        )),
        Data::Union(data) => errors.push(syn::Error::new_spanned(
            data.union_token,
            "#[derive(Object)] needs a struct with one field per resource, not a union",
        )),
    }
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        errors.push(syn::Error::new_spanned(
            &input.generics,
            "an LwM2M object cannot be generic: its metadata is one static per type",
        ));
    }
}

/// A version such as `"1.0"`: digits, a dot, digits.
fn check_version(lit: &LitStr, errors: &mut Errors) -> Option<String> {
    let text = lit.value();
    let ok = text.split_once('.').is_some_and(|(major, minor)| {
        [major, minor]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    });
    if ok {
        Some(text)
    } else {
        errors.push(syn::Error::new_spanned(
            lit,
            format!("invalid version \"{text}\": expected MAJOR.MINOR, such as \"1.0\""),
        ));
        None
    }
}

/// Object ids without a default URN.
const RESERVED: std::ops::RangeInclusive<u16> = 1024..=2047;

/// The URN the registry gives an object of this id and version, or `None` in the reserved band.
fn default_urn(id: u16, version: &str) -> Option<String> {
    if RESERVED.contains(&id) {
        return None;
    }
    let band = match id {
        0..=1023 => "oma",
        2048..=10240 => "ext",
        _ => "x",
    };
    Some(if version == "1.0" {
        format!("urn:oma:lwm2m:{band}:{id}")
    } else {
        format!("urn:oma:lwm2m:{band}:{id}:{version}")
    })
}

fn parse_object(input: &DeriveInput, errors: &mut Errors) -> Option<ObjectModel> {
    let mut krate = None;
    let mut id = None;
    let mut name = None;
    let mut version = None;
    let mut lwm2m_version = None;
    let mut urn = None;
    let mut multiple = false;
    let mut mandatory = false;
    let found = attrs::parse(&input.attrs, &OBJECT_KEYS, errors, |key, meta, errors| {
        match key {
            "crate" => {
                if let Some(lit) = attrs::string(key, meta, errors)? {
                    krate = errors.take(lit.parse::<syn::Path>().map_err(|_| {
                        syn::Error::new_spanned(
                            &lit,
                            "expected the path of the lwm2m crate, such as \"::lwm2m\"",
                        )
                    }));
                }
            }
            "id" => id = attrs::id("object", meta, errors)?,
            "name" => name = attrs::string(key, meta, errors)?,
            "version" => version = attrs::string(key, meta, errors)?,
            "lwm2m_version" => lwm2m_version = attrs::string(key, meta, errors)?,
            "urn" => urn = attrs::string(key, meta, errors)?,
            "multiple" => {
                attrs::flag(key, meta, errors)?;
                multiple = true;
            }
            _ => {
                attrs::flag(key, meta, errors)?;
                mandatory = true;
            }
        }
        Ok(())
    });
    let version = match &version {
        Some(lit) => check_version(lit, errors),
        None => Some("1.0".to_owned()),
    };
    let lwm2m_version = match &lwm2m_version {
        Some(lit) => check_version(lit, errors),
        None => Some("1.0".to_owned()),
    };
    // A bad id value was reported already; only a missing one is reported here.
    if id.is_none() && !found.has("id") {
        errors.push(syn::Error::new(
            input.ident.span(),
            "missing object id: add #[lwm2m(id = ...)] to the struct",
        ));
    }
    if let (Some((id, span)), None) = (id, &urn) {
        if RESERVED.contains(&id) {
            errors.push(syn::Error::new(
                span,
                format!(
                    "object id {id} is in the reserved range 1024-2047, \
                     which has no default URN: give `urn = \"...\"`"
                ),
            ));
        }
    }
    let ((id, _), version, lwm2m_version) = (id?, version?, lwm2m_version?);
    let urn = match urn {
        Some(lit) => lit.value(),
        None => default_urn(id, &version)?,
    };
    Some(ObjectModel {
        ident: input.ident.clone(),
        vis: input.vis.clone(),
        krate: krate.unwrap_or_else(|| syn::parse_quote!(::lwm2m)),
        id,
        name: name.map_or_else(|| input.ident.unraw().to_string(), |n| n.value()),
        version,
        lwm2m_version,
        urn,
        multiple,
        mandatory,
        resources: Vec::new(),
    })
}

/// The resource of a field, or `None` for a skipped or invalid one. Pushes the field's id to
/// `ids` if it has a valid one, even when something else is wrong.
fn parse_resource(
    field: &syn::Field,
    ids: &mut Vec<(u16, Span, Ident)>,
    errors: &mut Errors,
) -> Option<Resource> {
    let ident = field.ident.clone()?;
    let mut skip = None;
    let mut others: Vec<(String, Span)> = Vec::new();
    let mut id = None;
    let mut name = None;
    let mut op = None;
    let mut kind = None;
    let mut mandatory = false;
    let mut multiple = None;
    let mut units = None;
    let mut range = None;
    let mut limits = crate::constraint::Keys::default();
    let found = attrs::parse(&field.attrs, &RESOURCE_KEYS, errors, |key, meta, errors| {
        if key == "skip" {
            skip = Some(attrs::flag(key, meta, errors)?);
            return Ok(());
        }
        others.push((key.to_owned(), meta.path.span()));
        match key {
            "id" => id = attrs::id("resource", meta, errors)?,
            "name" => name = attrs::string(key, meta, errors)?,
            "op" => {
                if let Some(lit) = attrs::string(key, meta, errors)? {
                    match Op::parse(&lit.value()) {
                        Some(parsed) => op = Some((parsed, lit.span())),
                        None => errors.push(syn::Error::new_spanned(
                            &lit,
                            format!(
                                "unknown operation \"{}\": expected \"R\", \"W\", \"RW\", \"E\" \
                                 or \"\" (none)",
                                lit.value()
                            ),
                        )),
                    }
                }
            }
            "kind" => {
                if let Some(lit) = attrs::string(key, meta, errors)? {
                    match KindName::parse(&lit.value()) {
                        Some(parsed) => kind = Some((parsed, lit.span())),
                        None => {
                            let list = KINDS
                                .iter()
                                .map(|(n, _, _)| format!("\"{n}\""))
                                .collect::<Vec<_>>()
                                .join(", ");
                            errors.push(syn::Error::new_spanned(
                                &lit,
                                format!("unknown kind \"{}\": expected one of {list}", lit.value()),
                            ));
                        }
                    }
                }
            }
            "mandatory" => {
                attrs::flag(key, meta, errors)?;
                mandatory = true;
            }
            "multiple" => multiple = Some(attrs::flag(key, meta, errors)?),
            "units" => units = attrs::string(key, meta, errors)?,
            "min" => limits.min = attrs::string(key, meta, errors)?,
            "max" => limits.max = attrs::string(key, meta, errors)?,
            "values" => limits.values = attrs::string(key, meta, errors)?,
            "length" => limits.length = attrs::string(key, meta, errors)?,
            "lengths" => limits.lengths = attrs::string(key, meta, errors)?,
            _ => range = attrs::string(key, meta, errors)?,
        }
        Ok(())
    });
    let Some(first) = found.attrs.first() else {
        errors.push(syn::Error::new(
            ident.span(),
            format!(
                "field `{ident}` has no #[lwm2m(...)] attribute: give its resource \
                 #[lwm2m(id = ..., op = \"...\")], or mark it #[lwm2m(skip)] if it is not a resource"
            ),
        ));
        return None;
    };
    if skip.is_some() {
        for (key, span) in others {
            errors.push(syn::Error::new(
                span,
                format!("`{key}` on a skipped field: a `skip` field is not a resource"),
            ));
        }
        return None;
    }
    if let Some((id, span)) = id {
        ids.push((id, span, ident.clone()));
    }
    let attr_span = first.bracket_token.span.join();
    if !found.has("id") {
        errors.push(syn::Error::new_spanned(
            first,
            format!("missing resource id: add `id = ...` to the attribute of field `{ident}`"),
        ));
    }
    if !found.has("op") {
        errors.push(syn::Error::new_spanned(
            first,
            format!(
                "missing operations: add `op = \"R\"`, \"W\", \"RW\", \"E\" or \"\" to the \
                 attribute of field `{ident}`"
            ),
        ));
    }
    if let (Some((Op::Execute, _)), Some((_, kind_span))) = (op, kind) {
        errors.push(syn::Error::new(
            kind_span,
            "an executable resource (`op = \"E\"`) has no `kind`: remove it",
        ));
    }
    let constraint = limits.build(errors);
    if let (Some((Op::Execute, _)), Some(_)) = (op, &constraint) {
        errors.push(syn::Error::new_spanned(
            first,
            "an executable resource (`op = \"E\"`) has no value constraint: remove it",
        ));
    }
    let (id, _) = id?;
    let (op, op_span) = op?;
    Some(Resource {
        name: name.map_or_else(|| ident.unraw().to_string(), |n| n.value()),
        vis: field.vis.clone(),
        constant: Ident::new(
            &screaming_snake_case(&ident.unraw().to_string()),
            ident.span(),
        ),
        field: ident,
        ty: field.ty.clone(),
        id,
        op,
        op_span,
        kind: kind.filter(|_| op != Op::Execute),
        multiple,
        mandatory,
        units: units.map(|u| u.value()),
        range: range.map(|r| r.value()),
        constraint,
        attr_span,
    })
}

/// The name of a field's id constant: `sensor_value` -> `SENSOR_VALUE`, `r#type` -> `TYPE`,
/// `n3_phase` -> `N3_PHASE`; a word boundary of a camelCase name gets an underscore too
/// (`sensorValue` -> `SENSOR_VALUE`). `ident` is without its `r#`.
pub(crate) fn screaming_snake_case(ident: &str) -> String {
    let mut out = String::with_capacity(ident.len() + 4);
    let mut previous: Option<char> = None;
    for c in ident.chars() {
        if c.is_uppercase() && previous.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit()) {
            out.push('_');
        }
        out.extend(c.to_uppercase());
        previous = Some(c);
    }
    out
}

/// The object's `ID` and each field's constant once: two fields whose constants would have the
/// same name (`sensorValue` and `sensor_value`), or a field whose constant would be `ID`, are
/// an error on the second field.
fn check_unique_constants(resources: &[Resource], errors: &mut Errors) {
    let mut first: BTreeMap<String, &Ident> = BTreeMap::new();
    for resource in resources {
        let name = resource.constant.to_string();
        if name == "ID" {
            errors.push(syn::Error::new(
                resource.field.span(),
                format!(
                    "field `{}` would get the id constant `ID`, which is the object's id: \
                     rename the field",
                    resource.field
                ),
            ));
        } else if let Some(other) = first.get(&name) {
            errors.push(syn::Error::new(
                resource.field.span(),
                format!(
                    "fields `{other}` and `{}` would both get the id constant `{name}`: \
                     rename one of them",
                    resource.field
                ),
            ));
        } else {
            first.insert(name, &resource.field);
        }
    }
}

/// Each resource id once; the error points at the second and names the first.
fn check_unique_ids(ids: &[(u16, Span, Ident)], errors: &mut Errors) {
    let mut first: BTreeMap<u16, &Ident> = BTreeMap::new();
    for (id, span, field) in ids {
        if let Some(other) = first.get(id) {
            errors.push(syn::Error::new(
                *span,
                format!("duplicate resource id {id}: field `{other}` already has it"),
            ));
        } else {
            first.insert(*id, field);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(input: DeriveInput) -> Vec<String> {
        match build(&input) {
            Ok(_) => Vec::new(),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn default_urn_by_band() {
        assert_eq!(
            default_urn(3, "1.0").as_deref(),
            Some("urn:oma:lwm2m:oma:3")
        );
        assert_eq!(
            default_urn(1023, "1.2").as_deref(),
            Some("urn:oma:lwm2m:oma:1023:1.2")
        );
        assert_eq!(default_urn(1024, "1.0"), None);
        assert_eq!(default_urn(2047, "1.0"), None);
        assert_eq!(
            default_urn(2048, "1.0").as_deref(),
            Some("urn:oma:lwm2m:ext:2048")
        );
        assert_eq!(
            default_urn(10240, "1.1").as_deref(),
            Some("urn:oma:lwm2m:ext:10240:1.1")
        );
        assert_eq!(
            default_urn(10241, "1.0").as_deref(),
            Some("urn:oma:lwm2m:x:10241")
        );
    }

    #[test]
    fn resources_sorted_and_defaults_applied() {
        let input: DeriveInput = syn::parse_quote! {
            #[lwm2m(id = 3303, version = "1.1")]
            struct Temperature {
                #[lwm2m(id = 5700, op = "R", mandatory, units = "Cel")]
                value: f64,
                #[lwm2m(id = 5, op = "E", multiple)]
                reset: Executable,
                #[lwm2m(skip)]
                state: u8,
            }
        };
        let model = build(&input).map_err(|e| e.to_string());
        let Ok(model) = model else {
            panic!("{model:?}", model = model.err());
        };
        assert_eq!(model.name, "Temperature");
        assert_eq!(model.urn, "urn:oma:lwm2m:ext:3303:1.1");
        assert_eq!(model.lwm2m_version, "1.0");
        assert_eq!(model.krate, syn::parse_quote!(::lwm2m));
        let ids: Vec<u16> = model.resources.iter().map(|r| r.id).collect();
        assert_eq!(ids, [5, 5700]);
        let value = &model.resources[1];
        assert_eq!(value.name, "value");
        assert!(value.mandatory && value.multiple.is_none());
        assert_eq!(value.units.as_deref(), Some("Cel"));
        assert!(model.resources[0].op == Op::Execute);
    }

    #[test]
    fn every_error_is_reported() {
        let found = errors(syn::parse_quote! {
            #[lwm2m(id = 3303, nope, version = "one")]
            struct Temperature {
                #[lwm2m(id = 1, op = "Q")]
                a: f64,
                #[lwm2m(id = 1, op = "R", kind = "Real")]
                b: f64,
                #[lwm2m(id = 99999, op = "R")]
                c: f64,
                d: f64,
            }
        });
        assert_eq!(found.len(), 7, "{found:#?}");
        for needle in [
            "unknown key `nope`",
            "invalid version \"one\"",
            "unknown operation \"Q\"",
            "unknown kind \"Real\"",
            "duplicate resource id 1: field `a` already has it",
            "expected the resource id, an integer from 0 to 65535",
            "field `d` has no #[lwm2m(...)] attribute",
        ] {
            assert!(
                found.iter().any(|e| e.contains(needle)),
                "{needle}: {found:#?}"
            );
        }
    }

    #[test]
    fn constraint_errors_are_reported() {
        let found = errors(syn::parse_quote! {
            #[lwm2m(id = 3303)]
            struct Temperature {
                #[lwm2m(id = 1, op = "RW", min = "low")]
                a: f64,
                #[lwm2m(id = 2, op = "RW", min = "0", values = "1, 2")]
                b: i64,
                #[lwm2m(id = 3, op = "RW", length = "255")]
                c: String,
                #[lwm2m(id = 4, op = "E", max = "3")]
                d: Executable,
                #[lwm2m(id = 5, op = "RW", lengths = "16,x")]
                e: Vec<u8>,
                #[lwm2m(id = 6, op = "RW", values = "1,,2")]
                f: i64,
            }
        });
        for needle in [
            "expected a finite number",
            "`min`: give one constraint only",
            "`values`: give one constraint only",
            "expected a length range in octets",
            "has no value constraint",
            "expected lengths in octets",
            "expected numbers and ranges",
        ] {
            assert!(
                found.iter().any(|e| e.contains(needle)),
                "{needle}: {found:#?}"
            );
        }
        assert_eq!(found.len(), 7, "{found:#?}");
    }

    #[test]
    fn constant_names_are_screaming_snake_case() {
        for (field, constant) in [
            ("sensor_value", "SENSOR_VALUE"),
            ("type", "TYPE"),
            ("n3_phase_active_power", "N3_PHASE_ACTIVE_POWER"),
            ("satellite_identifiers_17", "SATELLITE_IDENTIFIERS_17"),
            ("sensorValue", "SENSOR_VALUE"),
            ("v2Value", "V2_VALUE"),
            ("ABC", "ABC"),
            ("_x", "_X"),
        ] {
            assert_eq!(screaming_snake_case(field), constant, "{field}");
        }
    }

    #[test]
    fn colliding_constants_are_errors() {
        let found = errors(syn::parse_quote! {
            #[lwm2m(id = 3303)]
            struct Temperature {
                #[lwm2m(id = 1, op = "R")]
                sensor_value: f64,
                #[lwm2m(id = 2, op = "R")]
                sensorValue: f64,
                #[lwm2m(id = 3, op = "R")]
                r#id: i64,
                #[lwm2m(id = 4, op = "R")]
                r#type: i64,
            }
        });
        assert_eq!(
            found,
            [
                "fields `sensor_value` and `sensorValue` would both get the id constant \
                 `SENSOR_VALUE`: rename one of them",
                "field `r#id` would get the id constant `ID`, which is the object's id: \
                 rename the field"
            ]
        );
    }

    #[test]
    fn crate_path_and_explicit_urn() {
        let input: DeriveInput = syn::parse_quote! {
            #[lwm2m(crate = "my::rt", id = 1500, urn = "urn:custom", name = "Custom")]
            struct C {}
        };
        let model = build(&input).map_err(|e| e.to_string());
        let Ok(model) = model else {
            panic!("{:?}", model.err());
        };
        assert_eq!(model.krate, syn::parse_quote!(my::rt));
        assert_eq!(model.urn, "urn:custom");
        assert_eq!(model.name, "Custom");
    }
}
