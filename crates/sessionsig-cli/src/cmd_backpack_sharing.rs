//! `sessionsig backpack share|shares|revoke`: giving a folder to another wallet, and taking
//! it (or a session key) back at every node.

use crate::cmd_backpack::{
    block_on, parse_address, print_json, say, usage, BpResult, Common, Fail, Session,
};
use crate::cmd_backpack_profile::Given;
use crate::cmd_backpack_session::WalletArgs;
use serde_json::json;
use sessionsig::auth_sig::RevocationTarget;
use sessionsig::lit::LitAbility;
use sessionsig::time::{to_iso_string, OffsetDateTime};
use sessionsig_client::backpack::{create_share, human, sign_revocation, Share, ShareSpec};
use std::path::PathBuf;

/// Arguments of `share`.
#[derive(clap::Args, Debug)]
pub struct ShareArgs {
    /// The folder to share (ends with `/`).
    folder: String,
    /// The wallet to share with.
    #[arg(long, value_name = "ADDRESS")]
    with: String,
    /// Read and list only (default: read, list, write and delete).
    #[arg(long)]
    read_only: bool,
    /// Traffic cap through the share, bytes read plus written (e.g. 10MB, 1GB).
    #[arg(long, value_name = "SIZE")]
    max_bytes: Option<String>,
    /// How long the share lasts (e.g. 1h, 7d).
    #[arg(long, default_value = "7d")]
    expires: String,
    /// Write the share to this file (default: print it on stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    out: Option<PathBuf>,
    #[command(flatten)]
    wallet: WalletArgs,
}

/// Arguments of `revoke`.
#[derive(clap::Args, Debug)]
pub struct RevokeArgs {
    /// A share id (`auth-sig:0x…`, see `shares`).
    id: Option<String>,
    /// The share file to revoke.
    #[arg(long, value_name = "FILE", conflicts_with = "id")]
    share: Option<PathBuf>,
    /// Revoke a session key (64 hex): every delegation your wallet made to it.
    #[arg(long, value_name = "HEX", conflicts_with_all = ["id", "share"])]
    session_key: Option<String>,
    /// Revoke this store's own session key (after a leak; sign in again afterwards).
    #[arg(long, conflicts_with_all = ["id", "share", "session_key"])]
    session: bool,
    #[command(flatten)]
    wallet: WalletArgs,
}

/// `backpack share`.
pub fn share(common: &Common, a: ShareArgs) -> BpResult {
    let wallet = a.wallet.wallet()?;
    let with = parse_address(&a.with)?;
    let folder_path = if a.folder.starts_with('/') {
        a.folder.clone()
    } else {
        format!("/{}", a.folder)
    };
    if !folder_path.ends_with('/') {
        return Err(usage(format!(
            "{folder_path} is not a folder: a shared folder ends with / (e.g. {folder_path}/)"
        )));
    }
    let folder = sessionsig_client::backpack::Remote::new(wallet.address(), &folder_path)?;
    let abilities = if a.read_only {
        vec![LitAbility::BackpackRead, LitAbility::BackpackList]
    } else {
        vec![
            LitAbility::BackpackRead,
            LitAbility::BackpackList,
            LitAbility::BackpackWrite,
            LitAbility::BackpackDelete,
        ]
    };
    let max_bytes = a
        .max_bytes
        .as_deref()
        .map(human::parse_size)
        .transpose()
        .map_err(usage)?;
    let ttl = human::parse_duration(&a.expires).map_err(usage)?;
    // The network's own nonce when it requires one: the nodes of this wallet's profile, or
    // --node.
    let nodes = match crate::cmd_backpack_profile::ProfileStore::open(common)
        .ok()
        .and_then(|store| store.load().ok().flatten())
    {
        Some(p) if common.nodes.is_empty() && p.wallet == wallet.address() => p.nodes,
        _ => common.nodes.clone(),
    };
    let nonce = crate::cmd_backpack::network_nonce(&nodes);
    let now = OffsetDateTime::now_utc();
    let spec = ShareSpec {
        folder,
        with,
        abilities,
        max_bytes,
        expires: now + ttl,
        domain: "localhost".into(),
        nonce,
    };
    let share = block_on(create_share(wallet.as_ref(), &spec, now))??;
    let text = share.delegation.to_json();
    if let Some(out) = &a.out {
        std::fs::write(out, format!("{text}\n"))
            .map_err(|e| Fail::Cli(crate::error::CliError::io(&out.display().to_string(), e)))?;
    }
    // Remember it to list and revoke it later (when this store has a profile of this wallet).
    if let Ok(store) = crate::cmd_backpack_profile::ProfileStore::open(common) {
        if let Ok(Some(mut p)) = store.load() {
            if p.wallet == wallet.address() {
                p.given.push(given(&share));
                store.save(&p)?;
            }
        }
    }
    let summary = describe(&share);
    if common.json {
        return print_json(&json!({
            "id": share.id(),
            "file": a.out.as_ref().map(|p| p.display().to_string()),
            "share": given(&share),
            "delegation": if a.out.is_none() { Some(serde_json::from_str::<serde_json::Value>(&text).unwrap_or_default()) } else { None },
        }));
    }
    match &a.out {
        Some(out) => say(&format!(
            "shared {summary}\n  written to {} — give this file to {}; they sign in with `sessionsig backpack login --share {}`\n  id {} (to revoke it)",
            out.display(),
            share.with.to_checksum(None),
            out.display(),
            share.id()
        )),
        None => {
            eprintln!("shared {summary}; id {}", share.id());
            say(&text)
        }
    }
}

fn given(s: &Share) -> Given {
    Given {
        id: s.id(),
        folder: s.folder.path().to_owned(),
        with: s.with.to_checksum(None),
        abilities: s.abilities.iter().map(|a| a.as_str().to_owned()).collect(),
        max_bytes: s.max_bytes,
        expires: s.expires.map(to_iso_string),
        revoked: false,
    }
}

fn describe(s: &Share) -> String {
    let now = OffsetDateTime::now_utc();
    format!(
        "{} with {} ({}{}{})",
        s.folder.path(),
        s.with.to_checksum(None),
        s.abilities
            .iter()
            .map(|a| a.as_str().trim_start_matches("backpack/"))
            .collect::<Vec<_>>()
            .join(", "),
        s.max_bytes
            .map(|m| format!("; at most {} of traffic", human::size(m)))
            .unwrap_or_default(),
        s.expires
            .map(|e| format!("; ends {}", human::relative(e - now)))
            .unwrap_or_default()
    )
}

/// `backpack shares`.
pub fn shares(common: &Common) -> BpResult {
    let store = crate::cmd_backpack_profile::ProfileStore::open(common)?;
    let p = store.load()?.ok_or_else(|| {
        usage("nobody signed in with this store (run `sessionsig backpack login`)")
    })?;
    let received = p.received()?;
    if common.json {
        return print_json(&json!({
            "given": p.given,
            "received": received.iter().map(|s| json!({
                "id": s.id(),
                "owner": s.folder.owner().to_checksum(None),
                "folder": s.folder.path(),
                "abilities": s.abilities.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
                "maxBytes": s.max_bytes,
                "expires": s.expires.map(to_iso_string),
            })).collect::<Vec<_>>(),
        }));
    }
    let now = OffsetDateTime::now_utc();
    if p.given.is_empty() && received.is_empty() {
        return say("no shares given or received");
    }
    for g in &p.given {
        let ends = g
            .expires
            .as_deref()
            .and_then(|e| sessionsig::time::parse_rfc3339(e).ok())
            .map(|t| format!("ends {}", human::relative(t - now)))
            .unwrap_or_default();
        say(&format!(
            "given     {} with {} ({}{}) {}{}\n          id {}",
            g.folder,
            g.with,
            g.abilities.join(", "),
            g.max_bytes
                .map(|m| format!("; at most {}", human::size(m)))
                .unwrap_or_default(),
            ends,
            if g.revoked { " — REVOKED" } else { "" },
            g.id
        ))?;
    }
    for s in &received {
        say(&format!(
            "received  {} of {} — use with --owner {}",
            describe(s),
            s.folder.owner().to_checksum(None),
            s.folder.owner().to_checksum(None)
        ))?;
    }
    Ok(())
}

/// `backpack revoke`.
pub fn revoke(common: &Common, a: RevokeArgs) -> BpResult {
    let s = Session::open(common)?;
    let target = match (&a.id, &a.share, &a.session_key, a.session) {
        (Some(id), _, _, _) => RevocationTarget::parse(id)?,
        (_, Some(f), _, _) => Share::from_json(&crate::io::read_file(f)?)?.target(),
        (_, _, Some(k), _) => RevocationTarget::parse(&format!("session-key:{k}"))?,
        (_, _, _, true) => {
            let st = s.client.manager().status()?;
            let k = st
                .session_public_key
                .ok_or_else(|| usage("no session key is stored"))?;
            RevocationTarget::SessionKey(k)
        }
        _ => {
            return Err(usage(
                "say what to revoke: a share id, --share FILE, --session-key HEX or --session",
            ))
        }
    };
    let wallet = a.wallet.wallet()?;
    if wallet.address() != s.profile.wallet {
        return Err(usage(format!(
            "revoke with the wallet that signed in ({}), not {}",
            s.profile.wallet.to_checksum(None),
            wallet.address().to_checksum(None)
        )));
    }
    let nonce = crate::cmd_backpack::network_nonce(s.client.manager().nodes().urls());
    let now = OffsetDateTime::now_utc();
    let revocation = block_on(sign_revocation(
        wallet.as_ref(),
        &target,
        now,
        nonce.as_deref(),
    ))??;
    let (node, answer) = block_on(s.client.post_revocation(&revocation))??;
    let id = target.id();
    let mut p = s.profile.clone();
    let mut known = None;
    for g in p.given.iter_mut().filter(|g| g.id == id) {
        g.revoked = true;
        known = Some(format!("{} with {}", g.folder, g.with));
    }
    s.store.save(&p)?;
    if common.json {
        return print_json(&json!({ "revoked": id, "node": node, "answer": answer }));
    }
    say(&format!(
        "revoked {}{} at {node}; every node refuses it from the next request",
        id,
        known.map(|k| format!(" ({k})")).unwrap_or_default()
    ))
}
