//! Inputs and the cryptographic floor for `scripts/bench-verify-ratios`, which compares the
//! whole-process CPU of `sessionsig verify` per JSON line with the raw cryptography it must do.
//!
//! ```text
//! verify_ratios gen-warm N NODE > warm.jsonl   N SessionSigs of ONE session (one AuthSig)
//! verify_ratios gen-cold N NODE > cold.jsonl   N SessionSigs of N fresh wallets and keys
//! verify_ratios floor N                        CPU µs per op: ed25519 verify_strict, recovery
//! verify_ratios cpu RUNS OUT -- CMD ARGS...      CPU µs per run of CMD (stdout to OUT)
//! ```
//!
//! The floor is the primitives the core uses: ed25519-dalek's `VerifyingKey::verify_strict`
//! on a decoded key, and libsecp256k1's EIP-191 recovery (`sessionsig::siwe::recover_address`,
//! message hash included). It is measured as this thread's CPU time (`clock_gettime` of
//! `CLOCK_THREAD_CPUTIME_ID`), so load from other processes on a shared machine inflates it
//! little, and the same way as the `verify` process it is compared with.
//! Everything is deterministic (fixed keys and times), so runs are comparable.
//!
//! `cpu` is how the script measures a whole process: user + sys CPU of each child, from
//! `getrusage(RUSAGE_CHILDREN)` around its `wait`, in microseconds. (Until 2026-12-04 the
//! script used bash's `time`, which prints milliseconds and charges the child with bash's own
//! work between `fork` and `exec`; too coarse for a one-line run of about 2 ms.)

use sessionsig::auth_sig::{AuthSig, SiweRecapParams};
use sessionsig::lit::{LitAbility, LitResource, ResourceAbilityRequest};
use sessionsig::recap::{Capability, Caveat};
use sessionsig::session::{SessionKeyPair, SessionSigParams, WireFormat};
use sessionsig::siwe::{parse_signature, recover_address};
use sessionsig::time::{parse_rfc3339, Duration, OffsetDateTime, Timestamp};
use sessionsig::wallet::LocalWallet;
use std::hint::black_box;
use std::io::Write;
use std::process::ExitCode;

/// The instant every input is issued at; `verify --at` should be a little later.
const START: &str = "2025-06-01T00:00:01Z";

type Res<T> = Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let r = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["gen-warm", n, node] => count(n).and_then(|n| gen_warm(n, node)),
        ["gen-cold", n, node] => count(n).and_then(|n| gen_cold(n, node)),
        ["floor", n] => count(n).and_then(floor),
        ["cpu", runs, out, "--", cmd, cmd_args @ ..] => {
            count(runs).and_then(|runs| cpu(runs, out, cmd, cmd_args))
        }
        _ => Err(
            "usage: verify_ratios gen-warm N NODE | gen-cold N NODE | floor N \
             | cpu RUNS OUT -- CMD ARGS..."
                .into(),
        ),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("verify_ratios: {e}");
            ExitCode::FAILURE
        }
    }
}

fn count(s: &str) -> Res<usize> {
    s.parse().map_err(|_| format!("`{s}` is not a count"))
}

fn start() -> Res<OffsetDateTime> {
    parse_rfc3339(START).map_err(|e| e.to_string())
}

/// A wallet AuthSig delegating `lit-pkp://*` signing to `key` for one day.
fn auth_sig(wallet: &LocalWallet, key: &SessionKeyPair) -> Res<AuthSig> {
    let mut cap = Capability::new();
    cap.add_ability("lit-pkp://*", "Threshold/Signing", vec![Caveat::new()])
        .map_err(|e| e.to_string())?;
    let at = start()?;
    AuthSig::create(
        wallet,
        &SiweRecapParams {
            domain: "localhost".into(),
            uri: SiweRecapParams::session_uri(&key.public_hex()),
            statement: None,
            nonce: "0xabababababababababab".into(),
            chain_id: 1,
            issued_at: Timestamp::from_instant(at),
            expiration: Some(Timestamp::from_instant(at + Duration::days(1))),
            not_before: None,
            capability: cap,
        },
    )
    .map_err(|e| e.to_string())
}

/// One JSON line: the SessionSig `key` signs for `node`, issued at `issued_at`.
fn session_sig_line(
    key: &SessionKeyPair,
    auth: &AuthSig,
    node: &str,
    issued_at: OffsetDateTime,
) -> Res<String> {
    let pkp = LitResource::parse("lit-pkp://*").map_err(|e| e.to_string())?;
    let requests =
        [ResourceAbilityRequest::new(pkp, LitAbility::PkpSigning).map_err(|e| e.to_string())?];
    let sigs = key
        .sign_session_sigs(
            &SessionSigParams {
                requests: &requests,
                capabilities: std::slice::from_ref(auth),
                issued_at,
                expiration: start()? + Duration::hours(12),
                format: WireFormat::V7,
            },
            &[node],
        )
        .map_err(|e| e.to_string())?;
    let (_, s) = sigs.iter().next().ok_or("no SessionSig made")?;
    Ok(s.to_json())
}

fn write_lines(lines: impl Iterator<Item = Res<String>>) -> Res<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for l in lines {
        writeln!(out, "{}", l?).map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())
}

/// `n` SessionSigs of one session: the same key and AuthSig, issued one millisecond apart.
fn gen_warm(n: usize, node: &str) -> Res<()> {
    let wallet = LocalWallet::from_bytes(&[0x11; 32]).map_err(|e| e.to_string())?;
    let key = SessionKeyPair::from_seed(&[0x22; 32]);
    let auth = auth_sig(&wallet, &key)?;
    let at = start()?;
    write_lines(
        (0..n).map(|i| session_sig_line(&key, &auth, node, at + Duration::milliseconds(i as i64))),
    )
}

/// `n` SessionSigs, each of its own wallet, session key and AuthSig: nothing can be cached.
fn gen_cold(n: usize, node: &str) -> Res<()> {
    let at = start()?;
    write_lines((0..n).map(|i| {
        let mut seed = [0x5a; 32];
        seed[28..].copy_from_slice(&(i as u32).to_be_bytes());
        let wallet = LocalWallet::from_bytes(&seed).map_err(|e| e.to_string())?;
        seed[0] = 0xa5;
        let key = SessionKeyPair::from_seed(&seed);
        let auth = auth_sig(&wallet, &key)?;
        session_sig_line(&key, &auth, node, at)
    }))
}

/// This thread's CPU time so far, in nanoseconds (`CLOCK_THREAD_CPUTIME_ID`, exact; the
/// `/proc/thread-self/schedstat` figure only moves at scheduler ticks, 4 ms here).
fn thread_cpu_ns() -> Res<u64> {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    u64::try_from(t.tv_sec)
        .ok()
        .and_then(|s| s.checked_mul(1_000_000_000))
        .and_then(|ns| ns.checked_add(u64::try_from(t.tv_nsec).ok()?))
        .ok_or_else(|| "the thread CPU clock is out of range".into())
}

/// CPU µs per op of `op`, run `n` times.
fn cpu_per_op(n: usize, op: &mut dyn FnMut()) -> Res<f64> {
    let t = thread_cpu_ns()?;
    for _ in 0..n {
        op();
    }
    Ok((thread_cpu_ns()? - t) as f64 / 1e3 / n as f64)
}

/// One op's inputs: a SessionSig's signed bytes, signature and decoded key, and its AuthSig's
/// SIWE bytes and wallet signature.
struct Sample {
    key: ed25519_dalek::VerifyingKey,
    sig: ed25519_dalek::Signature,
    signed: Vec<u8>,
    siwe: Vec<u8>,
    wallet_sig: [u8; 65],
}

/// The inputs of `gen-cold`'s line `i` (each of its own wallet and session key).
fn sample(i: usize) -> Res<Sample> {
    let mut seed = [0x5a; 32];
    seed[28..].copy_from_slice(&(i as u32).to_be_bytes());
    let wallet = LocalWallet::from_bytes(&seed).map_err(|e| e.to_string())?;
    seed[0] = 0xa5;
    let key = SessionKeyPair::from_seed(&seed);
    let auth = auth_sig(&wallet, &key)?;
    let line = session_sig_line(&key, &auth, "http://127.0.0.1:7470", start()?)?;
    let wire: sessionsig::session::SessionSig =
        serde_json::from_str(&line).map_err(|e| e.to_string())?;
    let mut sig = [0u8; 64];
    hex::decode_to_slice(&wire.sig, &mut sig).map_err(|e| e.to_string())?;
    let mut pk = [0u8; 32];
    hex::decode_to_slice(key.public_hex(), &mut pk).map_err(|e| e.to_string())?;
    let s = Sample {
        key: ed25519_dalek::VerifyingKey::from_bytes(&pk).map_err(|e| e.to_string())?,
        sig: ed25519_dalek::Signature::from_bytes(&sig),
        signed: wire.signed_message.into_bytes(),
        siwe: auth.signed_message.as_bytes().to_vec(),
        wallet_sig: parse_signature(&auth.sig).map_err(|e| e.to_string())?,
    };
    // Both must succeed, or the floor would be of a failing path.
    s.key
        .verify_strict(&s.signed, &s.sig)
        .map_err(|e| e.to_string())?;
    recover_address(&s.siwe, &s.wallet_sig).map_err(|e| e.to_string())?;
    Ok(s)
}

/// Print `ed25519_us recovery_us same_ed25519_us same_recovery_us`: CPU per op of each
/// primitive over `n` ops, cycling through 400 different signatures (as `verify` meets
/// them), then the same on one signature repeated (a classic micro-benchmark, kinder to the
/// caches: libsecp256k1's precomputed tables are large and one signature touches the same
/// few entries every time). Interleaved in 8 rounds, so a change in load hits all alike;
/// the median round of each.
fn floor(n: usize) -> Res<()> {
    let samples = (0..400).map(sample).collect::<Res<Vec<_>>>()?;
    let rounds = 8;
    let per = n.div_ceil(rounds).max(1);
    let mut m = vec![Vec::new(); 4];
    let (mut e, mut r) = (0, 0);
    for _ in 0..rounds {
        m[0].push(cpu_per_op(per, &mut || {
            let s = &samples[e % samples.len()];
            e += 1;
            let _ = black_box(s.key.verify_strict(black_box(&s.signed), black_box(&s.sig)));
        })?);
        m[1].push(cpu_per_op(per, &mut || {
            let s = &samples[r % samples.len()];
            r += 1;
            let _ = black_box(recover_address(
                black_box(&s.siwe),
                black_box(&s.wallet_sig),
            ));
        })?);
        let s = &samples[0];
        m[2].push(cpu_per_op(per, &mut || {
            let _ = black_box(s.key.verify_strict(black_box(&s.signed), black_box(&s.sig)));
        })?);
        m[3].push(cpu_per_op(per, &mut || {
            let _ = black_box(recover_address(
                black_box(&s.siwe),
                black_box(&s.wallet_sig),
            ));
        })?);
    }
    let m: Vec<f64> = m.into_iter().map(median).collect();
    println!("{:.3} {:.3} {:.3} {:.3}", m[0], m[1], m[2], m[3]);
    Ok(())
}

/// The CPU (user + sys) this process's waited-for children have used so far, in µs.
fn children_cpu_us() -> Res<f64> {
    let mut u = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `getrusage` fills the `rusage` it is given (zeroed, so initialised either way)
    // and touches nothing else.
    let r = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, u.as_mut_ptr()) };
    if r != 0 {
        return Err(format!("getrusage: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: zero-initialised above and filled by a successful `getrusage`.
    let u = unsafe { u.assume_init() };
    let us = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
    Ok(us(u.ru_utime) + us(u.ru_stime))
}

/// Print the mean CPU µs (user + sys) of `runs` runs of `cmd args`, each a new process with
/// stdin from `/dev/null` and stdout to `out` (left holding the last run's output); stderr is
/// inherited. Any run failing fails the whole measurement.
fn cpu(runs: usize, out: &str, cmd: &str, args: &[&str]) -> Res<()> {
    let mut total = 0.0;
    for _ in 0..runs.max(1) {
        let file = std::fs::File::create(out).map_err(|e| format!("{out}: {e}"))?;
        let before = children_cpu_us()?;
        let status = std::process::Command::new(cmd)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(file)
            .status()
            .map_err(|e| format!("{cmd}: {e}"))?;
        total += children_cpu_us()? - before;
        if !status.success() {
            return Err(format!("{cmd} failed: {status}"));
        }
    }
    println!("{:.1}", total / runs.max(1) as f64);
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
