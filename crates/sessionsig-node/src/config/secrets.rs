//! The node's files: its default data directory and the network's nonce secret, read or
//! created owner-only.

use crate::error::{NodeError, Result};
use crate::nonce::SECRET_LEN;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// `$XDG_DATA_HOME/sessionsig-node`, else `~/.local/share/sessionsig-node`, else
/// `./sessionsig-node-data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x).join("sessionsig-node");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(h).join(".local/share/sessionsig-node");
    }
    PathBuf::from("sessionsig-node-data")
}

/// Read a 64-hex-character secret file.
pub fn read_secret(path: &Path) -> Result<Zeroizing<[u8; SECRET_LEN]>> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path).map_err(|e| NodeError::io(path.display(), e))?,
    );
    let mut out = Zeroizing::new([0u8; SECRET_LEN]);
    hex::decode_to_slice(text.trim(), out.as_mut()).map_err(|_| {
        NodeError::Config(format!(
            "{}: expected {} hex characters",
            path.display(),
            2 * SECRET_LEN
        ))
    })?;
    Ok(out)
}

/// Read the secret file, or create it (owner-only) with a random secret when absent.
pub fn read_or_create_secret(path: &Path) -> Result<Zeroizing<[u8; SECRET_LEN]>> {
    // Any I/O error falls through to "create": checking `path.exists()` here instead raced
    // with a node creating the file between the failed read and the check (seen as a flaky
    // three-node start). Creating never replaces a file, and an unreadable one fails the
    // read below with its own error.
    match read_secret(path) {
        Ok(s) => return Ok(s),
        Err(NodeError::Io(_)) => {}
        Err(e) => return Err(e),
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| NodeError::io(dir.display(), e))?;
    }
    let mut secret = Zeroizing::new([0u8; SECRET_LEN]);
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, secret.as_mut());
    let text = Zeroizing::new(hex::encode(secret.as_ref()));
    write_private_new(path, text.as_bytes())?;
    // Another process may have won the race to create it: use what is on disk.
    read_secret(path)
}

/// Create `path` with owner-only permissions, atomically: the content is written to a
/// temporary file first and then hard-linked into place, so a concurrent reader (another node
/// starting on the same data directory) never sees a partial file. An existing file is left
/// alone.
fn write_private_new(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let written = opts
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|_| f.sync_all()));
    let linked = written.and_then(|_| match std::fs::hard_link(&tmp, path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    });
    let _ = std::fs::remove_file(&tmp);
    linked.map_err(|e| NodeError::io(path.display(), e))
}
