//! The object model: `#[derive(Object)]` on hand-written objects, objects in an `ObjectStore`
//! with handlers, and the built-in objects against the bundled registry: one test binary, a
//! module per subject.

mod support;

mod builtin_objects;
mod derive;
mod lent_read;
mod object_model;
