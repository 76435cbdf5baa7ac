//! The embedded ERC-6492 validator bytecode is the committed artifact, the artifacts were made
//! by the pinned compiler, and — when node and the pinned `solc` are installed in `contracts/`
//! (`npm ci`) — recompiling the sources reproduces every committed output byte for byte.
//! (CI runs the recompile unconditionally: `contracts/check.sh`.)

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn contracts_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts")
}

#[test]
fn embedded_validator_is_the_committed_artifact() {
    let path = contracts_dir().join("artifacts/ValidateSigOffchain.json");
    let a: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let hex_code = a["bytecode"].as_str().unwrap().strip_prefix("0x").unwrap();
    let code = hex::decode(hex_code).unwrap();
    assert_eq!(sessionsig_rpc::VALIDATE_SIG_OFFCHAIN_CODE, &code[..]);
    // Compiled for `paris`: no PUSH0 (0x5f) or MCOPY, so it runs on chains without Shanghai.
    // (A 0x5f byte could be push data; this compiler output has none at all.)
    assert!(!code.contains(&0x5f), "PUSH0 in the validator");
}

#[test]
fn artifacts_come_from_the_pinned_compiler() {
    let dir = contracts_dir();
    let package: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("package.json")).unwrap()).unwrap();
    let pinned = package["dependencies"]["solc"].as_str().unwrap();
    let lock: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("package-lock.json")).unwrap())
            .unwrap();
    assert_eq!(lock["packages"]["node_modules/solc"]["version"], pinned);
    for name in ["ValidateSigOffchain", "OwnedWallet", "WalletFactory"] {
        let path = dir.join("artifacts").join(format!("{name}.json"));
        let a: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let compiler = a["compiler"].as_str().unwrap();
        assert!(
            compiler.starts_with(&format!("solc {pinned}+")),
            "{name}: {compiler} is not solc {pinned}"
        );
    }
}

#[test]
fn recompiling_reproduces_the_artifacts_when_node_is_available() {
    let dir = contracts_dir();
    if !dir.join("node_modules/solc").exists() {
        eprintln!(
            "skipped: no contracts/node_modules (run `npm ci` there; CI runs contracts/check.sh)"
        );
        return;
    }
    let out = match Command::new("node")
        .arg("compile.mjs")
        .arg("--check")
        .current_dir(&dir)
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("skipped: cannot run node: {e}");
            return;
        }
    };
    assert!(
        out.status.success(),
        "contracts out of date:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
