//! The object catalogue: a browsable reference of LwM2M objects and their resources, rendered
//! with [askama] templates (`codegen/templates/catalogue/`) as Markdown or as HTML.
//!
//! Each object gets one page (`3303.md` / `3303.html`) and an index lists them all (`README.md` /
//! `index.html`). HTML pages are self-contained: the CSS is inline and the only links are to the
//! index, to other object pages and to anchors within the page. Output is deterministic: the same
//! objects give byte-identical pages whatever order they are passed in.
//!
//! ```
//! use lwm2m_codegen::catalogue::{self, CatalogueFormat};
//!
//! let registry = lwm2m_model::Registry::bundled();
//! let temperature = registry.get(3303).into_iter().collect::<Vec<_>>();
//! let pages = catalogue::render(&temperature, CatalogueFormat::Html)?;
//! assert_eq!(pages.len(), 2); // the index and 3303.html
//! assert!(pages.iter().any(|page| page.path.as_os_str() == "3303.html"));
//! # Ok::<(), lwm2m_codegen::catalogue::CatalogueError>(())
//! ```

mod markdown;
mod pages;
mod view;

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};

use askama::Template;
use lwm2m_model::ObjectDef;

use pages::{HtmlIndex, HtmlObject, MarkdownIndex, MarkdownObject};
use view::{IndexEntry, ObjectView, TextStyle};

/// The output format of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CatalogueFormat {
    /// CommonMark with GitHub tables: `README.md` plus one `ID.md` per object.
    Markdown,
    /// Self-contained HTML: `index.html` plus one `ID.html` per object.
    Html,
}

impl CatalogueFormat {
    /// The file extension of the pages, without the dot: `md` or `html`.
    pub fn extension(self) -> &'static str {
        match self {
            CatalogueFormat::Markdown => "md",
            CatalogueFormat::Html => "html",
        }
    }

    /// The file name of the index page: `README.md` or `index.html`.
    pub fn index_file(self) -> &'static str {
        match self {
            CatalogueFormat::Markdown => "README.md",
            CatalogueFormat::Html => "index.html",
        }
    }

    /// The file name of an object's page, for example `3303.html`.
    pub fn object_file(self, id: u16) -> String {
        format!("{id}.{}", self.extension())
    }
}

impl fmt::Display for CatalogueFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CatalogueFormat::Markdown => "Markdown",
            CatalogueFormat::Html => "HTML",
        })
    }
}

/// One rendered page of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Where the page goes, relative to the output directory: `3303.html`, `index.html`...
    pub path: PathBuf,
    /// The text of the page.
    pub contents: String,
}

/// Why the catalogue could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogueError {
    /// Two definitions with the same object id were given: their pages would overwrite each other.
    #[error("object {0} is given more than once: its catalogue page would be written twice")]
    DuplicateObject(u16),
    /// A template failed to render.
    #[error("cannot render the {page} catalogue page: {source}")]
    Template {
        /// The page being rendered (its relative path).
        page: String,
        /// The template error.
        source: askama::Error,
    },
}

/// Renders the catalogue of `objects`: the index first, then one page per object in ascending id
/// order (the order of `objects` does not matter).
///
/// # Errors
///
/// [`CatalogueError::DuplicateObject`] when two definitions share an object id;
/// [`CatalogueError::Template`] when a template fails to render.
pub fn render(
    objects: &[&ObjectDef],
    format: CatalogueFormat,
) -> Result<Vec<Page>, CatalogueError> {
    let mut by_id: BTreeMap<u16, &ObjectDef> = BTreeMap::new();
    for &object in objects {
        if by_id.insert(object.id, object).is_some() {
            return Err(CatalogueError::DuplicateObject(object.id));
        }
    }
    let style = match format {
        CatalogueFormat::Markdown => TextStyle::Markdown,
        CatalogueFormat::Html => TextStyle::Html,
    };
    let index_file = format.index_file();

    let entries: Vec<IndexEntry> = by_id
        .values()
        .map(|object| IndexEntry::new(object, &format.object_file(object.id), style))
        .collect();
    let mut pages = Vec::with_capacity(entries.len() + 1);
    let index = match format {
        CatalogueFormat::Markdown => MarkdownIndex { objects: &entries }.render(),
        CatalogueFormat::Html => HtmlIndex { objects: &entries }.render(),
    };
    pages.push(page(index_file.to_owned(), index)?);

    for object in by_id.values() {
        let view = ObjectView::new(object, style);
        let path = format.object_file(object.id);
        let contents = match format {
            CatalogueFormat::Markdown => MarkdownObject {
                object: &view,
                index: index_file,
            }
            .render(),
            CatalogueFormat::Html => HtmlObject {
                object: &view,
                index: index_file,
            }
            .render(),
        };
        pages.push(page(path, contents)?);
    }
    Ok(pages)
}

fn page(path: String, contents: askama::Result<String>) -> Result<Page, CatalogueError> {
    match contents {
        Ok(contents) => Ok(Page {
            path: PathBuf::from(path),
            contents,
        }),
        Err(source) => Err(CatalogueError::Template { page: path, source }),
    }
}

/// Writes `pages` below `out_dir`, creating it (and any parent directory of a page) as needed.
/// Existing files with the same names are replaced; other files are left alone.
///
/// # Errors
///
/// Any I/O error, and [`io::ErrorKind::InvalidInput`] for a page whose path is not a plain
/// relative path (absolute, empty, or containing `..`), which could write outside `out_dir`.
pub fn write(pages: &[Page], out_dir: &Path) -> io::Result<()> {
    for page in pages {
        check_relative(&page.path)?;
    }
    std::fs::create_dir_all(out_dir)?;
    for page in pages {
        let target = out_dir.join(&page.path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, &page.contents)?;
    }
    Ok(())
}

/// Accepts only paths made of plain names (`a/b.html`), so a page stays inside the output directory.
fn check_relative(path: &Path) -> io::Result<()> {
    let plain = path.components().next().is_some()
        && path
            .components()
            .all(|component| matches!(component, Component::Normal(_)));
    if plain {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "catalogue page path `{}` must be relative, without `..`",
                path.display()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_paths_must_stay_inside_the_output_directory() {
        assert!(check_relative(Path::new("3303.html")).is_ok());
        assert!(check_relative(Path::new("objects/3303.html")).is_ok());
        for bad in ["", "/etc/passwd", "../3303.html", "a/../../b"] {
            let error = check_relative(Path::new(bad)).err();
            assert_eq!(
                error.map(|e| e.kind()),
                Some(io::ErrorKind::InvalidInput),
                "{bad}"
            );
        }
    }
}
