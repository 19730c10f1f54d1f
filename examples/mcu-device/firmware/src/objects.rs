//! The objects generated from the bundled registry by `build.rs`: Temperature (3303).
// The generated file documents every object; a device uses only some of what it declares.
#![allow(missing_docs, dead_code)]

lwm2m::include_objects!();
