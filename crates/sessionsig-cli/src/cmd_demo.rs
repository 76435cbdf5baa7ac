//! `sessionsig demo`: the seeds' story, for real, on this machine, in seconds.
//!
//! Three nodes run in this process on loopback ports over one temporary SQLite store and data
//! directory; Alice and Bob are development wallets made for the run. Every operation is a
//! real HTTP request to a real node, signed by a real session key under a real wallet
//! signature (the [`sessionsig_client::backpack`] client), and every refusal is the node's.
//!
//! 1. three nodes, two wallets;
//! 2. Alice signs in once and uploads, lists, reads and range-reads an album across all three
//!    nodes — the wallet-signature count against the operation count;
//! 3. a second session key of Alice's, narrowed to read-only on `/photos/`, is refused a write;
//! 4. Alice shares `/photos/` read-only with Bob under a traffic cap; Bob reads a photo; his
//!    write, his read of `/private/`, a replay of his request at another node and his read
//!    past the cap are each refused, with the code and the reason;
//! 5. Alice revokes the share; Bob is refused at every node;
//! 6. the nodes stop and the temporary files go.
//!
//! Exit 0 only if every step behaved as expected; otherwise the failing step says what it saw.
//! `--keep` leaves the nodes running (until Ctrl-C) and prints commands to try by hand.

use crate::error::{CliError, CliResult, EXIT_INVALID};
use sessionsig::lit::LitAbility;
use sessionsig::recap::Caveat;
use sessionsig::time::{Duration, OffsetDateTime};
use sessionsig::wallet::LocalWallet;
use sessionsig_client::alloy_primitives::Address;
use sessionsig_client::backpack::{
    create_share, human, sign_revocation, BackpackClient, BackpackError, ByteRange, PutOptions,
    Remote, SessionMode, ShareSpec,
};
use sessionsig_client::{
    BoxFuture, MemoryStore, NodeSet, SessionManager, SignRequest, WalletProvider,
};
use sessionsig_node::config::NodeConfig;
use sessionsig_node::Node;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Arguments of `demo`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Leave the three nodes running after the story (Ctrl-C stops them and removes the
    /// temporary files) and print commands to try against them by hand.
    #[arg(long)]
    keep: bool,
}

/// Run the demo.
pub fn run(a: Args) -> CliResult<ExitCode> {
    let rt = sessionsig_node::server::runtime(2, 8).map_err(crate::cmd_node::node_error)?;
    rt.block_on(demo(a))
}

/// A development wallet that counts its signatures (the point of step 2).
struct Counted {
    wallet: LocalWallet,
    signatures: Arc<AtomicUsize>,
}

impl WalletProvider for Counted {
    fn address(&self) -> Address {
        WalletProvider::address(&self.wallet)
    }

    fn sign_siwe<'a>(
        &'a self,
        request: &'a SignRequest,
    ) -> BoxFuture<'a, sessionsig_client::Result<String>> {
        self.signatures.fetch_add(1, Ordering::SeqCst);
        self.wallet.sign_siwe(request)
    }
}

/// A duration as a person reads it: milliseconds below a second (the whole story takes about
/// 50 ms here, which `{:.1} s` printed as "0.0 s"), seconds with one decimal above.
fn spoken(d: std::time::Duration) -> String {
    if d < std::time::Duration::from_millis(1) {
        "under 1 ms".to_owned()
    } else if d < std::time::Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// A development wallet, with its key (to print for `--keep`), and its counter.
fn dev_wallet() -> CliResult<(Arc<Counted>, String)> {
    let mut b = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
    let key = format!("0x{}", hex::encode(b));
    let wallet = LocalWallet::from_bytes(&b)?;
    Ok((
        Arc::new(Counted {
            wallet,
            signatures: Arc::new(AtomicUsize::new(0)),
        }),
        key,
    ))
}

impl Counted {
    fn count(&self) -> usize {
        self.signatures.load(Ordering::SeqCst)
    }
}

/// Deterministic "photo" bytes (a JPEG header, then noise).
fn photo(seed: u64, len: usize) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0];
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    while out.len() < len {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// The running nodes.
struct Nodes {
    urls: Vec<String>,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: tokio::task::JoinSet<sessionsig_node::Result<()>>,
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Bind three nodes on free loopback ports (trying again if a port was taken meanwhile) on
/// one SQLite store in `dir`, serve them, and wait until each answers `/healthz`.
async fn start_nodes(dir: &Path) -> Result<Nodes, String> {
    let mut last = String::new();
    for _ in 0..5 {
        let ports: Vec<u16> = (0..3)
            .map(|_| free_port())
            .collect::<std::io::Result<_>>()
            .map_err(|e| format!("no free port: {e}"))?;
        let urls: Vec<String> = ports
            .iter()
            .map(|p| format!("http://127.0.0.1:{p}"))
            .collect();
        let mut nodes = Vec::new();
        let mut ok = true;
        for (url, port) in urls.iter().zip(&ports) {
            let cfg = NodeConfig {
                public_url: Some(url.clone()),
                listen: Some(SocketAddr::from(([127, 0, 0, 1], *port))),
                network: urls.clone(),
                data_dir: Some(dir.to_owned()),
                store: Some(format!("sqlite://{}", dir.join("sessionsig.db").display()).into()),
                ..NodeConfig::default()
            };
            let settings = cfg.resolve(false).map_err(|e| e.to_string())?;
            match Node::bind(settings).await {
                Ok(n) => nodes.push(n),
                Err(e) => {
                    last = e.to_string();
                    ok = false;
                    break;
                }
            }
        }
        if !ok {
            continue;
        }
        let (stop, rx) = tokio::sync::watch::channel(false);
        let mut tasks = tokio::task::JoinSet::new();
        let mut addrs = Vec::new();
        for node in nodes {
            addrs.push(node.local_addr().map_err(|e| e.to_string())?);
            let mut rx = rx.clone();
            tasks.spawn(node.serve(async move {
                let _ = rx.wait_for(|s| *s).await;
            }));
        }
        for addr in addrs {
            sessionsig_node::network::wait_healthy(addr, std::time::Duration::from_secs(30))
                .await
                .map_err(|e| e.to_string())?;
        }
        return Ok(Nodes { urls, stop, tasks });
    }
    Err(format!("could not bind three nodes: {last}"))
}

impl Nodes {
    async fn stop(mut self) -> Result<(), String> {
        let _ = self.stop.send(true);
        while let Some(r) = self.tasks.join_next().await {
            match r {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e.to_string()),
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(())
    }
}

/// What a step saw when it did not behave as expected.
type Step = Result<(), String>;

fn manager(wallet: Arc<Counted>, urls: &[String]) -> Result<Arc<SessionManager>, String> {
    let nodes = NodeSet::new(urls.iter().cloned()).map_err(|e| e.to_string())?;
    Ok(Arc::new(SessionManager::new(
        wallet,
        MemoryStore::new(),
        nodes,
    )))
}

fn bp(e: BackpackError) -> String {
    e.to_string()
}

/// `what` must be refused with one of `codes`; prints the refusal.
fn refused<T>(who: &str, what: &str, r: Result<T, BackpackError>, codes: &[&str]) -> Step {
    match r {
        Ok(_) => Err(format!("{who}: {what} was allowed; it must be refused")),
        Err(e) if codes.contains(&e.code()) => {
            println!(
                "      {who}: {what} → refused, {}: {}",
                e.code(),
                e.sentence()
            );
            Ok(())
        }
        Err(e) => Err(format!(
            "{who}: {what} was refused with {e}, expected {}",
            codes.join(" or ")
        )),
    }
}

struct Story {
    urls: Vec<String>,
    alice: Arc<Counted>,
    bob: Arc<Counted>,
    alice_client: Option<BackpackClient>,
    album: Vec<(Remote, Vec<u8>)>,
    share: Option<sessionsig_client::backpack::Share>,
    bob_client: Option<BackpackClient>,
}

async fn demo(a: Args) -> CliResult<ExitCode> {
    let started = Instant::now();
    println!("sessionsig demo — the data backpack, for real, on this machine\n");
    let dir = tempfile::Builder::new()
        .prefix("sessionsig-demo-")
        .tempdir()
        .map_err(|e| CliError::io("temporary directory", e))?;
    let dir_path = dir.path().to_owned();

    println!(
        "[1/6] Three nodes on loopback, one temporary SQLite store; wallets for Alice and Bob"
    );
    eprint!("      starting three nodes… ");
    let t = Instant::now();
    let nodes = match start_nodes(&dir_path).await {
        Ok(n) => n,
        Err(e) => {
            eprintln!();
            println!("✗ step 1 did not behave as expected: {e}");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    eprintln!("ready in {}", spoken(t.elapsed()));
    let (alice, alice_key) = dev_wallet()?;
    let (bob, _bob_key) = dev_wallet()?;
    for u in &nodes.urls {
        println!("      node  {u}");
    }
    println!(
        "      Alice {}",
        WalletProvider::address(alice.as_ref()).to_checksum(None)
    );
    println!(
        "      Bob   {}",
        WalletProvider::address(bob.as_ref()).to_checksum(None)
    );
    println!("✓ step 1 ok: three nodes answer /healthz");

    let mut story = Story {
        urls: nodes.urls.clone(),
        alice,
        bob,
        alice_client: None,
        album: Vec::new(),
        share: None,
        bob_client: None,
    };
    let steps: [(&str, usize); 4] = [
        ("Alice signs in ONCE and works on all three nodes", 2),
        (
            "Alice narrows a second session key to read-only on /photos/",
            3,
        ),
        (
            "Alice shares /photos/ read-only with Bob, with a small traffic cap",
            4,
        ),
        ("Alice revokes the share", 5),
    ];
    let mut failed = None;
    for (title, n) in steps {
        println!("\n[{n}/6] {title}");
        let r = match n {
            2 => step2(&mut story).await,
            3 => step3(&mut story).await,
            4 => step4(&mut story).await,
            _ => step5(&mut story).await,
        };
        match r {
            Ok(()) => println!("✓ step {n} ok"),
            Err(e) => {
                println!("✗ step {n} did not behave as expected: {e}");
                failed = Some(n);
                break;
            }
        }
    }

    let story_time = started.elapsed();
    if a.keep && failed.is_none() {
        keep(&story, &dir_path, &alice_key)?;
        tokio::signal::ctrl_c()
            .await
            .map_err(|e| CliError::io("waiting for Ctrl-C", e))?;
        println!();
    }

    println!("\n[6/6] Stop the nodes and remove the temporary files");
    let stopped = nodes.stop().await;
    let removed = dir.close();
    let gone = !dir_path.exists();
    match (stopped, removed, gone) {
        (Ok(()), Ok(()), true) => println!("      stopped 3 nodes, removed {}", dir_path.display()),
        (s, r, _) => {
            println!(
                "✗ step 6 did not behave as expected: nodes {:?}, files {:?}",
                s,
                r.map_err(|e| e.to_string())
            );
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    }
    println!("✓ step 6 ok");
    match failed {
        None => {
            let total = if a.keep {
                story_time
            } else {
                started.elapsed()
            };
            println!("\nAll 6 steps behaved as expected in {}.", spoken(total));
            Ok(ExitCode::SUCCESS)
        }
        Some(n) => {
            println!("\nStep {n} did not behave as expected (see above).");
            Ok(ExitCode::from(EXIT_INVALID))
        }
    }
}

async fn step2(s: &mut Story) -> Step {
    let m = manager(s.alice.clone(), &s.urls)?;
    let client = BackpackClient::new(m)
        .map_err(bp)?
        .with_mode(SessionMode::Prompt);
    let me = client.wallet();
    let names = [
        "beach",
        "dunes",
        "harbour",
        "lighthouse",
        "market",
        "sunset",
    ];
    let mut ops = 0usize;
    let mut bytes = 0u64;
    for (i, name) in names.iter().enumerate() {
        let remote = Remote::new(me, &format!("/photos/2026/{name}.jpg")).map_err(bp)?;
        let data = photo(i as u64, 20_000 + 4_000 * i);
        let at = &s.urls[i % 3];
        client
            .at_node(at)
            .put_bytes(&remote, data.clone().into(), &PutOptions::default())
            .await
            .map_err(|e| format!("Alice's upload of {} at {at}: {e}", remote.path()))?;
        ops += 1;
        bytes += data.len() as u64;
        s.album.push((remote, data));
    }
    println!(
        "      Alice uploads {} photos ({}), two to each node",
        names.len(),
        human::size(bytes)
    );
    let diary = Remote::new(me, "/private/diary.txt").map_err(bp)?;
    client
        .at_node(&s.urls[0])
        .put_bytes(
            &diary,
            b"dear diary".to_vec().into(),
            &PutOptions::default(),
        )
        .await
        .map_err(|e| format!("Alice's upload of /private/diary.txt: {e}"))?;
    ops += 1;
    println!("      Alice writes /private/diary.txt (not shared with anyone)");
    let folder = Remote::new(me, "/photos/2026/").map_err(bp)?;
    for url in &s.urls {
        let l = client.at_node(url).list(&folder).await.map_err(bp)?;
        ops += 1;
        if l.entries.len() != names.len() {
            return Err(format!(
                "the listing at {url} has {} photos, not {}",
                l.entries.len(),
                names.len()
            ));
        }
    }
    println!(
        "      Alice lists /photos/2026/ at each node: {} photos everywhere",
        names.len()
    );
    for (i, (remote, data)) in s.album.iter().enumerate() {
        let at = &s.urls[(i + 1) % 3];
        let (got, _) = client
            .at_node(at)
            .get_bytes(remote, None)
            .await
            .map_err(|e| format!("Alice's read of {} at {at}: {e}", remote.path()))?;
        ops += 1;
        if &got != data {
            return Err(format!("{} read back at {at} differs", remote.path()));
        }
    }
    println!("      Alice reads every photo back from another node than it went to: identical");
    let (first, data) = &s.album[0];
    for (i, url) in s.urls.iter().enumerate() {
        let r = ByteRange {
            start: 1000 * i as u64,
            end: Some(1000 * i as u64 + 512),
        };
        let (got, _) = client
            .at_node(url)
            .get_bytes(first, Some(r))
            .await
            .map_err(bp)?;
        ops += 1;
        let want = &data[r.start as usize..r.start as usize + 512];
        if got != want {
            return Err(format!("range {} at {url} differs", r.header()));
        }
    }
    let info = client.head(first).await.map_err(bp)?;
    ops += 1;
    println!(
        "      Alice reads 512-byte ranges at each node and the metadata ({}, {})",
        info.content_type,
        human::size(info.size)
    );
    let sigs = s.alice.count();
    println!("      → {sigs} wallet signature for {ops} operations on 3 nodes");
    if sigs != 1 {
        return Err(format!("Alice's wallet signed {sigs} times, not once"));
    }
    s.alice_client = Some(client);
    Ok(())
}

async fn step3(s: &mut Story) -> Step {
    let before = s.alice.count();
    let m = manager(s.alice.clone(), &s.urls)?;
    let me = WalletProvider::address(s.alice.as_ref());
    let photos = Remote::new(me, "/photos/").map_err(bp)?;
    let requests = vec![
        photos.request(LitAbility::BackpackRead).map_err(bp)?,
        photos.request(LitAbility::BackpackList).map_err(bp)?,
    ];
    let now = OffsetDateTime::now_utc();
    let login = m
        .login_scoped(&requests, Caveat::new(), Some(now + Duration::hours(1)))
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "      Alice's wallet signs a second session key {}…: backpack/read + backpack/list on /photos/ only",
        &login.session_public_key[..12]
    );
    let narrow = BackpackClient::new(m)
        .map_err(bp)?
        .with_mode(SessionMode::StoredOnly);
    let (remote, data) = &s.album[1];
    let (got, _) = narrow
        .at_node(&s.urls[2])
        .get_bytes(remote, None)
        .await
        .map_err(|e| format!("the read-only key's read: {e}"))?;
    if &got != data {
        return Err("the read-only key read different bytes".into());
    }
    println!("      the read-only key reads {}: allowed", remote.path());
    let new = Remote::new(me, "/photos/2026/new.jpg").map_err(bp)?;
    let r = narrow
        .at_node(&s.urls[0])
        .put_bytes(&new, photo(99, 1000).into(), &PutOptions::default())
        .await;
    refused(
        "the read-only key",
        "writing /photos/2026/new.jpg",
        r,
        &["capability_not_granted"],
    )?;
    if s.alice.count() != before + 1 {
        return Err("narrowing took more than one wallet signature".into());
    }
    Ok(())
}

async fn step4(s: &mut Story) -> Step {
    let alice = WalletProvider::address(s.alice.as_ref());
    let bob = WalletProvider::address(s.bob.as_ref());
    let (first, first_data) = &s.album[0];
    let (second, _) = &s.album[1];
    // Room for the first photo and half of the second.
    let cap = first_data.len() as u64 + 12_000;
    let now = OffsetDateTime::now_utc();
    let spec = ShareSpec {
        folder: Remote::new(alice, "/photos/").map_err(bp)?,
        with: bob,
        abilities: vec![LitAbility::BackpackRead, LitAbility::BackpackList],
        max_bytes: Some(cap),
        expires: now + Duration::days(2),
        domain: "localhost".into(),
        // A network that wants its own nonce on delegations gets it; this one takes any.
        nonce: None,
    };
    let share = create_share(s.alice.as_ref(), &spec, now)
        .await
        .map_err(bp)?;
    println!(
        "      Alice's wallet signs a delegation to Bob: read + list on /photos/, at most {} of traffic, for 2 days",
        human::size(cap)
    );
    let m = manager(s.bob.clone(), &s.urls)?;
    let client = BackpackClient::new(m)
        .map_err(bp)?
        .with_share(share.clone())
        .map_err(bp)?;
    let (got, _) = client
        .at_node(&s.urls[0])
        .get_bytes(first, None)
        .await
        .map_err(|e| format!("Bob's read of {}: {e}", first.path()))?;
    if &got != first_data {
        return Err("Bob read different bytes".into());
    }
    println!(
        "      Bob signs in once and reads {} ({}) at node 1: allowed",
        first.path(),
        human::size(got.len() as u64)
    );
    let w = client
        .at_node(&s.urls[1])
        .put_bytes(
            &Remote::new(alice, "/photos/bob-was-here.jpg").map_err(bp)?,
            photo(7, 500).into(),
            &PutOptions::default(),
        )
        .await;
    refused(
        "Bob",
        "writing /photos/bob-was-here.jpg",
        w,
        &["capability_not_granted"],
    )?;
    let p = client
        .at_node(&s.urls[2])
        .get_bytes(&Remote::new(alice, "/private/diary.txt").map_err(bp)?, None)
        .await;
    refused(
        "Bob",
        "reading /private/diary.txt",
        p,
        &["capability_not_granted"],
    )?;
    let prepared = client
        .prepare(http_get(), first, &s.urls[0])
        .await
        .map_err(bp)?;
    let replay_url = prepared.url.replacen(&s.urls[0], &s.urls[1], 1);
    let resp = sessionsig_client::reqwest::Client::new()
        .get(&replay_url)
        .headers(prepared.headers.clone())
        .send()
        .await
        .map_err(|e| format!("replaying at node 2: {e}"))?;
    let status = resp.status().as_u16();
    let body = resp.bytes().await.unwrap_or_default();
    let replay: Result<(), BackpackError> = if status == 200 {
        Ok(())
    } else {
        Err(sessionsig_client::backpack::error::refusal(
            &s.urls[1], status, &body,
        ))
    };
    refused(
        "Bob",
        "his signed request for node 1, replayed at node 2",
        replay,
        &["wrong_node"],
    )?;
    let past = client.at_node(&s.urls[1]).get_bytes(second, None).await;
    refused(
        "Bob",
        &format!("reading {} past the cap", second.path()),
        past,
        &["quota_exhausted"],
    )?;
    if s.bob.count() != 1 {
        return Err(format!(
            "Bob's wallet signed {} times, not once",
            s.bob.count()
        ));
    }
    s.share = Some(share);
    s.bob_client = Some(client);
    Ok(())
}

fn http_get() -> sessionsig_client::reqwest::Method {
    sessionsig_client::reqwest::Method::GET
}

async fn step5(s: &mut Story) -> Step {
    let share = s.share.clone().ok_or("no share")?;
    let alice_client = s.alice_client.clone().ok_or("no client")?;
    let bob_client = s.bob_client.clone().ok_or("no client")?;
    let revocation = sign_revocation(
        s.alice.as_ref(),
        &share.target(),
        OffsetDateTime::now_utc(),
        None,
    )
    .await
    .map_err(bp)?;
    let (node, _) = alice_client
        .at_node(&s.urls[2])
        .post_revocation(&revocation)
        .await
        .map_err(bp)?;
    println!("      Alice's wallet signs the revocation of the share; posted to {node} only");
    let folder = share.folder.clone();
    for (i, url) in s.urls.iter().enumerate() {
        let r = bob_client.at_node(url).list(&folder).await;
        refused(
            "Bob",
            &format!("listing /photos/ at node {}", i + 1),
            r,
            &["revoked"],
        )?;
    }
    Ok(())
}

fn keep(s: &Story, dir: &Path, alice_key: &str) -> CliResult<()> {
    let key_file = dir.join("alice.key");
    crate::io::write_secret_file(&key_file, alice_key)?;
    let store = dir.join("cli-store");
    let nodes: Vec<String> = s.urls.iter().map(|u| format!("--node {u}")).collect();
    let bob = WalletProvider::address(s.bob.as_ref()).to_checksum(None);
    println!(
        "\nThe three nodes keep running; Ctrl-C stops them and removes {}.",
        dir.display()
    );
    println!(
        "Try, in another terminal (Alice's development key is in {}):\n",
        key_file.display()
    );
    println!("  export SESSIONSIG_STORE={}", store.display());
    println!(
        "  sessionsig backpack login --wallet-key-file {} {}",
        key_file.display(),
        nodes.join(" ")
    );
    println!("  sessionsig backpack ls /photos/2026/");
    println!("  sessionsig backpack get /photos/2026/beach.jpg");
    println!("  sessionsig backpack put ./beach.jpg /photos/copies/");
    println!(
        "  sessionsig backpack share /photos/ --with {bob} --read-only --max-bytes 1MB -o share.json --wallet-key-file {}",
        key_file.display()
    );
    println!("  sessionsig backpack status");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::spoken;
    use std::time::Duration;

    #[test]
    fn durations_are_spoken_in_the_unit_a_person_reads() {
        assert_eq!(spoken(Duration::from_micros(400)), "under 1 ms");
        assert_eq!(spoken(Duration::from_millis(48)), "48 ms");
        assert_eq!(spoken(Duration::from_millis(999)), "999 ms");
        assert_eq!(spoken(Duration::from_millis(1_000)), "1.0 s");
        assert_eq!(spoken(Duration::from_millis(12_340)), "12.3 s");
    }
}
