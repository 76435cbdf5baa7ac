//! `sessionsig backpack …` against three real node processes (`sessionsig node`) on one
//! SQLite store, and `sessionsig demo` as a user runs it.
//!
//! Every verb runs as its own process, as a person would run it; wallets are real secp256k1
//! keys in files; every refusal is checked by its code on stderr and the exit status.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_sessionsig");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Three `sessionsig node` processes on one store; killed when dropped.
struct Nodes {
    children: Vec<Child>,
    urls: Vec<String>,
}

impl Nodes {
    fn start(dir: &Path) -> Nodes {
        Self::start_with(dir, &[])
    }

    /// Three nodes, each also given `extra` flags.
    fn start_with(dir: &Path, extra: &[&str]) -> Nodes {
        for _ in 0..5 {
            if let Some(n) = Self::try_start(dir, extra) {
                return n;
            }
        }
        panic!("three nodes did not come up");
    }

    fn try_start(dir: &Path, extra: &[&str]) -> Option<Nodes> {
        let urls: Vec<String> = (0..3)
            .map(|_| format!("http://127.0.0.1:{}", free_port()))
            .collect();
        let mut children = Vec::new();
        let mut lines = Vec::new();
        for (i, url) in urls.iter().enumerate() {
            let mut cmd = Command::new(BIN);
            cmd.args(["node", "--public-url", url, "--data-dir"])
                .arg(dir)
                .args(["--worker-threads", "1"])
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(std::fs::File::create(dir.join(format!("node{i}.log"))).expect("log"));
            for u in &urls {
                cmd.args(["--network-node", u]);
            }
            let mut child = cmd.spawn().expect("spawn node");
            let out = child.stdout.take().expect("stdout");
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                for l in BufReader::new(out).lines().map_while(Result::ok) {
                    let _ = tx.send(l);
                }
            });
            children.push(child);
            lines.push(rx);
        }
        let mut nodes = Nodes { children, urls };
        for (rx, url) in lines.iter().zip(nodes.urls.clone()) {
            // A node prints its URL once it answers /healthz; a taken port makes it exit.
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok(l) if l == url => {}
                _ => {
                    nodes.kill();
                    return None;
                }
            }
        }
        Some(nodes)
    }

    fn kill(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Nodes {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A person at a terminal: a wallet key file and a session store.
struct User {
    key: PathBuf,
    store: PathBuf,
}

impl User {
    fn new(dir: &Path, name: &str, byte: u8) -> User {
        let key = dir.join(format!("{name}.key"));
        std::fs::write(&key, format!("0x{}\n", hex::encode([byte; 32]))).expect("key");
        // A wallet key readable by others makes the CLI warn (like ssh): keep it private.
        std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .expect("chmod");
        User {
            key,
            store: dir.join(format!("{name}-store")),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, None)
    }

    fn run_with(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let mut child = Command::new(BIN)
            .arg("backpack")
            .arg("--store")
            .arg(&self.store)
            .args(args)
            .env_remove("SESSIONSIG_WALLET_KEY")
            .env_remove("SESSIONSIG_STORE")
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run sessionsig");
        if let Some(bytes) = stdin {
            let mut i = child.stdin.take().expect("stdin");
            i.write_all(bytes).expect("write stdin");
        }
        child.wait_with_output().expect("output")
    }

    fn key_arg(&self) -> String {
        self.key.display().to_string()
    }
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    let text = ok(o);
    serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("not one JSON document ({e}): {text:?}"))
}

/// A refusal: exit 1 and one `code: sentence` line on stderr.
fn refused(o: &Output, code: &str) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(
        o.status.code(),
        Some(1),
        "expected refusal {code}; stdout: {} stderr: {err}",
        String::from_utf8_lossy(&o.stdout)
    );
    let line = err.lines().last().unwrap_or("");
    assert!(
        line.starts_with(&format!("{code}: ")),
        "expected `{code}: …`, got {err:?}"
    );
    assert!(
        line.len() > code.len() + 10,
        "a sentence follows the code: {line:?}"
    );
    line.to_owned()
}

fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    let mut x = seed | 1;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn login(u: &User, nodes: &Nodes, extra: &[&str]) -> serde_json::Value {
    let key = u.key_arg();
    let mut args = vec!["login", "--json", "--wallet-key-file", key.as_str()];
    for n in &nodes.urls {
        args.push("--node");
        args.push(n);
    }
    args.extend_from_slice(extra);
    json(&u.run(&args))
}

#[test]
fn every_verb_against_three_node_processes() {
    let dir = tempfile::tempdir().expect("dir");
    let nodes = Nodes::start(dir.path());
    let alice = User::new(dir.path(), "alice", 0xa1);
    let bob = User::new(dir.path(), "bob", 0xb0);

    // login: one wallet signature, the nodes remembered.
    let l = login(&alice, &nodes, &[]);
    let alice_addr = l["wallet"].as_str().expect("wallet").to_owned();
    assert_eq!(l["nodes"].as_array().expect("nodes").len(), 3);
    assert_eq!(l["abilities"][0], "backpack/*");

    // put: a file, into a folder keeping its name, and from stdin.
    let photo = pseudo_random(150_000, 1);
    let local = dir.path().join("beach.jpg");
    std::fs::write(&local, &photo).expect("write");
    let p = json(&alice.run(&["put", "--json", local.to_str().expect("utf8"), "/photos/"]));
    assert_eq!(p["object"]["path"], "/photos/beach.jpg");
    assert_eq!(p["object"]["size"], 150_000);
    assert_eq!(p["object"]["contentType"], "image/jpeg");
    assert_eq!(p["object"]["created"], true);
    let again = json(&alice.run(&[
        "put",
        "--json",
        local.to_str().expect("utf8"),
        "/photos/beach.jpg",
    ]));
    assert_eq!(again["object"]["created"], false, "a second put replaces");
    let clobber = alice.run(&[
        "put",
        "--no-clobber",
        local.to_str().expect("utf8"),
        "/photos/beach.jpg",
    ]);
    refused(&clobber, "precondition_failed");
    let diary = b"dear diary".to_vec();
    let s = alice.run_with(&["put", "-", "/private/diary.txt"], Some(&diary));
    assert!(
        ok(&s).starts_with("uploaded /private/diary.txt"),
        "human output"
    );

    // ls: a folder (every node), one object.
    for n in &nodes.urls {
        let ls = json(&alice.run(&["ls", "--json", "/photos/", "--node", n]));
        assert_eq!(ls["entries"].as_array().expect("entries").len(), 1, "{n}");
    }
    let root = json(&alice.run(&["ls", "--json"]));
    assert_eq!(
        root["folders"],
        serde_json::json!(["/photos/", "/private/"])
    );
    let human = ok(&alice.run(&["ls", "/photos/"]));
    assert!(
        human.contains("150 KB") && human.contains("beach.jpg"),
        "{human}"
    );
    let one = json(&alice.run(&["ls", "--json", "/photos/beach.jpg"]));
    assert_eq!(one["object"]["size"], 150_000);

    // get: to a file, a range, to stdout.
    let back = dir.path().join("back.jpg");
    let g = json(&alice.run(&[
        "get",
        "--json",
        "/photos/beach.jpg",
        back.to_str().expect("utf8"),
    ]));
    assert_eq!(g["download"]["bytes"], 150_000);
    assert_eq!(std::fs::read(&back).expect("read"), photo);
    assert!(!dir.path().join("back.jpg.part").exists());
    let part = dir.path().join("range.bin");
    ok(&alice.run(&[
        "get",
        "/photos/beach.jpg",
        part.to_str().expect("utf8"),
        "--range",
        "1000-1999",
    ]));
    assert_eq!(std::fs::read(&part).expect("read"), &photo[1000..2000]);
    let into = dir.path().join("downloads");
    std::fs::create_dir(&into).expect("dir");
    ok(&alice.run(&["get", "/photos/beach.jpg", into.to_str().expect("utf8")]));
    assert_eq!(std::fs::read(into.join("beach.jpg")).expect("read"), photo);
    let out = alice.run(&["get", "/private/diary.txt", "-"]);
    assert_eq!(ok(&out).as_bytes(), diary.as_slice());

    // status: the session and three healthy nodes.
    let st = json(&alice.run(&["status", "--json"]));
    assert_eq!(st["wallet"], alice_addr.as_str());
    let health = st["nodes"].as_array().expect("nodes");
    assert_eq!(health.len(), 3);
    assert!(health.iter().all(|h| h["healthy"] == true));

    // share /photos/ read-only with Bob, 200 KB of traffic.
    let bob_login = login(&bob, &nodes, &[]);
    let bob_addr = bob_login["wallet"].as_str().expect("wallet").to_owned();
    let share_file = dir.path().join("share.json");
    let sh = json(&alice.run(&[
        "share",
        "--json",
        "/photos/",
        "--with",
        &bob_addr,
        "--read-only",
        "--max-bytes",
        "200KB",
        "--expires",
        "2d",
        "-o",
        share_file.to_str().expect("utf8"),
        "--wallet-key-file",
        &alice.key_arg(),
    ]));
    let share_id = sh["id"].as_str().expect("id").to_owned();
    assert!(share_id.starts_with("auth-sig:0x"));
    let bl = login(
        &bob,
        &nodes,
        &["--share", share_file.to_str().expect("utf8")],
    );
    assert_eq!(bl["shares"][0]["id"], share_id.as_str());

    // Bob reads the shared photo; everything else is refused by the node, with its code.
    let bob_copy = dir.path().join("bob.jpg");
    ok(&bob.run(&[
        "get",
        "--owner",
        &alice_addr,
        "/photos/beach.jpg",
        bob_copy.to_str().expect("utf8"),
    ]));
    assert_eq!(std::fs::read(&bob_copy).expect("read"), photo);
    refused(
        &bob.run(&[
            "put",
            "--owner",
            &alice_addr,
            local.to_str().expect("utf8"),
            "/photos/x.jpg",
        ]),
        "capability_not_granted",
    );
    refused(
        &bob.run(&["rm", "--owner", &alice_addr, "/photos/beach.jpg"]),
        "capability_not_granted",
    );
    refused(
        &bob.run(&["get", "--owner", &alice_addr, "/private/diary.txt", "-"]),
        "capability_not_granted",
    );
    let cap = refused(
        &bob.run(&["get", "--owner", &alice_addr, "/photos/beach.jpg", "-"]),
        "quota_exhausted",
    );
    assert!(cap.contains("200 KB"), "the sentence names the cap: {cap}");

    // shares: both sides see it.
    let given = json(&alice.run(&["shares", "--json"]));
    assert_eq!(given["given"][0]["id"], share_id.as_str());
    let received = json(&bob.run(&["shares", "--json"]));
    assert_eq!(received["received"][0]["folder"], "/photos/");

    // revoke: posted once, refused at every node.
    let r = json(&alice.run(&[
        "revoke",
        "--json",
        "--share",
        share_file.to_str().expect("utf8"),
        "--wallet-key-file",
        &alice.key_arg(),
    ]));
    assert_eq!(r["revoked"], share_id.as_str());
    for n in &nodes.urls {
        refused(
            &bob.run(&["ls", "--owner", &alice_addr, "/photos/", "--node", n]),
            "revoked",
        );
    }
    let after = json(&alice.run(&["shares", "--json"]));
    assert_eq!(after["given"][0]["revoked"], true);

    // rm, then the object is gone everywhere.
    ok(&alice.run(&["rm", "/private/diary.txt"]));
    refused(&alice.run(&["get", "/private/diary.txt", "-"]), "not_found");
    refused(&alice.run(&["rm", "/private/diary.txt"]), "not_found");

    // Nobody signed in with a store: said so, exit 1.
    let stranger = User::new(dir.path(), "stranger", 0x5a);
    refused(&stranger.run(&["ls"]), "no_session");
    // Usage errors exit 2 with a code and a sentence.
    let bad = alice.run(&[
        "login",
        "--wallet-key-file",
        &alice.key_arg(),
        "--scope",
        "everything",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).starts_with("usage: "));
    refused(&alice.run(&["get", "/a/../b", "-"]), "invalid_path");

    // A narrowed session (read-only, /photos/ only, a traffic cap) stays narrow.
    let narrow = User {
        key: alice.key.clone(),
        store: dir.path().join("alice-narrow"),
    };
    let nl = login(
        &narrow,
        &nodes,
        &[
            "--scope",
            "read-only",
            "--scope",
            "/photos/",
            "--scope",
            "max-bytes=1MB",
        ],
    );
    assert_eq!(nl["folders"], serde_json::json!(["/photos/"]));
    ok(&narrow.run(&["get", "/photos/beach.jpg", "-"]));
    refused(
        &narrow.run(&["put", local.to_str().expect("utf8"), "/photos/new.jpg"]),
        "capability_not_granted",
    );
    refused(&narrow.run(&["ls", "/private/"]), "capability_not_granted");

    // Revoking the session key stops it at every node.
    ok(&alice.run(&["revoke", "--session", "--wallet-key-file", &alice.key_arg()]));
    for n in &nodes.urls {
        refused(&alice.run(&["ls", "/photos/", "--node", n]), "revoked");
    }
}

/// A network that requires its own nonces on sessions, delegations and revocations: `login`
/// (with `--node` or `--seed`) signs with the network's nonce, and `share` and `revoke` ask the
/// network for one.
#[test]
fn share_and_revoke_on_a_network_that_requires_its_own_nonces() {
    let dir = tempfile::tempdir().expect("dir");
    let nodes = Nodes::start_with(
        dir.path(),
        &["--require-network-nonce", "--network-nonce-for-delegations"],
    );
    let alice = User::new(dir.path(), "alice", 0xa1);
    let bob = User::new(dir.path(), "bob", 0xb0);
    let seed = nodes.urls[0].as_str();
    let login_by_seed = |u: &User, extra: &[&str]| {
        let key = u.key_arg();
        let mut args = vec!["login", "--json", "--wallet-key-file", &key, "--seed", seed];
        args.extend_from_slice(extra);
        json(&u.run(&args))
    };
    // Alice lists the nodes (the CLI asks them for the network's nonce); Bob gives a seed.
    let alice_addr = login(&alice, &nodes, &[])["wallet"]
        .as_str()
        .expect("wallet")
        .to_owned();
    let bob_addr = login_by_seed(&bob, &[])["wallet"]
        .as_str()
        .expect("wallet")
        .to_owned();
    let local = dir.path().join("note.txt");
    std::fs::write(&local, b"for bob").expect("write");
    ok(&alice.run(&["put", local.to_str().expect("utf8"), "/photos/note.txt"]));
    let share_file = dir.path().join("share.json");
    let sh = json(&alice.run(&[
        "share",
        "--json",
        "/photos/",
        "--with",
        &bob_addr,
        "--read-only",
        "--expires",
        "2d",
        "-o",
        share_file.to_str().expect("utf8"),
        "--wallet-key-file",
        &alice.key_arg(),
    ]));
    let share_id = sh["id"].as_str().expect("id").to_owned();
    login_by_seed(&bob, &["--share", share_file.to_str().expect("utf8")]);
    let got = ok(&bob.run(&["get", "--owner", &alice_addr, "/photos/note.txt", "-"]));
    assert_eq!(got, "for bob", "the share carries the network's nonce");
    let r = json(&alice.run(&[
        "revoke",
        "--json",
        &share_id,
        "--wallet-key-file",
        &alice.key_arg(),
    ]));
    assert_eq!(r["revoked"], share_id.as_str());
    for n in &nodes.urls {
        refused(
            &bob.run(&["ls", "--owner", &alice_addr, "/photos/", "--node", n]),
            "revoked",
        );
    }
}

#[test]
fn fifty_megabytes_round_trip_and_a_resumed_download() {
    let dir = tempfile::tempdir().expect("dir");
    let nodes = Nodes::start(dir.path());
    let alice = User::new(dir.path(), "alice", 0xa2);
    login(&alice, &nodes, &[]);
    let big = pseudo_random(50 * 1024 * 1024, 7);
    let local = dir.path().join("big.bin");
    std::fs::write(&local, &big).expect("write");
    let p = json(&alice.run(&[
        "put",
        "--json",
        "--no-progress",
        local.to_str().expect("utf8"),
        "/big.bin",
    ]));
    assert_eq!(p["object"]["size"], 50 * 1024 * 1024);
    let etag = p["object"]["etag"].as_str().expect("etag").to_owned();

    let back = dir.path().join("back.bin");
    let g = json(&alice.run(&[
        "get",
        "--json",
        "--no-progress",
        "/big.bin",
        back.to_str().expect("utf8"),
    ]));
    assert_eq!(g["download"]["transferred"], 50 * 1024 * 1024);
    assert!(
        std::fs::read(&back).expect("read") == big,
        "50 MB byte for byte"
    );

    // An interrupted download leaves `<file>.part` and `<file>.part.json`; `get` continues
    // from the end of the part and fetches only the rest.
    let resumed = dir.path().join("resumed.bin");
    let cut = 20 * 1024 * 1024;
    // The owner as the client writes it: lowercase hex.
    let owner = p["owner"].as_str().expect("owner").to_lowercase();
    let part_meta = |etag: &str| {
        serde_json::json!({"owner": owner, "path": "/big.bin", "etag": etag, "size": big.len()})
            .to_string()
    };
    std::fs::write(dir.path().join("resumed.bin.part"), &big[..cut]).expect("part");
    std::fs::write(dir.path().join("resumed.bin.part.json"), part_meta(&etag)).expect("meta");
    let r = json(&alice.run(&[
        "get",
        "--json",
        "--no-progress",
        "/big.bin",
        resumed.to_str().expect("utf8"),
    ]));
    assert_eq!(r["download"]["resumedFrom"], cut);
    assert_eq!(r["download"]["transferred"], big.len() - cut);
    assert!(
        std::fs::read(&resumed).expect("read") == big,
        "resumed file byte for byte"
    );
    assert!(!dir.path().join("resumed.bin.part").exists());
    assert!(!dir.path().join("resumed.bin.part.json").exists());

    // A part whose bytes are wrong is caught by the digest: nothing is kept.
    let mut wrong = big[..cut].to_vec();
    wrong[12345] ^= 0xff;
    let bad = dir.path().join("bad.bin");
    std::fs::write(dir.path().join("bad.bin.part"), &wrong).expect("part");
    std::fs::write(dir.path().join("bad.bin.part.json"), part_meta(&etag)).expect("meta");
    refused(
        &alice.run(&[
            "get",
            "--no-progress",
            "/big.bin",
            bad.to_str().expect("utf8"),
        ]),
        "download_corrupt",
    );
    assert!(!bad.exists() && !dir.path().join("bad.bin.part").exists());

    // A part of another version of the object starts over.
    let other = dir.path().join("other.bin");
    std::fs::write(dir.path().join("other.bin.part"), &big[..cut]).expect("part");
    std::fs::write(
        dir.path().join("other.bin.part.json"),
        part_meta("\"not-the-etag\""),
    )
    .expect("meta");
    let o = json(&alice.run(&[
        "get",
        "--json",
        "--no-progress",
        "/big.bin",
        other.to_str().expect("utf8"),
    ]));
    assert_eq!(o["download"]["resumedFrom"], 0);
    assert!(std::fs::read(&other).expect("read") == big);
    drop(nodes);
}

#[test]
fn a_dead_node_is_skipped_for_reads_and_writes() {
    let dir = tempfile::tempdir().expect("dir");
    let mut nodes = Nodes::start(dir.path());
    let alice = User::new(dir.path(), "alice", 0xa3);
    login(&alice, &nodes, &[]);
    let data = pseudo_random(70_000, 3);
    let local = dir.path().join("a.bin");
    std::fs::write(&local, &data).expect("write");
    ok(&alice.run(&["put", local.to_str().expect("utf8"), "/a.bin"]));
    // The first node of the list goes away; the others share the store.
    let mut first = nodes.children.remove(0);
    first.kill().expect("kill");
    first.wait().expect("wait");
    let copy = dir.path().join("copy.bin");
    let g = json(&alice.run(&["get", "--json", "/a.bin", copy.to_str().expect("utf8")]));
    assert_eq!(std::fs::read(&copy).expect("read"), data);
    assert_ne!(
        g["download"]["node"],
        nodes.urls[0].as_str(),
        "served by a live node"
    );
    let p = json(&alice.run(&["put", "--json", local.to_str().expect("utf8"), "/b.bin"]));
    assert_eq!(p["object"]["size"], 70_000);
    let st = json(&alice.run(&["status", "--json"]));
    let health = st["nodes"].as_array().expect("nodes");
    assert_eq!(health[0]["healthy"], false);
    assert!(health[1..].iter().all(|h| h["healthy"] == true));
    // Pinned to the dead node alone, a command says so.
    refused(
        &alice.run(&["get", "/a.bin", "-", "--node", &nodes.urls[0]]),
        "unreachable",
    );
}

#[test]
fn a_download_broken_off_by_a_dying_node_continues_at_another() {
    let dir = tempfile::tempdir().expect("dir");
    let mut nodes = Nodes::start(dir.path());
    let alice = User::new(dir.path(), "alice", 0xa4);
    login(&alice, &nodes, &[]);
    let big = pseudo_random(50 * 1024 * 1024, 11);
    let local = dir.path().join("big.bin");
    std::fs::write(&local, &big).expect("write");
    ok(&alice.run(&[
        "put",
        "--no-progress",
        local.to_str().expect("utf8"),
        "/big.bin",
    ]));
    // `get … -` into a pipe nobody reads yet: the download from the first node stalls after
    // the first bytes, whatever the machine's speed; then that node dies.
    let mut child = Command::new(BIN)
        .arg("backpack")
        .arg("--store")
        .arg(&alice.store)
        .args(["get", "--json", "--no-progress", "/big.bin", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("get");
    let mut out = child.stdout.take().expect("stdout");
    let mut received = vec![0u8; 64 * 1024];
    std::io::Read::read_exact(&mut out, &mut received).expect("first bytes");
    let mut first = nodes.children.remove(0);
    first.kill().expect("kill");
    first.wait().expect("wait");
    std::io::Read::read_to_end(&mut out, &mut received).expect("the rest");
    let o = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(received == big, "every byte, in order, once");
    let report: serde_json::Value = serde_json::from_str(err.trim()).expect("json on stderr");
    assert_ne!(
        report["download"]["node"],
        nodes.urls[0].as_str(),
        "finished by another node"
    );
}

#[test]
fn the_demo_tells_the_whole_story_and_exits_zero() {
    let out = Command::new(BIN)
        .arg("demo")
        .stdin(Stdio::null())
        .output()
        .expect("run demo");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for n in 1..=6 {
        assert!(
            text.contains(&format!("[{n}/6] ")),
            "step {n} header\n{text}"
        );
        assert!(
            text.contains(&format!("✓ step {n} ok")),
            "step {n} result\n{text}"
        );
    }
    assert!(!text.contains('✗'), "{text}");
    assert!(
        text.contains("→ 1 wallet signature for 20 operations on 3 nodes"),
        "{text}"
    );
    for code in ["capability_not_granted", "wrong_node", "quota_exhausted"] {
        assert!(
            text.contains(&format!("refused, {code}: ")),
            "{code}\n{text}"
        );
    }
    assert_eq!(text.matches("refused, revoked: ").count(), 3, "{text}");
    assert!(text.contains("All 6 steps behaved as expected"), "{text}");
    // It removed its temporary directory.
    let removed = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("stopped 3 nodes, removed "))
        .expect("the removal line");
    assert!(!Path::new(removed).exists(), "{removed} still exists");
}

#[test]
fn login_with_an_external_wallet_that_signs_the_printed_message() {
    use sessionsig::wallet::{LocalWallet, WalletSigner};
    let dir = tempfile::tempdir().expect("dir");
    let nodes = Nodes::start(dir.path());
    // The wallet lives elsewhere (a browser, a hardware wallet): only its address is given.
    let wallet = LocalWallet::from_bytes(&[0xe1; 32]).expect("wallet");
    let address = wallet.address().to_checksum(None);
    let store = dir.path().join("ext-store");
    let mut cmd = Command::new(BIN);
    cmd.arg("backpack")
        .arg("--store")
        .arg(&store)
        .args(["login", "--json", "--external-wallet", &address])
        .env_remove("SESSIONSIG_WALLET_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for n in &nodes.urls {
        cmd.args(["--node", n]);
    }
    let mut child = cmd.spawn().expect("login");
    let err = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    // The prompt, then the exact SIWE text, which ends with its ReCap resource line.
    let mut message = Vec::new();
    let mut started = false;
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the SIWE message on stderr");
        if !started {
            started = line.starts_with("Sign this message with");
            assert!(started || line.is_empty(), "unexpected: {line}");
            if started {
                // One empty line follows the prompt.
                assert_eq!(rx.recv_timeout(Duration::from_secs(60)).expect("blank"), "");
            }
            continue;
        }
        let last = line.starts_with("- urn:recap:");
        message.push(line);
        if last {
            break;
        }
    }
    let text = message.join("\n");
    assert!(text.contains(&address), "{text}");
    let sig = wallet.sign_message(text.as_bytes()).expect("sign");
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "0x{}", hex::encode(sig)).expect("paste");
    drop(stdin);
    let o = child.wait_with_output().expect("wait");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("login JSON on stdout");
    assert!(o.status.success());
    assert_eq!(v["wallet"], address.as_str());
    // The session works without the wallet.
    let user = User {
        key: dir.path().join("unused.key"),
        store,
    };
    let p = json(&user.run(&["put", "--json", "-", "/hello.txt"]));
    assert_eq!(p["object"]["path"], "/hello.txt");

    // A signature by another key is refused before anything is stored.
    let other = LocalWallet::from_bytes(&[0xe2; 32]).expect("wallet");
    let bad_store = dir.path().join("bad-store");
    let mut cmd = Command::new(BIN);
    cmd.arg("backpack")
        .arg("--store")
        .arg(&bad_store)
        .args([
            "login",
            "--external-wallet",
            &address,
            "--node",
            &nodes.urls[0],
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("login");
    let forged = other.sign_message(b"anything").expect("sign");
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "0x{}", hex::encode(forged)).expect("paste");
    drop(stdin);
    let o = child.wait_with_output().expect("wait");
    refused(&o, "wallet_bad_signature");
}
