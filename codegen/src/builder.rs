//! The build-script API, in the style of `prost-build`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use lwm2m_model::{Diagnostic, ObjectDef, Registry};

use crate::emit::{self, CratePath, FileOptions};
use crate::{Error, naming};

/// The default output file name, which `lwm2m::include_objects!()` includes.
pub const DEFAULT_FILE_NAME: &str = "lwm2m_objects.rs";

/// Generates Rust structs for LwM2M objects, for a build script.
///
/// The known objects are the bundled OMA registry (unless [`bundled(false)`](Builder::bundled))
/// plus the user's definition files, which replace bundled objects with the same id. Type names
/// are computed over all known objects, so a name does not change when the selection does
/// (`Location` is object 6 and `Location3336` is object 3336, whichever you generate).
///
/// In `build.rs`:
///
/// ```no_run
/// // build.rs
/// lwm2m_codegen::Builder::new()
///     .objects([3, 3303])
///     .xml_dir("objects") // your own definitions, if any
///     .compile_or_exit();
/// ```
///
/// and in the crate: `lwm2m::include_objects!();`. [`generate`](Builder::generate) returns the code
/// without writing anything:
///
/// ```
/// let code = lwm2m_codegen::Builder::new().objects([3303]).generate()?;
/// assert!(code.contains("pub struct Temperature {"));
/// assert!(code.contains("pub sensor_value: f64,"));
/// # Ok::<(), lwm2m_codegen::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    objects: Option<Vec<u16>>,
    paths: Vec<PathBuf>,
    bundled: bool,
    crate_path: String,
    out_dir: Option<PathBuf>,
    file_name: String,
    objects_list: bool,
    format: bool,
    split: bool,
    derives: Vec<String>,
    derive_object: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

/// Generated code and the warnings found on the way (see [`Builder::write`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The generated Rust source (with [`Builder::split`], the content of `mod.rs`).
    pub code: String,
    /// Warning diagnostics of the user's definition files (errors make an [`Error`] instead).
    pub warnings: Vec<Diagnostic>,
    /// Whether [`Builder::write`] wrote any file (`false`: they already had this content).
    pub written: bool,
    /// The number of objects generated.
    pub objects: usize,
    /// The number of resources of those objects (the fields generated).
    pub resources: usize,
    /// Every output file, in the order written (with [`Builder::split`], `mod.rs` last).
    pub files: Vec<OutputFile>,
}

/// One file of the output (see [`Generated::files`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Its path.
    pub path: PathBuf,
    /// Whether it was written (`false`: it already had this content).
    pub written: bool,
}

impl Builder {
    /// A builder for every known object, the bundled registry included, with crate path
    /// `::lwm2m`, writing `$OUT_DIR/lwm2m_objects.rs`.
    pub fn new() -> Builder {
        Builder {
            objects: None,
            paths: Vec::new(),
            bundled: true,
            crate_path: CratePath::default().as_str().to_owned(),
            out_dir: None,
            file_name: DEFAULT_FILE_NAME.to_owned(),
            objects_list: true,
            format: false,
            split: false,
            derives: Vec::new(),
            derive_object: false,
        }
    }

    /// Generates only these objects (by id) instead of all known ones. Calls add up.
    pub fn objects(mut self, ids: impl IntoIterator<Item = u16>) -> Builder {
        self.objects.get_or_insert_with(Vec::new).extend(ids);
        self
    }

    /// Adds the `*.xml` files of a directory (not of its sub-directories) as object definitions.
    pub fn xml_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.paths.push(dir.into());
        self
    }

    /// Adds one object definition file.
    pub fn xml_file(mut self, file: impl Into<PathBuf>) -> Builder {
        self.paths.push(file.into());
        self
    }

    /// Whether the bundled OMA registry is known (default `true`). Without it, only the user's
    /// files are.
    pub fn bundled(mut self, bundled: bool) -> Builder {
        self.bundled = bundled;
        self
    }

    /// The path of the runtime crate in the generated code (default `::lwm2m`), for a crate that
    /// renames it or re-exports it.
    pub fn crate_path(mut self, path: impl Into<String>) -> Builder {
        self.crate_path = path.into();
        self
    }

    /// The directory [`compile`](Builder::compile) writes to (default: the `OUT_DIR` environment
    /// variable that Cargo sets for build scripts).
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.out_dir = Some(dir.into());
        self
    }

    /// The output file name (default `lwm2m_objects.rs`).
    pub fn file_name(mut self, name: impl Into<String>) -> Builder {
        self.file_name = name.into();
        self
    }

    /// Whether to end the file with `pub const OBJECTS: &[&<crate>::meta::ObjectMeta]`, the
    /// metadata of every generated object (default `true`).
    pub fn objects_list(mut self, enabled: bool) -> Builder {
        self.objects_list = enabled;
        self
    }

    /// Whether to format the output with prettyplease, for people who read it (default
    /// `false`: the compiler does not need it, and the layout the generator writes directly is
    /// valid, readable Rust with long attribute lines unbroken). Formatting parses the code back
    /// with syn, one object per task on every core, which takes longer than generating it.
    pub fn format(mut self, enabled: bool) -> Builder {
        self.format = enabled;
        self
    }

    /// Derives every struct gets besides `Debug, Clone, Default` ([`emit::DERIVES`]), such as `["PartialEq"]` to compare instances. Calls add up. Each
    /// derive costs compile time for every generated object, so only what the crate uses.
    pub fn derives<S: Into<String>>(mut self, derives: impl IntoIterator<Item = S>) -> Builder {
        self.derives.extend(derives.into_iter().map(Into::into));
        self
    }

    /// Whether each struct gets `#[derive(Object)]` and `#[lwm2m(...)]` attributes, from which
    /// the runtime's derive writes the `impl Object` (default `false`: the generator writes the
    /// `impl Object` and the metadata itself, the same as the derive's, which compiles in about
    /// half the time: no macro runs on the generated code). For code whose attributes people read.
    pub fn derive_object(mut self, enabled: bool) -> Builder {
        self.derive_object = enabled;
        self
    }

    /// Whether [`write`](Builder::write) splits the output (default `false`): one file per
    /// object, named after its module (`temperature.rs`, see [`naming::module_names`]), and a
    /// `mod.rs` that declares the modules, re-exports the structs and holds `OBJECTS`, in the
    /// output directory, for generated code kept in a source tree (`mod objects;` with
    /// `src/objects/mod.rs`). [`file_name`](Builder::file_name) is not used then.
    /// [`generate`](Builder::generate) still returns the code as one file. Files of objects no
    /// longer generated are not removed.
    pub fn split(mut self, enabled: bool) -> Builder {
        self.split = enabled;
        self
    }

    /// Generates the code. Pure: reads the definition files, writes nothing, prints nothing.
    pub fn generate(&self) -> Result<String, Error> {
        let output = self.render(false)?;
        Ok(output.files.into_iter().map(|(_, code)| code).collect())
    }

    /// Generates the code and writes it to the output file (with [`split`](Builder::split), the
    /// output files), only when its content changed (so that Cargo does not rebuild for
    /// nothing). Prints nothing. Creates the directory if needed.
    pub fn write(&self) -> Result<Generated, Error> {
        let output = self.render(self.split)?;
        let dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or(Error::NoOutDir)?,
        };
        let mut files = Vec::with_capacity(output.files.len());
        let mut code = String::new();
        for (name, content) in output.files {
            let path = dir.join(&name);
            let written = write_if_changed(&dir, &path, &content)?;
            files.push(OutputFile { path, written });
            code = content;
        }
        Ok(Generated {
            code,
            warnings: output.warnings,
            written: files.iter().any(|f| f.written),
            objects: output.objects,
            resources: output.resources,
            files,
        })
    }

    /// For `build.rs`: prints `cargo:rerun-if-changed=` lines ([`rerun_if_changed`]), generates
    /// and writes the output file when changed ([`write`](Builder::write)), and prints the
    /// warnings of the user's files as `cargo::warning=` lines.
    pub fn compile(&self) -> Result<(), Error> {
        let mut stdout = std::io::stdout().lock();
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
        for path in rerun_if_changed(&self.paths, manifest_dir.as_deref()) {
            let _ = writeln!(stdout, "cargo:rerun-if-changed={}", path.display());
        }
        let generated = self.write()?;
        for warning in &generated.warnings {
            let _ = writeln!(stdout, "cargo::warning={}", cargo_line(warning));
        }
        Ok(())
    }

    /// [`compile`](Builder::compile), and on error prints each problem for Cargo
    /// (`cargo::error=FILE:LINE:COL: message`, warnings as `cargo::warning=`) and exits with
    /// status 1, so that the build fails with a readable message instead of a panic.
    pub fn compile_or_exit(&self) {
        let Err(error) = self.compile() else {
            return;
        };
        let mut stdout = std::io::stdout().lock();
        match &error {
            Error::Definitions(diagnostics) => {
                for diagnostic in diagnostics {
                    let key = if diagnostic.is_error() {
                        "error"
                    } else {
                        "warning"
                    };
                    let _ = writeln!(stdout, "cargo::{key}={}", cargo_line(diagnostic));
                }
            }
            other => {
                let text = other.to_string().replace('\n', " ");
                let _ = writeln!(stdout, "cargo::error={text}");
            }
        }
        let _ = stdout.flush();
        std::process::exit(1);
    }

    /// The known objects, the selection and the code, as files (one, or split), plus the user
    /// files' warnings.
    fn render(&self, split: bool) -> Result<Rendered, Error> {
        let crate_path = self
            .crate_path
            .parse::<CratePath>()
            .map_err(|e| Error::CratePath {
                path: self.crate_path.clone(),
                message: e.to_string(),
            })?;
        let (user, warnings) = self.user_definitions()?;
        // A selection of bundled objects needs the names of all (for the type names) but the
        // definitions of the selected only: the names are read from the files without parsing
        // them (`bundled_names`), and only the selected files are parsed. The whole registry
        // otherwise.
        let light = match (&self.objects, self.bundled) {
            (Some(_), true) => bundled_names(),
            _ => None,
        };
        let bundled = match (&light, &self.objects) {
            (Some(light), Some(ids)) => {
                let mut registry = Registry::new();
                for id in ids {
                    if let Some(def) = light.get(id).and_then(|(_, text)| {
                        lwm2m_model::parse_str(format!("{id}.xml"), text).object
                    }) {
                        registry.insert(def);
                    }
                }
                registry
            }
            _ if self.bundled => Registry::bundled(),
            _ => Registry::new(),
        };
        // Every known object: the bundled ones, replaced by the user's with the same id.
        let mut universe = bundled
            .objects()
            .map(|d| (d.id, d))
            .collect::<BTreeMap<u16, &ObjectDef>>();
        universe.extend(user.objects().map(|d| (d.id, d)));
        let mut names = universe
            .values()
            .map(|d| (d.id, d.name.as_str()))
            .collect::<BTreeMap<u16, &str>>();
        if let Some(light) = &light {
            for (id, (name, _)) in light {
                names.entry(*id).or_insert(name.as_str());
            }
        }
        let type_names = naming::type_names(names);
        let selected = match &self.objects {
            None => universe.values().copied().collect::<Vec<_>>(),
            Some(ids) => {
                let mut ids = ids.clone();
                ids.sort_unstable();
                ids.dedup();
                ids.into_iter()
                    .map(|id| universe.get(&id).copied().ok_or(Error::UnknownObject(id)))
                    .collect::<Result<Vec<_>, _>>()?
            }
        };
        let options = FileOptions {
            crate_path,
            objects_list: self.objects_list,
            format: self.format,
            derives: self.derives.clone(),
            derive_object: self.derive_object,
        };
        let resources = selected.iter().map(|d| d.resources.len()).sum();
        let files = if split {
            let items = emit::items(&selected, &type_names, &options)?;
            emit::split_files(&items, &options)?
        } else {
            let code = emit::file(&selected, &type_names, &options)?;
            vec![(self.file_name.clone(), code)]
        };
        Ok(Rendered {
            files,
            warnings,
            objects: selected.len(),
            resources,
        })
    }

    /// The user's definition files, and their warnings; any error is an [`Error::Definitions`].
    fn user_definitions(&self) -> Result<(Registry, Vec<Diagnostic>), Error> {
        let mut user = Registry::new();
        if self.paths.is_empty() {
            return Ok((user, Vec::new()));
        }
        let report = user.load_paths(&self.paths);
        if report.errors() > 0 {
            return Err(Error::Definitions(report.diagnostics));
        }
        Ok((user, report.diagnostics))
    }
}

/// What [`Builder::render`] made: `(file name, content)` pairs and the counts.
struct Rendered {
    files: Vec<(String, String)>,
    warnings: Vec<Diagnostic>,
    objects: usize,
    resources: usize,
}

/// The paths a build script must be rerun for: the user's definition files and directories, or,
/// when there are none, the package's `build.rs` (if `manifest_dir` has one).
///
/// Without any `rerun-if-changed` line Cargo reruns a build script whenever any file of the
/// package changes, so that touching `src/main.rs` would regenerate every object (BENCHMARKS.md,
/// "Build cost"). The generated code depends only on the build script (a change to it, or to
/// lwm2m-codegen, rebuilds and reruns it anyway) and the user's files. A build script at another
/// path (`package.build`) gets no line, and Cargo's default stays.
pub fn rerun_if_changed(paths: &[PathBuf], manifest_dir: Option<&Path>) -> Vec<PathBuf> {
    if !paths.is_empty() {
        return paths.to_vec();
    }
    match manifest_dir {
        Some(dir) if dir.join("build.rs").is_file() => vec![PathBuf::from("build.rs")],
        _ => Vec::new(),
    }
}

/// A diagnostic as one line for a `cargo::` instruction: `FILE:LINE:COL: message`.
fn cargo_line(diagnostic: &Diagnostic) -> String {
    format!(
        "{}:{}:{}: {}",
        diagnostic.file.display(),
        diagnostic.line,
        diagnostic.column,
        diagnostic.message.replace(['\n', '\r'], " ")
    )
}

/// Writes `content` to `path` unless the file already holds exactly it. Returns whether it wrote.
fn write_if_changed(dir: &Path, path: &Path, content: &str) -> Result<bool, Error> {
    if std::fs::read(path).is_ok_and(|old| old == content.as_bytes()) {
        return Ok(false);
    }
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    std::fs::write(path, content).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(true)
}

/// The name and the text of every bundled object by id, read without parsing the files (a
/// debug-built build script parses the whole registry in about 0.2 s, a third of the build of a
/// crate with five objects): the first `<ObjectID>` and `<Name>` of each file, the name's
/// entities decoded and its whitespace collapsed, as the parser reads it. `None`, and the
/// caller parses the registry, when a file defeats this reading (no such element, markup or an
/// unknown entity in the name, an id given twice); a test checks that it agrees with the parser
/// on every bundled file.
pub(crate) fn bundled_names() -> Option<BTreeMap<u16, (String, &'static str)>> {
    let mut names = BTreeMap::new();
    for (_, text) in Registry::bundled_files() {
        let id = element(text, "ObjectID")?.trim().parse::<u16>().ok()?;
        let name = decode(element(text, "Name")?)?;
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() || names.insert(id, (name, *text)).is_some() {
            return None;
        }
    }
    Some(names)
}

/// The text of the first `<tag>...</tag>` in `text`.
fn element<'a>(text: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = text.find(&open)? + open.len();
    let end = text.get(start..)?.find(&format!("</{tag}>"))?;
    text.get(start..start + end)
}

/// XML text with its five predefined entities and character references decoded; `None` for
/// markup (`<`: a comment, CDATA) or an entity it does not know.
fn decode(text: &str) -> Option<String> {
    if text.contains('<') {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp)?);
        let after = rest.get(amp + 1..)?;
        let semi = after.find(';')?;
        let entity = after.get(..semi)?;
        out.push(match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = match entity.strip_prefix("#x").or(entity.strip_prefix("#X")) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => entity.strip_prefix('#')?.parse().ok()?,
                };
                char::from_u32(code)?
            }
        });
        rest = after.get(semi + 1..)?;
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may panic on unexpected results.
mod tests {
    use super::*;

    #[test]
    fn bundled_names_are_the_parsers() {
        let light = bundled_names().expect("every bundled file can be read without parsing");
        let registry = Registry::bundled();
        assert_eq!(light.len(), registry.len());
        for def in registry.objects() {
            assert_eq!(
                light.get(&def.id).map(|(name, _)| name.as_str()),
                Some(def.name.as_str()),
                "{}",
                def.id
            );
        }
        assert_eq!(
            decode("a &amp; b&#x41;&#66;&lt;"),
            Some("a & bAB<".to_owned())
        );
        assert_eq!(decode("a <!-- c -->"), None);
        assert_eq!(decode("&nbsp;"), None);
    }

    #[test]
    fn a_selection_is_generated_as_from_the_whole_registry() {
        // The selection reads the names of the others without parsing them; the code is the
        // same as when every object is parsed (Location3336 is named after 6's Location).
        let ids = [3, 6, 3303, 3311, 3336, 10242];
        let selected = Builder::new().objects(ids).generate().unwrap_or_default();
        let all = Builder::new().generate().unwrap_or_default();
        for id in ids {
            let def = Registry::bundled();
            let name = &naming::type_names(def.objects().map(|d| (d.id, d.name.as_str())))[&id];
            let start = format!("pub struct {name} {{");
            assert!(selected.contains(&start) && all.contains(&start), "{id}");
        }
        assert!(selected.contains("pub struct Location3336 {"));
        let body = |code: &str, name: &str| {
            let start = code
                .find(&format!("pub struct {name} {{"))
                .unwrap_or_default();
            let end = code[start..]
                .find("\n};\n")
                .map_or(code.len(), |e| start + e);
            code[start..end].to_owned()
        };
        for name in ["Device", "Location", "Temperature", "Location3336"] {
            assert_eq!(body(&selected, name), body(&all, name), "{name}");
        }
    }
    use lwm2m_model::Severity;

    #[test]
    fn cargo_line_has_no_severity_and_one_line() {
        let diagnostic = Diagnostic {
            file: "x/1.xml".into(),
            line: 2,
            column: 5,
            severity: Severity::Error,
            message: "bad\nthing".to_owned(),
        };
        assert_eq!(cargo_line(&diagnostic), "x/1.xml:2:5: bad thing");
    }

    #[test]
    fn rerun_for_user_paths_else_the_build_script() {
        let dir = tempfile::tempdir().unwrap();
        let user = vec![PathBuf::from("objects"), PathBuf::from("x.xml")];
        assert_eq!(rerun_if_changed(&user, Some(dir.path())), user);
        // No build.rs in the package (a `package.build` elsewhere): Cargo's default.
        assert!(rerun_if_changed(&[], Some(dir.path())).is_empty());
        assert!(rerun_if_changed(&[], None).is_empty());
        std::fs::write(dir.path().join("build.rs"), "fn main() {}").unwrap();
        assert_eq!(
            rerun_if_changed(&[], Some(dir.path())),
            [PathBuf::from("build.rs")]
        );
    }

    #[test]
    fn write_only_when_changed() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("out");
        let path = sub.join("f.rs");
        assert!(write_if_changed(&sub, &path, "a").unwrap());
        assert!(!write_if_changed(&sub, &path, "a").unwrap());
        assert!(write_if_changed(&sub, &path, "b").unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "b");
    }
}
