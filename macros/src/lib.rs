//! `#[derive(Object)]` for the `lwm2m` crate: LwM2M object metadata and typed resource access.
//!
//! Use it through `lwm2m` (`use lwm2m::Object;`), which re-exports it with its documentation.

mod attrs;
mod constraint;
mod errors;
mod expand;
mod model;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Implements `lwm2m::Object` for a struct whose fields are the resources of an LwM2M object.
///
/// ```
/// use lwm2m::{Executable, Instances, Object};
///
/// #[derive(Debug, Default, Object)]
/// #[lwm2m(id = 3303, name = "Temperature", version = "1.1", multiple)]
/// pub struct Temperature {
///     #[lwm2m(id = 5700, name = "Sensor Value", op = "R", mandatory, units = "Cel")]
///     pub value: f64,
///     #[lwm2m(id = 5701, name = "Sensor Units", op = "R", kind = "String")]
///     pub units: Option<String>,
///     #[lwm2m(id = 5605, name = "Reset Min and Max Measured Values", op = "E")]
///     pub reset: Executable,
///     #[lwm2m(id = 7, name = "Power Source Voltage", op = "R", multiple, range = "0..24000")]
///     pub voltage: Option<Instances<i64>>,
///     #[lwm2m(skip)]
///     pub samples: usize,
/// }
///
/// let meta = Temperature::META;
/// assert_eq!(meta.urn, "urn:oma:lwm2m:ext:3303:1.1");
/// let ids: Vec<u16> = meta.resources.iter().map(|r| r.id).collect();
/// assert_eq!(ids, [7, 5605, 5700, 5701]);
///
/// // Id constants: the object's, and one per resource named after its field.
/// assert_eq!((Temperature::ID, Temperature::VALUE, Temperature::RESET), (3303, 5700, 5605));
/// let path = Temperature::resource_path(0, Temperature::VALUE);
/// assert_eq!(path, lwm2m::Path::resource(Temperature::ID, 0, Temperature::VALUE));
/// assert_eq!(path.to_string(), "/3303/0/5700");
/// ```
///
/// The expansion is an `impl Object` inside `const _: () = { ... };`, and an inherent impl of
/// `u16` constants: `ID`, the object id (with the struct's visibility), and one per resource,
/// named after its field in SCREAMING_SNAKE_CASE (`value` -> `VALUE`, `r#type` -> `TYPE`,
/// `sensorValue` -> `SENSOR_VALUE`) with the field's visibility. They add no name to your module
/// and warn about nothing unused. The expansion names the runtime by absolute paths (`::lwm2m`
/// unless `crate` says otherwise).
///
/// # Object attribute: `#[lwm2m(...)]` on the struct
///
/// | key | value | default |
/// | --- | --- | --- |
/// | `id` | the object id, `0..=65535` | required |
/// | `name` | `"..."`, the registry name | the struct's name |
/// | `version` | `"MAJOR.MINOR"`, the object version | `"1.0"` |
/// | `lwm2m_version` | `"MAJOR.MINOR"`, the LwM2M version of the definition | `"1.0"` |
/// | `urn` | `"..."` | `urn:oma:lwm2m:{oma,ext,x}:ID`, with `:VERSION` unless 1.0 (see below) |
/// | `multiple` | flag: a client may have several instances | single instance |
/// | `mandatory` | flag: every client has this object | optional |
/// | `crate` | `"path"` to the `lwm2m` crate, for a re-export | `"::lwm2m"` |
///
/// The default URN takes its band from the id: 0-1023 `oma`, 2048-10240 `ext`, 10241 and up `x`.
/// Ids 1024-2047 are reserved and need an explicit `urn`.
///
/// # Resource attribute: `#[lwm2m(...)]` on each field
///
/// | key | value | default |
/// | --- | --- | --- |
/// | `id` | the resource id, `0..=65535`, unique in the object | required |
/// | `op` | `"R"`, `"W"`, `"RW"`, `"E"` or `""` (no operation) | required |
/// | `name` | `"..."`, the registry name | the field's name |
/// | `kind` | `"String"`, `"Integer"`, `"Unsigned Integer"`, `"Float"`, `"Boolean"`, `"Opaque"`, `"Time"`, `"Objlnk"` or `"Corelnk"` | from the field's type |
/// | `multiple` | flag: a multiple-instance resource | single instance |
/// | `mandatory` | flag: every instance has the resource | optional |
/// | `units` | `"..."`, the registry's units | none |
/// | `range` | `"..."`, the registry's raw `RangeEnumeration` (documentation only) | none |
/// | `min`, `max` | `"-40"`, `"85.5"`: inclusive numeric bounds, each optional | no bound |
/// | `values` | `"1, 2, 5..=7"`: the allowed numbers and inclusive ranges | any |
/// | `length` | `"0..=255"`, `"..=64"`, `"1.."`: allowed length in octets of a String or Opaque | any |
/// | `lengths` | `"16, 32"`: the exact allowed lengths in octets | any |
/// | `skip` | flag: the field is not a resource (your own state), alone | - |
///
/// The constraint keys (`min`/`max`, `values`, `length`, `lengths`: one form at most) become
/// `ResourceMeta::constraint`, which the runtime's `validate` enforces on every written value
/// (each instance of a multiple resource). Numbers are strings so that any 64-bit integer and
/// any float is written exactly; integers stay exact.
///
/// Every field needs an attribute: a resource, or `skip`. Several `#[lwm2m(...)]` on one item add
/// up, as if written in one.
///
/// # Field types
///
/// | LwM2M type | field type | also accepted |
/// | --- | --- | --- |
/// | Integer | `i64` | `i8`, `i16`, `i32`, `u8`, `u16`, `u32` |
/// | Unsigned Integer | `u64` | `u8`, `u16`, `u32` |
/// | Float | `f64` | `f32` |
/// | Boolean | `bool` | |
/// | String | `String` | |
/// | Opaque | `Vec<u8>` | |
/// | Time | `lwm2m::Time` | |
/// | Objlnk | `lwm2m::ObjLnk` | |
/// | Corelnk | `lwm2m::CoreLnk` | |
/// | executable (`op = "E"`) | `lwm2m::Executable` | |
///
/// An optional resource is `Option<T>`, a multiple-instance one `lwm2m::Instances<T>` (a flat
/// map sorted by resource-instance id), an optional multiple one
/// `Option<Instances<T>>`. Without `kind`, the data type is the first column of the type's row;
/// `u8`, `u16` and `u32` default to Unsigned Integer and take `kind = "Integer"`. A type of your
/// own implementing `lwm2m::ResourceType` works too.
///
/// # Errors
///
/// Every mistake of the input is reported in one build, each on the token it is about:
///
/// - on an enum, a union, a tuple struct or a generic struct;
/// - an unknown key (the message lists the valid ones), a key given twice, a flag with a value,
///   a string key without a string;
/// - a missing or invalid id (not an integer from 0 to 65535), on the struct or a field; an
///   object id from 1024 to 2047 without `urn`;
/// - a version that is not `"MAJOR.MINOR"`, a `crate` that is not a path;
/// - a field without `#[lwm2m(...)]`, a missing `op`, an `op` or `kind` that is not one of the
///   values above, `kind` on an executable resource, other keys next to `skip`;
/// - a constraint that does not parse (`min = "abc"`, `length = "255"`), two constraint forms on
///   one field (`min` with `values`), a constraint on an executable resource;
/// - a resource id used twice (on the second, naming the field of the first);
/// - two fields whose constants would have the same name, or a field whose constant would be
///   `ID` (a field named `id`): on the second field.
///
/// Type errors come from the compiler, at the attribute token they are about:
///
/// - `multiple` on a field that is not `Instances<T>` or `Option<Instances<T>>`, or such a
///   field without `multiple` (on the attribute);
/// - `op = "E"` on a field that is not `Executable`, another `op` on an `Executable` field;
/// - a `kind` the field's type cannot carry, such as `kind = "Integer"` on a `String`;
/// - a field type that is none of the above (on the type).
#[proc_macro_derive(Object, attributes(lwm2m))]
pub fn derive_object(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match model::build(&input) {
        Ok(model) => expand::expand(&model).into(),
        Err(errors) => errors.to_compile_error().into(),
    }
}
