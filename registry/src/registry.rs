//! A set of object definitions keyed by ObjectID, the bundled OMA registry, and loading from disk.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::ObjectDef;
use crate::parse::{parse_file, parse_str};

/// The registry files embedded at build time: `(file name, XML text)`, sorted by file name.
static BUNDLED_FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// A set of object definitions, at most one per ObjectID.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    objects: BTreeMap<u16, ObjectDef>,
}

/// What [`Registry::load_paths`] did: how many files it read and every diagnostic they produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadReport {
    /// The number of definition files read (parsed, whether or not they had errors).
    pub files: usize,
    /// Every diagnostic of every file, file by file.
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadReport {
    /// The number of error diagnostics.
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    /// The number of warning diagnostics.
    pub fn warnings(&self) -> usize {
        self.diagnostics.iter().filter(|d| !d.is_error()).count()
    }
}

/// The object of each bundled file (in file order), parsed on every available core: the files
/// are independent, and parsing them is most of the time a build script spends generating code.
fn parse_bundled() -> Vec<Option<ObjectDef>> {
    let parse = |(name, text): &(&str, &str)| parse_str(*name, text).object;
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if threads < 2 {
        return BUNDLED_FILES.iter().map(parse).collect();
    }
    let next = AtomicUsize::new(0);
    let parsed = std::thread::scope(|scope| {
        let workers = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(file) = BUNDLED_FILES.get(index) else {
                            break done;
                        };
                        done.push((index, parse(file)));
                    }
                })
            })
            .collect::<Vec<_>>();
        workers.into_iter().map(|w| w.join()).collect::<Vec<_>>()
    });
    let mut objects: Vec<Option<ObjectDef>> = vec![None; BUNDLED_FILES.len()];
    for done in parsed {
        // A panic while parsing goes on as it would have without threads.
        let done = done.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        for (index, object) in done {
            if let Some(slot) = objects.get_mut(index) {
                *slot = object;
            }
        }
    }
    objects
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// The OMA registry objects bundled in this crate (see `objects/SOURCE.md`), parsed once per
    /// process and cloned.
    pub fn bundled() -> Registry {
        static BUNDLED: OnceLock<Registry> = OnceLock::new();
        BUNDLED
            .get_or_init(|| {
                let mut registry = Registry::new();
                for object in parse_bundled().into_iter().flatten() {
                    registry.insert(object);
                }
                registry
            })
            .clone()
    }

    /// The bundled registry files: `(file name, XML text)`, sorted by file name.
    pub fn bundled_files() -> &'static [(&'static str, &'static str)] {
        BUNDLED_FILES
    }

    /// Parses the given files and directories (see [`xml_files`]) and inserts every object of a
    /// file without errors. Files with errors add nothing; warnings do not stop a file.
    pub fn load_paths(&mut self, paths: &[impl AsRef<Path>]) -> LoadReport {
        let files = match xml_files(paths) {
            Ok(files) => files,
            Err(diagnostic) => {
                return LoadReport {
                    files: 0,
                    diagnostics: vec![diagnostic],
                };
            }
        };
        let mut report = LoadReport {
            files: files.len(),
            diagnostics: Vec::new(),
        };
        for file in &files {
            let parsed = parse_file(file);
            report.diagnostics.extend(parsed.diagnostics);
            if let Some(object) = parsed.object {
                self.insert(object);
            }
        }
        report
    }

    /// Adds a definition. When the registry already holds the same ObjectID, the higher
    /// `ObjectVersion` is kept; on equal versions the newly inserted definition wins.
    pub fn insert(&mut self, def: ObjectDef) {
        match self.objects.get(&def.id) {
            Some(old) if old.version > def.version => {}
            _ => {
                self.objects.insert(def.id, def);
            }
        }
    }

    /// The definition of an ObjectID.
    pub fn get(&self, id: u16) -> Option<&ObjectDef> {
        self.objects.get(&id)
    }

    /// Every definition, by ascending ObjectID.
    pub fn objects(&self) -> impl Iterator<Item = &ObjectDef> {
        self.objects.values()
    }

    /// The number of definitions.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether the registry holds no definition.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

/// Expands paths into definition files: a file is taken as given; a directory means its `*.xml`
/// files (not its sub-directories), sorted by name. A path that does not exist or a directory
/// that cannot be read is an error diagnostic at 1:1.
pub fn xml_files(paths: &[impl AsRef<Path>]) -> Result<Vec<PathBuf>, Diagnostic> {
    let mut files = Vec::new();
    for path in paths {
        let path = path.as_ref();
        let io_error = |what: &str, e: std::io::Error| Diagnostic {
            file: path.to_path_buf(),
            line: 1,
            column: 1,
            severity: Severity::Error,
            message: format!("{what}: {e}"),
        };
        let metadata =
            std::fs::metadata(path).map_err(|e| io_error("cannot access the path", e))?;
        if !metadata.is_dir() {
            files.push(path.to_path_buf());
            continue;
        }
        let mut in_dir = Vec::new();
        let entries =
            std::fs::read_dir(path).map_err(|e| io_error("cannot read the directory", e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_error("cannot read the directory", e))?;
            let file = entry.path();
            if file.extension().is_some_and(|e| e == "xml") && file.is_file() {
                in_dir.push(file);
            }
        }
        in_dir.sort();
        files.extend(in_dir);
    }
    Ok(files)
}
