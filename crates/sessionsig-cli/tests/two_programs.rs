//! `sessionsig` runs `verify` itself and every other command in `sessionsig-full`, installed
//! beside it (src/companion.rs): the split is invisible to a user of either (the same help,
//! errors, output and exit statuses), `verify` needs nothing beside it, and a missing companion
//! is a clear error that names the path it looked at.

#![cfg(unix)]

use sessionsig::auth_sig::{AuthSig, SiweRecapParams};
use sessionsig::lit::{LitAbility, LitResource, ResourceAbilityRequest};
use sessionsig::recap::{Capability, Caveat};
use sessionsig::session::{SessionKeyPair, SessionSigParams, WireFormat};
use sessionsig::time::{parse_rfc3339, Duration, OffsetDateTime, Timestamp};
use sessionsig::wallet::LocalWallet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const LEAN: &str = env!("CARGO_BIN_EXE_sessionsig");
const FULL: &str = env!("CARGO_BIN_EXE_sessionsig-full");
const NODE: &str = "http://127.0.0.1:7470";

fn run(program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run")
}

/// The instant the test's AuthSig and SessionSig are issued at.
fn at() -> OffsetDateTime {
    parse_rfc3339("2025-06-01T00:00:00Z").expect("time")
}

/// What the test's AuthSig grants: `lit-pkp://*` signing.
fn grant() -> Capability {
    let mut cap = Capability::new();
    cap.add_ability("lit-pkp://*", "Threshold/Signing", vec![Caveat::new()])
        .expect("grant");
    cap
}

/// A session key and the wallet AuthSig delegating [`grant`] to it for a day.
fn auth_sig() -> (SessionKeyPair, AuthSig) {
    let wallet = LocalWallet::from_bytes(&[0x33; 32]).expect("wallet");
    let key = SessionKeyPair::from_seed(&[0x44; 32]);
    let auth = AuthSig::create(
        &wallet,
        &SiweRecapParams {
            domain: "localhost".into(),
            uri: SiweRecapParams::session_uri(&key.public_hex()),
            statement: None,
            nonce: "twoprograms01".into(),
            chain_id: 1,
            issued_at: Timestamp::from_instant(at()),
            expiration: Some(Timestamp::from_instant(at() + Duration::days(1))),
            not_before: None,
            capability: grant(),
        },
    )
    .expect("AuthSig");
    (key, auth)
}

/// One valid SessionSig (JSON) for `NODE`.
fn session_sig() -> String {
    let (key, auth) = auth_sig();
    let requests = [ResourceAbilityRequest::new(
        LitResource::parse("lit-pkp://*").expect("resource"),
        LitAbility::PkpSigning,
    )
    .expect("request")];
    let sigs = key
        .sign_session_sigs(
            &SessionSigParams {
                requests: &requests,
                capabilities: std::slice::from_ref(&auth),
                issued_at: at(),
                expiration: at() + Duration::hours(1),
                format: WireFormat::V7,
            },
            &[NODE],
        )
        .expect("SessionSigs");
    sigs.get(NODE).expect("entry").to_json()
}

/// `sessionsig` alone in a directory of its own (no companion beside it): a hard link, in a
/// directory beside the built programs (so on their file system). A copy would be written
/// through a file descriptor that a process forked meanwhile by another test thread can still
/// hold open, and executing it could then fail with "Text file busy" (it did, 4 times in 20
/// runs with the other core loaded); a link writes nothing.
fn lean_alone() -> (tempfile::TempDir, PathBuf) {
    let built = Path::new(LEAN).parent().expect("the programs' directory");
    let dir = tempfile::tempdir_in(built).expect("dir");
    let lean = dir.path().join("sessionsig");
    std::fs::hard_link(LEAN, &lean).expect("link sessionsig");
    (dir, lean)
}

fn verify_file(program: &Path, input: &Path) -> Output {
    run(
        program,
        &[
            "verify",
            "--node",
            NODE,
            "--at",
            "2025-06-01T00:05:00Z",
            input.to_str().expect("path"),
        ],
    )
}

/// Every command but `verify` answers through `sessionsig` exactly as `sessionsig-full` answers
/// it: help, version, a usage error and a real command's output, with their exit statuses.
#[test]
fn other_commands_answer_through_sessionsig_as_the_full_program_does() {
    let urn = grant().encode();
    let cases: &[&[&str]] = &[
        &["--help"],
        &["--version"],
        &[],
        &["no-such-command"],
        &["node", "--help"],
        &["recap", "decode", "not-a-recap"],
        &["recap", "decode", &urn],
    ];
    for args in cases {
        let lean = run(LEAN, args);
        let full = run(FULL, args);
        assert_eq!(
            lean.status.code(),
            full.status.code(),
            "sessionsig {args:?}"
        );
        assert_eq!(lean.stdout, full.stdout, "sessionsig {args:?}");
        assert_eq!(lean.stderr, full.stderr, "sessionsig {args:?}");
    }
    // The cases reach success, a usage error and an invalid input, and the usage line names
    // `sessionsig` (not the program that printed it).
    let codes: Vec<_> = cases.iter().map(|a| run(LEAN, a).status.code()).collect();
    assert!(codes.contains(&Some(0)) && codes.contains(&Some(1)) && codes.contains(&Some(2)));
    let help = String::from_utf8(run(FULL, &["--help"]).stdout).expect("utf-8");
    assert!(help.contains("Usage: sessionsig <COMMAND>"), "{help}");
    let decoded: serde_json::Value =
        serde_json::from_slice(&run(LEAN, &["recap", "decode", &urn]).stdout).expect("JSON");
    assert!(decoded["att"]["lit-pkp://*"].is_object(), "{decoded}");
    // A command's real output goes through: a fresh key each time, as the full program makes.
    let key: serde_json::Value =
        serde_json::from_slice(&run(LEAN, &["keygen"]).stdout).expect("keygen JSON");
    assert_eq!(key["publicKey"].as_str().map(str::len), Some(64), "{key}");
}

/// `verify` runs in `sessionsig` itself: with no companion beside it, it verifies (valid and
/// invalid inputs, with their exit statuses) and explains itself, while any other command
/// says that its companion is missing and where it was looked for.
#[test]
fn verify_needs_nothing_beside_sessionsig_and_other_commands_say_what_is_missing() {
    let (dir, lean) = lean_alone();
    let good = dir.path().join("good.jsonl");
    std::fs::write(&good, format!("{}\n", session_sig())).expect("write");
    let ok = verify_file(&lean, &good);
    let out = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{out} {}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(out.contains("\"valid\":true"), "{out}");
    // The same bytes and status as the full program's `verify`.
    assert_eq!(ok.stdout, verify_file(Path::new(FULL), &good).stdout);

    let bad = dir.path().join("bad.jsonl");
    let tampered = session_sig().replacen("\"sig\":\"", "\"sig\":\"00", 1);
    std::fs::write(&bad, format!("{tampered}\n")).expect("write");
    let refused = verify_file(&lean, &bad);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("\"valid\":false"));

    let help = run(&lean, &["verify", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert_eq!(help.stdout, run(FULL, &["verify", "--help"]).stdout);

    let keygen = run(&lean, &["keygen"]);
    let stderr = String::from_utf8_lossy(&keygen.stderr);
    assert_eq!(keygen.status.code(), Some(2), "{stderr}");
    assert!(keygen.stdout.is_empty());
    assert!(stderr.starts_with("error[companion_missing]:"), "{stderr}");
    let expected = dir.path().join("sessionsig-full");
    assert!(stderr.contains(&expected.display().to_string()), "{stderr}");
}

/// A link to `sessionsig` (as on a `PATH`) finds the companion beside the real program, and the
/// command runs in the same process (`exec`): its pid is the one its caller started, so
/// signals and exit statuses reach the command itself.
#[test]
fn the_companion_is_found_through_a_link_and_runs_in_the_same_process() {
    let dir = tempfile::tempdir().expect("dir");
    let link = dir.path().join("sessionsig");
    std::os::unix::fs::symlink(LEAN, &link).expect("symlink");
    // `siwe parse` with no file reads stdin: the process waits there, already the companion.
    let mut child = Command::new(&link)
        .args(["siwe", "parse"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let exe = Path::new("/proc").join(child.id().to_string()).join("exe");
    let full = std::fs::canonicalize(FULL).expect("full path");
    // The exec happens right after the start: wait for it (bounded), then check.
    let mut seen = None;
    for _ in 0..500 {
        seen = std::fs::read_link(&exe).ok();
        if seen.as_deref() == Some(full.as_path()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(seen.as_deref(), Some(full.as_path()));
    let message = auth_sig().1.signed_message;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(message.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    let direct = Command::new(FULL)
        .args(["siwe", "parse"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin
                .take()
                .expect("stdin")
                .write_all(message.as_bytes())?;
            c.wait_with_output()
        })
        .expect("full");
    assert_eq!(out.status.code(), direct.status.code());
    assert_eq!(out.stdout, direct.stdout);
    assert_eq!(out.stderr, direct.stderr);
    let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(parsed["nonce"], "twoprograms01", "{parsed}");
}
