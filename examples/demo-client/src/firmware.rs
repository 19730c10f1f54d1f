//! Firmware Update for the demo (`--firmware-dir DIR`): a [`FirmwareSink`] that streams a
//! package into a file, checks it, and "installs" it by recording its version as the device's
//! Firmware Version (`/3/0/3`) and restarting the process, as a device's bootloader would swap
//! images across a reboot.
//!
//! The demo's package format (the runtime does not care what a package holds; a device checks
//! its own):
//!
//! ```text
//! "LWM2MFW1"                       8 bytes   anything else: Update Result 6 (unsupported)
//! version length, version (UTF-8)  1 + n     PkgVersion and, once installed, /3/0/3
//! name length, name (UTF-8)        1 + n     PkgName
//! flags                            1         bit 0: the install fails (Update Result 8)
//! body                             any
//! CRC-32 (IEEE) of all the above   4, big-endian: a mismatch is Update Result 5
//! ```
//!
//! Files in DIR: `package.part` while a package arrives, `package` once it is checked,
//! `installed` (the version running) and `updated` (written by an install, read and removed by
//! the next run: Update Result 1).

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use lwm2m::Instant;
use lwm2m::client::Client;
use lwm2m::firmware::{AfterBoot, Applied, FirmwareSink, FirmwareUpdater, PackageInfo, SinkError};
use lwm2m::objects::Device;

/// The first bytes of a demo package.
pub const MAGIC: &[u8; 8] = b"LWM2MFW1";

/// The package being received.
const PART: &str = "package.part";
/// The checked package.
const PACKAGE: &str = "package";
/// The version installed.
const INSTALLED: &str = "installed";
/// Left by an install for the next run.
const UPDATED: &str = "updated";

/// Builds a demo package (the e2e tests in `tests/` build theirs the same way).
#[cfg(test)]
pub fn build_package(version: &str, name: &str, fail_install: bool, body: &[u8]) -> Vec<u8> {
    let mut package = MAGIC.to_vec();
    for text in [version, name] {
        package.push(u8::try_from(text.len()).unwrap_or(u8::MAX));
        package.extend_from_slice(&text.as_bytes()[..text.len().min(255)]);
    }
    package.push(u8::from(fail_install));
    package.extend_from_slice(body);
    let crc = crc32fast::hash(&package);
    package.extend_from_slice(&crc.to_be_bytes());
    package
}

/// What a package's header says.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Header {
    version: String,
    name: String,
    fail_install: bool,
}

/// Reads the header at the start of `reader`.
fn read_header(reader: &mut impl Read) -> Result<Header, SinkError> {
    let mut magic = [0u8; 8];
    reader
        .read_exact(&mut magic)
        .map_err(|_| SinkError::UnsupportedPackage)?;
    if &magic != MAGIC {
        return Err(SinkError::UnsupportedPackage);
    }
    let mut text = || -> Result<String, SinkError> {
        let mut len = [0u8; 1];
        reader
            .read_exact(&mut len)
            .map_err(|_| SinkError::UnsupportedPackage)?;
        let mut bytes = vec![0u8; usize::from(len[0])];
        reader
            .read_exact(&mut bytes)
            .map_err(|_| SinkError::UnsupportedPackage)?;
        String::from_utf8(bytes).map_err(|_| SinkError::UnsupportedPackage)
    };
    let version = text()?;
    let name = text()?;
    let mut flags = [0u8; 1];
    reader
        .read_exact(&mut flags)
        .map_err(|_| SinkError::UnsupportedPackage)?;
    Ok(Header {
        version,
        name,
        fail_install: flags[0] & 1 != 0,
    })
}

/// Whether the file at `path` ends with the CRC-32 of the rest (read in chunks: a package is
/// never held whole in memory).
fn crc_matches(path: &Path) -> io::Result<bool> {
    let len = fs::metadata(path)?.len();
    let Some(body) = len.checked_sub(4) else {
        return Ok(false);
    };
    let mut reader = BufReader::new(File::open(path)?);
    let mut hasher = crc32fast::Hasher::new();
    let mut left = body;
    let mut buffer = vec![0u8; 64 * 1024];
    while left > 0 {
        let want = usize::try_from(left.min(buffer.len() as u64)).unwrap_or(buffer.len());
        reader.read_exact(&mut buffer[..want])?;
        hasher.update(&buffer[..want]);
        left -= want as u64;
    }
    let mut crc = [0u8; 4];
    reader.read_exact(&mut crc)?;
    Ok(hasher.finalize() == u32::from_be_bytes(crc))
}

/// The demo's sink: files in a directory.
pub struct FileSink {
    dir: PathBuf,
    max_size: u64,
    part: Option<File>,
    written: u64,
}

impl FileSink {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn remove(&self, name: &str) {
        if let Err(e) = fs::remove_file(self.path(name))
            && e.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(file = name, error = %e, "firmware: not removed");
        }
    }
}

impl FirmwareSink for FileSink {
    fn begin(&mut self, size: Option<u32>) -> Result<(), SinkError> {
        self.remove(PACKAGE);
        self.written = 0;
        if size.is_some_and(|size| u64::from(size) > self.max_size) {
            return Err(SinkError::NoSpace);
        }
        match File::create(self.path(PART)) {
            Ok(file) => {
                self.part = Some(file);
                tracing::info!(size, "firmware: a package begins");
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "firmware: cannot create the package file");
                Err(SinkError::NoSpace)
            }
        }
    }

    fn write(&mut self, chunk: &[u8]) -> Result<(), SinkError> {
        self.written += chunk.len() as u64;
        if self.written > self.max_size {
            return Err(SinkError::NoSpace);
        }
        let file = self.part.as_mut().ok_or(SinkError::UpdateFailed)?;
        file.write_all(chunk).map_err(|e| {
            tracing::warn!(error = %e, "firmware: write failed");
            SinkError::NoSpace
        })
    }

    fn finish(&mut self) -> Result<PackageInfo, SinkError> {
        let file = self.part.take().ok_or(SinkError::UpdateFailed)?;
        file.sync_all().map_err(|_| SinkError::NoSpace)?;
        drop(file);
        let part = self.path(PART);
        let header = File::open(&part)
            .map_err(|_| SinkError::UnsupportedPackage)
            .and_then(|file| read_header(&mut BufReader::new(file)))?;
        if !crc_matches(&part).unwrap_or(false) {
            return Err(SinkError::IntegrityCheck);
        }
        fs::rename(&part, self.path(PACKAGE)).map_err(|_| SinkError::NoSpace)?;
        tracing::info!(version = %header.version, bytes = self.written, "firmware: package checked");
        Ok(PackageInfo {
            name: Some(header.name),
            version: Some(header.version),
        })
    }

    fn apply(&mut self) -> Result<Applied, SinkError> {
        let header = File::open(self.path(PACKAGE))
            .map_err(|_| SinkError::UpdateFailed)
            .and_then(|file| read_header(&mut BufReader::new(file)))?;
        if header.fail_install {
            tracing::warn!(version = %header.version, "firmware: this package fails to install");
            return Err(SinkError::UpdateFailed);
        }
        // The marker first, then the version swapped in atomically (a temporary file renamed
        // over it): an install cut short leaves the old version installed and a marker that
        // does not match it, which the next run reports as a failed update (Update Result 8),
        // never a half-installed one.
        let staged = self.path("installed.new");
        fs::write(self.path(UPDATED), &header.version)
            .and_then(|()| fs::write(&staged, &header.version))
            .and_then(|()| fs::rename(&staged, self.path(INSTALLED)))
            .map_err(|e| {
                tracing::warn!(error = %e, "firmware: install failed");
                self.remove(UPDATED);
                SinkError::UpdateFailed
            })?;
        self.remove(PACKAGE);
        tracing::info!(version = %header.version, "firmware: installed; restarting into it");
        Ok(Applied::Restart)
    }

    fn abort(&mut self) {
        self.part = None;
        self.remove(PART);
        self.remove(PACKAGE);
    }
}

/// How the update before this run ended, as the files in the sink's directory say: a marker
/// whose version is installed is a success, one whose version is not a failed install.
fn after_boot(sink: &FileSink) -> AfterBoot {
    let installed = fs::read_to_string(sink.path(INSTALLED)).ok();
    if let Ok(version) = fs::read_to_string(sink.path(UPDATED)) {
        sink.remove(UPDATED);
        if installed.as_deref() == Some(version.as_str()) {
            tracing::info!(version = %version.trim(), "firmware: running the update");
            AfterBoot::Updated
        } else {
            tracing::warn!(version = %version.trim(), "firmware: the update was not installed");
            AfterBoot::Failed {
                package_kept: sink.path(PACKAGE).exists(),
            }
        }
    } else if let Ok(header) = File::open(sink.path(PACKAGE))
        .map_err(|_| SinkError::UpdateFailed)
        .and_then(|file| read_header(&mut BufReader::new(file)))
    {
        AfterBoot::Downloaded(PackageInfo {
            name: Some(header.name),
            version: Some(header.version),
        })
    } else {
        AfterBoot::Fresh
    }
}

/// Turns on Firmware Update with a [`FileSink`] in `dir` (created if needed): the installed
/// version becomes `/3/0/3`, and an install before this run or a package waiting for Update
/// is reported as the Core TS asks.
pub fn enable(client: &mut Client, dir: &Path, max_size: u64, now: Instant) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let sink = FileSink {
        dir: dir.to_owned(),
        max_size,
        part: None,
        written: 0,
    };
    sink.remove(PART);
    if let Ok(version) = fs::read_to_string(sink.path(INSTALLED))
        && let Some(device) = client.store_mut().get_mut::<Device>(0)
    {
        device.firmware_version = Some(version.trim().to_owned());
    }
    let after_boot = after_boot(&sink);
    let updater = FirmwareUpdater::new(Box::new(sink)).after_boot(after_boot);
    client.enable_firmware_update(now, updater);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sink(dir: &Path, max_size: u64) -> FileSink {
        FileSink {
            dir: dir.to_owned(),
            max_size,
            part: None,
            written: 0,
        }
    }

    fn feed(sink: &mut FileSink, package: &[u8]) -> Result<PackageInfo, SinkError> {
        sink.begin(None)?;
        for chunk in package.chunks(100) {
            sink.write(chunk)?;
        }
        sink.finish()
    }

    #[test]
    fn a_good_package_is_checked_installed_and_reported_after_the_restart() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = sink(dir.path(), 1 << 20);
        let package = build_package("2.0.0", "demo", false, &[7u8; 1000]);
        let info = feed(&mut s, &package).unwrap();
        assert_eq!(info.version.as_deref(), Some("2.0.0"));
        assert_eq!(fs::read(dir.path().join(PACKAGE)).unwrap(), package);
        assert_eq!(s.apply(), Ok(Applied::Restart));
        assert_eq!(
            fs::read_to_string(dir.path().join(INSTALLED)).unwrap(),
            "2.0.0"
        );
        assert!(dir.path().join(UPDATED).exists());
    }

    #[test]
    fn the_next_run_reports_an_install_that_ended_and_one_cut_short() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = sink(dir.path(), 1 << 20);
        feed(&mut s, &build_package("2.0.0", "demo", false, b"body")).unwrap();
        assert_eq!(s.apply(), Ok(Applied::Restart));
        assert_eq!(after_boot(&s), AfterBoot::Updated);
        assert!(!dir.path().join(UPDATED).exists(), "reported once");
        assert_eq!(after_boot(&s), AfterBoot::Fresh);
        // A marker for a version that did not get installed: a failed update.
        fs::write(dir.path().join(UPDATED), "3.0.0").unwrap();
        assert_eq!(
            after_boot(&s),
            AfterBoot::Failed {
                package_kept: false
            }
        );
    }

    #[test]
    fn a_corrupt_foreign_or_oversized_package_is_refused_with_its_reason() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = sink(dir.path(), 1 << 20);
        let mut package = build_package("2.0.0", "demo", false, &[7u8; 1000]);
        package[500] ^= 1;
        assert_eq!(feed(&mut s, &package), Err(SinkError::IntegrityCheck));
        assert_eq!(
            feed(&mut s, b"not a package at all"),
            Err(SinkError::UnsupportedPackage)
        );
        let mut small = sink(dir.path(), 500);
        let package = build_package("2.0.0", "demo", false, &[7u8; 1000]);
        assert_eq!(feed(&mut small, &package), Err(SinkError::NoSpace));
        assert_eq!(small.begin(Some(501)), Err(SinkError::NoSpace));
        let failing = build_package("3.0.0", "demo", true, b"x");
        feed(&mut s, &failing).unwrap();
        assert_eq!(s.apply(), Err(SinkError::UpdateFailed));
        s.abort();
        assert!(!dir.path().join(PACKAGE).exists());
    }
}
