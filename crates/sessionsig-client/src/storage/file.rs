//! A directory store, one file per key (`node-localstorage`'s layout), written atomically.

use super::{decode_uri_component, encode_uri_component, Storage};
use crate::error::{ClientError, Result};
use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};
use zeroize::Zeroizing;

/// Temporary files older than this are left-overs of a crashed writer, removed on open.
const STALE_TEMP_AGE: Duration = Duration::from_secs(600);

/// Values larger than this are refused on read (a session key or AuthSig is a few KiB).
const MAX_VALUE_LEN: u64 = 1 << 20;

/// At most this many warnings are kept until [`FileStore::take_warnings`] (the oldest are
/// dropped first).
const MAX_WARNINGS: usize = 32;

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
///
/// # Permissions of files written by others (Unix)
///
/// The Lit SDK's `node-localstorage` creates its directory and files with the process umask,
/// typically `0755` and `0644`: its `lit-session-key` file, which holds the session **secret**
/// key, is then readable by every local user. The store tightens what it finds, without
/// changing any content:
///
/// * [`FileStore::open`] removes the group and other permission bits of every regular file in
///   the directory (symbolic links are left alone), and of the directory itself when it is
///   owned by the current user and is not a shared sticky directory such as `/tmp` (so open a
///   directory dedicated to the store);
/// * [`Storage::get`] does the same to the file it reads (through the open file, so the file
///   read is the file tightened), since another process may have rewritten it meanwhile;
/// * [`Storage::set`] always writes a new owner-only (`0600`) file.
///
/// A file that is world-readable `0644` thus becomes `0600`. This cannot close the window
/// between the other process's write and the next read or open here: run Lit SDK processes
/// that share a store with `umask 077`. A permission change that fails (a file owned by
/// another user, a read-only file system) never fails the read or the open; it is recorded as
/// a warning, see [`FileStore::take_warnings`].
pub struct FileStore {
    dir: PathBuf,
    counter: AtomicU64,
    before_rename: Option<fn()>,
    warnings: Mutex<VecDeque<String>>,
}

impl FileStore {
    /// Open (and create, if missing) the store directory `dir`, and make what it holds
    /// owner-only (see [permissions](FileStore#permissions-of-files-written-by-others-unix)).
    ///
    /// Errors: [`ClientError::Storage`] when the directory cannot be created or read.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        let shown = dir.display().to_string();
        let mut existed = false;
        match fs::metadata(&dir) {
            Ok(m) if m.is_dir() => existed = true,
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
            warnings: Mutex::new(VecDeque::new()),
        };
        if existed {
            store.tighten_dir();
        }
        store.remove_stale_temps_and_tighten();
        Ok(store)
    }

    /// The warnings recorded since the last call (at most the 32 most recent), oldest first,
    /// and forget them: permission changes that failed (see
    /// [permissions](FileStore#permissions-of-files-written-by-others-unix)). Each names a
    /// path and the reason, never a stored value. A program shows them to its user, e.g. on
    /// standard error; the store itself never prints.
    pub fn take_warnings(&self) -> Vec<String> {
        self.lock_warnings().drain(..).collect()
    }

    fn lock_warnings(&self) -> std::sync::MutexGuard<'_, VecDeque<String>> {
        // Each operation on the queue is one call: a poisoned lock holds a consistent queue.
        self.warnings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    #[cfg_attr(not(unix), allow(dead_code))]
    fn warn(&self, message: String) {
        let mut w = self.lock_warnings();
        if w.len() == MAX_WARNINGS {
            w.pop_front();
        }
        w.push_back(message);
    }

    /// Remove the group and other bits of the directory when it is ours and not a shared
    /// sticky directory.
    fn tighten_dir(&self) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::{MetadataExt, PermissionsExt};
            let Ok(m) = fs::metadata(&self.dir) else {
                return;
            };
            let mode = m.mode();
            let sticky = mode & 0o1000 != 0;
            if mode & 0o077 == 0 || sticky || m.uid() != rustix::process::geteuid().as_raw() {
                return;
            }
            if let Err(e) = fs::set_permissions(&self.dir, fs::Permissions::from_mode(mode & 0o700))
            {
                self.warn(format!(
                    "cannot make the store directory {} owner-only (mode {:o}): {e}",
                    self.dir.display(),
                    mode & 0o777
                ));
            }
        }
    }

    /// Remove the group and other bits of `file` (open on `path`, described by `meta`).
    #[cfg_attr(not(unix), allow(unused_variables))]
    fn tighten_file(&self, file: &File, meta: &fs::Metadata, path: &Path) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode();
            if mode & 0o077 == 0 {
                return;
            }
            if let Err(e) = file.set_permissions(fs::Permissions::from_mode(mode & 0o700)) {
                self.warn(format!(
                    "cannot make {} owner-only (mode {:o}): {e}",
                    path.display(),
                    mode & 0o777
                ));
            }
        }
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

    /// Make every regular file owner-only (another program's temporary files too: they may
    /// hold a secret), and remove our stale temporary files.
    fn remove_stale_temps_and_tighten(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        let now = SystemTime::now();
        for entry in entries.flatten() {
            // Symbolic links (and FIFOs, which would block an open) are left alone.
            if !entry.file_type().is_ok_and(|t| t.is_file()) {
                continue;
            }
            let path = entry.path();
            if let Ok(file) = File::open(&path) {
                if let Ok(meta) = file.metadata() {
                    if meta.is_file() {
                        self.tighten_file(&file, &meta, &path);
                    }
                }
            }
            if !entry.file_name().to_str().is_some_and(is_temp_name) {
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
        let meta = file.metadata().map_err(|e| ClientError::storage(key, e))?;
        self.tighten_file(&file, &meta, &path);
        let len = meta.len();
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
