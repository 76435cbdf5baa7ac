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
