//! The askama templates of the catalogue (`codegen/templates/catalogue/`), one struct per page kind.
//!
//! `.html` templates escape every expression (askama's default for HTML); `.md` templates do not
//! escape, their text comes escaped from [`super::view`].

use askama::Template;

use super::view::{IndexEntry, ObjectView};

/// The HTML index: every object, linking to its page.
#[derive(Template)]
#[template(path = "catalogue/index.html")]
pub(super) struct HtmlIndex<'a> {
    pub(super) objects: &'a [IndexEntry],
}

/// One object's HTML page.
#[derive(Template)]
#[template(path = "catalogue/object.html")]
pub(super) struct HtmlObject<'a> {
    pub(super) object: &'a ObjectView,
    /// The index page, relative to this page.
    pub(super) index: &'a str,
}

/// The Markdown index.
#[derive(Template)]
#[template(path = "catalogue/index.md")]
pub(super) struct MarkdownIndex<'a> {
    pub(super) objects: &'a [IndexEntry],
}

/// One object's Markdown page.
#[derive(Template)]
#[template(path = "catalogue/object.md")]
pub(super) struct MarkdownObject<'a> {
    pub(super) object: &'a ObjectView,
    /// The index page, relative to this page.
    pub(super) index: &'a str,
}
