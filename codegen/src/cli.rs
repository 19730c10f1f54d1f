//! The `lwm2m-codegen` command line, as a function of its arguments and output streams.
//!
//! `main` only calls [`run`] with the process's arguments, stdout and stderr, and exits with the
//! status it returns: 0 success, 1 errors in the definitions (or any other failure), 2 usage
//! errors (clap's code).
//!
//! Definition sources: `check`, `list` and `show` read the PATHs given (files, or directories
//! meaning their `*.xml` files), or the bundled registry when there are none. `generate` reads the
//! bundled registry plus the PATHs (which replace bundled objects with the same id), or only the
//! PATHs with `--no-bundled`.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use lwm2m_model::{ObjectDef, Registry, parse_file, parse_str, xml_files};

use crate::catalogue::{self, CatalogueFormat};
use crate::{Builder, Generated};

/// Generate typed Rust from OMA LwM2M object definitions, and check definition files.
#[derive(Debug, Parser)]
#[command(name = "lwm2m-codegen", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check definition files: prints `FILE:LINE:COL: error|warning: MESSAGE` for each problem,
    /// then `checked N files: E errors, W warnings`. Exit status 1 when there are errors.
    Check {
        /// Files, or directories meaning their `*.xml` files. None: the bundled registry.
        paths: Vec<PathBuf>,
    },
    /// Write DIR/lwm2m_objects.rs for the bundled registry plus the given files (with --split,
    /// one file per object and a mod.rs), then one summary line on stderr.
    Generate {
        /// The output directory (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Only these object ids, comma-separated (default: all).
        #[arg(long, value_delimiter = ',', value_name = "ID,...")]
        objects: Vec<u16>,
        /// The runtime crate's path in the generated code.
        #[arg(long, value_name = "PATH", default_value = "::lwm2m")]
        crate_path: String,
        /// Leave out the bundled registry: only the given files.
        #[arg(long)]
        no_bundled: bool,
        /// Write the code as generated, without formatting it with prettyplease (faster; the
        /// compiler does not need it formatted).
        #[arg(long)]
        no_format: bool,
        /// Derives every struct gets besides Debug, Clone and Default, comma-separated, such as
        /// PartialEq.
        #[arg(long, value_delimiter = ',', value_name = "DERIVE,...")]
        derive: Vec<String>,
        /// Write `#[derive(lwm2m::Object)]` and `#[lwm2m(...)]` attributes on each struct instead
        /// of its `impl Object` (slower to compile: the derive runs on every struct).
        #[arg(long)]
        derive_object: bool,
        /// One file per object (named after its module, such as temperature.rs) and a mod.rs
        /// that declares them, re-exports the structs and lists OBJECTS.
        #[arg(long)]
        split: bool,
        /// No summary line.
        #[arg(long, short)]
        quiet: bool,
        /// Extra definition files or directories; they replace bundled objects with the same id.
        paths: Vec<PathBuf>,
    },
    /// Render a browsable reference of the objects: one page per object plus an index, then one
    /// summary line on stderr.
    Docs {
        /// `md` (Markdown, index `README.md`) or `html` (self-contained pages, index `index.html`).
        #[arg(long, value_enum, default_value = "html")]
        format: DocsFormat,
        /// The output directory (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Only these object ids, comma-separated (default: all).
        #[arg(long, value_delimiter = ',', value_name = "ID,...")]
        objects: Vec<u16>,
        /// No summary line.
        #[arg(long, short)]
        quiet: bool,
        /// Files, or directories meaning their `*.xml` files. None: the bundled registry.
        paths: Vec<PathBuf>,
    },
    /// One line per object, tab-separated: id, version, name, resource count.
    List {
        /// Files, or directories meaning their `*.xml` files. None: the bundled registry.
        paths: Vec<PathBuf>,
    },
    /// An object's definition in human form: a header, then a table of its resources.
    Show {
        /// The object id.
        id: u16,
        /// Files, or directories meaning their `*.xml` files. None: the bundled registry.
        paths: Vec<PathBuf>,
    },
}

/// Runs the command line `args` (the first item is the program name), writing to `out` and `err`.
/// Returns the exit status.
pub fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0; usage errors to stderr with status 2.
            let stream: &mut dyn Write = if e.use_stderr() { err } else { out };
            let _ = write!(stream, "{}", e.render());
            return e.exit_code();
        }
    };
    let start = Instant::now();
    let result = match cli.command {
        Command::Check { paths } => check(&paths, out),
        Command::Generate {
            out: dir,
            objects,
            crate_path,
            no_bundled,
            no_format,
            derive,
            derive_object,
            split,
            quiet,
            paths,
        } => {
            let builder = Builder::new()
                .derives(derive)
                .derive_object(derive_object)
                .format(!no_format)
                .split(split)
                .bundled(!no_bundled)
                .crate_path(crate_path)
                .out_dir(&dir);
            generate(builder, &objects, &paths, err).and_then(|(status, generated)| {
                if let (Some(generated), false) = (generated, quiet) {
                    writeln!(
                        err,
                        "{}",
                        generate_summary(&generated, &dir, start.elapsed())
                    )?;
                }
                Ok(status)
            })
        }
        Command::Docs {
            format,
            out: dir,
            objects,
            quiet,
            paths,
        } => docs(format, &dir, &objects, &paths, err).and_then(|(status, summary)| {
            if let (Some((objects, resources, pages)), false) = (summary, quiet) {
                writeln!(
                    err,
                    "docs: {objects} objects, {resources} resources; {pages} {} written to {}; {}",
                    plural(pages, "file"),
                    dir.display(),
                    milliseconds(start.elapsed())
                )?;
            }
            Ok(status)
        }),
        Command::List { paths } => list(&paths, out, err),
        Command::Show { id, paths } => show(id, &paths, out, err),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            1
        }
    }
}

/// `check`: every diagnostic, then the summary line.
fn check(paths: &[PathBuf], out: &mut dyn Write) -> std::io::Result<i32> {
    let mut diagnostics = Vec::new();
    let mut files = 0;
    if paths.is_empty() {
        for (name, text) in Registry::bundled_files() {
            files += 1;
            diagnostics.extend(parse_str(*name, text).diagnostics);
        }
    } else {
        match xml_files(paths) {
            Ok(list) => {
                for file in list {
                    files += 1;
                    diagnostics.extend(parse_file(&file).diagnostics);
                }
            }
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    for diagnostic in &diagnostics {
        writeln!(out, "{diagnostic}")?;
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    writeln!(
        out,
        "checked {files} files: {errors} errors, {warnings} warnings"
    )?;
    Ok(if errors > 0 { 1 } else { 0 })
}

/// `generate`: the builder with the selection and the extra files, writing its files;
/// diagnostics on `err`. The status, and what was generated on success.
fn generate(
    mut builder: Builder,
    objects: &[u16],
    paths: &[PathBuf],
    err: &mut dyn Write,
) -> std::io::Result<(i32, Option<Generated>)> {
    if !objects.is_empty() {
        builder = builder.objects(objects.iter().copied());
    }
    for path in paths {
        builder = builder.xml_file(path);
    }
    match builder.write() {
        Ok(generated) => {
            for warning in &generated.warnings {
                writeln!(err, "{warning}")?;
            }
            Ok((0, Some(generated)))
        }
        Err(crate::Error::Definitions(diagnostics)) => {
            for diagnostic in &diagnostics {
                writeln!(err, "{diagnostic}")?;
            }
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            writeln!(
                err,
                "error: {errors} errors in the object definitions, nothing written"
            )?;
            Ok((1, None))
        }
        Err(e) => {
            writeln!(err, "error: {e}")?;
            Ok((1, None))
        }
    }
}

/// The summary line of `generate`, such as `generate: 325 objects, 3427 resources; 1 file
/// written, 0 unchanged, to generated; 63 ms`.
pub fn generate_summary(generated: &Generated, dir: &Path, elapsed: Duration) -> String {
    let written = generated.files.iter().filter(|f| f.written).count();
    let unchanged = generated.files.len() - written;
    format!(
        "generate: {} {}, {} {}; {written} {} written, {unchanged} unchanged, to {}; {}",
        generated.objects,
        plural(generated.objects, "object"),
        generated.resources,
        plural(generated.resources, "resource"),
        plural(written, "file"),
        dir.display(),
        milliseconds(elapsed)
    )
}

/// `word`, with an `s` unless `count` is 1.
fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

/// A duration as whole milliseconds, such as `63 ms`.
fn milliseconds(elapsed: Duration) -> String {
    format!("{} ms", elapsed.as_millis())
}

/// The definitions of `list` and `show`: the given paths, or the bundled registry. Diagnostics
/// of the given files go to `err`; the status is 1 when any is an error.
fn load(paths: &[PathBuf], err: &mut dyn Write) -> std::io::Result<(Registry, i32)> {
    if paths.is_empty() {
        return Ok((Registry::bundled(), 0));
    }
    let mut registry = Registry::new();
    let report = registry.load_paths(paths);
    for diagnostic in &report.diagnostics {
        writeln!(err, "{diagnostic}")?;
    }
    Ok((registry, if report.errors() > 0 { 1 } else { 0 }))
}

/// The formats of `docs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum DocsFormat {
    /// Markdown.
    Md,
    /// HTML.
    Html,
}

/// What `docs` wrote: objects, resources, files.
type DocsSummary = (usize, usize, usize);

/// `docs`: the object catalogue, written into `dir`. The status, and on success the summary.
fn docs(
    format: DocsFormat,
    dir: &Path,
    objects: &[u16],
    paths: &[PathBuf],
    err: &mut dyn Write,
) -> std::io::Result<(i32, Option<DocsSummary>)> {
    let (registry, status) = load(paths, err)?;
    if status != 0 {
        writeln!(
            err,
            "error: errors in the object definitions, nothing written"
        )?;
        return Ok((status, None));
    }
    let mut selected = Vec::new();
    if objects.is_empty() {
        selected.extend(registry.objects());
    } else {
        for id in objects {
            let Some(def) = registry.get(*id) else {
                writeln!(err, "error: object {id} is not defined")?;
                return Ok((1, None));
            };
            selected.push(def);
        }
    }
    let format = match format {
        DocsFormat::Md => CatalogueFormat::Markdown,
        DocsFormat::Html => CatalogueFormat::Html,
    };
    let pages = match catalogue::render(&selected, format) {
        Ok(pages) => pages,
        Err(e) => {
            writeln!(err, "error: {e}")?;
            return Ok((1, None));
        }
    };
    catalogue::write(&pages, dir)?;
    let resources = selected.iter().map(|d| d.resources.len()).sum();
    Ok((0, Some((selected.len(), resources, pages.len()))))
}

/// `list`: `id \t version \t name \t resource count`, by ascending id.
fn list(paths: &[PathBuf], out: &mut dyn Write, err: &mut dyn Write) -> std::io::Result<i32> {
    let (registry, status) = load(paths, err)?;
    for def in registry.objects() {
        writeln!(
            out,
            "{}\t{}\t{}\t{}",
            def.id,
            def.version,
            def.name,
            def.resources.len()
        )?;
    }
    Ok(status)
}

/// `show`: the object's header and its resource table.
fn show(
    id: u16,
    paths: &[PathBuf],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<i32> {
    let (registry, status) = load(paths, err)?;
    let Some(def) = registry.get(id) else {
        writeln!(err, "error: object {id} is not defined")?;
        return Ok(1);
    };
    write!(out, "{}", describe(def))?;
    Ok(status)
}

/// The human form of a definition: header lines, the descriptions, a table of resources with
/// columns aligned by padding with spaces.
pub fn describe(def: &ObjectDef) -> String {
    let mut text = format!(
        "{} {}\nversion {}, LwM2M {}, {}, {}\nURN {}\n",
        def.id,
        def.name,
        def.version,
        def.lwm2m_version,
        if def.multiple {
            "multiple instances"
        } else {
            "single instance"
        },
        if def.mandatory {
            "mandatory"
        } else {
            "optional"
        },
        def.urn
    );
    if let Some(source) = &def.source {
        text.push_str(&format!("source {}\n", source.display()));
    }
    for description in std::iter::once(&def.description).chain(&def.description2) {
        if !description.is_empty() {
            text.push('\n');
            for line in description.lines() {
                text.push_str(line.trim_end());
                text.push('\n');
            }
        }
    }
    text.push('\n');
    let header = [
        "ID",
        "Name",
        "Ops",
        "Type",
        "Multiple",
        "Mandatory",
        "Units",
        "Range",
    ]
    .map(str::to_owned);
    let rows = def
        .resources
        .iter()
        .map(|r| {
            [
                r.id.to_string(),
                r.name.clone(),
                r.operations.as_str().to_owned(),
                r.kind.map_or("", |k| k.as_str()).to_owned(),
                yes_no(r.multiple),
                yes_no(r.mandatory),
                r.units.clone().unwrap_or_default(),
                r.range
                    .as_ref()
                    .map(|range| range.text.split_whitespace().collect::<Vec<_>>().join(" "))
                    .unwrap_or_default(),
            ]
        })
        .collect::<Vec<_>>();
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let cells = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect::<Vec<_>>();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    text
}

fn yes_no(flag: bool) -> String {
    if flag { "yes" } else { "no" }.to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may panic on unexpected results.
mod tests {
    use super::*;

    fn run_args(args: &[&str]) -> (i32, String, String) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = run(
            std::iter::once("lwm2m-codegen").chain(args.iter().copied()),
            &mut out,
            &mut err,
        );
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn usage_errors_exit_2() {
        let (code, out, err) = run_args(&["frobnicate"]);
        assert_eq!(code, 2);
        assert!(out.is_empty());
        assert!(err.contains("frobnicate"), "{err}");
        assert_eq!(run_args(&["show", "notanumber"]).0, 2);
        assert_eq!(run_args(&["generate"]).0, 2, "--out is required");
        assert_eq!(run_args(&[]).0, 2);
    }

    #[test]
    fn help_exits_0_on_stdout() {
        let (code, out, _) = run_args(&["--help"]);
        assert_eq!(code, 0);
        assert!(out.contains("check"));
    }

    #[test]
    fn list_bundled_is_tab_separated_by_id() {
        let (code, out, _) = run_args(&["list"]);
        assert_eq!(code, 0);
        let lines = out.lines().collect::<Vec<_>>();
        assert!(lines.contains(&"3303\t1.1\tTemperature\t12"), "{out}");
        let ids = lines
            .iter()
            .map(|l| l.split('\t').next().unwrap().parse::<u16>().unwrap())
            .collect::<Vec<_>>();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted);
    }

    #[test]
    fn docs_renders_the_selected_objects_with_an_index() {
        let dir = tempfile::tempdir().unwrap();
        let out_dir = dir.path().join("catalogue");
        let out_arg = out_dir.to_str().unwrap();
        let (code, _, err) = run_args(&[
            "docs",
            "--format",
            "md",
            "--out",
            out_arg,
            "--objects",
            "3303,3311",
        ]);
        assert_eq!(code, 0, "{err}");
        let mut files = std::fs::read_dir(&out_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect::<Vec<_>>();
        files.sort();
        assert_eq!(files, ["3303.md", "3311.md", "README.md"]);
        let page = std::fs::read_to_string(out_dir.join("3303.md")).unwrap();
        assert!(page.contains("Sensor Value"), "{page}");

        let (code, _, err) = run_args(&["docs", "--out", out_arg, "--objects", "65000"]);
        assert_eq!(
            (code, err.as_str()),
            (1, "error: object 65000 is not defined\n")
        );
        assert_eq!(
            run_args(&["docs", "--format", "pdf", "--out", out_arg]).0,
            2
        );
    }

    #[test]
    fn show_unknown_object_exits_1() {
        let (code, _, err) = run_args(&["show", "65000"]);
        assert_eq!(code, 1);
        assert_eq!(err, "error: object 65000 is not defined\n");
    }

    #[test]
    fn describe_aligns_the_table() {
        let registry = Registry::bundled();
        let text = describe(registry.get(3303).unwrap());
        assert!(text.starts_with("3303 Temperature\nversion 1.1, LwM2M 1.0, multiple instances, optional\nURN urn:oma:lwm2m:ext:3303:1.1\n"), "{text}");
        let table = text
            .lines()
            .skip_while(|l| !l.starts_with("ID "))
            .collect::<Vec<_>>();
        assert_eq!(table.len(), 13, "{text}");
        let name_column = table[0].find("Name").unwrap();
        let ops_column = table[0].find("Ops").unwrap();
        let sensor = table.iter().find(|l| l.starts_with("5700")).unwrap();
        assert_eq!(sensor.find("Sensor Value"), Some(name_column));
        assert_eq!(&sensor[ops_column..ops_column + 1], "R");
        assert!(sensor.contains("Float"));
    }
}
