//! The object catalogue (`lwm2m_codegen::catalogue`) over the bundled registry.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests may panic on unexpected results.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use lwm2m_codegen::catalogue::{self, CatalogueError, CatalogueFormat, Page};
use lwm2m_model::{ObjectDef, Registry};

const FORMATS: [CatalogueFormat; 2] = [CatalogueFormat::Markdown, CatalogueFormat::Html];

fn bundled() -> Registry {
    Registry::bundled()
}

fn render_all(registry: &Registry, format: CatalogueFormat) -> Vec<Page> {
    let objects: Vec<&ObjectDef> = registry.objects().collect();
    catalogue::render(&objects, format).unwrap()
}

fn page<'a>(pages: &'a [Page], path: &str) -> &'a str {
    &pages
        .iter()
        .find(|page| page.path == Path::new(path))
        .unwrap_or_else(|| panic!("no page {path}"))
        .contents
}

/// Every value of `attribute="..."` in an HTML text.
fn attribute_values<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let needle = format!("{attribute}=\"");
    html.match_indices(&needle)
        .map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect()
}

#[test]
fn renders_every_bundled_object_in_both_formats() {
    let registry = bundled();
    assert!(registry.len() > 300, "bundled registry: {}", registry.len());
    for format in FORMATS {
        let pages = render_all(&registry, format);
        assert_eq!(pages.len(), registry.len() + 1, "{format}");
        let paths: BTreeSet<&Path> = pages.iter().map(|page| page.path.as_path()).collect();
        assert_eq!(paths.len(), pages.len(), "{format}: page paths are unique");
        assert!(paths.contains(Path::new(format.index_file())));
        for object in registry.objects() {
            let file = format.object_file(object.id);
            assert!(paths.contains(Path::new(&file)), "{format}: {file}");
        }
        assert!(pages.iter().all(|page| !page.contents.trim().is_empty()));
    }
}

#[test]
fn markdown_index_is_readme_and_html_index_is_index_html() {
    let registry = bundled();
    let markdown = render_all(&registry, CatalogueFormat::Markdown);
    let html = render_all(&registry, CatalogueFormat::Html);
    assert_eq!(markdown[0].path, PathBuf::from("README.md"));
    assert_eq!(html[0].path, PathBuf::from("index.html"));
    assert!(
        page(&markdown, "README.md").contains("| [3303](3303.md) | [Temperature](3303.md) | 1.1 |")
    );
}

#[test]
fn temperature_page_lists_its_resources() {
    let registry = bundled();
    let html = render_all(&registry, CatalogueFormat::Html);
    let page_3303 = page(&html, "3303.html");
    assert!(page_3303.contains("<h1>Temperature <span class=\"id\">3303</span></h1>"));
    assert!(page_3303.contains("urn:oma:lwm2m:ext:3303:1.1"));
    assert!(page_3303.contains(
        "<tr><td class=\"num\"><a href=\"#r5700\">5700</a></td><td>Sensor Value</td><td>R</td>\
         <td>Float</td><td>Single</td><td>Mandatory</td><td></td><td class=\"pre\"></td></tr>"
    ));
    assert!(page_3303.contains("<section id=\"r5700\">"));
    assert!(page_3303.contains("Last or Current Measured Value from the Sensor."));
    // 5605 is executable: no type.
    assert!(page_3303.contains(
        "<a href=\"#r5605\">5605</a></td><td>Reset Min and Max Measured Values</td><td>E</td><td>none</td>"
    ));

    let markdown = render_all(&registry, CatalogueFormat::Markdown);
    let md_3303 = page(&markdown, "3303.md");
    assert!(md_3303.contains("# Temperature (3303)"));
    assert!(md_3303.contains("| 5700 | Sensor Value | R | Float | Single | Mandatory |  |  |"));
    assert!(md_3303.contains("### 5700: Sensor Value"));
    assert!(md_3303.contains("[← All objects](README.md)"));
}

#[test]
fn units_and_ranges_are_shown() {
    let registry = bundled();
    // Find a resource with units and one with a range in the bundled registry, and check the page.
    let (object, with_units) = registry
        .objects()
        .find_map(|o| {
            o.resources
                .iter()
                .find(|r| r.units.is_some())
                .map(|r| (o, r))
        })
        .unwrap();
    let units = with_units.units.as_deref().unwrap();
    let (ranged_object, with_range) = registry
        .objects()
        .find_map(|o| {
            o.resources
                .iter()
                .find(|r| {
                    r.range.as_ref().is_some_and(|range| {
                        range
                            .text
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                    })
                })
                .map(|r| (o, r))
        })
        .unwrap();
    let range = &with_range.range.as_ref().unwrap().text;
    for format in FORMATS {
        let pages = render_all(&registry, format);
        let text = page(&pages, &format.object_file(object.id));
        assert!(text.contains(units), "{format} {}: {units}", object.id);
        let text = page(&pages, &format.object_file(ranged_object.id));
        assert!(
            text.contains(range.as_str()),
            "{format} {}: {range}",
            ranged_object.id
        );
    }

    // 3303: 6050 Fractional Timestamp has units "s" and range 0..1; 6042 has range 0..23.
    let html = render_all(&registry, CatalogueFormat::Html);
    let page_3303 = page(&html, "3303.html");
    assert!(page_3303.contains(
        "<td>Fractional Timestamp</td><td>R</td><td>Float</td><td>Single</td><td>Optional</td>\
         <td>s</td><td class=\"pre\">0..1</td>"
    ));
    assert!(page_3303.contains("<td class=\"pre\">0..23</td>"));
    let markdown = render_all(&registry, CatalogueFormat::Markdown);
    assert!(
        page(&markdown, "3303.md")
            .contains("| 6050 | Fractional Timestamp | R | Float | Single | Optional | s | 0..1 |")
    );
}

#[test]
fn html_escapes_placeholders_in_descriptions() {
    let registry = bundled();
    let object = registry.get(3390).unwrap();
    let raw = object
        .resources
        .iter()
        .map(|r| r.description.as_str())
        .find(|d| d.contains("<dir>"))
        .expect("3390 has a description with <dir>");
    assert!(raw.contains("<Obj_ID>"));
    let html = render_all(&registry, CatalogueFormat::Html);
    let page_3390 = page(&html, "3390.html");
    assert!(page_3390.contains("&#60;dir&#62;") || page_3390.contains("&lt;dir&gt;"));
    assert!(!page_3390.contains("<dir>"));
    assert!(!page_3390.contains("<Obj_ID>"));
    // The OpenAIS literal `\n` escapes are line breaks, not text.
    assert!(raw.contains("\\n"));
    assert!(!page_3390.contains("\\n"));

    let markdown = render_all(&registry, CatalogueFormat::Markdown);
    let md_3390 = page(&markdown, "3390.md");
    // Outside code spans, placeholders are entities; inside code spans they stay verbatim.
    for line in md_3390.lines() {
        let outside: String = line.split('`').step_by(2).collect();
        assert!(!outside.contains("<dir>"), "{line}");
    }
}

#[test]
fn html_escapes_everything_from_the_registry() {
    let mut object = bundled().get(3303).unwrap().clone();
    object.name = "Evil <script>alert(1)</script> & \"co\"".to_owned();
    object.description = "a <b>bold</b> claim\n\t\tsecond line".to_owned();
    object.resources[0].description = "<img src=\"http://x/y.png\">".to_owned();
    object.resources[0].units = Some("<u>".to_owned());
    let html = catalogue::render(&[&object], CatalogueFormat::Html).unwrap();
    for page in &html {
        assert!(
            !page.contents.contains("<script>"),
            "{}",
            page.path.display()
        );
        assert!(!page.contents.contains("<b>"));
        assert!(!page.contents.contains("<img"));
        assert!(!page.contents.contains("<u>"));
    }
    assert!(page(&html, "3303.html").contains("a &#60;b&#62;bold&#60;/b&#62; claim\nsecond line"));

    let markdown = catalogue::render(&[&object], CatalogueFormat::Markdown).unwrap();
    let md = page(&markdown, "3303.md");
    assert!(md.contains("# Evil &lt;script&gt;alert(1)&lt;/script&gt; &amp; \"co\" (3303)"));
    assert!(md.contains("a &lt;b&gt;bold&lt;/b&gt; claim<br>\nsecond line"));
}

#[test]
fn markdown_tables_survive_pipes_and_newlines() {
    let mut object = bundled().get(3303).unwrap().clone();
    object.resources.truncate(1);
    object.resources[0].name = "A|B".to_owned();
    object.resources[0].units = Some("x|y".to_owned());
    let markdown = catalogue::render(&[&object], CatalogueFormat::Markdown).unwrap();
    let row = page(&markdown, "3303.md")
        .lines()
        .find(|line| line.starts_with("| 5700 |"))
        .unwrap();
    assert_eq!(
        row,
        "| 5700 | A\\|B | R | Float | Single | Mandatory | x\\|y |  |"
    );
    // 9 unescaped pipes = 8 cells.
    assert_eq!(row.replace("\\|", "").matches('|').count(), 9);
}

#[test]
fn html_pages_are_self_contained_and_index_links_resolve() {
    let registry = bundled();
    let pages = render_all(&registry, CatalogueFormat::Html);
    let paths: BTreeSet<String> = pages
        .iter()
        .map(|page| page.path.to_str().unwrap().to_owned())
        .collect();
    for page in &pages {
        let text = &page.contents;
        assert!(
            text.starts_with("<!DOCTYPE html>"),
            "{}",
            page.path.display()
        );
        assert!(text.contains("<style>"));
        assert!(!text.contains("src="), "{}", page.path.display());
        assert!(!text.contains("<link"), "{}", page.path.display());
        assert!(!text.contains("@import"), "{}", page.path.display());
        assert!(!text.contains("url("), "{}", page.path.display());
        let ids: BTreeSet<&str> = attribute_values(text, "id").into_iter().collect();
        for href in attribute_values(text, "href") {
            if let Some(anchor) = href.strip_prefix('#') {
                assert!(ids.contains(anchor), "{}: {href}", page.path.display());
            } else {
                assert!(paths.contains(href), "{}: {href}", page.path.display());
            }
        }
    }
    let index = page(&pages, "index.html");
    let linked: BTreeSet<&str> = attribute_values(index, "href").into_iter().collect();
    assert_eq!(
        linked.len(),
        registry.len(),
        "the index links every object page"
    );
    assert!(linked.contains("3303.html"));
    assert!(index.contains("<a href=\"3303.html\">Temperature</a>"));
}

#[test]
fn markdown_index_links_resolve() {
    let registry = bundled();
    let pages = render_all(&registry, CatalogueFormat::Markdown);
    let paths: BTreeSet<String> = pages
        .iter()
        .map(|page| page.path.to_str().unwrap().to_owned())
        .collect();
    let index = page(&pages, "README.md");
    let links: BTreeSet<&str> = index
        .match_indices("](")
        .map(|(at, _)| {
            let rest = &index[at + 2..];
            &rest[..rest.find(')').unwrap()]
        })
        .collect();
    assert_eq!(links.len(), registry.len());
    assert!(links.iter().all(|link| paths.contains(*link)));
}

#[test]
fn output_is_deterministic_and_independent_of_input_order() {
    let registry = bundled();
    let forward: Vec<&ObjectDef> = registry.objects().collect();
    let mut backward = forward.clone();
    backward.reverse();
    for format in FORMATS {
        let a = catalogue::render(&forward, format).unwrap();
        let b = catalogue::render(&backward, format).unwrap();
        assert_eq!(a, b, "{format}");
    }
}

#[test]
fn duplicate_object_ids_are_refused() {
    let registry = bundled();
    let temperature = registry.get(3303).unwrap();
    let error = catalogue::render(&[temperature, temperature], CatalogueFormat::Html).unwrap_err();
    assert!(matches!(error, CatalogueError::DuplicateObject(3303)));
    assert!(error.to_string().contains("3303"));
}

#[test]
fn empty_selection_renders_an_index_only() {
    for format in FORMATS {
        let pages = catalogue::render(&[], format).unwrap();
        assert_eq!(pages.len(), 1);
        assert!(pages[0].contents.contains("0 objects."));
    }
}

#[test]
fn write_creates_the_pages_in_a_directory() {
    let registry = bundled();
    let objects: Vec<&ObjectDef> = [3, 3303]
        .iter()
        .filter_map(|&id| registry.get(id))
        .collect();
    let pages = catalogue::render(&objects, CatalogueFormat::Html).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nested").join("docs");
    catalogue::write(&pages, &out).unwrap();
    let mut written: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    written.sort();
    assert_eq!(written, ["3.html", "3303.html", "index.html"]);
    for page in &pages {
        assert_eq!(
            std::fs::read_to_string(out.join(&page.path)).unwrap(),
            page.contents
        );
    }
}

#[test]
fn write_refuses_paths_outside_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("docs");
    let pages = [Page {
        path: PathBuf::from("../escape.html"),
        contents: String::new(),
    }];
    let error = catalogue::write(&pages, &out).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(!dir.path().join("escape.html").exists());
    assert!(!out.exists(), "nothing is written when a path is refused");
}
