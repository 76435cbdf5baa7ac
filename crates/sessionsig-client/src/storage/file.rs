//! A directory store, one file per key (`node-localstorage`'s layout), written atomically.

use super::{decode_uri_component, encode_uri_component, Storage};
use crate::error::{ClientError, Result};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};
use zeroize::Zeroizing;

/// Temporary files older than this are left-overs of a crashed writer, removed on open.
const STALE_TEMP_AGE: Duration = Duration::from_secs(600);

/// Values larger than this are refused on read (a session key or AuthSig is a few KiB).
const MAX_VALUE_LEN: u64 = 1 << 20;

/// A store in a directory: the value of key `k` is the whole content of the file named
/// `encodeURIComponent(k)`, exactly as `node-localstorage` (the Lit SDK's Node.js storage)
/// keeps it, so one directory can be shared with a Lit SDK process.
///
/// Every write is atomic and durable: the value goes to a fresh temporary file in the same
/// directory (created owner-only, `0600`), which is flushed (`fsync`), renamed over the
/// target, and the directory is flushed. A crash at any point leaves either the previous
/// value or the new one, never a mix; a left-over temporary file (named `.<name>.<pid>-<n>.tmp`)
/// is ignored by reads and removed by a later [`FileStore::open`] once it is ten minutes old.
/// A directory created by [`FileStore::open`] is made owner-only (`0700`).
///
/// Several processes may share the directory: each write replaces a whole value (last writer
/// wins), and readers never see a partial value.
pub struct FileStore {
    dir: PathBuf,
    counter: AtomicU64,
    before_rename: Option<fn()>,
}

impl FileStore {
    /// Open (and create, if missing) the store directory `dir`.
    ///
    /// Errors: [`ClientError::Storage`] when the directory cannot be created or read.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        let shown = dir.display().to_string();
        match fs::metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(ClientError::storage(&shown, "not a directory")),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                fs::create_dir_all(&dir).map_err(|e| ClientError::storage(&shown, e))?;
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
                        .map_err(|e| ClientError::storage(&shown, e))?;
                }
            }
            Err(e) => return Err(ClientError::storage(&shown, e)),
        }
        let store = FileStore {
            dir,
            counter: AtomicU64::new(0),
            before_rename: None,
        };
        store.remove_stale_temps();
        Ok(store)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file that holds `key`.
    pub fn path_of(&self, key: &str) -> PathBuf {
        self.dir.join(encode_uri_component(key))
    }

    /// Test hook: a function called after the temporary file is written and flushed and
    /// before it is renamed over the target (tests make it abort the process to simulate a
    /// crash mid-write). Not for production use.
    #[doc(hidden)]
    pub fn set_before_rename_hook(&mut self, hook: fn()) {
        self.before_rename = Some(hook);
    }

    fn remove_stale_temps(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        let now = SystemTime::now();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if !is_temp_name(name) {
                continue;
            }
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age > STALE_TEMP_AGE);
            if old {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    fn sync_dir(&self) -> std::io::Result<()> {
        #[cfg(unix)]
        {
            File::open(&self.dir)?.sync_all()?;
        }
        Ok(())
    }

    fn write_atomic(&self, key: &str, value: &str) -> std::io::Result<()> {
        let name = encode_uri_component(key);
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let tmp = self
            .dir
            .join(format!(".{name}.{}-{n}.tmp", std::process::id()));
        let result = (|| {
            let mut opts = OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(&tmp)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                f.set_permissions(fs::Permissions::from_mode(0o600))?;
            }
            f.write_all(value.as_bytes())?;
            f.sync_all()?;
            drop(f);
            if let Some(hook) = self.before_rename {
                hook();
            }
            fs::rename(&tmp, self.dir.join(&name))?;
            self.sync_dir()
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".tmp")
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore").field("dir", &self.dir).finish()
    }
}

impl Storage for FileStore {
    fn get(&self, key: &str) -> Result<Option<Zeroizing<String>>> {
        let path = self.path_of(key);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(ClientError::storage(key, e)),
        };
        let len = file
            .metadata()
            .map_err(|e| ClientError::storage(key, e))?
            .len();
        if len > MAX_VALUE_LEN {
            return Err(ClientError::storage(
                key,
                format!("value larger than {MAX_VALUE_LEN} bytes"),
            ));
        }
        let mut buf = Zeroizing::new(Vec::with_capacity(usize::try_from(len).unwrap_or(0)));
        (&file)
            .take(MAX_VALUE_LEN)
            .read_to_end(&mut buf)
            .map_err(|e| ClientError::storage(key, e))?;
        match std::str::from_utf8(&buf) {
            Ok(s) => Ok(Some(Zeroizing::new(s.to_owned()))),
            Err(_) => Err(ClientError::storage(key, "value is not UTF-8")),
        }
    }

    fn set(&self, key: &str, value: &str) -> Result<()> {
        self.write_atomic(key, value)
            .map_err(|e| ClientError::storage(key, e))
    }

    fn remove(&self, key: &str) -> Result<()> {
        match fs::remove_file(self.path_of(key)) {
            Ok(()) => self.sync_dir().map_err(|e| ClientError::storage(key, e)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(ClientError::storage(key, e)),
        }
    }

    fn keys(&self) -> Result<Vec<String>> {
        let shown = self.dir.display().to_string();
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(|e| ClientError::storage(&shown, e))? {
            let entry = entry.map_err(|e| ClientError::storage(&shown, e))?;
            if !entry.file_type().is_ok_and(|t| t.is_file()) {
                continue;
            }
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if is_temp_name(name) {
                continue;
            }
            if let Some(key) = decode_uri_component(name) {
                out.push(key);
            }
        }
        out.sort();
        Ok(out)
    }
}

/// The per-user data directory for session stores: `$XDG_DATA_HOME/sessionsig` (or
/// `~/.local/share/sessionsig`) on Linux and other Unix systems,
/// `~/Library/Application Support/sessionsig` on macOS, `%APPDATA%\sessionsig` on Windows.
/// `None` when the home directory is unknown.
pub fn default_store_dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if cfg!(windows) {
        return env("APPDATA").map(|d| d.join("sessionsig"));
    }
    if cfg!(target_os = "macos") {
        return env("HOME").map(|h| h.join("Library/Application Support/sessionsig"));
    }
    env("XDG_DATA_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| env("HOME").map(|h| h.join(".local/share")))
        .map(|d| d.join("sessionsig"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_layout() {
        let tmp = tempfile::tempdir().unwrap();
        let s = FileStore::open(tmp.path().join("store")).unwrap();
        assert!(s.get("lit-session-key").unwrap().is_none());
        s.set("lit-session-key", "{\"a\":1}").unwrap();
        s.set("lit-wallet-sig:app:0xab", "v").unwrap();
        assert_eq!(
            fs::read_to_string(tmp.path().join("store/lit-session-key")).unwrap(),
            "{\"a\":1}"
        );
        assert!(tmp
            .path()
            .join("store/lit-wallet-sig%3Aapp%3A0xab")
            .exists());
        assert_eq!(
            s.get("lit-session-key").unwrap().unwrap().as_str(),
            "{\"a\":1}"
        );
        assert_eq!(
            s.keys().unwrap(),
            vec![
                "lit-session-key".to_owned(),
                "lit-wallet-sig:app:0xab".to_owned()
            ]
        );
        s.set("lit-session-key", "2").unwrap();
        assert_eq!(s.get("lit-session-key").unwrap().unwrap().as_str(), "2");
        s.remove("lit-session-key").unwrap();
        s.remove("lit-session-key").unwrap();
        assert!(s.get("lit-session-key").unwrap().is_none());
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(s.dir())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn owner_only_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("new");
        let s = FileStore::open(&dir).unwrap();
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        // Even over a world-readable file written by someone else.
        fs::write(dir.join("k"), "old").unwrap();
        fs::set_permissions(dir.join("k"), fs::Permissions::from_mode(0o644)).unwrap();
        s.set("k", "new").unwrap();
        assert_eq!(
            fs::metadata(dir.join("k")).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn ignores_temps_and_foreign_names() {
        let tmp = tempfile::tempdir().unwrap();
        let s = FileStore::open(tmp.path()).unwrap();
        fs::write(tmp.path().join(".k.1-0.tmp"), "partial").unwrap();
        fs::write(tmp.path().join("bad%zz"), "x").unwrap();
        fs::create_dir(tmp.path().join("sub")).unwrap();
        s.set("k", "v").unwrap();
        assert_eq!(s.keys().unwrap(), vec!["k".to_owned()]);
    }

    #[test]
    fn open_refuses_a_file() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("f"), "").unwrap();
        assert_eq!(
            FileStore::open(tmp.path().join("f")).unwrap_err().code(),
            "storage"
        );
    }
}
