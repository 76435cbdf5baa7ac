//! `sessionsig backpack put|get|ls|rm`: files in and out of a backpack.

use crate::cmd_backpack::{block_on, print_json, say, usage, BpResult, Common, Fail, Session};
use crate::cmd_backpack_output::Bar;
use serde_json::json;
use sessionsig_client::backpack::{human, ByteRange, GetOptions, PutOptions};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `put`.
#[derive(clap::Args, Debug)]
pub struct PutArgs {
    /// The local file, or `-` for stdin.
    local: PathBuf,
    /// The remote path; ending in `/` keeps the local file name.
    remote: String,
    /// Content-Type to store (default: from the name's extension).
    #[arg(long)]
    content_type: Option<String>,
    /// Refuse to replace an existing object.
    #[arg(long)]
    no_clobber: bool,
}

/// Arguments of `get`.
#[derive(clap::Args, Debug)]
pub struct GetArgs {
    /// The remote object.
    remote: String,
    /// Where to write it (default: its name in the current directory; `-` for stdout).
    local: Option<PathBuf>,
    /// Only these bytes, `FIRST-LAST` (inclusive) or `FIRST-`.
    #[arg(long)]
    range: Option<String>,
    /// Start over instead of resuming an interrupted download (`<file>.part`).
    #[arg(long)]
    no_resume: bool,
}

/// Arguments of `ls`.
#[derive(clap::Args, Debug)]
pub struct LsArgs {
    /// A folder (default `/`), or one object.
    remote: Option<String>,
}

/// Arguments of `rm`.
#[derive(clap::Args, Debug)]
pub struct RmArgs {
    /// The remote object.
    remote: String,
}

fn rate(bytes: u64, started: Instant) -> String {
    let secs = started.elapsed().as_secs_f64().max(0.001);
    format!(
        "{} in {:.1} s, {}/s",
        human::size(bytes),
        secs,
        human::size((bytes as f64 / secs) as u64)
    )
}

/// `backpack put`.
pub fn put(common: &Common, a: PutArgs) -> BpResult {
    let s = Session::open(common)?;
    let mut path = a.remote.clone();
    if path.ends_with('/') {
        let name = a
            .local
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|_| a.local != Path::new("-"))
            .ok_or_else(|| usage("give the remote object's name (reading stdin has none)"))?;
        path.push_str(name);
    }
    let remote = s.remote(common, &path)?;
    let opts = PutOptions {
        content_type: a.content_type.clone(),
        if_none_match: a.no_clobber,
    };
    let bar = Bar::new(common, "uploading");
    let client = match bar.callback() {
        Some(cb) => s.client.clone().with_progress(cb),
        None => s.client.clone(),
    };
    let started = Instant::now();
    let r = block_on(async {
        if a.local == Path::new("-") {
            client.put_stream(&remote, tokio::io::stdin(), &opts).await
        } else {
            client.put_file(&remote, &a.local, &opts).await
        }
    })?;
    bar.finish();
    let info = r?;
    if common.json {
        return print_json(&json!({ "owner": remote.owner().to_checksum(None), "object": info }));
    }
    say(&format!(
        "{} {} ({})",
        if info.created { "uploaded" } else { "replaced" },
        info.path,
        rate(info.size, started)
    ))
}

/// `backpack get`.
pub fn get(common: &Common, a: GetArgs) -> BpResult {
    let s = Session::open(common)?;
    let remote = s.remote(common, &a.remote)?;
    if remote.is_folder() {
        return Err(usage(format!(
            "{} is a folder; `ls` it, or name an object",
            remote.path()
        )));
    }
    let range = a.range.as_deref().map(ByteRange::parse).transpose()?;
    let name = remote.path().rsplit('/').next().unwrap_or("download");
    let local = match &a.local {
        // Like `cp`: into an existing directory, under the object's name.
        Some(l) if l.is_dir() => l.join(name),
        Some(l) => l.clone(),
        None => PathBuf::from(name),
    };
    let bar = Bar::new(common, "downloading");
    let client = match bar.callback() {
        Some(cb) => s.client.clone().with_progress(cb),
        None => s.client.clone(),
    };
    let started = Instant::now();
    let to_stdout = local == Path::new("-");
    let r = block_on(async {
        if to_stdout {
            let mut out = tokio::io::stdout();
            client.get_to_writer(&remote, &mut out, range).await
        } else {
            let opts = GetOptions {
                range,
                resume: !a.no_resume,
            };
            client.get_to_file(&remote, &local, &opts).await
        }
    })?;
    bar.finish();
    let d = r?;
    if common.json {
        let v = json!({
            "owner": remote.owner().to_checksum(None),
            "local": if to_stdout { "-".to_owned() } else { local.display().to_string() },
            "download": d,
        });
        return if to_stdout {
            eprintln!("{v}");
            Ok(())
        } else {
            print_json(&v)
        };
    }
    let line = format!(
        "downloaded {} to {} ({}{})",
        d.object.path,
        if to_stdout {
            "stdout".to_owned()
        } else {
            local.display().to_string()
        },
        rate(d.transferred, started),
        if d.resumed_from > 0 {
            format!(", resumed after {}", human::size(d.resumed_from))
        } else {
            String::new()
        }
    );
    if to_stdout {
        eprintln!("{line}");
        Ok(())
    } else {
        say(&line)
    }
}

/// `backpack ls`.
pub fn ls(common: &Common, a: LsArgs) -> BpResult {
    let s = Session::open(common)?;
    let remote = s.remote(common, a.remote.as_deref().unwrap_or("/"))?;
    if !remote.is_folder() {
        let info = block_on(s.client.head(&remote))??;
        if common.json {
            return print_json(&json!({ "object": info }));
        }
        return say(&format!(
            "{:>9}  {}  {}  {}",
            human::size(info.size),
            info.modified,
            info.content_type,
            info.path
        ));
    }
    let listing = block_on(s.client.list(&remote))??;
    if common.json {
        return print_json(&json!({
            "owner": remote.owner().to_checksum(None),
            "folder": remote.path(),
            "entries": listing.entries,
            "folders": listing.folders,
        }));
    }
    if listing.entries.is_empty() && listing.folders.is_empty() {
        return say(&format!("{} is empty", remote.path()));
    }
    for f in &listing.folders {
        say(&format!(
            "{:>9}  {:<20}  {}",
            "DIR",
            "",
            f.strip_prefix(remote.path()).unwrap_or(f)
        ))?;
    }
    let mut total = 0u64;
    for e in &listing.entries {
        total += e.size;
        let when = e
            .modified_at()
            .map(|t| {
                let d = t - sessionsig::time::OffsetDateTime::now_utc();
                human::relative(d)
            })
            .unwrap_or_else(|| e.modified.clone());
        say(&format!(
            "{:>9}  {:<20}  {}",
            human::size(e.size),
            when,
            e.path.strip_prefix(remote.path()).unwrap_or(&e.path)
        ))?;
    }
    say(&format!(
        "{} objects, {} folders, {} in {}",
        listing.entries.len(),
        listing.folders.len(),
        human::size(total),
        remote.path()
    ))
}

/// `backpack rm`.
pub fn rm(common: &Common, a: RmArgs) -> BpResult {
    let s = Session::open(common)?;
    let remote = s.remote(common, &a.remote)?;
    block_on(s.client.delete(&remote))?.map_err(Fail::Backpack)?;
    if common.json {
        return print_json(
            &json!({ "deleted": remote.path(), "owner": remote.owner().to_checksum(None) }),
        );
    }
    say(&format!("deleted {}", remote.path()))
}
