//! Issue 10, item 9: a wallet key file others can read is used with a warning on stderr (as
//! ssh warns about an unprotected private key), which names the file and never the key.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

const KEY: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";

fn auth_sig(key_file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sessionsig"))
        .args(["auth-sig", "--uri", "lit:capability:delegation"])
        .args(["--request", "lit-pkp://*=pkp-signing"])
        .arg("--wallet-key-file")
        .arg(key_file)
        .output()
        .expect("run sessionsig")
}

#[test]
fn a_world_readable_wallet_key_is_used_with_a_warning_that_never_shows_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet.key");
    std::fs::write(&path, format!("{KEY}\n")).unwrap();

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let loose = auth_sig(&path);
    let stderr = String::from_utf8_lossy(&loose.stderr);
    assert!(loose.status.success(), "{stderr}");
    assert!(stderr.contains("warning:"), "{stderr}");
    assert!(stderr.contains("0644"), "{stderr}");
    assert!(stderr.contains(&path.display().to_string()), "{stderr}");
    assert!(!stderr.contains(&KEY[2..]), "{stderr}");
    let signed: serde_json::Value = serde_json::from_slice(&loose.stdout).unwrap();
    assert!(signed["sig"].as_str().is_some_and(|s| s.starts_with("0x")));

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let tight = auth_sig(&path);
    assert!(tight.status.success());
    assert!(
        !String::from_utf8_lossy(&tight.stderr).contains("warning"),
        "{}",
        String::from_utf8_lossy(&tight.stderr)
    );
}
