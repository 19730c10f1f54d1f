//! `--state FILE`: what a server or the Bootstrap-Server wrote (Security, Server, Access
//! Control), kept across restarts with `lwm2m::persist`. The file is written atomically (a
//! temporary file beside it, then a rename) whenever those objects change; at start, a file
//! that restores a complete `coap://` server account lets the device register at once instead
//! of bootstrapping. A damaged or foreign file is reported and ignored: the device bootstraps
//! as if there were none, and the file is replaced once the bootstrap wrote a new account.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use lwm2m::ObjectStore;
use lwm2m::objects::{Security, Server};
use lwm2m::persist::{self, PROVISIONING};

/// The state file and what was last written to it.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    last: Vec<u8>,
}

impl StateFile {
    /// Restores `store` from `path` when the file exists and is a good snapshot; the server
    /// URI of the first complete server account it restored, if any.
    pub fn load(path: &Path, store: &mut ObjectStore) -> (StateFile, Option<String>) {
        let mut state = StateFile {
            path: path.to_owned(),
            last: Vec::new(),
        };
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                tracing::info!(path = %path.display(), "no state file yet");
                return (state, None);
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "state file unreadable: ignored");
                return (state, None);
            }
        };
        match persist::restore(store, &bytes) {
            Ok(restored) => {
                tracing::info!(
                    path = %path.display(),
                    instances = restored.instances.len(),
                    "state restored"
                );
                state.last = bytes;
                let account = server_account(store);
                (state, account)
            }
            Err(e) => {
                tracing::warn!(
                    path = %path.display(),
                    error = %e,
                    "state file not usable: ignored (the device bootstraps)"
                );
                (state, None)
            }
        }
    }

    /// Writes the state when it changed since it was last written (or read).
    pub fn save_if_changed(&mut self, store: &mut ObjectStore) {
        let bytes = match persist::snapshot(store, &PROVISIONING) {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::warn!(error = %e, "state not saved");
                return;
            }
        };
        if bytes == self.last {
            return;
        }
        match write_atomically(&self.path, &bytes) {
            Ok(()) => {
                tracing::info!(path = %self.path.display(), bytes = bytes.len(), "state saved");
                self.last = bytes;
            }
            Err(e) => tracing::warn!(path = %self.path.display(), error = %e, "state not saved"),
        }
    }
}

/// The URI of the first non-bootstrap Security instance with a `coap://` URI whose Short
/// Server ID has a Server instance: a server account to register with.
fn server_account(store: &ObjectStore) -> Option<String> {
    let servers: Vec<u16> = store
        .instances(Server::ID)
        .filter_map(|i| store.get::<Server>(i).map(|s| s.short_server_id))
        .collect();
    store
        .instances(Security::ID)
        .filter_map(|i| store.get::<Security>(i))
        .find(|s| {
            !s.bootstrap_server
                && s.server_uri.starts_with("coap://")
                && s.short_server_id.is_some_and(|id| servers.contains(&id))
        })
        .map(|s| s.server_uri.clone())
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`: a reader
/// (or a crash) sees the old state or the new, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    fs::write(&temporary, bytes)?;
    fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_state_restores_the_account_and_a_damaged_one_is_ignored() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("state.bin");
        let mut provisioned = ObjectStore::new();
        provisioned
            .insert(0, Security::bootstrap("coap://127.0.0.1:5693"), ())
            .expect("insert");
        provisioned
            .insert(1, Security::no_sec("coap://127.0.0.1:5683", 1), ())
            .expect("insert");
        provisioned
            .insert(0, Server::new(1, 60, "U"), ())
            .expect("insert");
        let (mut state, none) = StateFile::load(&path, &mut ObjectStore::new());
        assert_eq!(none, None);
        state.save_if_changed(&mut provisioned);
        assert!(path.exists());
        let mut fresh = ObjectStore::new();
        fresh
            .insert(0, Security::bootstrap("coap://127.0.0.1:5693"), ())
            .expect("insert");
        let (_, account) = StateFile::load(&path, &mut fresh);
        assert_eq!(account.as_deref(), Some("coap://127.0.0.1:5683"));
        fs::write(&path, b"garbage").expect("write");
        let mut again = ObjectStore::new();
        let (_, account) = StateFile::load(&path, &mut again);
        assert_eq!(account, None);
        assert_eq!(
            again.instances(Security::ID).count(),
            0,
            "nothing half-loaded"
        );
    }
}
