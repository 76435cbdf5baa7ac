//! Reading inputs (files, stdin, secrets) and writing outputs.

use crate::error::{CliError, CliResult};
use std::io::{Read, Write};
use std::path::Path;

/// Read a whole file, or stdin when `path` is `None` or `-`.
pub fn read_input(path: Option<&Path>) -> CliResult<String> {
    let mut s = String::new();
    match path {
        Some(p) if p != Path::new("-") => {
            s = std::fs::read_to_string(p).map_err(|e| CliError::io(&p.display().to_string(), e))?
        }
        _ => {
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| CliError::io("stdin", e))?;
        }
    }
    Ok(s)
}

/// A text message read from a file or stdin: one trailing newline (added by editors and
/// `echo`) is removed, nothing else is touched.
pub fn read_message(path: Option<&Path>) -> CliResult<String> {
    let mut s = read_input(path)?;
    if s.ends_with("\r\n") {
        s.truncate(s.len() - 2);
    } else if s.ends_with('\n') {
        s.truncate(s.len() - 1);
    }
    Ok(s)
}

/// Read a file by name, naming it in errors.
pub fn read_file(path: &Path) -> CliResult<String> {
    std::fs::read_to_string(path).map_err(|e| CliError::io(&path.display().to_string(), e))
}

/// Read a file holding a secret (a wallet key, a session key). Like ssh with an unprotected
/// private key, warn on stderr when its permissions let other users read or change it (the
/// key must then be treated as known to them); the warning names the file, never its content.
pub fn read_secret_file(path: &Path) -> CliResult<String> {
    if let Some(mode) = loose_mode(path) {
        eprintln!(
            "warning: {} is accessible by other users (permissions {mode:04o}); anyone who \
             can read it holds the key. Run: chmod 600 {}",
            path.display(),
            path.display()
        );
    }
    read_file(path)
}

/// The permission bits of `path` when group or others have any access to it (Unix).
fn loose_mode(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o7777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Print one JSON value as a line on stdout.
pub fn print_json(v: &serde_json::Value) -> CliResult<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{v}").map_err(|e| CliError::io("stdout", e))
}

/// Print a raw line on stdout.
pub fn print_line(s: &str) -> CliResult<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{s}").map_err(|e| CliError::io("stdout", e))
}

/// Write a secret file readable by its owner only (0600), refusing to overwrite.
pub fn write_secret_file(path: &Path, contents: &str) -> CliResult<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| CliError::io(&path.display().to_string(), e))?;
    f.write_all(contents.as_bytes())
        .and_then(|_| f.write_all(b"\n"))
        .and_then(|_| f.sync_all())
        .map_err(|e| CliError::io(&path.display().to_string(), e))
}
