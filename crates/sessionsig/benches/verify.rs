//! Verification cost next to the raw cryptography it is made of, measured in the same run.
//!
//! `cargo bench -p sessionsig --bench verify` prints criterion's figures, then a summary:
//! - cold: nothing cached (one ed25519 verify + one secp256k1 recovery + parsing + checks),
//!   against ed25519 + recovery;
//! - warm: the AuthSig already verified and cached, against ed25519 alone;
//! - delegated cold: a session carrying a delegation (two wallet AuthSigs), against
//!   ed25519 + 2 recoveries.
//!
//! "ed25519" in those ratios is ed25519-dalek's own `VerifyingKey::verify_strict` on an
//! already-decoded key. The verifier enforces the same rules but runs dalek's RFC 8032 `verify`
//! plus a small-order table for `R` (see `SessionPublicKey::verify_strict`), which skips a field
//! square root: the summary also prints that primitive and the ratios against it.

use criterion::{black_box, criterion_group, Criterion};
use sessionsig::auth_sig::{capacity_delegation_caveat, AuthSig, SiweRecapParams, DELEGATION_URI};
use sessionsig::lit::{LitAbility, LitResource, ResourceAbilityRequest};
use sessionsig::recap::{Capability, Caveat};
use sessionsig::session::{SessionKeyPair, SessionSigParams, WireFormat};
use sessionsig::siwe::{parse_signature, recover_address};
use sessionsig::time::{parse_rfc3339, Duration, FixedClock, OffsetDateTime, Timestamp};
use sessionsig::verify::{AuthSigCache, Policy, Request, UnverifiedSessionSig, Verifier};
use sessionsig::wallet::{LocalWallet, WalletSigner};
use std::sync::Arc;
use std::time::Instant;

const NODE: &str = "https://127.0.0.1:7470";

struct Fixture {
    dalek_key: ed25519_dalek::VerifyingKey,
    dalek_sig: ed25519_dalek::Signature,
    plain: UnverifiedSessionSig,
    delegated: UnverifiedSessionSig,
    signed: Vec<u8>,
    ed_sig: [u8; 64],
    key: SessionKeyPair,
    siwe: Vec<u8>,
    wallet_sig: [u8; 65],
    verifier: Verifier<FixedClock>,
    request: Request,
    json: String,
}

fn now() -> OffsetDateTime {
    parse_rfc3339("2025-06-01T00:00:00Z").expect("time")
}

fn auth_sig(wallet: &LocalWallet, uri: String, cap: Capability) -> AuthSig {
    AuthSig::create(
        wallet,
        &SiweRecapParams {
            domain: "localhost".into(),
            uri,
            statement: None,
            nonce: "0xabababababababababab".into(),
            chain_id: 1,
            issued_at: Timestamp::from_instant(now()),
            expiration: Some(Timestamp::from_instant(now() + Duration::days(1))),
            not_before: None,
            capability: cap,
        },
    )
    .expect("auth sig")
}

fn session_sig(key: &SessionKeyPair, caps: &[AuthSig]) -> UnverifiedSessionSig {
    let pkp = LitResource::parse("lit-pkp://*").expect("resource");
    let requests = [ResourceAbilityRequest::new(pkp, LitAbility::PkpSigning).expect("request")];
    let sigs = key
        .sign_session_sigs(
            &SessionSigParams {
                requests: &requests,
                capabilities: caps,
                issued_at: now(),
                expiration: now() + Duration::hours(1),
                format: WireFormat::V7,
            },
            &[NODE],
        )
        .expect("sigs");
    let (_, s) = sigs.iter().next().expect("one");
    UnverifiedSessionSig::from(s.clone())
}

fn fixture() -> Fixture {
    let wallet = LocalWallet::from_bytes(&[0x11; 32]).expect("wallet");
    let owner = LocalWallet::from_bytes(&[0x33; 32]).expect("wallet");
    let key = SessionKeyPair::from_seed(&[0x22; 32]);
    let mut cap = Capability::new();
    cap.add_ability("lit-pkp://*", "Threshold/Signing", vec![Caveat::new()])
        .expect("cap");
    cap.add_ability(
        "lit-litaction://*",
        "Threshold/Execution",
        vec![Caveat::new()],
    )
    .expect("cap");
    let auth = auth_sig(
        &wallet,
        SiweRecapParams::session_uri(&key.public_hex()),
        cap.clone(),
    );
    let mut capacity = Capability::new();
    let delegate = format!("{:x}", wallet.address());
    capacity
        .add_ability(
            "lit-ratelimitincrease://42",
            "Auth/Auth",
            vec![capacity_delegation_caveat(Some("42"), &[delegate], None)],
        )
        .expect("cap");
    let delegation = auth_sig(&owner, DELEGATION_URI.into(), capacity);
    let plain = session_sig(&key, std::slice::from_ref(&auth));
    let delegated = session_sig(&key, &[delegation, auth.clone()]);
    let mut ed_sig = [0u8; 64];
    hex::decode_to_slice(&plain.wire().sig, &mut ed_sig).expect("hex");
    let mut key_bytes = [0u8; 32];
    hex::decode_to_slice(key.public_hex(), &mut key_bytes).expect("hex");
    Fixture {
        dalek_key: ed25519_dalek::VerifyingKey::from_bytes(&key_bytes).expect("key"),
        dalek_sig: ed25519_dalek::Signature::from_bytes(&ed_sig),
        signed: plain.wire().signed_message.as_bytes().to_vec(),
        json: plain.wire().to_json(),
        plain,
        delegated,
        ed_sig,
        key,
        siwe: auth.signed_message.as_bytes().to_vec(),
        wallet_sig: parse_signature(&auth.sig).expect("sig"),
        // A small cache: clearing it between cold runs costs next to nothing.
        verifier: Verifier::new(
            NODE,
            Policy::default(),
            FixedClock(now() + Duration::minutes(5)),
        )
        .expect("verifier")
        .with_cache(Arc::new(AuthSigCache::new(16))),
        request: Request::operation(
            LitResource::parse("lit-pkp://1234").expect("r"),
            LitAbility::PkpSigning,
        ),
    }
}

fn benches(c: &mut Criterion) {
    let f = fixture();
    let public = f.key.public_key();
    f.verifier
        .verify(&f.plain, &f.request)
        .expect("fixture verifies");
    f.verifier
        .verify(&f.delegated, &f.request)
        .expect("delegated fixture verifies");
    c.bench_function("raw/ed25519_dalek_verify_strict", |b| {
        b.iter(|| {
            f.dalek_key
                .verify_strict(black_box(&f.signed), black_box(&f.dalek_sig))
        })
    });
    c.bench_function("raw/session_key_verify_strict", |b| {
        b.iter(|| public.verify_strict(black_box(&f.signed), black_box(&f.ed_sig)))
    });
    c.bench_function("raw/secp256k1_recover_eip191", |b| {
        b.iter(|| recover_address(black_box(&f.siwe), black_box(&f.wallet_sig)))
    });
    c.bench_function("parse/session_sig_json", |b| {
        b.iter(|| UnverifiedSessionSig::parse(black_box(&f.json)))
    });
    c.bench_function("verify/cold", |b| {
        b.iter(|| {
            f.verifier.cache().clear();
            f.verifier
                .verify(black_box(&f.plain), black_box(&f.request))
        })
    });
    c.bench_function("verify/warm", |b| {
        b.iter(|| {
            f.verifier
                .verify(black_box(&f.plain), black_box(&f.request))
        })
    });
    c.bench_function("verify/delegated_cold", |b| {
        b.iter(|| {
            f.verifier.cache().clear();
            f.verifier
                .verify(black_box(&f.delegated), black_box(&f.request))
        })
    });
}

/// Run `f` with the stack `depth` frames (of about 64 bytes each) deeper than the caller.
///
/// The same code runs measurably faster or slower depending on where its stack buffers fall
/// relative to other data (4 KiB aliasing in the AVX2 field arithmetic shows up as ±10 % from
/// one process to the next). Measuring every op over many stack offsets and taking the median
/// removes that luck from the comparison (the idea of layout randomisation, as in STABILIZER).
#[inline(never)]
fn at_stack_depth(depth: usize, f: &mut dyn FnMut()) {
    let pad = black_box([0u8; 48]);
    if depth == 0 {
        f();
    } else {
        at_stack_depth(depth - 1, f);
    }
    black_box(pad);
}

/// Time per call of each op, in microseconds: `rounds` rounds, each running every op `n`
/// times in turn (interleaved, so a change in machine load hits every op alike) at one stack
/// offset (a different one each round, the same for every op); the median round of each op.
fn interleaved_medians(rounds: usize, n: u32, ops: &mut [&mut dyn FnMut()]) -> Vec<f64> {
    let mut samples = vec![Vec::with_capacity(rounds); ops.len()];
    for round in 0..=rounds {
        // 64 offsets of about 64 bytes: the whole of a 4 KiB page, visited in a scattered order.
        let depth = (round * 37) % 64;
        for (i, op) in ops.iter_mut().enumerate() {
            let mut elapsed = 0.0;
            at_stack_depth(depth, &mut || {
                let t = Instant::now();
                for _ in 0..n {
                    op();
                }
                elapsed = t.elapsed().as_secs_f64();
            });
            if round > 0 {
                samples[i].push(elapsed * 1e6 / f64::from(n));
            }
        }
    }
    samples
        .into_iter()
        .map(|mut s| {
            s.sort_by(f64::total_cmp);
            s[s.len() / 2]
        })
        .collect()
}

fn summary() {
    let f = fixture();
    let public = f.key.public_key();
    let warm_verifier = Verifier::new(
        NODE,
        Policy::default(),
        FixedClock(now() + Duration::minutes(5)),
    )
    .expect("verifier");
    let (rounds, n) = (64, 50);
    let m = interleaved_medians(
        rounds,
        n,
        &mut [
            &mut || {
                let _ = black_box(
                    f.dalek_key
                        .verify_strict(black_box(&f.signed), black_box(&f.dalek_sig)),
                );
            },
            &mut || {
                let _ = black_box(public.verify_strict(black_box(&f.signed), black_box(&f.ed_sig)));
            },
            &mut || {
                let _ = black_box(recover_address(
                    black_box(&f.siwe),
                    black_box(&f.wallet_sig),
                ));
            },
            &mut || {
                f.verifier.cache().clear();
                let _ = black_box(
                    f.verifier
                        .verify(black_box(&f.plain), black_box(&f.request)),
                );
            },
            &mut || {
                let _ = black_box(warm_verifier.verify(black_box(&f.plain), black_box(&f.request)));
            },
            &mut || {
                f.verifier.cache().clear();
                let _ = black_box(
                    f.verifier
                        .verify(black_box(&f.delegated), black_box(&f.request)),
                );
            },
        ],
    );
    let (ed, ours, rec, cold, warm, delegated) = (m[0], m[1], m[2], m[3], m[4], m[5]);
    println!();
    println!(
        "summary (same run, interleaved, median of {rounds} rounds x {n} calls over 64 stack offsets, one thread):"
    );
    println!("  ed25519 verify_strict (dalek)    {ed:8.1} µs");
    println!("  secp256k1 recovery (EIP-191)     {rec:8.1} µs");
    println!(
        "  cold verification                {cold:8.1} µs = {:.2} x (ed25519 + recovery)  [target <= 1.20]",
        cold / (ed + rec)
    );
    println!(
        "  warm verification (cached)       {warm:8.1} µs = {:.2} x ed25519               [target <= 1.25]",
        warm / ed
    );
    println!(
        "  delegated cold (2 AuthSigs)      {delegated:8.1} µs = {:.2} x (ed25519 + 2 recoveries) [target <= 1.20]",
        delegated / (ed + 2.0 * rec)
    );
    println!();
    println!("the same, against the ed25519 the verifier runs (dalek verify + small-order table):");
    println!("  session key verify_strict        {ours:8.1} µs");
    println!(
        "  cold {:.2} x, warm {:.2} x, delegated cold {:.2} x",
        cold / (ours + rec),
        warm / ours,
        delegated / (ours + 2.0 * rec)
    );
}

criterion_group!(group, benches);

fn main() {
    let summary_only = std::env::args().any(|a| a == "--summary-only");
    if !summary_only {
        group();
        criterion::Criterion::default()
            .configure_from_args()
            .final_summary();
    }
    summary();
}
